/// @file test_certify.cpp
/// @brief Certified volumes: box bounds are sound on seeded random networks; for C1/C2 the exact
/// rho_d(s) lies in [lower, upper] and in the 95 % interval in d = 2, 6, 10 and 16; the C3
/// semi-analytic volume lies in the interval; more budget, a narrower interval.
#include "spikemesh/certify.hpp"
#include "spikemesh/constructions.hpp"
#include "spikemesh/math/forward.hpp"

#include "support/random_network.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

namespace spikemesh {
namespace {

/// Points sampled in random boxes never leave the box's bounds.
void expect_sound(const Network& net, std::uint64_t seed, BoundMethod method = BoundMethod::Auto) {
  const BoxBounder bounder(net, method);
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
    expect_sound(testing::random_network(seed, 3, {16, 16, 16}, Activation::ReLU), seed,
                 BoundMethod::Linear);
    expect_sound(testing::random_network(seed, 5, {20, 12}, Activation::ReLU, 0.5), seed,
                 BoundMethod::Linear);
    Network prelu = testing::random_network(seed, 2, {10, 10}, Activation::PReLU);
    expect_sound(prelu, seed, BoundMethod::Linear);
    for (Layer& L : prelu.layers)
      L.alpha = 1.7; // concave PReLU: the chord is the lower line
    expect_sound(prelu, seed, BoundMethod::Linear);
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

TEST(Certify, LinearRelaxationIsTighterThanIntervals) {
  // Deep random ReLU nets: back-substitution never loosens a bound (it is intersected with the
  // intervals) and on wide boxes narrows the output bound substantially.
  double width_interval = 0.0, width_linear = 0.0;
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    const Network net = testing::random_network(seed, 4, {24, 24, 24}, Activation::ReLU);
    const BoxBounder plain(net, BoundMethod::Interval), crown(net, BoundMethod::Linear);
    EXPECT_FALSE(plain.linear());
    EXPECT_TRUE(crown.linear());
    std::mt19937_64 rng(seed);
    for (int box = 0; box < 50; ++box) {
      const std::vector<double> c = testing::random_point(rng, 4, 0.1, 0.9);
      std::vector<double> lo(4), hi(4);
      for (std::size_t k = 0; k < 4; ++k) {
        lo[k] = c[k] - 0.1;
        hi[k] = c[k] + 0.1;
      }
      const Interval a = plain.bound(lo.data(), hi.data());
      const Interval b = crown.bound(lo.data(), hi.data());
      EXPECT_GE(b.lo, a.lo - 1e-12);
      EXPECT_LE(b.hi, a.hi + 1e-12);
      width_interval += a.hi - a.lo;
      width_linear += b.hi - b.lo;
    }
  }
  EXPECT_LT(width_linear, 0.7 * width_interval);
}

TEST(Certify, AutoKeepsToIntervalsWhereBackSubstitutionIsTooCostly) {
  // 8-400-400-1: 2.9e6 multiply-adds per box, above Auto's 2e6; an explicit request still runs.
  const Network big = testing::random_network(1, 8, {400, 400}, Activation::ReLU);
  EXPECT_FALSE(BoxBounder(big, BoundMethod::Auto).linear());
  EXPECT_TRUE(BoxBounder(big, BoundMethod::Linear).linear());
  const Network small = testing::random_network(1, 8, {40, 40}, Activation::ReLU);
  EXPECT_TRUE(BoxBounder(small, BoundMethod::Auto).linear());
  const Network smooth = testing::random_network(1, 8, {40, 40}, Activation::Tanh);
  EXPECT_FALSE(BoxBounder(smooth, BoundMethod::Linear).linear()); // not piecewise linear
}

TEST(Certify, LinearRelaxationDecidesMoreVolume) {
  const Network net = testing::random_network(3, 3, {16, 16, 16}, Activation::ReLU);
  // tau at the median of |f|: about half the cube is spike region.
  const PackedNetwork<double> packed(net);
  const NetworkView<double> v = packed.view();
  std::vector<double> a(static_cast<std::size_t>(v.buffer_width)), b(a.size()), values;
  std::mt19937_64 rng(5);
  for (int i = 0; i < 1001; ++i)
    values.push_back(
        std::fabs(forward(v, testing::random_point(rng, 3).data(), a.data(), b.data())));
  std::nth_element(values.begin(), values.begin() + 500, values.end());
  CertifyOptions opt;
  opt.box_budget = 3000;
  opt.samples = 0;
  opt.tau = values[500];
  opt.bounds = BoundMethod::Interval;
  const CertifyResult plain = certify_volume(net, 3, 0.0, 1.0, opt);
  opt.bounds = BoundMethod::Linear;
  const CertifyResult crown = certify_volume(net, 3, 0.0, 1.0, opt);
  EXPECT_EQ(crown.bound_method, "linear");
  EXPECT_LT(crown.certified_volume_upper - crown.certified_volume_lower,
            0.9 * (plain.certified_volume_upper - plain.certified_volume_lower));
}

TEST(Certify, ResultDoesNotDependOnThreadCount) {
  const CaseParams p = CaseParams::relu_spike(4, 3, 3.5);
  const Case c = build_case(p);
  CertifyOptions opt;
  opt.box_budget = 20000; // batches of 4096 boxes: bounded in parallel
  opt.samples = 200000;   // sampled in parallel
  opt.threads = 1;
  const CertifyResult a = certify_volume(c.network, 4, 0.0, 1.0, opt);
  opt.threads = 3;
  const CertifyResult b = certify_volume(c.network, 4, 0.0, 1.0, opt);
  EXPECT_EQ(a.volume_estimate, b.volume_estimate);
  EXPECT_EQ(a.volume_ci_low, b.volume_ci_low);
  EXPECT_EQ(a.certified_volume_upper, b.certified_volume_upper);
  EXPECT_EQ(a.boxes_undecided, b.boxes_undecided);
}

TEST(Certify, ClopperPearsonMatchesClosedForms) {
  // x = 0: upper = 1 - 0.025^(1/n); x = n: lower = 0.025^(1/n).
  EXPECT_NEAR(clopper_pearson_95(0, 100).hi, 1.0 - std::pow(0.025, 0.01), 1e-12);
  EXPECT_EQ(clopper_pearson_95(0, 100).lo, 0.0);
  EXPECT_NEAR(clopper_pearson_95(100, 100).lo, std::pow(0.025, 0.01), 1e-12);
  // Rare events: the Poisson limits 0.0253 / 5.5716 for one event, scaled by n.
  const Interval one = clopper_pearson_95(1, 1000000);
  EXPECT_NEAR(one.lo * 1e6, 0.025318, 1e-3);
  EXPECT_NEAR(one.hi * 1e6, 5.571643, 1e-3);
}

TEST(Certify, IntervalCoversTheExactVolumeAtTheNominalRate) {
  // 95 % intervals over 200 seeds; 180 is 3.2 standard deviations below 190.
  const CaseParams p = CaseParams::relu_spike(3, 4, 2.6);
  const Case c = build_case(p);
  int covered = 0;
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    CertifyOptions opt;
    opt.box_budget = 300;
    opt.samples = 3000;
    opt.seed = seed;
    const CertifyResult r = certify_volume(c.network, 3, 0.0, 1.0, opt);
    ASSERT_EQ(r.ci_method, "stratified");
    covered +=
        r.volume_ci_low <= c.oracle.spike_volume && c.oracle.spike_volume <= r.volume_ci_high;
  }
  EXPECT_GE(covered, 180);
}

TEST(Certify, SamplesUntilTheTargetHalfWidth) {
  const CaseParams p = CaseParams::relu_spike(6, 3, 5.5);
  const Case c = build_case(p);
  CertifyOptions opt;
  opt.box_budget = 20000;
  opt.samples = 10000000;
  opt.target_rel_ci = 0.05;
  const CertifyResult r = certify_volume(c.network, 6, 0.0, 1.0, opt);
  EXPECT_LE(0.5 * (r.volume_ci_high - r.volume_ci_low), 0.05 * r.volume_estimate);
  EXPECT_LT(r.samples_used, opt.samples);
  EXPECT_GE(r.sampling_rounds, 2);
  EXPECT_LE(r.volume_ci_low, c.oracle.spike_volume);
  EXPECT_GE(r.volume_ci_high, c.oracle.spike_volume);
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

// docs/math.md 10: d = 10, n = 2, b = 9.9 has spike volume 2.8e-14, which no mesh sees.
// At the default budget the undecided boxes hug the spikes and their samples find them.
TEST(Certify, FindsTheD10SpikesAtTheDefaultBudget) {
  const Case c = build_case(CaseParams::relu_spike(10, 2, 9.9));
  const double exact = c.oracle.spike_volume;
  ASSERT_NEAR(exact, 2.82e-14, 0.01e-14);
  CertifyOptions opt; // box budget 10^6, 10^6 samples
  const CertifyResult r = certify_volume(c.network, 10, 0.0, 1.0, opt);
  EXPECT_GE(r.certified_volume_upper, exact);
  EXPECT_LT(r.certified_volume_upper, 1e-8); // from 1 (the cube) to 1e-9
  EXPECT_LE(r.volume_ci_low, exact);
  EXPECT_GE(r.volume_ci_high, exact);
  EXPECT_GT(r.volume_estimate, 0.5 * exact);
  EXPECT_LT(r.volume_ci_high - r.volume_ci_low, 2.0 * exact); // an informative interval
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
  // The semi-analytic value neglects O(e^{-K h}) cross terms (docs/math.md 4.3: MC agrees
  // within 1.5 sigma, 6e-5): allow that much beside the interval.
  EXPECT_LE(r.volume_ci_low, c.oracle.spike_volume + 1e-4);
  EXPECT_GE(r.volume_ci_high, c.oracle.spike_volume - 1e-4);
  EXPECT_LT(r.certified_volume_upper - r.certified_volume_lower, 0.01);
}

TEST(Certify, MoreBudgetNarrowsBoundsAndInterval) {
  const CaseParams p = CaseParams::relu_spike(3, 4, 2.6);
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
