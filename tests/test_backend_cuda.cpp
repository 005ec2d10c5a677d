/// @file test_backend_cuda.cpp
/// @brief CUDA backend against the CPU backend (R14): identical counts except at points whose
/// value sits within rounding of tau (bounded by counting them), sums within 1e-12 relative
/// in double; random networks; sub-ranges, ragged sizes, chunk crossings, indices above 2^32.
#include "spikemesh/constructions.hpp"
#include "spikemesh/driver.hpp"
#include "spikemesh/math/point_stats.hpp"

#include "support/cuda_fixture.hpp"
#include "support/random_network.hpp"

#include <cmath>

namespace spikemesh {
namespace {

using testing::CudaTest;

/// Points of [range) whose double-precision |f| lies within @p slack of tau: the only points
/// where float rounding (FMA on the GPU, none on the CPU) may flip a count.
index_t ambiguous_points(const Case& c, const MeshView& m, IndexRange range, double tau,
                         double slack) {
  const PackedNetwork<double> packed(c.network);
  const NetworkView<double> v = packed.view();
  std::vector<double> x(static_cast<std::size_t>(m.dim)),
      a(static_cast<std::size_t>(v.buffer_width)), b(a.size());
  index_t n = 0;
  for (index_t i = range.begin; i < range.end; ++i) {
    mesh_point(m, i, x.data());
    const double f = std::fabs(forward(v, x.data(), a.data(), b.data()));
    n += std::fabs(f - tau) <= slack ? 1 : 0;
  }
  return n;
}

void expect_parity(const Case& c, const MeshView& m, IndexRange range, Precision prec) {
  Problem p{&c, m, default_stats_config(c), prec};
  auto cpu = make_cpu_evaluator(2);
  std::string notice;
  auto gpu = make_evaluator(Backend::Cuda, 0, &notice);
  cpu->prepare(p);
  gpu->prepare(p);
  const Accumulator ca = cpu->evaluate(range);
  const Accumulator ga = gpu->evaluate(range);
  const double slack = prec == Precision::Float ? 1e-5 : 1e-12;
  const auto amb = static_cast<std::uint64_t>(ambiguous_points(c, m, range, p.stats.tau, slack));
  EXPECT_EQ(ga.scalar.points, ca.scalar.points);
  EXPECT_EQ(ga.scalar.nonfinite_count, ca.scalar.nonfinite_count);
  const auto diff = [](std::uint64_t x, std::uint64_t y) { return x > y ? x - y : y - x; };
  EXPECT_LE(diff(ga.scalar.spike_count, ca.scalar.spike_count), amb);
  EXPECT_LE(diff(ga.scalar.correct_count, ca.scalar.correct_count), amb);
  EXPECT_LE(diff(ga.scalar.undecided_count, ca.scalar.undecided_count), amb);
  const double rel = prec == Precision::Double ? 1e-12 : 1e-5;
  const auto near = [&](const CompensatedSum& x, const CompensatedSum& y) {
    EXPECT_NEAR(x.value(), y.value(),
                rel * (std::fabs(y.value()) + 1e-300) + (prec == Precision::Double ? 0.0 : 1e-6));
  };
  near(ga.scalar.sum_f, ca.scalar.sum_f);
  near(ga.scalar.sum_f2, ca.scalar.sum_f2);
  near(ga.scalar.sum_abs_err, ca.scalar.sum_abs_err);
  std::uint64_t hist = 0;
  for (int b = 0; b < kFBins; ++b)
    hist += ga.bins.f_counts[b];
  EXPECT_EQ(hist, ga.scalar.points - ga.scalar.nonfinite_count);
  for (int b = 0; b < kDistBins; ++b)
    EXPECT_EQ(ga.bins.dist_counts[b], ca.bins.dist_counts[b]);
}

MeshView mesh(int d, index_t m) {
  MeshSpec s;
  s.dim = d;
  s.points_per_axis = {m};
  return make_mesh_view(s);
}

class CudaParity : public CudaTest {};

TEST_F(CudaParity, EveryConstructionBothPrecisions) {
  std::vector<CaseParams> cases;
  for (const char* name : {"relu-spike", "prelu-spike", "sigmoid-spike"}) {
    CaseParams p;
    p.construction = name;
    p.dim = 2;
    p.bias = 1.6;
    cases.push_back(p);
  }
  CaseParams deep = cases[0];
  deep.extra_depth = 5;
  deep.extra_width = 3;
  cases.push_back(deep);
  CaseParams high;
  high.dim = 6;
  high.train_per_axis = 3;
  high.bias = 5.5;
  cases.push_back(high);
  for (const CaseParams& p : cases) {
    const Case c = build_case(p);
    const MeshView m = mesh(p.dim, p.dim == 2 ? 301 : 7);
    for (Precision prec : {Precision::Float, Precision::Double}) {
      SCOPED_TRACE(p.construction + (prec == Precision::Float ? " float" : " double"));
      expect_parity(c, m, {0, m.total}, prec);
    }
  }
}

TEST_F(CudaParity, RandomNetworks) {
  Case c = build_case(CaseParams{});
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    c.network = testing::random_network(seed, 2, {64, 64, 300}, Activation::Tanh); // streamed
    expect_parity(c, mesh(2, 257), {0, 257 * 257}, Precision::Double);
  }
}

TEST_F(CudaParity, SubRangesRaggedSizesAndHugeIndices) {
  const Case c = build_case(CaseParams{});
  const MeshView m = mesh(2, 1001);
  expect_parity(c, m, {12345, 12345 + 1}, Precision::Float);        // one point
  expect_parity(c, m, {777, 777 + 128 * 16 + 5}, Precision::Float); // not a block multiple
  expect_parity(c, m, {(index_t(1) << 22) - 3000, (index_t(1) << 22) + 3000}, Precision::Float);
  CaseParams p3;
  p3.dim = 3;
  p3.train_per_axis = 3;
  p3.bias = 2.5;
  const Case c3 = build_case(p3);
  const MeshView big = mesh(3, 100000); // 10^15 points: indices far above 2^32
  const index_t b0 = (index_t(1) << 40) + 17;
  expect_parity(c3, big, {b0, b0 + 50000}, Precision::Double);
}

TEST_F(CudaParity, DriverRunMatchesCpuResults) {
  CaseParams p;
  p.bias = 1.9;
  const Case c = build_case(p);
  MeshSpec s;
  s.points_per_axis = {2003};
  auto cpu = make_cpu_evaluator(2);
  std::string notice;
  auto gpu = make_evaluator(Backend::Cuda, 0, &notice);
  RunOptions o;
  o.precision = Precision::Double;
  const Results rc = run_mesh(c, s, *cpu, o).results;
  const Results rg = run_mesh(c, s, *gpu, o).results;
  EXPECT_EQ(rg.get("spike_count"), rc.get("spike_count"));
  EXPECT_NEAR(rg.get("f_integral"), rc.get("f_integral"), 1e-12 * std::fabs(rc.get("f_integral")));
  EXPECT_NEAR(rg.get("accuracy"), rc.get("accuracy"), 1e-15);
}

TEST(CudaBackend, CudaWithoutDeviceIsAClearError) {
  std::string why;
  if (cuda_available(&why)) GTEST_SKIP() << "a device is present";
  std::string notice;
  EXPECT_THROW(make_evaluator(Backend::Cuda, 0, &notice), std::runtime_error);
  auto ev = make_evaluator(Backend::Auto, 0, &notice);
  EXPECT_EQ(ev->name(), "cpu");
  EXPECT_NE(notice.find("CPU"), std::string::npos);
}

} // namespace
} // namespace spikemesh
