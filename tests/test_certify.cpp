/// @file test_certify.cpp
/// @brief Certified volumes: box bounds are sound on seeded random networks; for C1/C2 the exact
/// rho_d(s) lies in [lower, upper] and in the 95 % interval in d = 2, 6, 10 and 16; the C3
/// semi-analytic volume lies in the interval; more budget, a narrower interval.
#include "spikemesh/certify.hpp"
#include "spikemesh/constructions.hpp"
#include "spikemesh/math/forward.hpp"

#include "support/random_network.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace spikemesh {
namespace {

/// Points sampled in random boxes never leave the box's bounds.
void expect_sound(const Network& net, std::uint64_t seed) {
  const BoxBounder bounder(net);
  const PackedNetwork<double> packed(net);
  const NetworkView<double> v = packed.view();
  std::vector<double> a(static_cast<std::size_t>(v.buffer_width)), b(a.size());
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const int d = net.in_dim;
  for (int box = 0; box < 200; ++box) {
    std::vector<double> lo(static_cast<std::size_t>(d)), hi(lo.size()), x(lo.size());
    const double width = std::pow(10.0, -3.0 * u(rng)); // boxes from 1 down to 1e-3 wide
    for (int k = 0; k < d; ++k) {
      lo[static_cast<std::size_t>(k)] = u(rng) * (1 - width);
      hi[static_cast<std::size_t>(k)] = lo[static_cast<std::size_t>(k)] + width * u(rng);
    }
    const Interval f = bounder.bound(lo.data(), hi.data());
    ASSERT_LE(f.lo, f.hi);
    for (int s = 0; s < 50; ++s) {
      for (int k = 0; k < d; ++k) {
        x[static_cast<std::size_t>(k)] =
            lo[static_cast<std::size_t>(k)] +
            (hi[static_cast<std::size_t>(k)] - lo[static_cast<std::size_t>(k)]) * u(rng);
      }
      const double fx = forward(v, x.data(), a.data(), b.data());
      EXPECT_GE(fx, f.lo) << "seed " << seed << " box " << box;
      EXPECT_LE(fx, f.hi) << "seed " << seed << " box " << box;
    }
  }
}

TEST(Certify, BoundsAreSoundOnRandomNetworks) {
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    expect_sound(testing::random_network(seed, 3, {16, 16}, Activation::ReLU), seed);
    expect_sound(testing::random_network(seed, 2, {24, 8}, Activation::Tanh), seed);
    expect_sound(testing::random_network(seed, 4, {12, 40}, Activation::Sigmoid, 0.3), seed);
    expect_sound(testing::random_network(seed, 2, {10, 10}, Activation::PReLU), seed);
  }
  for (const char* name : {"relu-spike", "prelu-spike", "sigmoid-spike"}) {
    CaseParams p;
    p.construction = name;
    p.dim = 3;
    p.train_per_axis = 3;
    p.bias = 2.6;
    const Case c = build_case(p);
    EXPECT_TRUE(BoxBounder(c.network).separable()) << name;
    expect_sound(c.network, 7);
  }
}

struct Spike {
  const char* construction;
  int d, n;
  double b;
  std::int64_t budget;
};

TEST(Certify, ExactReluVolumeInsideBoundsAndInterval) {
  const Spike cases[] = {{"relu-spike", 2, 4, 1.9, 20000},  {"relu-spike", 2, 4, 1.5, 20000},
                         {"prelu-spike", 2, 4, 1.8, 20000}, {"relu-spike", 6, 3, 5.5, 20000},
                         {"relu-spike", 6, 3, 5.9, 20000},  {"relu-spike", 10, 2, 9.1, 20000},
                         {"relu-spike", 10, 2, 9.9, 20000}, {"relu-spike", 16, 2, 15.5, 600}};
  for (const Spike& k : cases) {
    CaseParams p;
    p.construction = k.construction;
    p.dim = k.d;
    p.train_per_axis = k.n;
    p.bias = k.b;
    p.labels = Labels::Random;
    const Case c = build_case(p);
    CertifyOptions opt;
    opt.box_budget = k.budget;
    opt.samples = k.d >= 10 ? (k.d == 16 ? 200 : 5000) : 20000; // a 16-D sample costs 3 MFLOP
    opt.tau = p.resolved_tau();
    const CertifyResult r = certify_volume(c.network, k.d, 0.0, 1.0, opt);
    const double exact = c.oracle.spike_volume;
    SCOPED_TRACE(std::string(k.construction) + " d=" + std::to_string(k.d) +
                 " b=" + std::to_string(k.b));
    EXPECT_LE(r.certified_volume_lower, exact);
    EXPECT_GE(r.certified_volume_upper, exact);
    EXPECT_LE(r.volume_ci_low, exact);
    EXPECT_GE(r.volume_ci_high, exact);
    if (k.d == 2 && std::string(k.construction) == "relu-spike") {
      EXPECT_GT(r.certified_volume_lower, 0.5 * exact); // most of the spikes proven inside
    }
  }
}

TEST(Certify, SigmoidSemiAnalyticVolumeInsideInterval) {
  CaseParams p;
  p.construction = "sigmoid-spike";
  p.dim = 2;
  p.bias = 1.9;
  p.K = 30;
  p.L = 60;
  p.tau = 0.5;
  p.task = Task::Approximate;
  const Case c = build_case(p);
  CertifyOptions opt;
  opt.box_budget = 20000;
  opt.samples = 50000;
  opt.tau = 0.5;
  const CertifyResult r = certify_volume(c.network, 2, 0.0, 1.0, opt);
  // The semi-analytic value neglects O(e^{-K h}) cross terms (constructions.md 4.2: MC agrees
  // within 1.5 sigma, 6e-5): allow that much beside the interval.
  EXPECT_LE(r.volume_ci_low, c.oracle.spike_volume + 1e-4);
  EXPECT_GE(r.volume_ci_high, c.oracle.spike_volume - 1e-4);
  EXPECT_LT(r.certified_volume_upper - r.certified_volume_lower, 0.01);
}

TEST(Certify, MoreBudgetNarrowsBoundsAndInterval) {
  CaseParams p;
  p.dim = 3;
  p.train_per_axis = 4;
  p.bias = 2.6;
  const Case c = build_case(p);
  double previous_gap = INFINITY, previous_ci = INFINITY;
  for (std::int64_t budget : {300, 3000, 30000}) {
    CertifyOptions opt;
    opt.box_budget = budget;
    opt.samples = 20000;
    const CertifyResult r = certify_volume(c.network, 3, 0.0, 1.0, opt);
    const double gap = r.certified_volume_upper - r.certified_volume_lower;
    const double ci = r.volume_ci_high - r.volume_ci_low;
    EXPECT_LT(gap, previous_gap) << "budget " << budget;
    EXPECT_LT(ci, previous_ci) << "budget " << budget;
    EXPECT_LE(std::fabs(r.volume_estimate - c.oracle.spike_volume), ci) << "budget " << budget;
    previous_gap = gap;
    previous_ci = ci;
  }
}

} // namespace
} // namespace spikemesh
