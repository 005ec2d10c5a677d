/// @file random_network.hpp
/// @brief Seeded random networks and points for backend-vs-reference tests (R14).
#pragma once

#include "spikemesh/network.hpp"

#include <random>
#include <vector>

namespace spikemesh::testing {

/// Random MLP with the given hidden widths and activation; weights ~ U(-1, 1)/sqrt(in).
/// With @p sparse_density < 1 every hidden layer is stored sparse with that share of nonzeros.
inline Network random_network(std::uint64_t seed, int in_dim, const std::vector<int>& widths,
                              Activation act, double sparse_density = 1.0) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  Network net;
  net.in_dim = in_dim;
  int prev = in_dim;
  std::vector<int> all = widths;
  all.push_back(1);
  for (std::size_t l = 0; l < all.size(); ++l) {
    const bool output = l + 1 == all.size();
    Layer L = Layer::dense(prev, all[l], output ? Activation::Identity : act, 0.2);
    for (double& w : L.weight) {
      const bool keep = output || sparse_density >= 1.0 || (u(rng) + 1.0) / 2.0 < sparse_density;
      w = keep ? u(rng) / std::sqrt(static_cast<double>(prev)) : 0.0;
    }
    for (double& b : L.bias)
      b = 0.3 * u(rng);
    if (!output && sparse_density < 1.0) L = Layer::to_sparse(L);
    net.layers.push_back(std::move(L));
    prev = all[l];
  }
  return net;
}

/// Uniform random point in [lo, hi]^d.
inline std::vector<double> random_point(std::mt19937_64& rng, int d, double lo = 0.0,
                                        double hi = 1.0) {
  std::uniform_real_distribution<double> u(lo, hi);
  std::vector<double> x(static_cast<std::size_t>(d));
  for (double& v : x)
    v = u(rng);
  return x;
}

} // namespace spikemesh::testing
