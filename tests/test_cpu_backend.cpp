/// @file test_cpu_backend.cpp
/// @brief CPU backend: mesh estimates converge to the oracle; accuracy equals rho_d(s);
/// results independent of thread count and chunking; non-finite values counted, not summed.
#include "spikemesh/constructions.hpp"
#include "spikemesh/driver.hpp"
#include "spikemesh/math/point_stats.hpp"
#include "spikemesh/mesh_spec.hpp"
#include "spikemesh/network.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

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

namespace spikemesh {
namespace {

/// The CPU backend's contract, written out point by point: chunks of @p chunk aligned to
/// absolute multiples, and inside a chunk blocks of 32 points from its first index; each point
/// through mesh_point + forward() + sample_at, added to the bins one by one and to the scalars
/// with add_block per block; chunks merged in index order. The backend (tiles of 32 or 128
/// points, silence plans, vectorised per-block statistics, the all-zero fast path, 4-way
/// histogram copies) must give this Accumulator bit for bit.
template <class T>
Accumulator reference_accumulator(const Case& c, const MeshView& m, IndexRange range,
                                  index_t chunk) {
  const PackedNetwork<T> packed(c.network);
  EvalView<T> v;
  v.net = packed.view();
  v.mesh = m;
  const TruthView truth = truth_view(c);
  v.truth = truth;
  v.stats = default_stats_config(c);
  const HistScales h(v.stats);
  std::vector<T> x(static_cast<std::size_t>(m.dim)),
      a(static_cast<std::size_t>(v.net.buffer_width)), b(a.size());
  Accumulator total;
  for (index_t c0 = range.begin / chunk * chunk; c0 < range.end; c0 += chunk) {
    const index_t first = std::max(range.begin, c0), last = std::min(range.end, c0 + chunk);
    Accumulator acc;
    for (index_t i0 = first; i0 < last; i0 += 32) {
      PointSample s[32];
      const int n = static_cast<int>(std::min<index_t>(32, last - i0));
      for (int k = 0; k < n; ++k) {
        mesh_point(m, i0 + k, x.data());
        s[k] = sample_at(v, x.data(), forward(v.net, x.data(), a.data(), b.data()));
        acc.bins.add(s[k], h);
      }
      acc.scalar.add_block(s, n, v.stats.tau);
    }
    total.merge(acc);
  }
  return total;
}

void expect_same_bits(const Accumulator& got, const Accumulator& want) {
  const ScalarStats &g = got.scalar, &w = want.scalar;
  EXPECT_EQ(g.points, w.points);
  EXPECT_EQ(g.spike_count, w.spike_count);
  EXPECT_EQ(g.nonfinite_count, w.nonfinite_count);
  EXPECT_EQ(g.correct_count, w.correct_count);
  EXPECT_EQ(g.undecided_count, w.undecided_count);
  const auto same = [](const CompensatedSum& p, const CompensatedSum& q) {
    return std::memcmp(&p, &q, sizeof p) == 0;
  };
  EXPECT_TRUE(same(g.sum_f, w.sum_f)) << g.sum_f.sum << " " << w.sum_f.sum;
  EXPECT_TRUE(same(g.sum_f2, w.sum_f2)) << g.sum_f2.sum << " " << w.sum_f2.sum;
  EXPECT_TRUE(same(g.sum_abs_err, w.sum_abs_err)) << g.sum_abs_err.sum << " " << w.sum_abs_err.sum;
  EXPECT_TRUE(same(g.sum_sq_err, w.sum_sq_err)) << g.sum_sq_err.sum << " " << w.sum_sq_err.sum;
  EXPECT_TRUE(same(g.sum_sq_truth, w.sum_sq_truth));
  EXPECT_EQ(std::memcmp(&g.f_min, &w.f_min, sizeof(double)), 0) << g.f_min << " " << w.f_min;
  EXPECT_EQ(std::memcmp(&g.f_max, &w.f_max, sizeof(double)), 0) << g.f_max << " " << w.f_max;
  EXPECT_EQ(g.max_abs_err, w.max_abs_err);
  for (int i = 0; i < kFBins; ++i)
    EXPECT_EQ(got.bins.f_counts[i], want.bins.f_counts[i]) << "f bin " << i;
  for (int i = 0; i < kDistBins; ++i) {
    EXPECT_EQ(got.bins.dist_counts[i], want.bins.dist_counts[i]) << "dist bin " << i;
    EXPECT_TRUE(same(got.bins.dist_err_sum[i], want.bins.dist_err_sum[i])) << "dist bin " << i;
    EXPECT_EQ(got.bins.dist_err_max[i], want.bins.dist_err_max[i]) << "dist bin " << i;
  }
  EXPECT_EQ(std::memcmp(&got, &want, sizeof got), 0); // nothing else differs either
}

MeshView mesh_of(int d, std::vector<index_t> m, double lo = 0.0, double hi = 1.0) {
  MeshSpec s;
  s.dim = d;
  s.points_per_axis = std::move(m);
  s.lo = lo;
  s.hi = hi;
  return make_mesh_view(s);
}

void expect_backend_equals_reference(const Case& c, const MeshView& m, IndexRange range,
                                     index_t chunk) {
  for (Precision prec : {Precision::Float, Precision::Double}) {
    Problem p{&c, m, default_stats_config(c), prec};
    const Accumulator want = prec == Precision::Float
                                 ? reference_accumulator<float>(c, m, range, chunk)
                                 : reference_accumulator<double>(c, m, range, chunk);
    ASSERT_GT(want.scalar.points, 0u);
    for (int threads : {1, 2, 3}) {
      SCOPED_TRACE(std::string(prec == Precision::Float ? "float" : "double") + ", " +
                   std::to_string(threads) + " threads");
      auto ev = make_cpu_evaluator(threads, chunk);
      ev->prepare(p);
      expect_same_bits(ev->evaluate(range), want);
    }
  }
}

// Long axis 0 (tiles of 128 along a row; a tile and a statistics block may end mid-row at a
// chunk's end), ranges starting and ending mid-row, chunks that are not multiples of 32.
TEST(CpuBackendBits, LongRowsEqualThePointByPointReference) {
  const Case c = build_case(relu(2, 4, 1.5, Labels::Random));
  const MeshView m = mesh_of(2, {1500, 9}, -0.1, 1.1);
  expect_backend_equals_reference(c, m, {0, m.total}, 1 << 14);
  expect_backend_equals_reference(c, m, {757, m.total - 333}, 1000);
  expect_backend_equals_reference(c, m, {1499, 4 * 1500 + 77}, 4099);
}

// Short axis 0: tiles of 32 wrap rows; the silence plan of the 6-d spike layer (grouped bounds).
TEST(CpuBackendBits, WrappingTilesAndSilencePlansEqualTheReference) {
  const Case c6 = build_case(relu(6, 3, 5.5, Labels::Random));
  const MeshView m6 = mesh_of(6, {7, 5, 5, 4, 4, 5}, -0.05, 1.05);
  expect_backend_equals_reference(c6, m6, {0, m6.total}, 1 << 14);
  expect_backend_equals_reference(c6, m6, {13, m6.total - 5}, 777);
  const Case c3 = build_case(relu(3, 3, 2.3, Labels::Ones));
  const MeshView m3 = mesh_of(3, {13, 11, 7});
  expect_backend_equals_reference(c3, m3, {5, m3.total}, 300);
}

// Regression targets (|f - g| varies, truth from g(x)), PReLU (its vector form) and sigmoid
// (f != 0 nearly everywhere: the general path), a depth extension (dense layers).
TEST(CpuBackendBits, OtherTasksAndConstructionsEqualTheReference) {
  std::vector<CaseParams> cases;
  for (Target g : {Target::Sin, Target::Gauss, Target::One}) {
    CaseParams p = relu(2, 5, 1.7, Labels::Random);
    p.task = Task::Approximate;
    p.target = g;
    cases.push_back(p);
  }
  CaseParams prelu = relu(2, 4, 1.6, Labels::Random);
  prelu.construction = "prelu-spike";
  cases.push_back(prelu);
  CaseParams sig = relu(2, 4, 1.6, Labels::Random);
  sig.construction = "sigmoid-spike";
  cases.push_back(sig);
  CaseParams deep = relu(2, 4, 1.6, Labels::Random);
  deep.extra_depth = 3;
  deep.extra_width = 3;
  cases.push_back(deep);
  for (const CaseParams& p : cases) {
    SCOPED_TRACE(p.construction + " task " + std::to_string(static_cast<int>(p.task)) + " target " +
                 std::to_string(static_cast<int>(p.target)));
    const Case c = build_case(p);
    const MeshView wide = mesh_of(2, {1100, 5});
    expect_backend_equals_reference(c, wide, {3, wide.total - 2}, 2000);
    const MeshView narrow = mesh_of(2, {45, 37});
    expect_backend_equals_reference(c, narrow, {0, narrow.total}, 500);
  }
}

// Spikes narrower than a block (about 20 points of a row): blocks that are zero but for a few
// points must leave the all-zero fast path, their zero neighbours must still take it.
TEST(CpuBackendBits, SingleNonzeroPointsInTilesOfZeros) {
  const Case c = build_case(relu(2, 3, 1.98, Labels::Random)); // radius 0.01 h: tiny spikes
  const MeshView m = mesh_of(2, {2001, 3});
  const Accumulator want = reference_accumulator<double>(c, m, {0, m.total}, 1 << 14);
  ASSERT_GT(want.scalar.spike_count, 0u);
  ASSERT_LT(want.scalar.spike_count, 200u); // a few runs shorter than a block
  expect_backend_equals_reference(c, m, {0, m.total}, 1 << 14);
}

} // namespace
} // namespace spikemesh
