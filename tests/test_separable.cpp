/// @file test_separable.cpp
/// @brief The mesh kernel's separable spike path (math/separable.hpp) on the host's warp
/// emulator: f at every point bit for bit equal to forward() and to the CPU backend's tile code
/// (forward_batch.hpp), the whole kernel's statistics bit for bit equal to the generic path's,
/// every row that is nonzero somewhere in a tile inside that tile's active mask, and the
/// canonical order (axes >= 1 before axis 0) against the constructions' analytic values.
#include "spikemesh/constructions.hpp"
#include "spikemesh/evaluator.hpp"
#include "spikemesh/math/eval_block.hpp"
#include "spikemesh/math/separable.hpp"
#include "spikemesh/mesh_spec.hpp"

#include "../host/backends/eval_kernel.hpp"
#include "../host/backends/forward_batch.hpp"
#include "support/accumulator_checks.hpp"
#include "support/spike_cases.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

namespace spikemesh {
namespace {

using W = HostWarp;

using test::mesh_of;

using test::spike_case;

/// What the separable path saw over a range: f per point, and per tile the active mask.
template <class T>
struct SepRun {
  std::vector<T> f;
  std::vector<std::vector<unsigned>> masks; ///< per tile, the mask words (chunk order)
  std::vector<index_t> firsts;              ///< per tile, its first index
  std::int64_t prefixed_tiles = 0, full_tiles = 0, skipped_rows = 0;
};

/// Runs the separable path's tile code as warp_tiles() does, over [r.begin, r.end) in tiles of
/// eval_block::kTilePoints from r.begin, with the tile state starting as NaN garbage.
template <class T>
SepRun<T> run_separable(const NetworkView<T>& net, const MeshView& m, IndexRange r, bool rev) {
  W w;
  w.reversed = rev;
  SepRun<T> out;
  out.f.assign(static_cast<std::size_t>(r.size()), T(0));
  auto tile = std::make_unique<separable::Tile<T, W>>();
  std::memset(static_cast<void*>(tile.get()), 0xff, sizeof(*tile));
  auto slot = std::make_unique<separable::WarpSlot<T>>(); // shared memory: NaN garbage
  std::memset(static_cast<void*>(slot.get()), 0xff, sizeof(*slot));
  Lanes<W, bool> live;
  Lanes<W, T> f;
  for (index_t first = r.begin; first < r.end; first += eval_block::kTilePoints) {
    const index_t count = std::min<index_t>(eval_block::kTilePoints, r.end - first);
    if (first == r.begin) { // the first tile decoded, the next ones stepped on by 512
      separable::first_tile(w, m, first, eval_block::kTilePoints, *slot);
    } else {
      separable::next_tile(w, m, *slot);
    }
    separable::begin_tile(w, net, m, count, *slot, *tile);
    std::vector<unsigned> words;
    int active = 0;
    for (int c = 0; c < tile->chunks; ++c) {
      words.push_back(tile->mask[c]);
      active += lane_count(tile->mask[c]);
    }
    EXPECT_EQ(active, tile->n_active);
    out.masks.push_back(words);
    out.firsts.push_back(first);
    out.skipped_rows += net.sep.rows - active;
    (tile->prefixed ? out.prefixed_tiles : out.full_tiles) += 1;
    for (int j = 0; j < eval_block::kSteps && first + j * kWarpSize < r.end; ++j) {
      const index_t base = first + static_cast<index_t>(j) * kWarpSize;
      w.each([&](int lane) { live[lane] = base + lane < r.end; });
      w.each([&](int lane) { f[lane] = std::numeric_limits<T>::quiet_NaN(); });
      separable::step(w, net, m, *tile, live, f);
      separable::advance(w, m, *tile);
      w.each([&](int lane) {
        if (live[lane]) out.f[static_cast<std::size_t>(base + lane - r.begin)] = f[lane];
      });
    }
  }
  return out;
}

/// Spike row r's activation at point x by forward()'s arithmetic on the packed layers.
template <class T>
T spike_activation(const NetworkView<T>& net, const T* x, int r) {
  std::vector<T> a0(static_cast<std::size_t>(net.layers[0].out));
  for (int q = 0; q < net.layers[0].out; ++q)
    a0[static_cast<std::size_t>(q)] =
        activate(net.layers[0].act, detail::sparse_row(net, net.layers[0], x, q),
                 static_cast<T>(net.layers[0].alpha));
  return activate(net.layers[1].act, detail::sparse_row(net, net.layers[1], a0.data(), r),
                  static_cast<T>(net.layers[1].alpha));
}

/// f by the CPU backend's tile code (forward_batch.hpp) at the points [r.begin, r.end).
template <class T>
std::vector<T> cpu_values(const NetworkView<T>& net, const MeshView& m, IndexRange r) {
  constexpr int B = 8;
  const int d = m.dim;
  const int width = std::max(net.buffer_width, net.in_dim);
  std::vector<T> x(static_cast<std::size_t>(d) * B), a(static_cast<std::size_t>(width) * B),
      b(a.size()), ranges(cpu::tile_ranges_size(net)), f(B), p(static_cast<std::size_t>(d));
  std::vector<T> out;
  for (index_t i = r.begin; i < r.end; i += B) {
    for (int k = 0; k < B; ++k) {
      mesh_point(m, std::min(i + k, r.end - 1), p.data());
      for (int c = 0; c < d; ++c)
        x[static_cast<std::size_t>(c) * B + k] = p[static_cast<std::size_t>(c)];
    }
    cpu::forward_tile<T, B>(net, x.data(), a.data(), b.data(), ranges.data(), f.data());
    for (int k = 0; k < B && i + k < r.end; ++k)
      out.push_back(f[static_cast<std::size_t>(k)]);
  }
  return out;
}

/// Bitwise equality up to the sign of an exact zero.
template <class T>
bool same(T a, T b) {
  return a == b ? true : (a != a && b != b);
}

/// The separable path against forward() and the CPU tile code at every point, in both lane
/// orders; every row nonzero at some point of a tile is in that tile's mask. Returns the run.
template <class T>
SepRun<T> expect_pointwise(const Case& c, const MeshView& m, IndexRange r) {
  PackedNetwork<T> packed(c.network, eval_block::kSeparableWidth);
  const NetworkView<T> net = packed.view();
  EXPECT_TRUE(net.sep.on);
  const SepRun<T> run = run_separable(net, m, r, false);
  const SepRun<T> rev = run_separable(net, m, r, true);
  PackedNetwork<T> generic(c.network, eval_block::kWideWidth); // buffers for forward()
  const NetworkView<T> gnet = generic.view();
  const std::vector<T> cpu = cpu_values(gnet, m, r);
  std::vector<T> x(static_cast<std::size_t>(m.dim)), ba(2048), bb(2048);
  int bad = 0;
  for (index_t i = r.begin; i < r.end && bad < 5; ++i) {
    const std::size_t k = static_cast<std::size_t>(i - r.begin);
    mesh_point(m, i, x.data());
    const T ref = forward(gnet, x.data(), ba.data(), bb.data());
    if (!same(run.f[k], ref) || !same(rev.f[k], ref) || !same(cpu[k], ref)) {
      ADD_FAILURE() << "point " << i << ": separable " << run.f[k] << " (reversed " << rev.f[k]
                    << "), forward " << ref << ", cpu " << cpu[k];
      ++bad;
    }
  }
  // Masks: a row outside the mask is exactly zero at every point of its tile.
  for (std::size_t t = 0; t < run.firsts.size() && bad < 5; ++t) {
    const index_t end = std::min<index_t>(run.firsts[t] + eval_block::kTilePoints, r.end);
    for (int row = 0; row < net.sep.rows; ++row) {
      if ((run.masks[t][static_cast<std::size_t>(row / 32)] >> (row % 32)) & 1u) continue;
      for (index_t i = run.firsts[t]; i < end; ++i) {
        mesh_point(m, i, x.data());
        if (spike_activation(net, x.data(), row) != T(0)) {
          ADD_FAILURE() << "row " << row << " left out of tile " << run.firsts[t]
                        << " but nonzero at point " << i;
          ++bad;
          break;
        }
      }
    }
  }
  return run;
}

// ---- packing: structure detected, canonical order ----------------------------------------------

TEST(SeparablePacking, DetectsTheConstructionsAndOrdersAxesDescending) {
  for (const char* name : {"relu-spike", "prelu-spike", "sigmoid-spike"}) {
    const Case c = spike_case(name, 3, 3, 2.6);
    PackedNetwork<double> p(c.network);
    const SeparableDesc& s = p.separable();
    ASSERT_TRUE(s.on) << name;
    EXPECT_EQ(s.skip, std::string(name) == "relu-spike") << name;
    const NetworkView<double> v = p.view();
    const std::int32_t* row_ptr = v.indices + s.row_off;
    const std::int32_t* axis = v.indices + s.axis_off;
    for (int r = 0; r < s.rows; ++r) {
      int per_axis[3] = {0, 0, 0};
      for (std::int32_t e = row_ptr[r]; e < row_ptr[r + 1]; ++e)
        ++per_axis[axis[e]];
      EXPECT_GT(per_axis[0], 0) << name; // every row reads every axis
      EXPECT_EQ(per_axis[1], per_axis[0]) << name;
      EXPECT_EQ(per_axis[2], per_axis[0]) << name;
      for (std::int32_t e = row_ptr[r]; e + 1 < row_ptr[r + 1]; ++e)
        EXPECT_GE(axis[e], axis[e + 1]) << name << " row " << r;
      const std::int32_t split = v.indices[s.split_off + r];
      EXPECT_EQ(split, row_ptr[r + 1] - per_axis[0]); // axes 2 and 1 first, then axis 0
      // The terms are the layers' own values: w_e, then w0, b0 of the neuron read.
      const LayerDesc& L0 = v.layers[0];
      const LayerDesc& L1 = v.layers[1];
      for (std::int32_t e = row_ptr[r]; e < row_ptr[r + 1]; ++e) {
        const std::int32_t q = v.indices[L1.col_off + e];
        EXPECT_EQ(axis[e], v.indices[L0.col_off + q]);
        EXPECT_EQ(v.params[s.term_off + 3 * e], v.params[L1.w_off + e]);
        EXPECT_EQ(v.params[s.term_off + 3 * e + 1], v.params[L0.w_off + q]);
        EXPECT_EQ(v.params[s.term_off + 3 * e + 2], v.params[L0.b_off + q]);
      }
    }
  }
}

TEST(SeparablePacking, OtherNetworksKeepTheGenericPath) {
  CaseParams p;
  p.extra_depth = 2; // C4: extra dense layers after the spikes
  p.extra_width = 3;
  const Case deep = build_case(p);
  EXPECT_FALSE(PackedNetwork<float>(deep.network).separable().on);
  EXPECT_NE(eval_kernel_width<float>(deep.network), eval_block::kSeparableWidth);
  const Case c1 = build_case(CaseParams{});
  EXPECT_EQ(eval_kernel_width<float>(c1.network), eval_block::kSeparableWidth);
  EXPECT_EQ(eval_kernel_width<double>(c1.network), eval_block::kSeparableWidth);
}

// The reordered sum still meets the constructions' analytic values: f(x_p) = y_p at the
// training points (docs/math.md 2.2, P1) and f = 0 off the spikes, in float and double.
TEST(SeparablePacking, AxisOrderKeepsTheAnalyticValues) {
  for (int d = 1; d <= 4; ++d) {
    const Case c = spike_case("relu-spike", d, 3, d - 0.3);
    PackedNetwork<double> pd(c.network);
    PackedNetwork<float> pf(c.network);
    std::vector<double> bd(256), cd(256), x(static_cast<std::size_t>(d));
    std::vector<float> bf(256), cf(256), xf(static_cast<std::size_t>(d));
    for (std::int64_t p = 0; p < c.training.count(); ++p) {
      for (int k = 0; k < d; ++k) {
        x[static_cast<std::size_t>(k)] = c.training.x[static_cast<std::size_t>(p * d + k)];
        xf[static_cast<std::size_t>(k)] = static_cast<float>(x[static_cast<std::size_t>(k)]);
      }
      const double y = c.training.y[static_cast<std::size_t>(p)];
      // f = y (1 - |x - x_p|_1 / (h s))_+ with one active spike: rounding of 3 d + 2 terms of
      // size <= 2/h, each within u of its value, relative to s = 0.3.
      EXPECT_NEAR(forward(pd.view(), x.data(), bd.data(), cd.data()), y, 1e-12) << d;
      EXPECT_NEAR(forward(pf.view(), xf.data(), bf.data(), cf.data()), y, 1e-4) << d;
    }
  }
}

// ---- the path at every point -------------------------------------------------------------------

TEST(SeparablePath, ReluSpikeD1ToD4EqualsForwardAndCpuAtEveryPoint) {
  // Axis 0 not a multiple of 32, shorter and longer than a tile (512 points): tiles wrap rows;
  // ranges start mid-row and end mid-tile.
  {
    const Case c = spike_case("relu-spike", 1, 6, 0.9);
    const MeshView m = mesh_of({5001});
    const SepRun<float> r = expect_pointwise<float>(c, m, {37, m.total - 5});
    expect_pointwise<double>(c, m, {0, m.total});
    EXPECT_GT(r.skipped_rows, 0);
  }
  for (double b : {1.9, 1.1}) { // thin spikes; wide overlapping spikes (s = 0.9)
    const Case c = spike_case("relu-spike", 2, 4, b);
    const MeshView m = mesh_of({1000, 37});
    const SepRun<float> r = expect_pointwise<float>(c, m, {333, m.total - 17});
    expect_pointwise<double>(c, m, {0, m.total});
    EXPECT_GT(r.skipped_rows, 0);
    EXPECT_GT(r.prefixed_tiles, 0);
    const MeshView small = mesh_of({45, 61}); // every tile spans 12 or 13 rows
    const SepRun<float> s = expect_pointwise<float>(c, small, {7, small.total});
    EXPECT_GT(s.full_tiles + s.prefixed_tiles, 0);
  }
  {
    const Case c = spike_case("relu-spike", 3, 4, 2.6); // 64 rows: two mask words
    const MeshView m = mesh_of({700, 9, 11});
    const SepRun<float> r = expect_pointwise<float>(c, m, {250, m.total});
    EXPECT_GT(r.skipped_rows, 0);
    EXPECT_GT(r.prefixed_tiles, 0);
    expect_pointwise<double>(c, mesh_of({29, 13, 17}), {0, 29 * 13 * 17});
  }
  {
    const Case c = spike_case("relu-spike", 4, 3, 3.5); // 81 rows: three mask words
    const MeshView m = mesh_of({601, 5, 4, 3});
    const SepRun<float> r = expect_pointwise<float>(c, m, {111, m.total - 100});
    EXPECT_GT(r.skipped_rows, 0);
    expect_pointwise<double>(c, mesh_of({17, 7, 5, 6}), {0, 17 * 7 * 5 * 6});
  }
}

// Coarse axis 0 (a tile spans many mesh rows: up to 512 segments) and higher dimensions: the
// warp slot's per-segment coordinates (segments * (d - 1) <= separable::kSegCoords) and the
// recomputed coordinates past it (M0 = 1 or 2 in d = 8..10), against forward() at every point.
TEST(SeparablePath, CoarseAxisZeroAndHighDimensionsEqualForwardAtEveryPoint) {
  struct Item {
    int d, n;
    double b;
    std::vector<index_t> axes;
    IndexRange r;
  };
  for (const Item& it : std::vector<Item>{
           {2, 4, 1.9, {3, 700}, {5, 2000}},                        // 171 segments per tile
           {3, 3, 2.6, {4, 9, 40}, {1, 1440}},                      // table: 129 x 2
           {5, 2, 4.5, {8, 8, 4, 3, 3}, {100, 2304}},               // table: 65 x 4
           {8, 2, 7.6, {2, 3, 2, 3, 2, 2, 3, 2}, {7, 864 - 1}},     // recomputed: 257 x 7
           {10, 2, 9.6, {1, 2, 3, 2, 2, 2, 2, 2, 2, 3}, {0, 1152}}, // recomputed: 512 x 9
           {10, 2, 9.3, {8, 3, 2, 2, 2, 2, 2, 2, 2, 2}, {300, 6144 - 9}}}) { // table: 65 x 9
    SCOPED_TRACE(it.d);
    const Case c = spike_case("relu-spike", it.d, it.n, it.b);
    const MeshView m = mesh_of(it.axes);
    ASSERT_LE(it.r.end, m.total);
    expect_pointwise<float>(c, m, it.r);
    expect_pointwise<double>(c, m, it.r);
  }
}

/// A random separable spike-like network in @p d dimensions: layer 0 three ReLU neurons per axis
/// (one input each), layer 1 @p rows sparse ReLU rows reading the neurons of a few random axes
/// (axis 0 in most), a dense output.
Network separable_network(int d, int rows, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  Network net;
  net.in_dim = d;
  Layer L0 = Layer::dense(d, 3 * d, Activation::ReLU);
  for (int q = 0; q < 3 * d; ++q) {
    L0.weight[static_cast<std::size_t>(q * d + q / 3)] = (q % 2 == 0 ? 1.0 : -1.0) * (1.5 + u(rng));
    L0.bias[static_cast<std::size_t>(q)] = 0.6 * u(rng);
  }
  Layer L1 = Layer::dense(3 * d, rows, Activation::ReLU);
  for (int r = 0; r < rows; ++r) {
    for (int a = 0; a < d; ++a) {
      if (a != 0 && u(rng) < 0.4) continue; // most rows read few axes; every one reads axis 0
      for (int j = 0; j < 3; ++j)
        L1.weight[static_cast<std::size_t>(r * 3 * d + 3 * a + j)] = u(rng);
    }
    L1.bias[static_cast<std::size_t>(r)] = 0.5 * u(rng) - 0.3;
  }
  Layer L2 = Layer::dense(rows, 1, Activation::Identity);
  for (double& w : L2.weight)
    w = u(rng);
  L2.bias[0] = 0.25;
  net.layers = {Layer::to_sparse(L0), Layer::to_sparse(L1), L2};
  return net;
}

// Up to kMaxDim = 32 axes (a separable network, not a construction: those have n^d rows): the
// per-segment table, the recomputed coordinates and the one-segment tiles, against forward().
TEST(SeparablePath, RandomSeparableNetworksUpToMaxDimEqualForwardAtEveryPoint) {
  for (int d : {12, kMaxDim}) {
    Case c;
    c.network = separable_network(d, 45, static_cast<std::uint64_t>(d));
    std::vector<index_t> coarse(static_cast<std::size_t>(d), 1), table = coarse, fine = coarse;
    coarse[0] = 5; // 5 x 3 x 2^6 points: about 103 segments per tile, 31 axes: recomputed
    coarse[1] = 3;
    for (int a = 2; a < 8; ++a)
      coarse[static_cast<std::size_t>(a)] = 2;
    table[0] = 40; // 13 segments per tile: the table
    table[1] = 3;
    table[2] = 3;
    fine[0] = 600; // one or two segments per tile
    fine[d - 1] = 2;
    for (const std::vector<index_t>& axes : {coarse, table, fine}) {
      SCOPED_TRACE(::testing::Message() << "d " << d << " axes[0] " << axes[0]);
      const MeshView m = mesh_of(axes, -0.3, 1.2);
      const SepRun<float> r = expect_pointwise<float>(c, m, {3, m.total - 2});
      EXPECT_GT(r.skipped_rows, 0);
      expect_pointwise<double>(c, m, {0, m.total});
    }
  }
}

// A tile that just touches a spike: the row is positive at one end point only, by less than
// the slope times the step (about 5e-5 here). The bound must keep it (it has no margin to lose:
// a skip threshold of even 1e-3 leaves such a row out and changes f there).
TEST(SeparablePath, TileTouchingASpikeAtItsEndKeepsTheRow) {
  const Case c = spike_case("relu-spike", 1, 6, 0.9); // spikes of l1 radius 0.02 (h = 0.2)
  PackedNetwork<float> packed(c.network, eval_block::kSeparableWidth);
  const NetworkView<float> net = packed.view();
  const MeshView m = mesh_of({100003});
  float x = 0;
  index_t left = -1, right = -1; // first and last point where spike row 1 (x = 0.2) is active
  for (index_t i = 0; i < m.total; ++i) {
    mesh_point(m, i, &x);
    if (spike_activation(net, &x, 1) > 0.0f) {
      if (left < 0) left = i;
      right = i;
    }
  }
  ASSERT_GT(left, 600);
  ASSERT_LT(right, m.total - 600);
  mesh_point(m, left, &x);
  const float z_left = spike_activation(net, &x, 1);
  mesh_point(m, right, &x);
  const float z_right = spike_activation(net, &x, 1);
  EXPECT_LT(z_left, 1e-4f);
  EXPECT_LT(z_right, 1e-4f);
  // One tile ending at the first active point, one starting at the last.
  expect_pointwise<float>(c, m, {left - 300, left + 1});
  expect_pointwise<float>(c, m, {left - 511, left + 1});
  expect_pointwise<float>(c, m, {right, right + 400});
  const SepRun<float> r = expect_pointwise<float>(c, m, {right, right + 512});
  ASSERT_EQ(r.masks.size(), 1u);
  EXPECT_EQ(r.masks[0][0], 1u << 1); // exactly the touched row is active
}

TEST(SeparablePath, PreluAndSigmoidSpikesEqualForwardAndCpuAtEveryPoint) {
  // No skipping (a PReLU or sigmoid row is never an exact zero): every row active.
  for (const char* name : {"prelu-spike", "sigmoid-spike"}) {
    const Case c = spike_case(name, 2, 4, 1.6);
    const MeshView m = mesh_of({777, 21});
    const SepRun<float> r = expect_pointwise<float>(c, m, {100, m.total - 3});
    expect_pointwise<double>(c, m, {0, m.total});
    EXPECT_EQ(r.skipped_rows, 0) << name;
    if (std::string(name) == "prelu-spike") {
      EXPECT_GT(r.full_tiles, 0); // 32 rows on 2 segments: no room for prefixes
    }
    EXPECT_GT(r.prefixed_tiles, 0) << name; // tiles on one row
  }
  const Case c = spike_case("sigmoid-spike", 2, 3, 1.6); // 9 rows: prefixes fit
  const SepRun<double> r = expect_pointwise<double>(c, mesh_of({1500, 7}), {5, 1500 * 7});
  EXPECT_GT(r.prefixed_tiles, 0);
}

// ---- the whole kernel: statistics bit for bit as the generic path's ----------------------------

template <class T, int Width>
Accumulator emulate_truth(const Case& c, const TruthView& truth, const MeshView& m, IndexRange r,
                          int grid, eval_block::EmulationOrder o) {
  PackedNetwork<T> packed(c.network, Width);
  EvalView<T> v;
  v.net = packed.view();
  v.mesh = m;
  v.truth = truth;
  v.stats = default_stats_config(c);
  const int g = eval_block::grid_for_range(r.size(), grid);
  std::vector<Accumulator> parts(static_cast<std::size_t>(g));
  eval_block::emulate_eval_grid<T, Width>(v, r, g, parts.data(), o);
  Accumulator total;
  for (const Accumulator& p : parts)
    total.merge(p);
  return total;
}

template <class T, int Width>
Accumulator emulate(const Case& c, const MeshView& m, IndexRange r, int grid,
                    eval_block::EmulationOrder o) {
  return emulate_truth<T, Width>(c, truth_view(c), m, r, grid, o);
}

using testing::expect_same_bits;

TEST(SeparableKernel, StatisticsEqualTheGenericPathBitForBit) {
  using eval_block::EmulationOrder;
  struct Item {
    const char* name;
    int d, n;
    double b;
    std::vector<index_t> axes;
  };
  for (const Item& it : std::vector<Item>{{"relu-spike", 2, 4, 1.6, {301, 301}},
                                          {"relu-spike", 3, 4, 2.5, {97, 31, 23}},
                                          {"prelu-spike", 2, 4, 1.8, {203, 99}},
                                          {"sigmoid-spike", 2, 3, 1.6, {150, 111}}}) {
    const Case c = spike_case(it.name, it.d, it.n, it.b);
    const MeshView m = mesh_of(it.axes);
    const IndexRange r{123, m.total - 7};
    const Accumulator gen =
        emulate<float, eval_block::kWideWidth>(c, m, r, 5, EmulationOrder::Forward);
    const Accumulator sep =
        emulate<float, eval_block::kSeparableWidth>(c, m, r, 5, EmulationOrder::Forward);
    const Accumulator sep_rev =
        emulate<float, eval_block::kSeparableWidth>(c, m, r, 5, EmulationOrder::Reversed);
    SCOPED_TRACE(it.name);
    EXPECT_EQ(sep.scalar.points, static_cast<std::uint64_t>(r.size()));
    expect_same_bits(sep, gen);
    expect_same_bits(sep_rev, gen);
    const Accumulator gd =
        emulate<double, eval_block::kWideWidth>(c, m, r, 3, EmulationOrder::Forward);
    const Accumulator sd =
        emulate<double, eval_block::kSeparableWidth>(c, m, r, 3, EmulationOrder::Reversed);
    expect_same_bits(sd, gd);
  }
}

// The truth paths that need every coordinate of a lane's point (regression targets, a training
// set given as a list, tiles of more than 32 segments) and coarse or high-dimensional meshes:
// the whole kernel's statistics bit for bit as the generic path's, in both orders.
TEST(SeparableKernel, RegressionListTruthAndCoarseMeshesEqualTheGenericPath) {
  using eval_block::EmulationOrder;
  struct Item {
    int d, n;
    double b;
    Task task;
    Target target;
    bool list;
    std::vector<index_t> axes;
    double lo = 0.0, hi = 1.0; // a box past the training grid: the nearest position clamps
  };
  for (const Item& it : std::vector<Item>{
           {2, 4, 1.6, Task::Classify, Target::One, false, {701, 29}, -0.45, 1.3},
           {2, 4, 1.6, Task::Approximate, Target::Poly, false, {400, 9}, -0.2, 2.0},
           {3, 3, 2.6, Task::Classify, Target::One, true, {97, 5, 7}, -1.0, 1.5},
           {2, 4, 1.6, Task::Approximate, Target::Sin, false, {301, 53}},
           {2, 4, 1.6, Task::Approximate, Target::Gauss, false, {5, 400}}, // > 32 segments
           {3, 3, 2.5, Task::Approximate, Target::Poly, false, {37, 11, 9}},
           {2, 4, 1.7, Task::Classify, Target::One, true, {211, 37}},   // list truth
           {3, 3, 2.6, Task::Classify, Target::One, true, {3, 20, 9}},  // list, coarse
           {3, 3, 2.6, Task::Classify, Target::One, false, {3, 20, 9}}, // 171 segments
           {8, 2, 7.6, Task::Approximate, Target::Poly, false, {2, 3, 2, 3, 2, 2, 3, 2}},
           {10, 2, 9.6, Task::Classify, Target::One, false, {1, 2, 3, 2, 2, 2, 2, 2, 2, 3}},
           {10, 2, 9.3, Task::Classify, Target::One, true, {8, 3, 2, 2, 2, 2, 2, 2, 2, 2}}}) {
    CaseParams p;
    p.construction = "relu-spike";
    p.dim = it.d;
    p.train_per_axis = it.n;
    p.bias = it.b;
    p.task = it.task;
    p.target = it.target;
    const Case c = build_case(p);
    TruthView truth = truth_view(c);
    if (it.list) {
      ASSERT_EQ(c.training.x.size(), static_cast<std::size_t>(c.training.count() * it.d));
      truth.grid = false; // the same training points as a list: brute-force nearest point
      truth.x = c.training.x.data();
    }
    const MeshView m = mesh_of(it.axes, it.lo, it.hi);
    const IndexRange r{13, m.total - 5};
    SCOPED_TRACE(::testing::Message() << "d " << it.d << " axes[0] " << it.axes[0]);
    const Accumulator gen =
        emulate_truth<float, eval_block::kWideWidth>(c, truth, m, r, 3, EmulationOrder::Forward);
    const Accumulator sep = emulate_truth<float, eval_block::kSeparableWidth>(
        c, truth, m, r, 3, EmulationOrder::Forward);
    const Accumulator sep_rev = emulate_truth<float, eval_block::kSeparableWidth>(
        c, truth, m, r, 3, EmulationOrder::Reversed);
    EXPECT_EQ(sep.scalar.points, static_cast<std::uint64_t>(r.size()));
    expect_same_bits(sep, gen);
    expect_same_bits(sep_rev, gen);
    const Accumulator gd =
        emulate_truth<double, eval_block::kWideWidth>(c, truth, m, r, 2, EmulationOrder::Forward);
    const Accumulator sd = emulate_truth<double, eval_block::kSeparableWidth>(
        c, truth, m, r, 2, EmulationOrder::Reversed);
    expect_same_bits(sd, gd);
  }
}

// The emulated CUDA evaluator picks the separable path for C1 and agrees with the CPU backend on
// every count and extremum (sums are merged in other orders there).
TEST(SeparableKernel, EmulatedEvaluatorAgreesWithCpuBackend) {
  const Case c = spike_case("relu-spike", 2, 4, 1.7);
  const MeshView m = mesh_of({613, 419});
  const Problem p{&c, m, default_stats_config(c), Precision::Float};
  auto emu = make_emulated_cuda_evaluator(6);
  auto cpu = make_cpu_evaluator(1);
  emu->prepare(p);
  cpu->prepare(p);
  const Accumulator a = emu->evaluate({55, m.total});
  const Accumulator b = cpu->evaluate({55, m.total});
  EXPECT_EQ(a.scalar.points, b.scalar.points);
  EXPECT_EQ(a.scalar.spike_count, b.scalar.spike_count);
  EXPECT_GT(a.scalar.spike_count, 0u);
  EXPECT_EQ(a.scalar.correct_count, b.scalar.correct_count);
  EXPECT_EQ(a.scalar.f_min, b.scalar.f_min);
  EXPECT_EQ(a.scalar.f_max, b.scalar.f_max);
  EXPECT_EQ(a.scalar.max_abs_err, b.scalar.max_abs_err);
  for (int i = 0; i < kFBins; ++i)
    EXPECT_EQ(a.bins.f_counts[i], b.bins.f_counts[i]);
  for (int i = 0; i < kDistBins; ++i) {
    EXPECT_EQ(a.bins.dist_counts[i], b.bins.dist_counts[i]);
    EXPECT_EQ(a.bins.dist_err_max[i], b.bins.dist_err_max[i]);
  }
}

} // namespace
} // namespace spikemesh
