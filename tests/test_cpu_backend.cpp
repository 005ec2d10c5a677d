/// @file test_cpu_backend.cpp
/// @brief CPU backend: mesh estimates converge to the oracle; accuracy equals rho_d(s);
/// results independent of thread count and chunking; non-finite values counted, not summed.
#include "spikemesh/constructions.hpp"
#include "spikemesh/driver.hpp"
#include "spikemesh/math/point_stats.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace spikemesh {
namespace {

CaseParams relu(int d, int n, double b, Labels labels = Labels::Ones) {
  CaseParams p;
  p.dim = d;
  p.train_per_axis = n;
  p.bias = b;
  p.labels = labels;
  return p;
}

RunOutput run(const Case& c, index_t m, int threads = 2, index_t chunk = 1 << 14,
              Precision prec = Precision::Double) {
  MeshSpec mesh;
  mesh.dim = c.params.dim;
  mesh.points_per_axis = {m};
  auto ev = make_cpu_evaluator(threads, chunk);
  RunOptions opt;
  opt.precision = prec;
  return run_mesh(c, mesh, *ev, opt);
}

/// Surface measure of the union of the (cut) l1 balls, for the bound on a midpoint count:
/// a cell can only be misclassified if the boundary crosses it, so |error| <= S * diam(cell).
/// Uses the disjoint-ball surface sum, an upper bound on the union's surface.
double spike_surface(int d, double s) {
  // l1 ball of radius r: surface 2^d sqrt(d) r^(d-1)/(d-1)!, summed over the grid (weight
  // 2^-m_p, sum (n-1)^d) with r = s h gives 2^d sqrt(d) s^(d-1) / (d-1)! / h... per unit h:
  // total = 2^d sqrt(d) s^(d-1) (n-1) / (d-1)!  -- computed by the caller with its n.
  return std::pow(2.0, d) * std::sqrt(static_cast<double>(d)) * std::pow(s, d - 1) /
         std::tgamma(static_cast<double>(d));
}

struct Convergence {
  int d, n;
  double b;
  index_t coarse, fine;
  double vol_tol; ///< relative tolerance of the volume at the fine mesh
  double int_tol; ///< relative tolerance of the integral of f at the fine mesh
};

class MeshConverges : public ::testing::TestWithParam<Convergence> {};

TEST_P(MeshConverges, VolumeAndIntegralsApproachOracle) {
  const Convergence k = GetParam();
  const Case c = build_case(relu(k.d, k.n, k.b));
  const double s = c.slack;
  const double surface = spike_surface(k.d, s) * (k.n - 1);
  double vol_err[2], int_err[2];
  const index_t ms[2] = {k.coarse, k.fine};
  for (int i = 0; i < 2; ++i) {
    const RunOutput out = run(c, ms[i]);
    const Results& r = out.results;
    const double step = 1.0 / static_cast<double>(ms[i]);
    vol_err[i] = std::fabs(r.get("spike_volume") - r.get("spike_volume_exact"));
    int_err[i] = std::fabs(r.get("f_integral") - r.get("f_integral_exact"));
    const double bound = surface * step * std::sqrt(static_cast<double>(k.d));
    EXPECT_LE(vol_err[i], bound) << "M=" << ms[i];
    EXPECT_LE(r.get("train_loss"), 1e-24); // docs/math.md 2.4: ~1e-30 in double
  }
  EXPECT_LT(int_err[1], int_err[0]);
  // In d >= 4 the midpoint count of an l1 ball oscillates with M (sum_k (k_i + 1/2)/M takes a
  // lattice of values, so whole shells of points cross the boundary together): the volume error
  // obeys the surface bound above but is not monotone in M. Below d = 4 it shrinks steadily.
  if (k.d <= 3) {
    EXPECT_LT(vol_err[1], vol_err[0]);
  }
  // At the finer mesh: volume, integral of f and of f^2 within the stated relative tolerance.
  const Results fine = run(c, k.fine).results;
  EXPECT_LE(vol_err[1], k.vol_tol * fine.get("spike_volume_exact"));
  EXPECT_LE(int_err[1], k.int_tol * fine.get("f_integral_exact"));
  EXPECT_NEAR(fine.get("f_sq_integral"), fine.get("f_sq_integral_exact"),
              2 * k.int_tol * fine.get("f_sq_integral_exact"));
}

// M coprime to the training spacing (n - 1): never aligned with the spike boundaries.
INSTANTIATE_TEST_SUITE_P(Dims, MeshConverges,
                         ::testing::Values(Convergence{1, 6, 0.9, 1001, 100003, 1e-4, 1e-6},
                                           Convergence{2, 4, 1.5, 101, 1009, 0.005, 1e-4},
                                           Convergence{2, 4, 1.1, 101, 1009, 0.005, 1e-4},
                                           Convergence{3, 4, 2.5, 41, 193, 0.01, 1e-3},
                                           Convergence{5, 2, 4.1, 11, 31, 0.02, 0.01}),
                         [](const ::testing::TestParamInfo<Convergence>& param_info) {
                           const Convergence& k = param_info.param;
                           return "d" + std::to_string(k.d) + "_n" + std::to_string(k.n) + "_s" +
                                  std::to_string(static_cast<int>(std::lround((k.d - k.b) * 100)));
                         });

TEST(CpuBackend, AccuracyEqualsRhoForRandomLabels) {
  const Case c = build_case(relu(2, 4, 1.9, Labels::Random));
  const Results r = run(c, 2003).results;
  EXPECT_NEAR(r.get("accuracy_exact"), 0.02, 1e-15);
  // Each non-zero point is classified right (the nearer centre dominates a lens): accuracy and
  // spike fraction count the same points.
  EXPECT_EQ(r.acc.scalar.correct_count, r.acc.scalar.spike_count);
  EXPECT_NEAR(r.get("accuracy"), 0.02, 0.02 * 0.01);
  EXPECT_NEAR(r.get("undecided_fraction"), 0.98, 0.02 * 0.01);
}

TEST(CpuBackend, ThreadsAndChunksDoNotChangeResults) {
  const Case c = build_case(relu(3, 3, 2.3, Labels::Random));
  const Results one = run(c, 97, 1).results;
  const Results two = run(c, 97, 2).results;
  const Results four = run(c, 97, 4).results;
  for (const Results* r : {&two, &four}) {
    for (std::size_t i = 0; i < one.scalars.size(); ++i) {
      const double a = one.scalars[i].value, b = r->scalars[i].value;
      EXPECT_TRUE(a == b || (std::isnan(a) && std::isnan(b))) << one.scalars[i].name;
    }
    for (int b = 0; b < kDistBins; ++b) {
      EXPECT_EQ(one.acc.bins.dist_err_sum[b].value(), r->acc.bins.dist_err_sum[b].value());
    }
  }
  // Other chunk sizes: counts identical, compensated sums equal to the last bits.
  for (index_t chunk : {index_t(1000), index_t(4096), index_t(100000)}) {
    const Results r = run(c, 97, 2, chunk).results;
    EXPECT_EQ(r.acc.scalar.spike_count, one.acc.scalar.spike_count);
    EXPECT_EQ(r.acc.scalar.correct_count, one.acc.scalar.correct_count);
    for (int b = 0; b < kFBins; ++b)
      EXPECT_EQ(r.acc.bins.f_counts[b], one.acc.bins.f_counts[b]);
    EXPECT_NEAR(r.get("f_integral"), one.get("f_integral"),
                1e-14 * std::fabs(one.get("f_integral")));
    EXPECT_NEAR(r.get("l2_error"), one.get("l2_error"), 1e-14);
  }
}

TEST(CpuBackend, SubRangesMergeToTheWhole) {
  const Case c = build_case(relu(2, 4, 1.6, Labels::Random));
  MeshSpec mesh;
  mesh.points_per_axis = {301};
  const MeshView view = make_mesh_view(mesh);
  auto ev = make_cpu_evaluator(2, 1000);
  Problem p{&c, view, default_stats_config(c), Precision::Float};
  ev->prepare(p);
  const Accumulator whole = ev->evaluate({0, view.total});
  Accumulator parts;
  const index_t cuts[] = {0, 1000, 33333, 60000, view.total};
  for (int i = 0; i + 1 < 5; ++i)
    parts.merge(ev->evaluate({cuts[i], cuts[i + 1]}));
  EXPECT_EQ(parts.scalar.points, static_cast<std::uint64_t>(view.total));
  EXPECT_EQ(parts.scalar.spike_count, whole.scalar.spike_count);
  EXPECT_EQ(parts.scalar.correct_count, whole.scalar.correct_count);
  EXPECT_NEAR(parts.scalar.sum_f.value(), whole.scalar.sum_f.value(), 1e-12);
  EXPECT_EQ(ev->evaluate({5, 5}).scalar.points, 0u);
}

TEST(CpuBackend, FloatAgreesWithDoubleAwayFromBoundaries) {
  const Case c = build_case(relu(2, 4, 1.5, Labels::Random));
  const Results f = run(c, 1009, 2, 1 << 14, Precision::Float).results;
  const Results d = run(c, 1009, 2, 1 << 14, Precision::Double).results;
  EXPECT_NEAR(f.get("spike_volume"), d.get("spike_volume"), 1e-5);
  EXPECT_NEAR(f.get("f_integral"), d.get("f_integral"), 1e-6);
}

TEST(CpuBackend, ApproximationErrorsMatchOracle) {
  CaseParams p = relu(2, 4, 1.5);
  p.task = Task::Approximate;
  p.target = Target::One;
  const Results r = run(build_case(p), 1009).results;
  EXPECT_NEAR(r.get("l1_error"), r.get("l1_error_exact"), 1e-5);
  EXPECT_NEAR(r.get("l2_error"), r.get("l2_error_exact"), 1e-5);
  EXPECT_DOUBLE_EQ(r.get("linf_error"), 1.0);
  EXPECT_TRUE(std::isnan(r.get("accuracy"))); // not a classification
}

TEST(PointStats, NonFiniteValuesAreCountedNotSummed) {
  Accumulator acc;
  StatsConfig cfg;
  acc.add({1.0, 1.0, 0.0}, cfg);
  acc.add({NAN, 1.0, 0.0}, cfg);
  acc.add({INFINITY, 1.0, 0.0}, cfg);
  acc.add({-0.5, 1.0, 0.1}, cfg);
  EXPECT_EQ(acc.scalar.points, 4u);
  EXPECT_EQ(acc.scalar.nonfinite_count, 2u);
  EXPECT_EQ(acc.scalar.sum_f.value(), 0.5);
  EXPECT_EQ(acc.scalar.max_abs_err, 1.5);
  EXPECT_EQ(acc.scalar.spike_count, 2u);
  std::uint64_t hist = 0;
  for (int b = 0; b < kFBins; ++b)
    hist += acc.bins.f_counts[b];
  EXPECT_EQ(hist, 2u);
}

TEST(PointStats, CompensatedSumIsAccurate) {
  CompensatedSum s;
  s.add(1e16);
  for (int i = 0; i < 1000; ++i)
    s.add(1.0);
  s.add(-1e16);
  EXPECT_EQ(s.value(), 1000.0); // a plain double sum gives 0
}

} // namespace
} // namespace spikemesh

namespace spikemesh {
namespace {

/// C3 on a dense mesh against the semi-analytic superlevel volume V_d(beta_tau)/(K h)^d
/// (docs/math.md 4.3). The formula drops cross-spike terms of order e^{-K h}; its measured
/// Monte Carlo agreement there is within 1.5 sigma (3e-4 for d = 1, 6e-5 for d = 2).
TEST(CpuBackend, SigmoidSpikeVolumeMatchesSemiAnalytic) {
  const struct {
    int d, n;
    double b, K, L, tau;
    index_t m;
    double tol;
  } cases[] = {{1, 6, 0.9, 50, 50, 0.5, 200003, 3e-4},
               {1, 6, 0.9, 50, 50, 0.01, 200003, 3e-4},
               {2, 4, 1.9, 30, 60, 0.5, 2003, 1e-4}};
  for (const auto& k : cases) {
    CaseParams p;
    p.construction = "sigmoid-spike";
    p.dim = k.d;
    p.train_per_axis = k.n;
    p.bias = k.b;
    p.K = k.K;
    p.L = k.L;
    p.tau = k.tau;
    p.task = Task::Approximate;
    const Case c = build_case(p);
    ASSERT_TRUE(std::isfinite(c.oracle.spike_volume));
    const Results r = run(c, k.m).results;
    EXPECT_NEAR(r.get("spike_volume"), r.get("spike_volume_exact"), k.tol)
        << "d=" << k.d << " tau=" << k.tau;
    EXPECT_LE(r.get("train_loss"), 1e-20);
  }
}

} // namespace
} // namespace spikemesh
