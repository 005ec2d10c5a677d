/// @file test_forward.cpp
/// @brief The fused forward pass against the naive per-layer double reference (R14), and the
/// buffered and streamed forms giving bit-identical values.
#include "spikemesh/math/forward.hpp"
#include "spikemesh/network.hpp"
#include "spikemesh/reference.hpp"

#include "support/random_network.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace spikemesh {
namespace {

template <class T>
T fused(const PackedNetwork<T>& packed, const std::vector<double>& x) {
  const NetworkView<T> v = packed.view();
  std::vector<T> xt(x.begin(), x.end());
  std::vector<T> a(static_cast<std::size_t>(v.buffer_width)), b(a.size());
  return forward(v, xt.data(), a.data(), b.data());
}

struct Shape {
  std::vector<int> widths;
  Activation act;
  double density;
};

class ForwardVsReference : public ::testing::TestWithParam<int> {};

TEST_P(ForwardVsReference, RandomNetworks) {
  const Shape shapes[] = {
      {{32}, Activation::ReLU, 1.0},
      {{64, 64}, Activation::Tanh, 1.0},
      {{16, 300, 8}, Activation::ReLU, 1.0}, // 300 > 256: streamed
      {{40, 700}, Activation::Sigmoid, 0.1}, // sparse and streamed into the output
      {{128, 128, 128}, Activation::Softplus, 1.0},
      {{24, 24}, Activation::PReLU, 0.3},
  };
  const std::uint64_t seed = 1000 + static_cast<std::uint64_t>(GetParam());
  std::mt19937_64 rng(seed);
  for (const Shape& s : shapes) {
    const int d = 1 + static_cast<int>(rng() % 6);
    const Network net = testing::random_network(seed, d, s.widths, s.act, s.density);
    const PackedNetwork<double> pd(net);
    const PackedNetwork<float> pf(net);
    for (int trial = 0; trial < 50; ++trial) {
      const std::vector<double> x = testing::random_point(rng, d, -1.0, 2.0);
      const double ref = reference_forward(net, x);
      const double scale = 1.0 + std::fabs(ref);
      EXPECT_NEAR(fused(pd, x), ref, 1e-12 * scale) << "seed " << seed;
      std::vector<double> xf(x.size());
      for (std::size_t k = 0; k < x.size(); ++k)
        xf[k] = static_cast<float>(x[k]);
      EXPECT_NEAR(fused(pf, x), reference_forward(net, xf), 2e-5 * scale) << "seed " << seed;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, ForwardVsReference, ::testing::Range(0, 4));

TEST(Forward, StreamingDoesNotChangeBits) {
  const Network net = testing::random_network(7, 3, {20, 90, 6}, Activation::ReLU);
  const PackedNetwork<float> buffered(net, 256);
  const PackedNetwork<float> streamed(net, 32); // the 90-wide layer is streamed
  EXPECT_FALSE(buffered.layers()[1].stream);
  EXPECT_TRUE(streamed.layers()[1].stream);
  EXPECT_LE(streamed.buffer_width(), 32);
  std::mt19937_64 rng(3);
  for (int i = 0; i < 200; ++i) {
    const std::vector<double> x = testing::random_point(rng, 3, -1.0, 2.0);
    EXPECT_EQ(fused(buffered, x), fused(streamed, x));
  }
}

TEST(Forward, WideLayerNeedsNarrowDenseSuccessor) {
  const Network net = testing::random_network(9, 2, {300, 300}, Activation::ReLU);
  EXPECT_THROW(PackedNetwork<float>(net, 256), std::invalid_argument);
}

TEST(Network, ValidateNamesTheLayer) {
  Network net = testing::random_network(1, 2, {4}, Activation::ReLU);
  net.layers[0].weight[3] = std::nan("");
  try {
    net.validate();
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("layer 0"), std::string::npos) << e.what();
  }
  net = testing::random_network(1, 2, {4}, Activation::ReLU);
  net.layers[1].in = 5;
  EXPECT_THROW(net.validate(), std::invalid_argument);
  net = testing::random_network(1, 2, {4}, Activation::ReLU);
  net.layers[1].act = Activation::ReLU;
  EXPECT_THROW(net.validate(), std::invalid_argument);
}

} // namespace
} // namespace spikemesh
