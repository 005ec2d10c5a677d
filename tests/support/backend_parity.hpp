/// @file backend_parity.hpp
/// @brief Parity of an evaluator with the CPU backend (R14), shared by the GPU tests and the
/// host emulation of the CUDA kernel: identical counts except at points whose value sits within
/// rounding of tau (bounded by counting them), sums within 1e-12 relative in double; every
/// construction, random networks, sub-ranges, ragged sizes, chunk crossings, huge indices.
#pragma once

#include "spikemesh/constructions.hpp"
#include "spikemesh/driver.hpp"
#include "spikemesh/evaluator.hpp"
#include "spikemesh/math/point_stats.hpp"

#include "random_network.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>

namespace spikemesh::testing {

/// Makes the evaluator under test.
using EvaluatorFactory = std::function<std::unique_ptr<Evaluator>()>;

/// Whether rounding at relative level @p slack may flip a count at @p x. f(x) is evaluated
/// layer by layer in double with a forward error bound: each sum z = b + sum w a gets
/// |dz| <= slack (|b| + sum |w a|) + sum |w| |da|, and an activation passes |da| <= L |dz|
/// (L its Lipschitz constant: 1, or max(1, |alpha|) for PReLU), except that a ReLU-family neuron
/// with z < -|dz| is robustly silent (a = 0 exactly in any precision, da = 0). The point is
/// ambiguous when |f - tau| <= |df|. An output whose terms are all exact zeros has df = 0 and is
/// never ambiguous, so at tau = 0 the ReLU constructions' zero region is checked, not excused.
inline bool ambiguous_at(const Network& net, const double* x, double tau, double slack) {
  std::vector<double> in(x, x + net.in_dim), err(in.size(), 0.0), out, out_err;
  for (const Layer& L : net.layers) {
    const std::vector<double> w = L.dense_weight();
    out.assign(static_cast<std::size_t>(L.out), 0.0);
    out_err.assign(out.size(), 0.0);
    const bool kink = L.act == Activation::ReLU || L.act == Activation::PReLU;
    const double lipschitz = L.act == Activation::PReLU ? std::max(1.0, std::fabs(L.alpha)) : 1.0;
    for (int r = 0; r < L.out; ++r) {
      double z = L.bias[static_cast<std::size_t>(r)];
      double s = std::fabs(z), e = 0.0;
      for (int j = 0; j < L.in; ++j) {
        const double wj = w[static_cast<std::size_t>(r) * static_cast<std::size_t>(L.in) +
                            static_cast<std::size_t>(j)];
        const double t = wj * in[static_cast<std::size_t>(j)];
        z += t;
        s += std::fabs(t);
        e += std::fabs(wj) * err[static_cast<std::size_t>(j)];
      }
      const double dz = slack * s + e;
      out[static_cast<std::size_t>(r)] = activate(L.act, z, L.alpha);
      out_err[static_cast<std::size_t>(r)] =
          kink && L.act == Activation::ReLU && z < -dz ? 0.0 : lipschitz * dz;
    }
    in.swap(out);
    err.swap(out_err);
  }
  return err[0] > 0.0 && std::fabs(std::fabs(in[0]) - tau) <= err[0];
}

/// Points of [range) where rounding at relative level @p slack may flip a count (ambiguous_at).
inline index_t ambiguous_points(const Case& c, const MeshView& m, IndexRange range, double tau,
                                double slack) {
  std::vector<double> x(static_cast<std::size_t>(m.dim));
  index_t n = 0;
  for (index_t i = range.begin; i < range.end; ++i) {
    mesh_point(m, i, x.data());
    n += ambiguous_at(c.network, x.data(), tau, slack) ? 1 : 0;
  }
  return n;
}

/// @p make's evaluator against the CPU backend over @p range: identical point and non-finite
/// counts and distance bins, spike/correct/undecided counts within the ambiguous points, sums
/// within 1e-12 (double) or 1e-5 (float) relative.
inline void expect_parity(const EvaluatorFactory& make, const Case& c, const MeshView& m,
                          IndexRange range, Precision prec) {
  Problem p{&c, m, default_stats_config(c), prec};
  auto cpu = make_cpu_evaluator(2);
  auto other = make();
  cpu->prepare(p);
  other->prepare(p);
  const Accumulator ca = cpu->evaluate(range);
  const Accumulator ga = other->evaluate(range);
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

inline MeshView mesh(int d, index_t m) {
  MeshSpec s;
  s.dim = d;
  s.points_per_axis = {m};
  return make_mesh_view(s);
}

/// Every construction (and a deep and a 6-d case) in float and double.
inline void parity_every_construction(const EvaluatorFactory& make) {
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
      expect_parity(make, c, m, {0, m.total}, prec);
    }
  }
}

/// Random tanh networks with a streamed 300-wide layer, double.
inline void parity_random_networks(const EvaluatorFactory& make) {
  Case c = build_case(CaseParams{});
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    c.network = random_network(seed, 2, {64, 64, 300}, Activation::Tanh); // streamed
    expect_parity(make, c, mesh(2, 257), {0, 257 * 257}, Precision::Double);
  }
}

/// Dense MLPs of hidden widths 32 to 256 (the CUDA evaluator's fused dense kernel): ReLU,
/// odd widths with sigmoid, both precisions, a range that is not a block multiple.
inline void parity_dense_mlps(const EvaluatorFactory& make) {
  Case c = build_case(CaseParams{});
  const MeshView m = mesh(2, 129);
  c.network = random_network(4, 2, {128, 128, 128}, Activation::ReLU);
  expect_parity(make, c, m, {0, m.total}, Precision::Float);
  expect_parity(make, c, m, {3, m.total - 7}, Precision::Double);
  c.network = random_network(5, 2, {40, 70}, Activation::Sigmoid);
  expect_parity(make, c, m, {11, m.total}, Precision::Float);
}

/// Sparse networks at most 32 wide (the CUDA evaluator's narrow generic kernel,
/// eval_mesh_kernel<T, 32>: neither separable nor dense-eligible): PReLU and sigmoid, three
/// hidden layers, in 1 and 3 dimensions, both precisions.
inline void parity_sparse_narrow(const EvaluatorFactory& make) {
  Case c = build_case(CaseParams{});
  c.network = random_network(6, 2, {32, 20, 32}, Activation::PReLU, 0.5);
  expect_parity(make, c, mesh(2, 97), {5, 97 * 97}, Precision::Float);
  expect_parity(make, c, mesh(2, 97), {0, 97 * 97 - 3}, Precision::Double);
  CaseParams p1;
  p1.dim = 1;
  Case c1 = build_case(p1);
  c1.network = random_network(7, 1, {12, 32, 7}, Activation::Sigmoid, 0.5);
  expect_parity(make, c1, mesh(1, 5000), {0, 5000}, Precision::Float);
  CaseParams p3;
  p3.dim = 3;
  p3.train_per_axis = 3;
  Case c3 = build_case(p3);
  c3.network = random_network(8, 3, {24, 32, 16}, Activation::PReLU, 0.5);
  expect_parity(make, c3, mesh(3, 23), {0, 23 * 23 * 23}, Precision::Float);
  expect_parity(make, c3, mesh(3, 23), {100, 23 * 23 * 23}, Precision::Double);
}

/// One point, a range that is not a block multiple, a range across 2^22, indices above 2^40.
inline void parity_sub_ranges(const EvaluatorFactory& make) {
  const Case c = build_case(CaseParams{});
  const MeshView m = mesh(2, 1001);
  expect_parity(make, c, m, {12345, 12345 + 1}, Precision::Float);        // one point
  expect_parity(make, c, m, {777, 777 + 128 * 16 + 5}, Precision::Float); // not a block multiple
  expect_parity(make, c, m, {(index_t(1) << 22) - 3000, (index_t(1) << 22) + 3000},
                Precision::Float);
  CaseParams p3;
  p3.dim = 3;
  p3.train_per_axis = 3;
  p3.bias = 2.5;
  const Case c3 = build_case(p3);
  const MeshView big = mesh(3, 100000); // 10^15 points: indices far above 2^32
  const index_t b0 = (index_t(1) << 40) + 17;
  expect_parity(make, c3, big, {b0, b0 + 50000}, Precision::Double);
}

/// run_mesh() over a 2003^2 mesh: the driver's chunking on top of the evaluator.
inline void parity_driver_run(const EvaluatorFactory& make) {
  CaseParams p;
  p.bias = 1.9;
  const Case c = build_case(p);
  MeshSpec s;
  s.points_per_axis = {2003};
  auto cpu = make_cpu_evaluator(2);
  auto other = make();
  RunOptions o;
  o.precision = Precision::Double;
  const Results rc = run_mesh(c, s, *cpu, o).results;
  const Results rg = run_mesh(c, s, *other, o).results;
  EXPECT_EQ(rg.get("spike_count"), rc.get("spike_count"));
  EXPECT_NEAR(rg.get("f_integral"), rc.get("f_integral"), 1e-12 * std::fabs(rc.get("f_integral")));
  EXPECT_NEAR(rg.get("accuracy"), rc.get("accuracy"), 1e-15);
}

} // namespace spikemesh::testing

/// The parity checks above as the tests of fixture @p Suite for the evaluators @p make makes.
#define SM_BACKEND_PARITY_TESTS(Suite, make)                                                       \
  TEST_F(Suite, EveryConstructionBothPrecisions) {                                                 \
    ::spikemesh::testing::parity_every_construction(make);                                         \
  }                                                                                                \
  TEST_F(Suite, RandomNetworks) {                                                                  \
    ::spikemesh::testing::parity_random_networks(make);                                            \
  }                                                                                                \
  TEST_F(Suite, DenseMlps) {                                                                       \
    ::spikemesh::testing::parity_dense_mlps(make);                                                 \
  }                                                                                                \
  TEST_F(Suite, SparseNarrowNetworks) {                                                            \
    ::spikemesh::testing::parity_sparse_narrow(make);                                              \
  }                                                                                                \
  TEST_F(Suite, SubRangesRaggedSizesAndHugeIndices) {                                              \
    ::spikemesh::testing::parity_sub_ranges(make);                                                 \
  }                                                                                                \
  TEST_F(Suite, DriverRunMatchesCpuResults) {                                                      \
    ::spikemesh::testing::parity_driver_run(make);                                                 \
  }
