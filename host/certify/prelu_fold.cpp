/// @file prelu_fold.cpp
/// @brief fold_prelu_pairs(): C2's "ReLU from two PReLUs" undone in the network itself, with a
/// rigorous bound of what the folding drops.
#include "prelu_fold.hpp"

#include "spikemesh/certify.hpp"
#include "spikemesh/math/box_math.hpp"

#include <cfloat>
#include <cmath>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

namespace spikemesh {
namespace {

/// Bytes of a row's columns, values (times @p sign) and bias (times @p sign); -0 reads as +0.
std::string row_key(const Layer& L, int r, double sign) {
  std::string key;
  auto put = [&](const void* p, std::size_t n) { key.append(static_cast<const char*>(p), n); };
  const double b = sign * L.bias[static_cast<std::size_t>(r)] + 0.0;
  put(&b, sizeof b);
  for (std::int32_t e = L.row_ptr[static_cast<std::size_t>(r)];
       e < L.row_ptr[static_cast<std::size_t>(r) + 1]; ++e) {
    const std::int32_t c = L.cols[static_cast<std::size_t>(e)];
    const double v = sign * L.values[static_cast<std::size_t>(e)] + 0.0;
    put(&c, sizeof c);
    put(&v, sizeof v);
  }
  return key;
}

} // namespace

FoldedNetwork fold_prelu_pairs(const Network& net, double lo, double hi) {
  FoldedNetwork out;
  out.net = net;
  const std::size_t n_layers = net.layers.size();
  if (n_layers < 2) return out;
  const std::size_t h = n_layers - 2; // the last hidden layer
  const Layer& H = net.layers[h];
  const Layer& O = net.layers.back();
  if (H.act != Activation::PReLU || O.out != 1 || O.is_sparse() || H.out % 2 != 0) return out;
  const Layer S = H.is_sparse() ? H : Layer::to_sparse(H);
  std::unordered_map<std::string, int> rows;
  for (int r = 0; r < S.out; ++r)
    rows.emplace(row_key(S, r, 1.0), r);
  std::vector<int> partner(static_cast<std::size_t>(S.out), -1);
  for (int r = 0; r < S.out; ++r) {
    const auto it = rows.find(row_key(S, r, -1.0));
    if (it == rows.end() || it->second == r) return out; // an unpaired (or self-negating) row
    partner[static_cast<std::size_t>(r)] = it->second;
  }
  for (int r = 0; r < S.out; ++r) { // pairs must be mutual (duplicate rows break this)
    if (partner[static_cast<std::size_t>(partner[static_cast<std::size_t>(r)])] != r) return out;
  }
  // Sound ranges of every pre-activation of the last hidden layer over the box.
  const BoxBounder bounder(net, BoundMethod::Interval);
  std::vector<double> blo(static_cast<std::size_t>(net.in_dim), lo),
      bhi(static_cast<std::size_t>(net.in_dim), hi);
  BoundScratch scratch;
  bounder.bound_layers(blo.data(), bhi.data(), scratch);
  const std::vector<Interval>& z = scratch.z[h];

  const double alpha = H.alpha;
  Layer F; // the folded layer: one ReLU row per pair
  F.in = S.in;
  F.act = Activation::ReLU;
  F.row_ptr.push_back(0);
  std::vector<double> kappa;
  double leak_sum = 0.0, kappa_sum = 0.0; // sum |eps| max|z|; sum kappa_err max z_+
  std::vector<double> lambda(static_cast<std::size_t>(S.in), 0.0), lambda_mag(lambda.size(), 0.0);
  double leak_c = 0.0, leak_c_mag = 0.0;
  for (int r = 0; r < S.out; ++r) {
    const int q = partner[static_cast<std::size_t>(r)];
    if (q < r) continue;
    const double vr = O.weight[static_cast<std::size_t>(r)],
                 vq = O.weight[static_cast<std::size_t>(q)];
    // v P(z) + v' P(-z) = eps z + kappa ReLU(z): eps = alpha v - v' (fma: one rounding), in the
    // orientation where it is smaller.
    const double eps_r = std::fma(alpha, vr, -vq), eps_q = std::fma(alpha, vq, -vr);
    const int base = std::fabs(eps_r) <= std::fabs(eps_q) ? r : q;
    const double eps = base == r ? eps_r : eps_q;
    const double k = (1.0 - alpha) * (vr + vq); // three roundings: within 4u of the true kappa
    const Interval& zb = z[static_cast<std::size_t>(base)];
    // z of the other orientation is -z: the ranges mirror; |z| and z_+ of the base row.
    const double zabs = std::max(std::fabs(zb.lo), std::fabs(zb.hi));
    const double zpos = std::max(0.0, zb.hi);
    leak_sum += std::fabs(eps) * (1.0 + 2.0 * DBL_EPSILON) * zabs;
    const double kerr = 4.0 * DBL_EPSILON * std::fabs(k);
    kappa_sum += kerr * zpos;
    out.kappa_error.push_back(kerr);
    // eps z = eps (bias + sum_j W_j act_j): accumulated by input neuron j.
    leak_c += eps * S.bias[static_cast<std::size_t>(base)];
    leak_c_mag += std::fabs(eps * S.bias[static_cast<std::size_t>(base)]);
    for (std::int32_t e = S.row_ptr[static_cast<std::size_t>(base)];
         e < S.row_ptr[static_cast<std::size_t>(base) + 1]; ++e) {
      const std::size_t j = static_cast<std::size_t>(S.cols[static_cast<std::size_t>(e)]);
      lambda[j] += eps * S.values[static_cast<std::size_t>(e)];
      lambda_mag[j] += std::fabs(eps * S.values[static_cast<std::size_t>(e)]);
    }
    for (std::int32_t e = S.row_ptr[static_cast<std::size_t>(base)];
         e < S.row_ptr[static_cast<std::size_t>(base) + 1]; ++e) {
      F.cols.push_back(S.cols[static_cast<std::size_t>(e)]);
      F.values.push_back(S.values[static_cast<std::size_t>(e)]);
    }
    F.bias.push_back(S.bias[static_cast<std::size_t>(base)]);
    F.row_ptr.push_back(static_cast<std::int32_t>(F.cols.size()));
    kappa.push_back(k);
  }
  F.out = static_cast<int>(F.bias.size());
  Layer G = Layer::dense(F.out, 1, Activation::Identity);
  G.weight = kappa;
  G.bias = O.bias;
  out.net.layers[h] = std::move(F);
  out.net.layers.back() = std::move(G);
  // The sums themselves were rounded: n additions (of nonnegative terms for the bounds).
  const double grow = 1.0 + static_cast<double>(S.out + 4) * DBL_EPSILON;
  double leak = leak_sum * grow;
  if (h == 1) { // |c + sum_j lambda_j act_j| over the box, the lambdas' rounding charged
    const Layer& L0 = net.layers[0];
    const double gamma = static_cast<double>(S.out + 4) * DBL_EPSILON;
    double bound = std::fabs(leak_c) + gamma * leak_c_mag;
    for (std::size_t j = 0; j < lambda.size(); ++j) {
      const Interval a =
          box_math::act_range(L0.act, L0.alpha, scratch.z[0][j].lo, scratch.z[0][j].hi);
      const double amax = std::max(std::fabs(a.lo), std::fabs(a.hi));
      bound += (std::fabs(lambda[j]) + gamma * lambda_mag[j]) * amax;
    }
    // eps_r's own rounding (relative 2u) on top: 2u sum |eps| max|z|.
    bound = bound * grow + 4.0 * DBL_EPSILON * leak_sum;
    leak = std::min(leak, bound);
  }
  out.leak_error = leak;
  out.error = (leak + kappa_sum * grow) * (1.0 + 4.0 * DBL_EPSILON);
  out.pairs = out.net.layers[h].out;
  out.folded = true;
  out.net.validate();
  return out;
}

} // namespace spikemesh
