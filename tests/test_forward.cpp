/// @file test_forward.cpp
/// @brief The fused forward pass against the naive per-layer double reference (R14), and the
/// buffered and streamed forms giving bit-identical values.
#include "spikemesh/constructions.hpp"
#include "spikemesh/math/forward.hpp"
#include "spikemesh/network.hpp"
#include "spikemesh/reference.hpp"

#include "../host/backends/forward_batch.hpp"
#include "support/random_network.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

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

namespace spikemesh {
namespace {

/// The CPU backend's tiled form must give forward()'s values exactly (the GPU runs forward()).
template <class T>
void expect_tile_equals_scalar(const Network& net, std::uint64_t seed) {
  constexpr int B = 8;
  const PackedNetwork<T> packed(net, 64);
  const NetworkView<T> v = packed.view();
  std::mt19937_64 rng(seed);
  std::vector<T> xs(static_cast<std::size_t>(net.in_dim) * B),
      ta(static_cast<std::size_t>(v.buffer_width) * B), tb(ta.size()),
      a(static_cast<std::size_t>(v.buffer_width)), b(a.size());
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<std::vector<T>> pts;
    for (int p = 0; p < B; ++p) {
      const auto x = testing::random_point(rng, net.in_dim, -1.0, 2.0);
      pts.emplace_back(x.begin(), x.end());
      for (int k = 0; k < net.in_dim; ++k)
        xs[static_cast<std::size_t>(k * B + p)] = pts.back()[static_cast<std::size_t>(k)];
    }
    T f[B];
    std::vector<T> ranges(3 * static_cast<std::size_t>(std::max(v.buffer_width, net.in_dim)));
    cpu::forward_tile<T, B>(v, xs.data(), ta.data(), tb.data(), ranges.data(), f);
    for (int p = 0; p < B; ++p) {
      EXPECT_EQ(f[p], forward(v, pts[static_cast<std::size_t>(p)].data(), a.data(), b.data()))
          << "seed " << seed;
    }
  }
}

TEST(ForwardTile, EqualsScalarForwardBitForBit) {
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    for (const Network& net :
         {testing::random_network(seed, 3, {32, 32}, Activation::ReLU),
          testing::random_network(seed, 2, {20, 150, 6}, Activation::Tanh),   // streamed (> 64)
          testing::random_network(seed, 4, {40, 300}, Activation::ReLU, 0.1), // sparse, streamed
          testing::random_network(seed, 2, {16, 16}, Activation::PReLU, 0.5)}) {
      expect_tile_equals_scalar<float>(net, seed);
      expect_tile_equals_scalar<double>(net, seed);
    }
  }
}

} // namespace
} // namespace spikemesh

namespace spikemesh {
namespace {

/// forward_tile with silence plans (grouped bounds) against forward(), bit for bit, on tiles of
/// neighbouring points (a row of axis 0 and rows wrapping) and of scattered points, inside and
/// outside the training box; and the plan is really built for the spike layer.
template <class T, int B>
void expect_planned_tile_equals_scalar(const Network& net, std::uint64_t seed) {
  const PackedNetwork<T> packed(net, 64);
  const NetworkView<T> v = packed.view();
  std::vector<cpu::SilencePlan<T>> plans;
  std::size_t work = 0, rows = 0;
  for (int l = 0; l < v.n_layers; ++l) {
    plans.push_back(cpu::make_silence_plan(v, l));
    work = std::max(work, cpu::silence_work_size(plans.back()));
    rows = std::max(rows, static_cast<std::size_t>(plans.back().rows));
  }
  ASSERT_GT(rows, 0u) << "no layer got a plan";
  std::vector<T> wbuf(work);
  std::vector<std::int32_t> active(rows);
  const cpu::TilePlans<T> tp{plans.data(), wbuf.data(), active.data()};
  std::mt19937_64 rng(seed);
  std::vector<T> xs(static_cast<std::size_t>(net.in_dim) * B),
      ta(static_cast<std::size_t>(v.buffer_width) * B), tb(ta.size()),
      a(static_cast<std::size_t>(v.buffer_width)), b(a.size()),
      ranges(3 * static_cast<std::size_t>(std::max(v.buffer_width, net.in_dim)));
  std::uniform_real_distribution<double> u(-0.2, 1.2);
  int nonzero = 0;
  for (int trial = 0; trial < 60; ++trial) {
    const int kind = trial % 3; // 0: one row of axis 0, 1: rows of 7 points wrapping, 2: scattered
    std::vector<double> base(static_cast<std::size_t>(net.in_dim));
    for (double& c : base)
      c = u(rng);
    for (int p = 0; p < B; ++p) {
      for (int k = 0; k < net.in_dim; ++k) {
        double c = base[static_cast<std::size_t>(k)];
        if (kind == 0 && k == 0) c += 0.003 * p;
        if (kind == 1 && k == 0) c += 0.15 * (p % 7);
        if (kind == 1 && k == 1) c += 0.1 * (p / 7);
        if (kind == 2) c = u(rng);
        xs[static_cast<std::size_t>(k * B + p)] = static_cast<T>(c);
      }
    }
    T f[B];
    cpu::forward_tile<T, B>(v, xs.data(), ta.data(), tb.data(), ranges.data(), f, tp);
    for (int p = 0; p < B; ++p) {
      std::vector<T> x(static_cast<std::size_t>(net.in_dim));
      for (int k = 0; k < net.in_dim; ++k)
        x[static_cast<std::size_t>(k)] = xs[static_cast<std::size_t>(k * B + p)];
      const T want = forward(v, x.data(), a.data(), b.data());
      EXPECT_EQ(f[p], want) << "seed " << seed << " trial " << trial << " point " << p;
      nonzero += want != T(0) ? 1 : 0;
    }
  }
  EXPECT_GT(nonzero, 0); // some tiles reach into spikes
}

TEST(ForwardTile, SilencePlansGiveScalarForwardBitForBit) {
  for (std::uint64_t seed = 1; seed <= 2; ++seed) {
    CaseParams p;
    p.dim = 6;
    p.train_per_axis = 3;
    p.bias = 5.2;
    p.seed = seed;
    const Network six = build_case(p).network;
    p.dim = 3;
    p.train_per_axis = 4;
    p.bias = 2.4;
    const Network three = build_case(p).network;
    for (const Network* net : {&six, &three}) {
      expect_planned_tile_equals_scalar<float, 32>(*net, seed);
      expect_planned_tile_equals_scalar<double, 32>(*net, seed);
      expect_planned_tile_equals_scalar<float, 128>(*net, seed);
    }
  }
}

} // namespace
} // namespace spikemesh
