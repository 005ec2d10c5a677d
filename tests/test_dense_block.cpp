/// @file test_dense_block.cpp
/// @brief The fused dense-MLP kernel's per-block code (math/dense_block.hpp) on the host's block
/// and warp emulators: f bit for bit against forward() and the CPU backend's tiled form
/// (both fused multiply-adds in the same order), threads and warps in order and reversed, shared
/// memory NaN-filled; the block's Accumulator bit for bit against the mesh kernel's emulation
/// (eval_block.hpp, an independent per-thread forward pass) and, for every order-independent
/// field, against the CPU backend and a plain per-point loop (dimensions 1 to 32, axes shorter
/// than a warp step); the shared-memory layout of the cursors; and a mutation (the barrier between
/// staging the weights and using them left out) that must show.
#include "spikemesh/constructions.hpp"
#include "spikemesh/evaluator.hpp"
#include "spikemesh/math/dense_block.hpp"
#include "spikemesh/mesh_spec.hpp"

#include "../host/backends/eval_kernel.hpp"
#include "../host/backends/forward_batch.hpp"
#include "support/accumulator_checks.hpp"
#include "support/random_network.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace spikemesh {
namespace {

using eval_block::EmulationOrder;

struct Net {
  int dim;
  std::vector<int> widths;
  Activation act;
  std::string name() const {
    std::string s = std::to_string(dim);
    for (int w : widths)
      s += "-" + std::to_string(w);
    return s + "-1 act " + std::to_string(static_cast<int>(act));
  }
};

/// The networks of the issue: narrow, the benchmark's shape, odd widths, other activations.
std::vector<Net> nets() {
  return {{2, {32, 32}, Activation::ReLU},
          {2, {128, 128, 128}, Activation::ReLU},
          {3, {40, 70}, Activation::ReLU},
          {2, {48, 33}, Activation::PReLU},
          {2, {64, 40}, Activation::Sigmoid}};
}

Case case_for(const Net& n, std::uint64_t seed) {
  CaseParams cp;
  cp.dim = n.dim;
  cp.train_per_axis = 3;
  Case c = build_case(cp);
  c.network = testing::random_network(seed, n.dim, n.widths, n.act);
  return c;
}

template <class T>
struct Prepared {
  Prepared(const Case& c, const MeshView& m)
      : width(eval_kernel_width<T>(c.network)), packed(c.network, width) {
    v.net = packed.view();
    v.mesh = m;
    v.truth = truth_view(c);
    v.stats = default_stats_config(c);
  }
  int width;
  PackedNetwork<T> packed;
  EvalView<T> v;
};

MeshView mesh_of(std::vector<index_t> axes) {
  MeshSpec s;
  s.dim = static_cast<int>(axes.size());
  s.points_per_axis = std::move(axes);
  return make_mesh_view(s);
}

bool same(double a, double b) {
  return a == b || (std::isnan(a) && std::isnan(b));
}

// ---- f of one block step ---------------------------------------------------------------------

/// The 128 points of a step (random, in [-1, 2]^d) through step_forward() on the host block
/// emulator, against forward() and cpu::forward_tile() point by point.
template <class T, int MO>
void expect_step_equals_forward(const Net& n, std::uint64_t seed, EmulationOrder order) {
  const Case c = case_for(n, seed);
  const PackedNetwork<T> packed(c.network, eval_kernel_width<T>(c.network));
  const NetworkView<T> net = packed.view();
  const int d = n.dim;
  const dense_block::Layout s = dense_block::layout<T, MO>(d, dense_block::hidden_width(net));
  std::vector<T> smem(static_cast<std::size_t>(s.total));
  std::memset(static_cast<void*>(smem.data()), 0xff, smem.size() * sizeof(T)); // NaN garbage
  std::mt19937_64 rng(seed);
  std::vector<std::vector<T>> pts;
  for (int p = 0; p < dense_block::kStepPoints; ++p) {
    const auto x = testing::random_point(rng, d, -1.0, 2.0);
    pts.emplace_back(x.begin(), x.end());
    for (int a = 0; a < d; ++a)
      smem[static_cast<std::size_t>(s.x + a * dense_block::kStepPoints + p)] =
          pts.back()[static_cast<std::size_t>(a)];
  }
  HostBlock<dense_block::kThreads> b;
  b.reversed = order == EmulationOrder::Reversed;
  const auto acc =
      std::make_unique<HostBlock<dense_block::kThreads>::Regs<dense_block::Micro<T, MO>>>();
  dense_block::step_forward<T, MO>(b, net, s, smem.data(), *acc);
  // forward() and the CPU backend's tiles of 32 points.
  constexpr int B = 32;
  std::vector<T> ba(static_cast<std::size_t>(net.buffer_width)), bb(ba.size());
  std::vector<T> xs(static_cast<std::size_t>(d) * B), ta(ba.size() * B), tb(ta.size());
  std::vector<T> ranges(cpu::tile_ranges_size(net));
  int nonzero = 0;
  for (int p0 = 0; p0 < dense_block::kStepPoints; p0 += B) {
    for (int p = 0; p < B; ++p)
      for (int a = 0; a < d; ++a)
        xs[static_cast<std::size_t>(a * B + p)] =
            pts[static_cast<std::size_t>(p0 + p)][static_cast<std::size_t>(a)];
    T f[B];
    cpu::forward_tile<T, B>(net, xs.data(), ta.data(), tb.data(), ranges.data(), f);
    for (int p = 0; p < B; ++p) {
      const T got = smem[static_cast<std::size_t>(s.f + p0 + p)];
      const T ref =
          forward(net, pts[static_cast<std::size_t>(p0 + p)].data(), ba.data(), bb.data());
      ASSERT_TRUE(same(got, ref)) << n.name() << " point " << p0 + p << ": " << got << " vs "
                                  << ref;
      ASSERT_TRUE(same(got, f[p])) << n.name() << " point " << p0 + p << " (CPU tile)";
      nonzero += got != T(0) ? 1 : 0;
    }
  }
  EXPECT_GT(nonzero, 0) << n.name(); // not a vacuous comparison of zeros
}

TEST(DenseBlock, StepEqualsForwardAndCpuTilesBitForBit) {
  std::uint64_t seed = 11;
  for (const Net& n : nets()) {
    for (EmulationOrder o : {EmulationOrder::Forward, EmulationOrder::Reversed}) {
      expect_step_equals_forward<float, dense_block::kRowsNarrow>(n, seed, o);
      expect_step_equals_forward<float, dense_block::kRowsWide>(n, seed, o);
      expect_step_equals_forward<double, dense_block::kRowsNarrow>(n, seed, o);
      expect_step_equals_forward<double, dense_block::kRowsWide>(n, seed, o);
    }
    ++seed;
  }
}

/// fma matters: a dense layer whose pre-activation differs between one rounding per term and
/// two (so the fused path is really taken on both sides, not just equal by luck).
TEST(DenseBlock, DenseLayersRoundOncePerTerm) {
  Network net;
  net.in_dim = 1;
  Layer L = Layer::dense(1, 1, Activation::Identity);
  const float w = 1.0f + std::ldexp(1.0f, -12), x = 1.0f + std::ldexp(1.0f, -12);
  L.weight = {w};
  L.bias = {-1.0};
  net.layers.push_back(L);
  const PackedNetwork<float> packed(net, 32);
  float a[32], b[32];
  const float got = forward(packed.view(), &x, a, b);
  EXPECT_EQ(got, std::fma(w, x, -1.0f));
  EXPECT_NE(got, w * x - 1.0f); // w x = 1 + 2^-11 + 2^-24: the product alone rounds
}

// ---- the whole grid --------------------------------------------------------------------------

using testing::expect_same_bits;
using testing::expect_same_counts;

template <class T, int MO>
Accumulator dense_grid(const EvalView<T>& v, IndexRange r, int grid, EmulationOrder o,
                       dense_block::Mutation m = dense_block::Mutation::None) {
  const int g = eval_block::grid_for_range(r.size(), grid);
  std::vector<Accumulator> parts(static_cast<std::size_t>(g));
  dense_block::emulate_dense_grid<T, MO>(v, r, g, parts.data(), o, m);
  Accumulator total;
  for (const Accumulator& p : parts)
    total.merge(p); // block order, as the CUDA evaluator
  return total;
}

template <class T>
Accumulator mesh_grid(const Prepared<T>& p, IndexRange r, int grid) {
  const int g = eval_block::grid_for_range(r.size(), grid);
  std::vector<Accumulator> parts(static_cast<std::size_t>(g));
  if (p.width == eval_block::kNarrowWidth) {
    eval_block::emulate_eval_grid<T, eval_block::kNarrowWidth>(p.v, r, g, parts.data());
  } else {
    eval_block::emulate_eval_grid<T, eval_block::kWideWidth>(p.v, r, g, parts.data());
  }
  Accumulator total;
  for (const Accumulator& a : parts)
    total.merge(a);
  return total;
}

template <class T, int MO>
void expect_grid_parity(const Case& c, const MeshView& m, IndexRange r, int grid,
                        const std::string& what) {
  const Prepared<T> p(c, m);
  const Accumulator a = dense_grid<T, MO>(p.v, r, grid, EmulationOrder::Forward);
  EXPECT_EQ(a.scalar.points, static_cast<std::uint64_t>(r.size())) << what;
  expect_same_bits(a, dense_grid<T, MO>(p.v, r, grid, EmulationOrder::Reversed),
                   what + " reversed");
  expect_same_bits(a, mesh_grid(p, r, grid), what + " vs mesh kernel");
  auto cpu = make_cpu_evaluator(1, 1000);
  Problem prob{&c, m, p.v.stats, std::is_same_v<T, float> ? Precision::Float : Precision::Double};
  cpu->prepare(prob);
  const Accumulator ref = cpu->evaluate(r);
  expect_same_counts(a, ref, what + " vs CPU backend");
  // The sums in another order: within a few units of roundoff of sum |f| and sum |e| (the
  // compensated sums of plain partial sums of <= 32 terms, each within 40 u of its magnitude).
  const double u80 = 80 * 1.12e-16;
  EXPECT_NEAR(a.scalar.sum_abs_err.value(), ref.scalar.sum_abs_err.value(),
              u80 * ref.scalar.sum_abs_err.value())
      << what;
  EXPECT_GT(a.scalar.f_max - a.scalar.f_min, 0.0) << what; // f is not constant
}

TEST(DenseBlock, GridEqualsMeshKernelAndCpuBackend) {
  std::uint64_t seed = 21;
  for (const Net& n : nets()) {
    const Case c = case_for(n, seed++);
    const MeshView m = n.dim == 2 ? mesh_of({67, 59}) : mesh_of({13, 11, 17});
    const IndexRange r{5, m.total - 2}; // not a multiple of any tile
    const std::string what = n.name();
    expect_grid_parity<float, dense_block::kRowsNarrow>(c, m, r, 3, what + " float/2");
    expect_grid_parity<float, dense_block::kRowsWide>(c, m, r, 1, what + " float/8");
    expect_grid_parity<double, dense_block::kRowsNarrow>(c, m, r, 1, what + " double/2");
    expect_grid_parity<double, dense_block::kRowsWide>(c, m, r, 2, what + " double/8");
  }
}

// ---- the cursors in shared memory: dimensions 1 to 32, axes shorter than a step ----------------

/// A case of @p dim dimensions for the dense kernel: a random MLP, classification against a few
/// random training points in [0,1]^d (list form, so that the nearest-point distance and the
/// label read every coordinate of a point), labels +-1.
Case list_case(int dim, const std::vector<int>& widths, Activation act, std::uint64_t seed) {
  Case c;
  c.params.dim = dim;
  c.params.task = Task::Classify;
  c.params.tau = 0.0;
  c.network = testing::random_network(seed, dim, widths, act);
  c.training.dim = dim;
  std::mt19937_64 rng(seed);
  for (int p = 0; p < 9; ++p) {
    const auto x = testing::random_point(rng, dim);
    c.training.x.insert(c.training.x.end(), x.begin(), x.end());
    c.training.y.push_back(p % 2 == 0 ? 1.0 : -1.0);
  }
  return c;
}

/// The independent reference: a plain loop over the range, each point decoded by mesh_point()
/// (a division per axis, no cursor), through forward() and sample_at() into one Accumulator.
template <class T>
Accumulator per_point(const EvalView<T>& v, IndexRange r) {
  std::vector<T> x(static_cast<std::size_t>(v.mesh.dim));
  std::vector<T> ba(static_cast<std::size_t>(v.net.buffer_width)), bb(ba.size());
  Accumulator acc;
  for (index_t i = r.begin; i < r.end; ++i) {
    mesh_point(v.mesh, i, x.data());
    acc.add(sample_at(v, x.data(), forward(v.net, x.data(), ba.data(), bb.data())), v.stats);
  }
  return acc;
}

/// The grid in both orders against the per-point loop (every order-independent field exact, the
/// sums within the roundoff of their order), the mesh kernel's emulation (bit for bit) and each
/// other (bit for bit).
template <class T, int MO>
void expect_cursor_parity(const Case& c, const MeshView& m, IndexRange r, int grid,
                          const std::string& what) {
  const Prepared<T> p(c, m);
  ASSERT_EQ(dense_block::rows_for(p.v.net) != 0, true) << what << ": not a dense-kernel network";
  const Accumulator a = dense_grid<T, MO>(p.v, r, grid, EmulationOrder::Forward);
  const Accumulator ref = per_point(p.v, r);
  EXPECT_EQ(a.scalar.points, static_cast<std::uint64_t>(r.size())) << what;
  expect_same_counts(a, ref, what + " vs per-point loop");
  // Sums in another order (plain partial sums of <= 32 terms in compensated sums, against the
  // per-point loop's compensated sum): within 80 u of sum |e| (u = 2^-53), as above.
  const double u80 = 80 * 1.12e-16;
  EXPECT_NEAR(a.scalar.sum_abs_err.value(), ref.scalar.sum_abs_err.value(),
              u80 * ref.scalar.sum_abs_err.value())
      << what;
  expect_same_bits(a, dense_grid<T, MO>(p.v, r, grid, EmulationOrder::Reversed),
                   what + " reversed");
  expect_same_bits(a, mesh_grid(p, r, grid), what + " vs mesh kernel");
  // Not vacuous: f varies, points are classified both ways, several distance bins are hit.
  EXPECT_GT(a.scalar.f_max - a.scalar.f_min, 0.0) << what;
  EXPECT_GT(a.scalar.correct_count, 0u) << what;
  EXPECT_LT(a.scalar.correct_count, a.scalar.points) << what;
  int dist_bins = 0;
  for (int b = 0; b < kDistBins; ++b)
    dist_bins += a.bins.dist_counts[b] != 0 ? 1 : 0;
  EXPECT_GE(dist_bins, 3) << what;
}

struct CursorCase {
  std::vector<index_t> axes;
  index_t begin, size; ///< the range: [begin, begin + size), or the whole mesh when size < 0
  std::vector<int> widths;
};

/// d = 1 (one axis of 1000 points; one of 20, shorter than a warp step: lanes past the mesh),
/// d = 5 and 12 with axes of 2 to 7 points (a step of 32 carries across several axes), d = 32
/// (the largest, axes of 2 and 3, a range deep in a 6.4e9-point mesh: every axis moves).
std::vector<CursorCase> cursor_cases() {
  std::vector<index_t> a32(32, 2);
  a32[0] = 3;
  a32[7] = 3;
  return {{{1000}, 3, 994, {32, 40}},
          {{20}, 0, -1, {33}},
          {{3, 5, 2, 7, 4}, 17, 777, {48, 32}},
          {{5, 3, 2, 7, 2, 3, 2, 2, 3, 2, 2, 3}, 1234, 3000, {40, 33}},
          {a32, (index_t(1) << 32) + 123457, 2500, {64, 32}}};
}

TEST(DenseBlock, SharedCursorsEqualPerPointLoopInEveryDimension) {
  std::uint64_t seed = 31;
  for (const CursorCase& cc : cursor_cases()) {
    const int d = static_cast<int>(cc.axes.size());
    const Case c = list_case(d, cc.widths, Activation::ReLU, seed++);
    const MeshView m = mesh_of(cc.axes);
    const IndexRange r =
        cc.size < 0 ? IndexRange{0, m.total} : IndexRange{cc.begin, cc.begin + cc.size};
    ASSERT_LE(r.end, m.total);
    const std::string what = "d=" + std::to_string(d) + " axis0=" + std::to_string(cc.axes[0]);
    expect_cursor_parity<float, dense_block::kRowsNarrow>(c, m, r, 2, what + " float/2");
    expect_cursor_parity<float, dense_block::kRowsWide>(c, m, r, 1, what + " float/8");
    expect_cursor_parity<double, dense_block::kRowsNarrow>(c, m, r, 1, what + " double/2");
    expect_cursor_parity<double, dense_block::kRowsWide>(c, m, r, 3, what + " double/8");
  }
}

/// The block's shared memory: the cursors' coordinates are the first layer's input tile (at 0,
/// 16-byte aligned for the vector loads), their axis positions a region of in_dim x kStepPoints
/// index_t after it, then f, the activations and the weights, disjoint, in the total that
/// smem_bytes() reports (and the emulator fills with NaN).
template <class T, int MO>
void expect_layout(int d, int w) {
  const dense_block::Layout s = dense_block::layout<T, MO>(d, w);
  const int k_elems = d * dense_block::kStepPoints * static_cast<int>(sizeof(index_t) / sizeof(T));
  EXPECT_EQ(s.x, 0);
  EXPECT_EQ(s.k, s.x + d * dense_block::kStepPoints);
  EXPECT_EQ(s.f, s.k + k_elems);
  EXPECT_EQ(s.a, s.f + dense_block::kStepPoints);
  EXPECT_EQ(s.b, s.a + w * dense_block::Tiling<T>::kPoints);
  EXPECT_EQ(s.w, s.b + w * dense_block::Tiling<T>::kPoints);
  EXPECT_GT(s.total, s.w);
  for (int off : {s.x, s.k, s.f, s.a, s.b, s.w, s.total})
    EXPECT_EQ(off % 16, 0) << d << " " << w;
  EXPECT_EQ(s.k * sizeof(T) % alignof(index_t), 0u);
  const Network net = testing::random_network(1, d, {w}, Activation::ReLU);
  const PackedNetwork<T> packed(net, eval_kernel_width<T>(net));
  EXPECT_EQ(dense_block::smem_bytes(packed.view(), MO),
            static_cast<std::size_t>(s.total) * sizeof(T));
}

TEST(DenseBlock, LayoutHoldsTheCursorsAxisPositions) {
  for (int d : {1, 2, 12, kMaxDim}) {
    for (int w : {32, 100, 256}) {
      expect_layout<float, dense_block::kRowsNarrow>(d, w);
      expect_layout<float, dense_block::kRowsWide>(d, w);
      expect_layout<double, dense_block::kRowsNarrow>(d, w);
      expect_layout<double, dense_block::kRowsWide>(d, w);
    }
  }
}

TEST(DenseBlock, MissingStageBarrierShows) {
  const Case c = case_for(nets()[1], 5);
  const MeshView m = mesh_of({40, 31});
  const Prepared<float> p(c, m);
  const IndexRange r{0, m.total};
  for (EmulationOrder o : {EmulationOrder::Forward, EmulationOrder::Reversed}) {
    const Accumulator good = dense_grid<float, dense_block::kRowsWide>(p.v, r, 1, o);
    const Accumulator bad = dense_grid<float, dense_block::kRowsWide>(
        p.v, r, 1, o, dense_block::Mutation::NoStageBarrier);
    EXPECT_EQ(good.scalar.nonfinite_count, 0u);
    // Without the barrier a thread reads weights other threads have not staged yet: NaN
    // garbage in the first chunk, the previous chunk's weights after it.
    const bool differs = bad.scalar.nonfinite_count != good.scalar.nonfinite_count ||
                         bad.scalar.sum_f.value() != good.scalar.sum_f.value() ||
                         bad.scalar.f_min != good.scalar.f_min;
    EXPECT_TRUE(differs) << "order " << static_cast<int>(o);
  }
}

TEST(DenseBlock, RowsForTakesDenseMlpsOfWidths32To256) {
  const auto rows = [](const Network& net) {
    const PackedNetwork<float> p(net, eval_kernel_width<float>(net));
    return dense_block::rows_for(p.view());
  };
  using testing::random_network;
  EXPECT_EQ(rows(random_network(1, 2, {128, 128, 128}, Activation::ReLU)), dense_block::kRowsWide);
  EXPECT_EQ(rows(random_network(1, 2, {32, 32}, Activation::ReLU)), dense_block::kRowsNarrow);
  EXPECT_EQ(rows(random_network(1, 2, {256}, Activation::Tanh)), dense_block::kRowsWide);
  EXPECT_EQ(rows(random_network(1, 2, {16, 16}, Activation::ReLU)), 0);      // below 32
  EXPECT_EQ(rows(random_network(1, 2, {64, 300}, Activation::ReLU)), 0);     // above 256
  EXPECT_EQ(rows(random_network(1, 2, {64, 64}, Activation::ReLU, 0.3)), 0); // sparse
  EXPECT_EQ(rows(build_case(CaseParams{}).network), 0); // the spike construction
  // Shared memory at the widest case fits the H100/H200's 227 KB per block with the bins.
  const Network wide = random_network(1, kMaxDim, {256, 256}, Activation::ReLU);
  const PackedNetwork<double> pd(wide, 256);
  EXPECT_LE(dense_block::smem_bytes(pd.view(), dense_block::kRowsWide) +
                sizeof(eval_block::SharedBins),
            227u * 1024u - 1024u);
}

} // namespace
} // namespace spikemesh
