/// @file test_generic_narrow.cpp
/// @brief The generic mesh kernel's narrow path (eval_mesh_kernel<T, kNarrowWidth>, networks
/// that are neither separable nor dense-eligible, buffers <= 32 wide), whose lanes keep their
/// cursors and layer buffers in the block's dynamic shared memory (math/narrow_lanes.hpp): every
/// lane's f, truth and distance against mesh_point() and forward() in arrays of its own, bit
/// for bit, with all lanes of a block in one NaN-filled storage (a read before a write, or two
/// lanes' rows overlapping, shows); the layout free of bank conflicts for float and double; and
/// the emulated grid in both orders against the CPU backend (counts, extrema and histograms
/// exactly, sums within their rounding bound) on random sparse networks of mixed activations,
/// depth 3 to 5, in dimensions 1, 3 and 7 with mesh axes shorter than a warp.
#include "spikemesh/constructions.hpp"
#include "spikemesh/evaluator.hpp"
#include "spikemesh/math/dense_block.hpp"
#include "spikemesh/math/eval_block.hpp"
#include "spikemesh/math/narrow_lanes.hpp"
#include "spikemesh/math/warp.hpp"
#include "spikemesh/mesh_spec.hpp"

#include "eval_kernel.hpp"
#include "support/accumulator_checks.hpp"
#include "support/emulated_grid.hpp"
#include "support/spike_cases.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace spikemesh {
namespace {

using test::mesh_of;

/// A random network of @p depth hidden layers on @p dim inputs, each 2 to 32 wide (one of them
/// exactly 32 for odd seeds), activations drawn from ReLU, PReLU (slope 0.25 or -0.3), sigmoid,
/// tanh, softplus and identity, weights ~ U(-1, 1) * 4/sqrt(in); every second hidden layer
/// sparse (about half its weights zero), the others dense, so the network is neither separable
/// nor dense-eligible and the generic kernel's narrow path runs it.
Network narrow_network(std::uint64_t seed, int dim, int depth) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::uniform_int_distribution<int> width(2, 32);
  const Activation acts[] = {Activation::ReLU,     Activation::PReLU, Activation::Sigmoid,
                             Activation::Tanh,     Activation::PReLU, Activation::Softplus,
                             Activation::Identity, Activation::ReLU};
  Network net;
  net.in_dim = dim;
  int prev = dim;
  const int full = seed % 2 == 1 ? static_cast<int>(seed % static_cast<std::uint64_t>(depth)) : -1;
  for (int l = 0; l <= depth; ++l) {
    const bool output = l == depth;
    const int out = output ? 1 : l == full ? 32 : width(rng);
    const Activation act = output ? Activation::Identity : acts[(seed + 3 * l) % 8];
    const double alpha = (seed + l) % 2 == 0 ? 0.25 : -0.3;
    Layer L = Layer::dense(prev, out, act, act == Activation::PReLU ? alpha : 0.0);
    const bool sparse = !output && l % 2 == 0;
    for (double& w : L.weight) {
      const double x = u(rng);
      w = sparse && std::fabs(x) < 0.5 ? 0.0 : 4.0 * u(rng) / std::sqrt(static_cast<double>(prev));
    }
    for (double& b : L.bias)
      b = 0.5 * u(rng);
    if (sparse) L = Layer::to_sparse(L);
    net.layers.push_back(std::move(L));
    prev = out;
  }
  return net;
}

/// A case on [0,1]^dim (n training points per axis, random labels) with @p net as its network.
Case narrow_case(const Network& net, int dim, int n) {
  CaseParams p;
  p.dim = dim;
  p.train_per_axis = n;
  Case c = build_case(p);
  c.network = net;
  return c;
}

template <class T>
struct Packed : test::PackedProblem<T> {
  Packed(const Case& c, const MeshView& m)
      : test::PackedProblem<T>(c, m, eval_block::kNarrowWidth) {}
};

/// The mesh of each dimension the tests use: axes shorter than a warp (lanes of one step span
/// several rows), one long axis, and a high-dimensional one.
std::vector<MeshView> meshes_of_dim(int dim) {
  if (dim == 1) return {mesh_of({1000}), mesh_of({13})};
  if (dim == 3) return {mesh_of({7, 5, 9}), mesh_of({40, 3, 6})};
  return {mesh_of({3, 2, 4, 3, 2, 3, 5})};
}

struct Params {
  std::uint64_t seed;
  int dim, depth, n;
};
const Params kParams[] = {{1, 1, 3, 4}, {2, 1, 5, 3}, {3, 3, 4, 3}, {4, 3, 3, 2},
                          {5, 3, 5, 2}, {6, 7, 3, 2}, {7, 7, 4, 2}};

TEST(NarrowPath, RandomSparseNetworksTakeIt) {
  for (const Params& q : kParams) {
    const Case c = narrow_case(narrow_network(q.seed, q.dim, q.depth), q.dim, q.n);
    SCOPED_TRACE("seed " + std::to_string(q.seed));
    EXPECT_EQ(eval_kernel_width<float>(c.network), eval_block::kNarrowWidth);
    EXPECT_EQ(eval_kernel_width<double>(c.network), eval_block::kNarrowWidth);
    const PackedNetwork<float> p(c.network, eval_block::kNarrowWidth);
    EXPECT_EQ(dense_block::rows_for(p.view()), 0); // not the fused dense kernel
    EXPECT_LE(p.buffer_width(), eval_block::kNarrowWidth);
    if (q.seed % 2 == 1) {
      EXPECT_EQ(p.buffer_width(), eval_block::kNarrowWidth); // a layer 32 wide
    }
  }
}

/// Bits of a double (f, truth and distance compare as bits: -0 and NaN included).
std::uint64_t bits(double x) {
  std::uint64_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}

/// Every warp of a block walks one tile of 32 x steps points from @p first (warp w from first +
/// w * 32 * steps) through narrow::start_tile / sample / advance in one NaN-filled storage of
/// the block, lanes in @p reversed order; each lane's sample must equal mesh_point(), forward()
/// and sample_at() on arrays of its own, bit for bit, at every point in range.
template <class T>
void expect_lanes_equal_forward(const Case& c, const MeshView& m, index_t first, int steps,
                                bool reversed) {
  Packed<T> p(c, m);
  const std::size_t bytes = eval_block::dynamic_smem_bytes(p.v, eval_block::kNarrowWidth);
  std::vector<double> storage((bytes + 7) / 8);
  std::memset(static_cast<void*>(storage.data()), 0xff, bytes);
  HostWarp w;
  w.reversed = reversed;
  std::vector<T> x(static_cast<std::size_t>(m.dim)), ba(eval_block::kNarrowWidth),
      bb(eval_block::kNarrowWidth);
  std::vector<narrow::WarpLanes<T>> warps;
  for (int wp = 0; wp < eval_block::kWarps; ++wp) {
    warps.push_back(narrow::warp_lanes<T>(storage.data(), eval_block::kThreads, m.dim,
                                          p.v.net.buffer_width, wp));
    narrow::start_tile(w, m, warps.back(), first + index_t(wp) * kWarpSize * steps);
  }
  int checked = 0;
  for (int j = 0; j < steps; ++j) {
    for (int wp = 0; wp < eval_block::kWarps; ++wp) { // all warps interleaved, step by step
      const index_t base = first + (index_t(wp) * steps + j) * kWarpSize;
      HostWarp::Lanes<PointSample> got;
      w.each([&](int lane) {
        if (base + lane < m.total) got[lane] = narrow::sample(p.v, warps[wp], lane);
        narrow::advance(m, warps[wp], lane);
      });
      for (int lane = 0; lane < kWarpSize; ++lane) {
        const index_t i = base + lane;
        if (i >= m.total) continue;
        mesh_point(m, i, x.data());
        const PointSample want =
            sample_at(p.v, x.data(), forward(p.v.net, x.data(), ba.data(), bb.data()));
        ASSERT_EQ(bits(got[lane].f), bits(want.f)) << "warp " << wp << " lane " << lane << " index "
                                                   << i << ": " << got[lane].f << " " << want.f;
        ASSERT_EQ(bits(got[lane].truth), bits(want.truth)) << "index " << i;
        ASSERT_EQ(bits(got[lane].distance), bits(want.distance)) << "index " << i;
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 0);
}

TEST(NarrowPath, EveryLaneEqualsForwardBitForBitInSharedStorage) {
  for (const Params& q : kParams) {
    const Case c = narrow_case(narrow_network(q.seed, q.dim, q.depth), q.dim, q.n);
    for (const MeshView& m : meshes_of_dim(q.dim)) {
      SCOPED_TRACE("seed " + std::to_string(q.seed) + " points " + std::to_string(m.total));
      for (bool rev : {false, true}) {
        expect_lanes_equal_forward<float>(c, m, 0, 5, rev);
        expect_lanes_equal_forward<double>(c, m, 0, 5, rev);
        expect_lanes_equal_forward<float>(c, m, m.total / 3 + 1, 3, rev); // mid-row start
      }
    }
  }
}

TEST(NarrowPath, LaneRowsAreDisjointAndFreeOfBankConflicts) {
  // Lane l's row (x, buf_a, buf_b) lies at element offset l * pitch of its warp's rows: for
  // every element e that the lanes touch at once, their float words must fall in 32 distinct
  // banks, and their double words (served per half warp: 16 bank pairs) in 16 distinct pairs.
  // The 64-bit cursor positions: lane l, axis a at word a * kThreads + l (distinct pairs too).
  for (int dim = 1; dim <= kMaxDim; ++dim)
    for (int width = 1; width <= eval_block::kNarrowWidth; ++width) {
      const int pitch = narrow::lane_pitch(dim, width);
      ASSERT_GE(pitch, dim + 2 * width);
      const auto check = [&](auto zero, int banks, int group) {
        using T = decltype(zero);
        std::vector<double> storage(narrow::block_bytes<T>(eval_block::kThreads, dim, width) / 8);
        const auto* base = reinterpret_cast<const unsigned char*>(storage.data());
        for (int wp = 0; wp < eval_block::kWarps; ++wp) {
          const narrow::WarpLanes<T> s =
              narrow::warp_lanes<T>(storage.data(), eval_block::kThreads, dim, width, wp);
          for (int e = 0; e < dim + 2 * width; ++e)
            for (int g = 0; g < kWarpSize; g += group) {
              std::set<long> seen;
              for (int lane = g; lane < g + group; ++lane) {
                const T* at = s.x(lane) + e;
                const long off = reinterpret_cast<const unsigned char*>(at) - base;
                ASSERT_GE(off, 0);
                ASSERT_LT(off + static_cast<long>(sizeof(T)),
                          static_cast<long>(storage.size() * 8) + 1);
                seen.insert(off / static_cast<long>(sizeof(T)) % banks);
              }
              ASSERT_EQ(static_cast<int>(seen.size()), group)
                  << "dim " << dim << " width " << width << " element " << e << " lanes " << g;
            }
          // buf_a and buf_b of a lane follow its coordinates, inside its row.
          EXPECT_EQ(s.buf_a(0), s.x(0) + dim);
          EXPECT_EQ(s.buf_b(0), s.x(0) + dim + width);
          EXPECT_LE(s.buf_b(0) + width, s.x(1));
          const narrow::WarpLanes<T> s0 =
              narrow::warp_lanes<T>(storage.data(), eval_block::kThreads, dim, width, 0);
          EXPECT_EQ(s.x(0), s0.x(wp * kWarpSize)); // warps' rows follow each other
          // Cursor positions: axis a of lane l, in words after the block's positions of axis
          // a - 1, below the rows.
          const SharedCursor<T> cur = s.cursor(5);
          EXPECT_EQ(&cur.k[1] - &cur.k[0], eval_block::kThreads);
          EXPECT_LE(reinterpret_cast<const unsigned char*>(&s.cursor(31).k[dim - 1] + 1),
                    reinterpret_cast<const unsigned char*>(s0.x(0)));
        }
      };
      check(float{}, 32, 32);
      check(double{}, 16, 16);
    }
}

/// The emulated grid of the narrow kernel over @p r (at most @p grid blocks, @p order).
template <class T>
Accumulator emulate(const EvalView<T>& v, IndexRange r, int grid, eval_block::EmulationOrder o) {
  return test::emulated_grid<eval_block::kNarrowWidth>(v, r, grid, o);
}

/// The emulated grid in both orders (identical bits) against the CPU backend: every count,
/// extremum and histogram count exactly (f equals the CPU backend's bit for bit at every point,
/// so these cannot differ); the error sums, merged in other orders, within their bound: each
/// is a compensated sum of plain partial sums of at most kSteps terms combined pairwise over at
/// most 32 lanes, within (kSteps + 6) u sum|e| <= 40 u sum|e| of the exact sum, as is the CPU's.
template <class T>
void expect_cpu_parity(const Case& c, const MeshView& m, IndexRange r, int grid) {
  Packed<T> p(c, m);
  // The f histogram over the range f takes on the mesh (from a plain forward() loop), so that
  // the points spread over many of its bins.
  std::vector<T> x(static_cast<std::size_t>(m.dim)), ba(eval_block::kNarrowWidth),
      bb(eval_block::kNarrowWidth);
  double lo = INFINITY, hi = -INFINITY;
  for (index_t i = r.begin; i < r.end; ++i) {
    mesh_point(m, i, x.data());
    const double f = forward(p.v.net, x.data(), ba.data(), bb.data());
    lo = std::fmin(lo, f);
    hi = std::fmax(hi, f);
  }
  p.v.stats.f_lo = lo - 0.01 * (hi - lo);
  p.v.stats.f_hi = hi + 0.01 * (hi - lo);
  const Accumulator a = emulate(p.v, r, grid, eval_block::EmulationOrder::Forward);
  testing::expect_same_bits(a, emulate(p.v, r, grid, eval_block::EmulationOrder::Reversed),
                            "reversed order");
  auto cpu = make_cpu_evaluator(1);
  cpu->prepare(
      Problem{&c, m, p.v.stats, std::is_same_v<T, float> ? Precision::Float : Precision::Double});
  const Accumulator b = cpu->evaluate(r);
  EXPECT_EQ(a.scalar.points, static_cast<std::uint64_t>(r.size()));
  EXPECT_EQ(a.scalar.points, b.scalar.points);
  EXPECT_EQ(a.scalar.spike_count, b.scalar.spike_count);
  EXPECT_EQ(a.scalar.nonfinite_count, b.scalar.nonfinite_count);
  EXPECT_EQ(a.scalar.correct_count, b.scalar.correct_count);
  EXPECT_EQ(a.scalar.undecided_count, b.scalar.undecided_count);
  EXPECT_EQ(bits(a.scalar.f_min), bits(b.scalar.f_min));
  EXPECT_EQ(bits(a.scalar.f_max), bits(b.scalar.f_max));
  EXPECT_EQ(bits(a.scalar.max_abs_err), bits(b.scalar.max_abs_err));
  const double u40 = 40 * 1.12e-16;
  const double abs_err = b.scalar.sum_abs_err.value(); // errors >= 0: sum |e|
  EXPECT_NEAR(a.scalar.sum_abs_err.value(), abs_err, 2 * u40 * abs_err);
  for (int i = 0; i < kFBins; ++i)
    EXPECT_EQ(a.bins.f_counts[i], b.bins.f_counts[i]) << "f bin " << i;
  for (int i = 0; i < kDistBins; ++i) {
    EXPECT_EQ(a.bins.dist_counts[i], b.bins.dist_counts[i]) << "dist bin " << i;
    EXPECT_EQ(bits(a.bins.dist_err_max[i]), bits(b.bins.dist_err_max[i])) << "dist bin " << i;
    const double sum = b.bins.dist_err_sum[i].value();
    EXPECT_NEAR(a.bins.dist_err_sum[i].value(), sum, 2 * u40 * sum) << "dist bin " << i;
  }
  // The data is not trivial: f takes several values, several f bins are used.
  EXPECT_LT(a.scalar.f_min, a.scalar.f_max);
  int used = 0;
  for (int i = 0; i < kFBins; ++i)
    used += a.bins.f_counts[i] != 0 ? 1 : 0;
  EXPECT_GT(used, std::min<int>(kFBins / 2, static_cast<int>(r.size() / 8)));
}

TEST(NarrowKernel, EmulatedGridEqualsCpuBackendInBothOrders) {
  for (const Params& q : kParams) {
    const Case c = narrow_case(narrow_network(q.seed, q.dim, q.depth), q.dim, q.n);
    for (const MeshView& m : meshes_of_dim(q.dim)) {
      SCOPED_TRACE("seed " + std::to_string(q.seed) + " points " + std::to_string(m.total));
      expect_cpu_parity<float>(c, m, {0, m.total}, 3);
      expect_cpu_parity<double>(c, m, {0, m.total}, 2);
      if (m.total > 100) expect_cpu_parity<float>(c, m, {m.total / 4 + 3, m.total - 7}, 5);
    }
  }
}

TEST(NarrowKernel, ApproximationTargetsAndLongRangesEqualCpuBackend) {
  // Regression targets (truth from g(x) at the lane's coordinates) over several block rounds
  // of a 2-d mesh whose axis 0 is not a multiple of 32; a 5-deep network.
  CaseParams cp;
  cp.task = Task::Approximate;
  for (Target g : {Target::Sin, Target::Gauss}) {
    cp.target = g;
    Case c = build_case(cp);
    c.network = narrow_network(8, 2, 5);
    ASSERT_EQ(eval_kernel_width<float>(c.network), eval_block::kNarrowWidth);
    const MeshView m = mesh_of({77, 131});
    expect_cpu_parity<float>(c, m, {0, m.total}, 2);
    expect_cpu_parity<double>(c, m, {100, m.total - 1}, 3);
  }
}

} // namespace
} // namespace spikemesh
