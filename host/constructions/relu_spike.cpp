/// @file relu_spike.cpp
/// @brief C1, the ReLU spike network of docs/math.md section 2.1.
#include "spikemesh/constructions.hpp"

namespace spikemesh {
namespace detail {

/// Layer 1 of C1/C2: neuron q = k(n+2)+j computes act(x_k - (j-1)h); one nonzero per row.
Layer knot_layer(int d, int n, Activation act, double alpha) {
  const double h = 1.0 / (n - 1);
  Layer L;
  L.in = d;
  L.out = d * (n + 2);
  L.act = act;
  L.alpha = alpha;
  L.row_ptr.push_back(0);
  for (int k = 0; k < d; ++k) {
    for (int j = 0; j < n + 2; ++j) {
      L.cols.push_back(k);
      L.values.push_back(1.0);
      L.bias.push_back(-(j - 1) * h);
      L.row_ptr.push_back(static_cast<std::int32_t>(L.cols.size()));
    }
  }
  return L;
}

/// Layer 2 of C1 (scaled by @p scale): row p holds the (1, -2, 1)/h hat stencil of each axis at
/// the grid coordinate of training point p; 3d nonzeros per row, bias -b. With @p negate the
/// rows and bias are negated (C2's second half).
void append_hat_rows(Layer& L, int d, int n, double b, double scale, bool negate) {
  const double h = 1.0 / (n - 1);
  const double sign = negate ? -1.0 : 1.0;
  std::int64_t count = 1;
  for (int k = 0; k < d; ++k)
    count *= n;
  std::vector<int> i(static_cast<std::size_t>(d));
  if (L.row_ptr.empty()) L.row_ptr.push_back(0);
  for (std::int64_t p = 0; p < count; ++p) {
    std::int64_t rest = p;
    for (int k = d - 1; k >= 0; --k) {
      i[static_cast<std::size_t>(k)] = static_cast<int>(rest % n);
      rest /= n;
    }
    for (int k = 0; k < d; ++k) {
      const int base = k * (n + 2) + i[static_cast<std::size_t>(k)];
      const double w[3] = {1.0 / h, -2.0 / h, 1.0 / h};
      for (int t = 0; t < 3; ++t) {
        L.cols.push_back(base + t);
        L.values.push_back(sign * scale * w[t]);
      }
    }
    L.bias.push_back(-sign * b);
    L.row_ptr.push_back(static_cast<std::int32_t>(L.cols.size()));
  }
  L.out = static_cast<int>(L.bias.size());
}

} // namespace detail

Network make_relu_spike(int d, int n, double b, const std::vector<double>& y) {
  const double s = d - b;
  Network net;
  net.in_dim = d;
  net.layers.push_back(detail::knot_layer(d, n, Activation::ReLU, 0.0));
  Layer spikes;
  spikes.in = d * (n + 2);
  spikes.act = Activation::ReLU;
  detail::append_hat_rows(spikes, d, n, b, 1.0, false);
  net.layers.push_back(std::move(spikes));
  Layer out = Layer::dense(static_cast<int>(y.size()), 1, Activation::Identity);
  for (std::size_t p = 0; p < y.size(); ++p)
    out.weight[p] = y[p] / s;
  net.layers.push_back(std::move(out));
  return net;
}

Network make_prelu_spike(int d, int n, double b, double alpha, const std::vector<double>& y) {
  const double s = d - b;
  Network net;
  net.in_dim = d;
  net.layers.push_back(detail::knot_layer(d, n, Activation::PReLU, alpha));
  Layer spikes;
  spikes.in = d * (n + 2);
  spikes.act = Activation::PReLU;
  spikes.alpha = alpha;
  detail::append_hat_rows(spikes, d, n, b, 1.0 / (1.0 - alpha), false);
  detail::append_hat_rows(spikes, d, n, b, 1.0 / (1.0 - alpha), true);
  net.layers.push_back(std::move(spikes));
  const std::size_t P = y.size();
  Layer out = Layer::dense(static_cast<int>(2 * P), 1, Activation::Identity);
  const double denom = s * (1.0 - alpha * alpha);
  for (std::size_t p = 0; p < P; ++p) {
    out.weight[p] = y[p] / denom;
    out.weight[P + p] = alpha * y[p] / denom;
  }
  net.layers.push_back(std::move(out));
  return net;
}

} // namespace spikemesh
