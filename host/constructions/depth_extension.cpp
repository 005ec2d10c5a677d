/// @file depth_extension.cpp
/// @brief C4, the depth-extension trick (docs/math.md section 5).
#include "spikemesh/constructions.hpp"

#include <cmath>
#include <limits>

namespace spikemesh {

void apply_depth_extension(Network& net, const DepthExtension& ext) {
  const Activation act = ext.act;
  const double sc = activate(act, ext.c, 0.0);
  const double dsc = activate_derivative(act, ext.c, 0.0);
  const double eps = ext.epsilon;
  const int w = ext.width;

  Layer old_out = std::move(net.layers.back());
  net.layers.pop_back();
  const std::vector<double> w_out = old_out.dense_weight();

  // (2.1) w copies of eps * W_out, bias c + eps * beta_out: z_1 = c + eps g(x).
  Layer first = Layer::dense(old_out.in, w, act);
  for (int k = 0; k < w; ++k) {
    for (int j = 0; j < old_out.in; ++j) {
      first.weight[static_cast<std::size_t>(k) * old_out.in + j] =
          eps * w_out[static_cast<std::size_t>(j)];
    }
    first.bias[static_cast<std::size_t>(k)] = ext.c + eps * old_out.bias[0];
  }
  net.layers.push_back(std::move(first));
  // (2.2) z_j = c + (sigma(z_{j-1}) - sigma(c)) / sigma'(c).
  for (int j = 2; j <= ext.depth; ++j) {
    Layer mid = Layer::dense(w, w, act);
    for (double& v : mid.weight)
      v = 1.0 / (w * dsc);
    for (double& v : mid.bias)
      v = ext.c - sc / dsc;
    net.layers.push_back(std::move(mid));
  }
  // (2.3) f_N = (sigma(z_N) - sigma(c)) / (eps sigma'(c)).
  Layer out = Layer::dense(w, 1, Activation::Identity);
  for (double& v : out.weight)
    v = 1.0 / (w * eps * dsc);
  out.bias[0] = -sc / (eps * dsc);
  net.layers.push_back(std::move(out));
}

double depth_extension_error_bound(const DepthExtension& ext, double M) {
  const double N = ext.depth;
  const double eps = ext.epsilon;
  switch (ext.act) {
  case Activation::ReLU:
    return ext.c - eps * M > 0.0 ? 0.0 : std::numeric_limits<double>::infinity();
  case Activation::Sigmoid:
  case Activation::Tanh:
  case Activation::Softplus:
    break;
  default:
    return std::numeric_limits<double>::infinity();
  }
  if (ext.c == 0.0 && ext.act == Activation::Sigmoid) return N * eps * eps * M * M * M / 12.0;
  if (ext.c == 0.0 && ext.act == Activation::Tanh) return N * eps * eps * M * M * M / 3.0;
  // General bound 2 N eps M^2 M2 / |sigma'(c)|, M2 = sup |sigma''| on |t - c| <= 2 eps M, taken
  // here as the global supremum of |sigma''| (a valid, slightly looser constant).
  double M2 = 0.25; // softplus: sigma'' = logistic'
  if (ext.act == Activation::Sigmoid) M2 = 1.0 / (6.0 * std::sqrt(3.0));
  if (ext.act == Activation::Tanh) M2 = 4.0 / (3.0 * std::sqrt(3.0));
  const double dsc = std::fabs(activate_derivative(ext.act, ext.c, 0.0));
  if (eps > dsc / (2.0 * N * M * M2)) return std::numeric_limits<double>::infinity();
  return 2.0 * N * eps * M * M * M2 / dsc;
}

} // namespace spikemesh
