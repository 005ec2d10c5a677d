/// @file random_relu_case.hpp
/// @brief The random ReLU network of the certify and exact benchmarks: 4-24-24-24-1 (seed 11)
/// with weights x 3 (so that f varies over the cube), and tau = the median |f| at 10001 seeded
/// points of [0,1]^4 (half the cube is above tau, roughly).
#pragma once

#include "spikemesh/math/forward.hpp"
#include "spikemesh/network.hpp"

#include "support/random_network.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace spikemesh::bench {

struct RandomReluCase {
  Network net;
  double tau = 0.0;
};

inline RandomReluCase random_relu_case() {
  RandomReluCase c;
  c.net = testing::random_network(11, 4, {24, 24, 24}, Activation::ReLU);
  for (Layer& L : c.net.layers) { // weights ~ U(-3, 3)/sqrt(in): f varies over the cube
    for (double& w : L.weight)
      w *= 3.0;
  }
  const PackedNetwork<double> packed(c.net);
  const NetworkView<double> v = packed.view();
  std::vector<double> a(static_cast<std::size_t>(v.buffer_width)), b(a.size()), values;
  std::mt19937_64 rng(5);
  for (int i = 0; i < 10001; ++i)
    values.push_back(
        std::fabs(forward(v, testing::random_point(rng, 4).data(), a.data(), b.data())));
  std::nth_element(values.begin(), values.begin() + 5000, values.end());
  c.tau = values[5000];
  return c;
}

} // namespace spikemesh::bench
