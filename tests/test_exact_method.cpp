/// @file test_exact_method.cpp
/// @brief exact_volume() on C1 (relu-spike) and C2 (prelu-spike) against the closed forms of
/// constructions.md 2.3 (relu_spike_oracle): rho_d(s (1 - tau)) for disjoint spikes with |y| = 1,
/// V_tau(s) for y = 1; the bracket must hold the value, be positive below and meet to 1e-9.
#include "spikemesh/case.hpp"
#include "spikemesh/constructions.hpp"
#include "spikemesh/exact.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

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
