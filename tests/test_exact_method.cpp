/// @file test_exact_method.cpp
/// @brief exact_volume() on C1 (relu-spike) and C2 (prelu-spike) against the closed forms of
/// docs/math.md section 2 (relu_spike_oracle): rho_d(s (1 - tau)) for disjoint spikes with |y| = 1,
/// V_tau(s) for y = 1; the bracket must hold the value, be positive below and meet to 1e-9.
#include "spikemesh/case.hpp"
#include "spikemesh/constructions.hpp"
#include "spikemesh/exact.hpp"
#include "spikemesh/math/forward.hpp"

#include "../host/certify/prelu_fold.hpp"
#include "support/random_network.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <gmpxx.h>
#include <random>

namespace spikemesh {
namespace {

struct Spec {
  const char* construction;
  int d, n;
  double b, tau;
  Labels labels;
};

CertifyResult run(const Spec& sp, const Case& c, std::int64_t budget) {
  CertifyOptions o;
  o.box_budget = budget;
  o.samples = 0;
  o.tau = c.params.resolved_tau();
  o.threads = 2;
  return exact_volume(c.network, sp.d, 0.0, 1.0, o);
}

/// f(x) in exact rational arithmetic (every weight and x is a double, so a rational).
mpq_class exact_forward(const Network& net, const std::vector<double>& x) {
  std::vector<mpq_class> a(x.begin(), x.end());
  for (const Layer& L : net.layers) {
    const std::vector<double> w = L.dense_weight();
    std::vector<mpq_class> z(static_cast<std::size_t>(L.out));
    for (int r = 0; r < L.out; ++r) {
      mpq_class s(L.bias[static_cast<std::size_t>(r)]);
      for (int j = 0; j < L.in; ++j) {
        const double wj = w[static_cast<std::size_t>(r) * static_cast<std::size_t>(L.in) +
                            static_cast<std::size_t>(j)];
        if (wj != 0.0) s += mpq_class(wj) * a[static_cast<std::size_t>(j)];
      }
      if (L.act == Activation::ReLU && s < 0) s = 0;
      if (L.act == Activation::PReLU && s < 0) s *= mpq_class(L.alpha);
      z[static_cast<std::size_t>(r)] = s;
    }
    a = std::move(z);
  }
  return a[0];
}

Case make(const Spec& sp) {
  CaseParams p = CaseParams::relu_spike(sp.d, sp.n, sp.b);
  p.construction = sp.construction;
  p.tau = sp.tau;
  p.labels = sp.labels;
  return build_case(p);
}

} // namespace

TEST(ExactMethod, DisjointSpikesMeetTheClosedForm) {
  // Disjoint spikes (s < 1/2), |y| = 1 (random signs or all ones), several tau: every box is
  // decided (the bracket's width is the rounding bound only).
  const Spec specs[] = {
      {"relu-spike", 2, 4, 1.9, 0.0, Labels::Random},
      {"relu-spike", 2, 6, 1.55, 0.7, Labels::Ones},
      {"relu-spike", 3, 4, 2.6, 0.0, Labels::Ones},
      {"relu-spike", 4, 5, 3.7, 0.1, Labels::Random},
      {"relu-spike", 6, 3, 5.55, 0.0, Labels::Random},
      {"relu-spike", 6, 3, 5.9, 0.3, Labels::Random},
      {"relu-spike", 8, 3, 7.8, 0.0, Labels::Checkerboard},
      {"relu-spike", 10, 2, 9.6, 0.0, Labels::Random},
      {"relu-spike", 10, 2, 9.99, 0.0, Labels::Ones},
      {"relu-spike", 12, 2, 11.6, 0.0, Labels::Random},
      {"relu-spike", 12, 2, 11.6, 0.5, Labels::Ones},
      {"relu-spike", 4, 10, 3.6, 0.0, Labels::Random},    // 10^4 spikes
      {"relu-spike", 16, 2, 15.6, 0.0, Labels::Random},   // 65536 spikes, 32 to a box
      {"prelu-spike", 14, 2, 13.6, 1e-4, Labels::Random}, // 16384 spikes, folded, tau > 0
      {"prelu-spike", 2, 4, 1.8, 1e-4, Labels::Random},
      {"prelu-spike", 5, 4, 4.7, 1e-4, Labels::Random},
      {"prelu-spike", 6, 3, 5.6, 1e-4, Labels::Ones},
      {"prelu-spike", 10, 2, 9.9, 0.2, Labels::Random},
      {"prelu-spike", 12, 2, 11.55, 1e-4, Labels::Random},
  };
  for (const Spec& sp : specs) {
    const Case c = make(sp);
    const double exact = c.oracle.spike_volume;
    ASSERT_TRUE(std::isfinite(exact)) << sp.construction << " d=" << sp.d;
    const CertifyResult r = run(sp, c, 1000000);
    std::printf("%s d=%d n=%d b=%g tau=%g: [%.17g, %.17g] exact %.17g gap/exact %.3g, %lld boxes "
                "(%lld exact), %lld undecided, %.2f s\n",
                sp.construction, sp.d, sp.n, sp.b, c.params.resolved_tau(),
                r.certified_volume_lower, r.certified_volume_upper, exact,
                (r.certified_volume_upper - r.certified_volume_lower) / exact,
                static_cast<long long>(r.boxes_processed), static_cast<long long>(r.boxes_exact),
                static_cast<long long>(r.boxes_undecided), r.wall_seconds);
    EXPECT_GT(r.certified_volume_lower, 0.0);
    EXPECT_LE(r.certified_volume_lower, exact * (1 + 1e-12)) << sp.d;
    EXPECT_GE(r.certified_volume_upper, exact * (1 - 1e-12)) << sp.d;
    EXPECT_LE(r.certified_volume_upper - r.certified_volume_lower, 1e-9 * exact) << sp.d;
    EXPECT_EQ(r.boxes_undecided, 0) << sp.d;
    EXPECT_EQ(r.exact_volume_fraction, 1.0) << sp.d;
    EXPECT_EQ(r.ci_method, "exact");
  }
}

TEST(ExactMethod, OverlappingSpikesMeetTheClosedForm) {
  // s > 1/2, tau = 0: lenses between axis neighbours, where two (or more) spike neurons are
  // unstable in a box; decided as unions of half-spaces (Bonferroni / Hunter bounds that meet).
  const Spec specs[] = {
      {"relu-spike", 2, 4, 1.25, 0.0, Labels::Ones},
      {"relu-spike", 3, 3, 2.2, 0.0, Labels::Random},
      {"relu-spike", 4, 2, 3.3, 0.0, Labels::Random},
      {"relu-spike", 6, 2, 5.3, 0.0, Labels::Ones},
  };
  for (const Spec& sp : specs) {
    const Case c = make(sp);
    const double exact = c.oracle.spike_volume; // rho_d(s), valid for every s <= 1
    const CertifyResult r = run(sp, c, 400000);
    std::printf("overlap d=%d n=%d b=%g: [%.17g, %.17g] exact %.17g gap/exact %.3g, %lld boxes, "
                "%lld undecided, %.2f s\n",
                sp.d, sp.n, sp.b, r.certified_volume_lower, r.certified_volume_upper, exact,
                (r.certified_volume_upper - r.certified_volume_lower) / exact,
                static_cast<long long>(r.boxes_processed),
                static_cast<long long>(r.boxes_undecided), r.wall_seconds);
    EXPECT_LE(r.certified_volume_lower, exact * (1 + 1e-12)) << sp.d;
    EXPECT_GE(r.certified_volume_upper, exact * (1 - 1e-12)) << sp.d;
    EXPECT_LE(r.certified_volume_upper - r.certified_volume_lower, 1e-9 * exact) << sp.d;
  }
}

TEST(ExactMethod, TouchingSpikesMeetAtTheGapTarget) {
  // s = 1/2: neighbouring spikes touch at single points, where boxes stay undecided; the
  // subdivision shrinks them until the gap target (1e-12 relative) is met.
  const Spec sp{"relu-spike", 3, 4, 2.5, 0.0, Labels::Ones};
  const Case c = make(sp);
  const double exact = c.oracle.spike_volume; // 1/6
  const CertifyResult r = run(sp, c, 400000);
  EXPECT_LE(r.certified_volume_lower, exact);
  EXPECT_GE(r.certified_volume_upper, exact);
  EXPECT_LE(r.certified_volume_upper - r.certified_volume_lower, 2e-12 * exact);
  EXPECT_LT(r.boxes_processed, 400000);
}

} // namespace spikemesh

namespace spikemesh {

TEST(PreluFold, ErrorBoundHoldsInExactArithmetic) {
  // C2 with random labels: the folded network differs from the original by at most the bound,
  // checked in exact rationals at random points (double evaluation would round more than that).
  for (const auto& [d, n, b] :
       {std::tuple{2, 4, 1.8}, std::tuple{3, 3, 2.7}, std::tuple{4, 2, 3.2}}) {
    CaseParams p = CaseParams::relu_spike(d, n, b);
    p.construction = "prelu-spike";
    p.alpha = 0.3;
    const Case c = build_case(p);
    const FoldedNetwork f = fold_prelu_pairs(c.network, 0.0, 1.0);
    ASSERT_TRUE(f.folded);
    EXPECT_EQ(f.pairs, c.network.layers[1].out / 2);
    EXPECT_GT(f.error, 0.0);
    EXPECT_LT(f.error, 1e-12); // rounding-sized
    EXPECT_EQ(f.net.layers[1].act, Activation::ReLU);
    std::mt19937_64 rng(5);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    double worst = 0.0;
    for (int i = 0; i < 300; ++i) {
      std::vector<double> x(static_cast<std::size_t>(d));
      for (double& v : x)
        v = u(rng);
      if (i % 3 == 0) x[0] = (i % 2) * 1.0; // on a face
      const mpq_class diff = abs(exact_forward(c.network, x) - exact_forward(f.net, x));
      EXPECT_LE(diff, mpq_class(f.error)) << d;
      worst = std::max(worst, diff.get_d());
    }
    EXPECT_GT(worst, 0.0) << "the folding dropped nothing measurable: the check is vacuous";
  }
}

TEST(PreluFold, LeavesOtherNetworksAlone) {
  const Case c1 = build_case(CaseParams::relu_spike(3, 3, 2.7));
  EXPECT_FALSE(fold_prelu_pairs(c1.network, 0.0, 1.0).folded);
}

} // namespace spikemesh

namespace spikemesh {

TEST(ExactMethod, RandomReluNetworkBracketHoldsMonteCarlo) {
  // A random ReLU network 3-12-12-1, tau = the median |f|: boxes are decided through affine
  // pieces, one unstable last-layer neuron (two half-spaces per piece) and bounds. The bracket
  // must lie within certify's and hold a 1e6-point Monte Carlo estimate (5 sigma).
  for (const std::uint64_t seed : {3u, 8u}) {
    Network net = testing::random_network(seed, 3, {12, 12}, Activation::ReLU);
    for (Layer& L : net.layers)
      for (double& w : L.weight)
        w *= 2.0;
    const PackedNetwork<double> packed(net);
    const NetworkView<double> v = packed.view();
    std::vector<double> a(static_cast<std::size_t>(v.buffer_width)), b(a.size()), vals;
    std::mt19937_64 rng(seed);
    for (int i = 0; i < 2001; ++i)
      vals.push_back(
          std::fabs(forward(v, testing::random_point(rng, 3).data(), a.data(), b.data())));
    std::nth_element(vals.begin(), vals.begin() + 1000, vals.end());
    CertifyOptions o;
    o.box_budget = 100000;
    o.samples = 0;
    o.tau = vals[1000];
    o.threads = 2;
    const CertifyResult e = exact_volume(net, 3, 0.0, 1.0, o);
    const CertifyResult c = certify_volume(net, 3, 0.0, 1.0, o);
    const std::int64_t n = 1000000;
    std::int64_t hits = 0;
    for (std::int64_t i = 0; i < n; ++i)
      hits +=
          std::fabs(forward(v, testing::random_point(rng, 3).data(), a.data(), b.data())) > o.tau
              ? 1
              : 0;
    const double p = static_cast<double>(hits) / static_cast<double>(n);
    const double sigma = std::sqrt(p * (1 - p) / static_cast<double>(n));
    std::printf("seed %llu: exact [%.9g, %.9g] fraction %.6f (%lld exact boxes), certify [%.6g, "
                "%.6g], MC %.6f +- %.1e\n",
                static_cast<unsigned long long>(seed), e.certified_volume_lower,
                e.certified_volume_upper, e.exact_volume_fraction,
                static_cast<long long>(e.boxes_exact), c.certified_volume_lower,
                c.certified_volume_upper, p, sigma);
    EXPECT_GT(e.boxes_exact, 0);
    EXPECT_GE(e.certified_volume_lower, c.certified_volume_lower - 1e-12);
    EXPECT_LE(e.certified_volume_upper, c.certified_volume_upper + 1e-12);
    EXPECT_LE(e.certified_volume_lower, p + 5 * sigma);
    EXPECT_GE(e.certified_volume_upper, p - 5 * sigma);
    // Far tighter than certify's bracket at the same budget.
    EXPECT_LT(e.certified_volume_upper - e.certified_volume_lower,
              0.2 * (c.certified_volume_upper - c.certified_volume_lower));
  }
}

} // namespace spikemesh
