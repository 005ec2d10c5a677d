/// @file reference.cpp
/// @brief reference_forward(): one dense matrix-vector product per layer, in double.
#include "spikemesh/reference.hpp"

namespace spikemesh {

double reference_forward(const Network& net, const std::vector<double>& x) {
  std::vector<double> a = x;
  for (const Layer& L : net.layers) {
    const std::vector<double> W = L.dense_weight(); // [out][in]
    std::vector<double> z(static_cast<std::size_t>(L.out));
    for (int k = 0; k < L.out; ++k) {
      double acc = L.bias[static_cast<std::size_t>(k)];
      for (int j = 0; j < L.in; ++j)
        acc += W[static_cast<std::size_t>(k) * L.in + j] * a[static_cast<std::size_t>(j)];
      z[static_cast<std::size_t>(k)] = activate(L.act, acc, L.alpha);
    }
    a = std::move(z);
  }
  return a[0];
}

} // namespace spikemesh
