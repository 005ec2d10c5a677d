/// @file linear_relaxation.cpp
/// @brief CROWN / DeepPoly back-substitution for piecewise-linear networks.
#include "linear_relaxation.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>

namespace spikemesh::detail {

Relaxation relax(Activation act, double alpha, double l, double u) {
  const double left = act == Activation::ReLU ? 0.0 : act == Activation::PReLU ? alpha : 1.0;
  if (act == Activation::Identity || l >= 0.0) return {1.0, 0.0, 1.0, 0.0};
  if (u <= 0.0) return {left, 0.0, left, 0.0};
  // Unstable: slopes `left` below 0 and 1 above. The chord joins (l, left l) and (u, u); a line
  // through the origin with a slope between the two pieces lies on the other side.
  const double chord_a = (u - left * l) / (u - l);
  const double chord_c = u - chord_a * u;
  const double slack =
      8.0 * DBL_EPSILON *
      (std::fabs(u) + std::max(1.0, std::fabs(left)) * std::fabs(l) + std::fabs(chord_c));
  const double through = u >= -l ? 1.0 : left; // the smaller area of the two candidates
  if (left <= 1.0) return {through, 0.0, chord_a, chord_c + slack}; // convex: chord above
  return {chord_a, chord_c - slack, through, 0.0};                  // concave: chord below
}

double DenseNetwork::cost_per_box(const Network& net) {
  for (const Layer& L : net.layers) {
    const bool pl =
        L.act == Activation::ReLU || L.act == Activation::PReLU || L.act == Activation::Identity;
    if (!pl) return -1.0;
  }
  // Layer i's rows are substituted through every dense layer below it (twice: both bounds).
  double below = 0.0, cost = 0.0;
  for (const Layer& L : net.layers) {
    cost += 2.0 * static_cast<double>(L.out) * below;
    below += static_cast<double>(L.in) * static_cast<double>(L.out);
  }
  return cost;
}

DenseNetwork::DenseNetwork(const Network& net) : in_dim(net.in_dim) {
  for (const Layer& L : net.layers) {
    DenseLayer D;
    D.in = L.in;
    D.out = L.out;
    D.act = L.act;
    D.alpha = L.alpha;
    D.w = L.dense_weight();
    D.abs_w.resize(D.w.size());
    std::transform(D.w.begin(), D.w.end(), D.abs_w.begin(), [](double w) { return std::fabs(w); });
    D.bias = L.bias;
    layers.push_back(std::move(D));
  }
}

void back_substitute(const DenseNetwork& net, std::size_t i,
                     const std::vector<std::vector<Interval>>& z, const double* lo,
                     const double* hi, std::vector<Interval>& out, BackSubScratch& s) {
  const DenseNetwork::DenseLayer& top = net.layers[i];
  const std::size_t rows = static_cast<std::size_t>(top.out);
  std::size_t width = static_cast<std::size_t>(top.in);
  // Upper and lower bounds substitute different lines, so each has its own coefficients; mag_*
  // bound |every product| that formed a coefficient, so rounding stays below gamma * magnitude.
  s.lam_up = top.w;
  s.lam_lo = top.w;
  s.mag_up = top.abs_w;
  s.mag_lo = top.abs_w;
  s.c_up = top.bias;
  s.c_lo = top.bias;
  s.m_up.resize(rows);
  std::transform(top.bias.begin(), top.bias.end(), s.m_up.begin(),
                 [](double b) { return std::fabs(b); });
  s.m_lo = s.m_up;
  double ops = 0.0;
  for (std::size_t j = i; j-- > 0;) {
    const DenseNetwork::DenseLayer& L = net.layers[j];
    s.rel.resize(width);
    for (std::size_t n = 0; n < width; ++n)
      s.rel[n] = relax(L.act, L.alpha, z[j][n].lo, z[j][n].hi);
    for (std::size_t r = 0; r < rows; ++r) {
      double cu = s.c_up[r], cl = s.c_lo[r], mu = s.m_up[r], ml = s.m_lo[r];
      for (std::size_t n = 0; n < width; ++n) {
        const Relaxation& q = s.rel[n];
        const std::size_t e = r * width + n;
        // For the upper bound a positive coefficient takes the upper line and a negative one
        // the lower; for the lower bound the other way round.
        auto substitute = [&](bool upper, std::vector<double>& lam, std::vector<double>& mag,
                              double& c, double& m) {
          const bool up_line = (lam[e] >= 0.0) == upper;
          const double a = up_line ? q.up_a : q.lo_a;
          const double line_c = up_line ? q.up_c : q.lo_c;
          c += lam[e] * (line_c + L.bias[n] * a);
          m += mag[e] * (std::fabs(line_c) + std::fabs(L.bias[n] * a));
          lam[e] *= a;
          mag[e] *= std::fabs(a);
        };
        substitute(true, s.lam_up, s.mag_up, cu, mu);
        substitute(false, s.lam_lo, s.mag_lo, cl, ml);
      }
      s.c_up[r] = cu;
      s.c_lo[r] = cl;
      s.m_up[r] = mu;
      s.m_lo[r] = ml;
    }
    // Through the weights: lam <- lam W_j (rows x L.in), magnitudes through |W_j|.
    const std::size_t in = static_cast<std::size_t>(L.in);
    auto multiply = [&](std::vector<double>& lam, std::vector<double>& mag) {
      s.next.assign(rows * in, 0.0);
      s.next_mag.assign(rows * in, 0.0);
      for (std::size_t r = 0; r < rows; ++r) {
        for (std::size_t n = 0; n < width; ++n) {
          const double c = lam[r * width + n], m = mag[r * width + n];
          if (m == 0.0) continue;
          const double* w = &L.w[n * in];
          const double* aw = &L.abs_w[n * in];
          double* dst = &s.next[r * in];
          double* dst_mag = &s.next_mag[r * in];
          for (std::size_t k = 0; k < in; ++k) {
            dst[k] += c * w[k];
            dst_mag[k] += m * aw[k];
          }
        }
      }
      lam.swap(s.next);
      mag.swap(s.next_mag);
    };
    multiply(s.lam_up, s.mag_up);
    multiply(s.lam_lo, s.mag_lo);
    ops += 3.0 * static_cast<double>(width) + 4.0;
    width = in;
  }
  // Over the box: each coefficient takes the end of its edge that maximises (minimises) it.
  const double gamma =
      2.0 *
      (ops + 2.0 * static_cast<double>(net.in_dim) + 2.0 * static_cast<double>(top.in) + 8.0) *
      DBL_EPSILON;
  out.resize(rows);
  for (std::size_t r = 0; r < rows; ++r) {
    double up = s.c_up[r], down = s.c_lo[r], mu = s.m_up[r], ml = s.m_lo[r];
    for (std::size_t k = 0; k < width; ++k) {
      const double a = s.lam_up[r * width + k], b = s.lam_lo[r * width + k];
      const double x = std::max(std::fabs(lo[k]), std::fabs(hi[k]));
      up += a >= 0.0 ? a * hi[k] : a * lo[k];
      down += b >= 0.0 ? b * lo[k] : b * hi[k];
      mu += s.mag_up[r * width + k] * x;
      ml += s.mag_lo[r * width + k] * x;
    }
    out[r] = {down - gamma * ml, up + gamma * mu};
  }
}

} // namespace spikemesh::detail
