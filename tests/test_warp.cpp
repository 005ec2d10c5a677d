/// @file test_warp.cpp
/// @brief The host's lockstep warp emulator (math/warp.hpp) against the device's documented
/// rules, and the mesh kernel's per-warp statistics (math/eval_block.hpp) against plain
/// per-point loops: counts, maxima and bins exactly, warp error sums bit for bit against the
/// documented stride-halving pairwise order, results independent of the order in which blocks,
/// threads, warps and lanes run, and shared memory that starts as NaN garbage.
#include "spikemesh/constructions.hpp"
#include "spikemesh/evaluator.hpp"
#include "spikemesh/math/eval_block.hpp"
#include "spikemesh/math/warp.hpp"
#include "spikemesh/mesh_spec.hpp"

#include "support/accumulator_checks.hpp"
#include "support/random_network.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

namespace spikemesh {
namespace {

using Warp = HostWarp;
template <class T>
using L = Lanes<Warp, T>;

L<int> iota_lanes() {
  L<int> x;
  for (int l = 0; l < kWarpSize; ++l)
    x[l] = 100 + l;
  return x;
}

TEST(HostWarp, BallotCountsOnlyLanesOfTheMask) {
  const Warp w;
  L<bool> p;
  for (int l = 0; l < kWarpSize; ++l)
    p[l] = l % 3 == 0 || l == 31;
  unsigned expect = 0;
  for (int l = 0; l < kWarpSize; ++l)
    expect |= p[l] ? 1u << l : 0u;
  EXPECT_EQ(w.ballot(p), expect);
  EXPECT_EQ(w.ballot(p, 0x7fffffffu), expect & 0x7fffffffu); // lane 31 left out
  EXPECT_EQ(w.ballot(p, 0x0000ffffu), expect & 0xffffu);
  EXPECT_EQ(first_lane(0x00010100u), 8);
  EXPECT_EQ(first_lane(0x80000000u), 31);
  EXPECT_EQ(lane_count(0xf0f0f0f0u), 16);
  EXPECT_EQ(lane_count(kFullMask), 32);
}

TEST(HostWarp, MatchAnyGroupsEqualValuesWithinTheMask) {
  const Warp w;
  L<int> x;
  for (int l = 0; l < kWarpSize; ++l)
    x[l] = l % 4; // four groups: lanes l = g mod 4
  const L<unsigned> m = w.match_any(x);
  for (int l = 0; l < kWarpSize; ++l)
    EXPECT_EQ(m[l], 0x11111111u << (l % 4)) << "lane " << l;
  const L<unsigned> part = w.match_any(x, 0x0000ffffu);
  for (int l = 0; l < 16; ++l)
    EXPECT_EQ(part[l], (0x11111111u << (l % 4)) & 0xffffu);
  for (int l = 16; l < kWarpSize; ++l)
    EXPECT_EQ(part[l], warp_poison<unsigned>()); // undefined on the device
}

TEST(HostWarp, ShuffleReadsSourceLaneModulo32AndPoisonsOutsideTheMask) {
  const Warp w;
  const L<int> x = iota_lanes();
  const L<int> a = w.shfl(x, 5);
  const L<int> b = w.shfl(x, 37); // src mod 32
  for (int l = 0; l < kWarpSize; ++l) {
    EXPECT_EQ(a[l], 105);
    EXPECT_EQ(b[l], 105);
  }
  L<double> d;
  for (int l = 0; l < kWarpSize; ++l)
    d[l] = l;
  const L<double> c = w.shfl(d, 31, 0x7fffffffu); // source outside the mask
  for (int l = 0; l < kWarpSize; ++l)
    EXPECT_TRUE(std::isnan(c[l]));
  const L<double> e = w.shfl(d, 3, 0x7fffffffu); // reader 31 outside the mask
  EXPECT_EQ(e[0], 3.0);
  EXPECT_TRUE(std::isnan(e[31]));
}

TEST(HostWarp, XorShuffleReadsThePartnerLane) {
  const Warp w;
  const L<int> x = iota_lanes();
  for (int s : {1, 2, 4, 8, 16, 31}) {
    const L<int> r = w.shfl_xor(x, s);
    for (int l = 0; l < kWarpSize; ++l)
      EXPECT_EQ(r[l], 100 + (l ^ s));
  }
  const L<int> own = w.shfl_xor(x, 32); // partner past the warp: own value
  for (int l = 0; l < kWarpSize; ++l)
    EXPECT_EQ(own[l], 100 + l);
  L<double> d;
  for (int l = 0; l < kWarpSize; ++l)
    d[l] = l;
  const L<double> r = w.shfl_xor(d, 1, 0x7fffffffu);
  EXPECT_TRUE(std::isnan(r[30])); // partner 31 outside the mask
  EXPECT_TRUE(std::isnan(r[31]));
  EXPECT_EQ(r[28], 29.0);
}

TEST(HostWarp, ReduceMaxOverTheMask) {
  const Warp w;
  L<unsigned> x;
  for (int l = 0; l < kWarpSize; ++l)
    x[l] = l == 31 ? 1000u : static_cast<unsigned>(l * 7 % 32);
  const L<unsigned> all = w.reduce_max(x);
  const L<unsigned> part = w.reduce_max(x, 0x7fffffffu);
  for (int l = 0; l < 31; ++l) {
    EXPECT_EQ(all[l], 1000u);
    EXPECT_EQ(part[l], 31u); // 7 l mod 32 reaches 31 at l = 9
  }
  EXPECT_EQ(part[31], warp_poison<unsigned>());
}

TEST(HostWarp, EachVisitsEveryLaneOnceInEitherOrder) {
  for (bool rev : {false, true}) {
    Warp w;
    w.reversed = rev;
    std::vector<int> seen;
    w.each([&](int lane) { seen.push_back(lane); });
    ASSERT_EQ(seen.size(), 32u);
    for (int i = 0; i < kWarpSize; ++i)
      EXPECT_EQ(seen[static_cast<std::size_t>(i)], rev ? 31 - i : i);
  }
}

// ---- warp_bins against a plain loop ----------------------------------------------------------

/// The documented order of a warp's error sum for one bin: stride-halving pairwise sums of the
/// 32 lanes' values (lanes outside the bin contribute 0).
double pairwise(double v[kWarpSize]) {
  for (int s = kWarpSize / 2; s >= 1; s /= 2)
    for (int l = 0; l < s; ++l)
      v[l] = v[l] + v[l + s];
  return v[0];
}

struct StepInput {
  L<bool> ok, fzero;
  L<int> fbin, dbin;
  L<double> err;
};

/// Random steps: a few distinct bins per step (neighbouring points), lanes out of range or with
/// non-finite f, whole steps with f = 0; every lane (31 included) is live in some steps.
std::vector<StepInput> random_steps(std::uint64_t seed, int n, int zero_bin) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<StepInput> steps(static_cast<std::size_t>(n));
  for (StepInput& s : steps) {
    const bool zero_step = u(rng) < 0.3;
    const int fb0 = static_cast<int>(u(rng) * kFBins), db0 = static_cast<int>(u(rng) * 30);
    for (int l = 0; l < kWarpSize; ++l) {
      s.ok[l] = u(rng) > 0.1;
      const bool fz = zero_step || u(rng) < 0.2;
      s.fzero[l] = s.ok[l] && fz;
      s.fbin[l] = !s.ok[l] ? -1 : fz ? zero_bin : (fb0 + static_cast<int>(u(rng) * 3)) % kFBins;
      s.dbin[l] = !s.ok[l] ? -1 : db0 + static_cast<int>(u(rng) * 3);
      s.err[l] = !s.ok[l] ? 0.0 : std::ldexp(u(rng), -static_cast<int>(u(rng) * 40));
    }
  }
  return steps;
}

void clear_slot(eval_block::WarpBins& b) {
  std::memset(static_cast<void*>(&b), 0xff, sizeof b);
  eval_block::SharedBins s;
  std::memset(static_cast<void*>(&s), 0xff, sizeof s);
  for (int t = 0; t < eval_block::kThreads; ++t)
    eval_block::clear(s, t);
  b = s.warp[0];
}

TEST(WarpBins, EqualAPlainPerPointLoop) {
  const int zero_bin = BinScales(-1.0, 1.0, kFBins).scaled_bin(0.0);
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    const std::vector<StepInput> steps = random_steps(seed, 400, zero_bin);
    for (bool rev : {false, true}) {
      Warp w;
      w.reversed = rev;
      eval_block::WarpBins slot;
      clear_slot(slot);
      for (const StepInput& s : steps)
        eval_block::warp_bins(w, s.ok, s.fzero, s.fbin, s.dbin, s.err, zero_bin, slot);
      // The plain loop: every live lane of every step, one at a time.
      std::uint64_t f_counts[kFBins] = {}, d_counts[kDistBins] = {};
      double d_max[kDistBins] = {};
      CompensatedSum d_sum[kDistBins];
      long double d_seq[kDistBins] = {}, d_abs[kDistBins] = {};
      for (const StepInput& s : steps) {
        bool present[kDistBins] = {};
        for (int l = 0; l < kWarpSize; ++l) {
          if (!s.ok[l]) continue;
          ++f_counts[s.fbin[l]];
          ++d_counts[s.dbin[l]];
          d_max[s.dbin[l]] = std::max(d_max[s.dbin[l]], s.err[l]);
          d_seq[s.dbin[l]] += s.err[l];
          d_abs[s.dbin[l]] += s.err[l];
          present[s.dbin[l]] = true;
        }
        for (int b = 0; b < kDistBins; ++b) {
          if (!present[b]) continue;
          double v[kWarpSize];
          for (int l = 0; l < kWarpSize; ++l)
            v[l] = s.ok[l] && s.dbin[l] == b ? s.err[l] : 0.0;
          d_sum[b].add(pairwise(v));
        }
      }
      std::uint64_t total = 0;
      for (int b = 0; b < kFBins; ++b) {
        EXPECT_EQ(slot.f_counts[b], f_counts[b]) << "f bin " << b;
        total += slot.f_counts[b];
      }
      EXPECT_GT(total, 0u);
      for (int b = 0; b < kDistBins; ++b) {
        EXPECT_EQ(slot.dist_counts[b], d_counts[b]) << "dist bin " << b;
        EXPECT_EQ(slot.dist_max[b], d_max[b]);
        EXPECT_EQ(slot.dist_sums[b].sum, d_sum[b].sum); // bit for bit: the documented order
        EXPECT_EQ(slot.dist_sums[b].comp, d_sum[b].comp);
        // And close to the exact sum: each pairwise step (5 levels) rounds once per level, the
        // compensated accumulation adds O(u^2): |error| <= 6 u sum|e|.
        EXPECT_LE(std::fabs(static_cast<long double>(slot.dist_sums[b].value()) - d_seq[b]),
                  6 * 1.12e-16L * d_abs[b]);
      }
    }
  }
}

TEST(WarpBins, EveryLaneCountsInBothPaths) {
  const int zero_bin = BinScales(-1.0, 1.0, kFBins).scaled_bin(0.0);
  for (bool zero : {true, false}) {
    StepInput s;
    for (int l = 0; l < kWarpSize; ++l) {
      s.ok[l] = true;
      s.fzero[l] = zero;
      s.fbin[l] = zero ? zero_bin : l % 5;
      s.dbin[l] = l % 7;
      s.err[l] = 1.0 + l;
    }
    eval_block::WarpBins slot;
    clear_slot(slot);
    eval_block::warp_bins(Warp{}, s.ok, s.fzero, s.fbin, s.dbin, s.err, zero_bin, slot);
    std::uint64_t n = 0, d = 0;
    for (int b = 0; b < kFBins; ++b)
      n += slot.f_counts[b];
    for (int b = 0; b < kDistBins; ++b)
      d += slot.dist_counts[b];
    EXPECT_EQ(n, 32u);
    EXPECT_EQ(d, 32u);
    EXPECT_EQ(slot.dist_max[6], 1.0 + 27); // lanes 6, 13, 20, 27
    EXPECT_EQ(slot.dist_sums[6].value(), 7.0 + 14 + 21 + 28);
  }
}

TEST(WarpBins, MaximumResolvesTheLowWord) {
  // Errors that differ only in their low 32 bits: the high-word maximum alone cannot tell them.
  StepInput s;
  for (int l = 0; l < kWarpSize; ++l) {
    s.ok[l] = true;
    s.fzero[l] = false;
    s.fbin[l] = 3;
    s.dbin[l] = 5;
    s.err[l] = 1.0 + std::ldexp(static_cast<double>((l * 13) % 32), -50);
  }
  eval_block::WarpBins slot;
  clear_slot(slot);
  eval_block::warp_bins(Warp{}, s.ok, s.fzero, s.fbin, s.dbin, s.err, 0, slot);
  EXPECT_EQ(slot.dist_max[5], 1.0 + std::ldexp(31.0, -50));
  EXPECT_EQ(slot.f_counts[3], 32u);
}

TEST(WarpBins, FlushMovesTheCountersIntoTheTotals) {
  // The same random steps as above with flush_counts() every `period` steps: totals plus
  // 32-bit rest equal the plain counts, the rest holds at most `period` steps' counts, and the
  // other slots are as without flushes, bit for bit.
  const int zero_bin = BinScales(-1.0, 1.0, kFBins).scaled_bin(0.0);
  const std::vector<StepInput> steps = random_steps(11, 300, zero_bin);
  eval_block::WarpBins plain;
  clear_slot(plain);
  for (const StepInput& s : steps)
    eval_block::warp_bins(Warp{}, s.ok, s.fzero, s.fbin, s.dbin, s.err, zero_bin, plain);
  for (int period : {1, 2, 7}) {
    for (bool rev : {false, true}) {
      Warp w;
      w.reversed = rev;
      eval_block::WarpBins slot;
      clear_slot(slot);
      int n = 0;
      for (const StepInput& s : steps) {
        eval_block::warp_bins(w, s.ok, s.fzero, s.fbin, s.dbin, s.err, zero_bin, slot);
        if (++n % period == 0) eval_block::flush_counts(w, slot);
      }
      std::uint64_t flushed = 0;
      for (int b = 0; b < kFBins; ++b) {
        EXPECT_EQ(slot.f_total[b] + slot.f_counts[b], plain.f_counts[b]) << "f bin " << b;
        EXPECT_LE(slot.f_counts[b], static_cast<unsigned>(period * kWarpSize));
        flushed += slot.f_total[b];
      }
      EXPECT_GT(flushed, 0u);
      for (int b = 0; b < kDistBins; ++b) {
        EXPECT_EQ(slot.dist_total[b] + slot.dist_counts[b], plain.dist_counts[b]);
        EXPECT_LE(slot.dist_counts[b], static_cast<unsigned>(period * kWarpSize));
        EXPECT_EQ(slot.dist_max[b], plain.dist_max[b]);
        EXPECT_EQ(slot.dist_sums[b].sum, plain.dist_sums[b].sum);
        EXPECT_EQ(slot.dist_sums[b].comp, plain.dist_sums[b].comp);
      }
    }
  }
  // No flush: the totals stay zero (plain's were cleared and never flushed).
  for (int b = 0; b < kFBins; ++b)
    EXPECT_EQ(plain.f_total[b], 0u);
}

TEST(WarpBins, FlushPeriodBoundsThe32BitCounters) {
  // The bound the counters' width rests on: a tile adds at most kTilePoints to a counter, so
  // kFlushTiles tiles fit in 32 bits, and one more full tile would not.
  EXPECT_LE(static_cast<std::uint64_t>(eval_block::kFlushTiles) * eval_block::kTilePoints,
            std::uint64_t{0xffffffffu});
  EXPECT_GT(static_cast<std::uint64_t>(eval_block::kFlushTiles + 1) * eval_block::kTilePoints,
            std::uint64_t{0xffffffffu});
}

// ---- the lane cursor ---------------------------------------------------------------------------

TEST(LaneCursor, StepsOf32EqualMeshPoint) {
  for (const std::vector<index_t>& axes :
       std::vector<std::vector<index_t>>{{1001, 7}, {5, 3, 4}, {1, 40, 2}, {32, 32}, {33, 2, 3}}) {
    MeshSpec spec;
    spec.dim = static_cast<int>(axes.size());
    spec.points_per_axis = axes;
    const MeshView m = make_mesh_view(spec);
    for (index_t start : {index_t(0), index_t(3), index_t(31), m.total / 2}) {
      eval_block::LaneCursor<float> c;
      c.start(m, start);
      float x[kMaxDim];
      for (index_t i = start; i < m.total; i += kWarpSize) {
        mesh_point(m, i, x);
        for (int a = 0; a < m.dim; ++a)
          ASSERT_EQ(c.x[a], x[a]) << "index " << i << " axis " << a;
        c.advance(m);
      }
    }
  }
}

// ---- the whole block emulation against a plain per-point loop ----------------------------------

template <class T>
struct Problem1 {
  Problem1(const Case& c, const MeshView& m) : packed(c.network, eval_block::kNarrowWidth) {
    EXPECT_LE(packed.buffer_width(), eval_block::kNarrowWidth);
    v.net = packed.view();
    v.mesh = m;
    v.truth = truth_view(c);
    v.stats = default_stats_config(c);
  }
  PackedNetwork<T> packed;
  EvalView<T> v;
};

template <class T>
Accumulator emulate(const EvalView<T>& v, IndexRange r, int grid, eval_block::EmulationOrder o,
                    int flush_tiles = eval_block::kFlushTiles) {
  const int g = eval_block::grid_for_range(r.size(), grid);
  std::vector<Accumulator> parts(static_cast<std::size_t>(g));
  eval_block::emulate_eval_grid<T, eval_block::kNarrowWidth>(v, r, g, parts.data(), o, flush_tiles);
  Accumulator total;
  for (const Accumulator& p : parts)
    total.merge(p);
  return total;
}

using testing::expect_same_bits;

template <class T>
void expect_plain_loop(const Case& c, const MeshView& m, IndexRange r, int grid) {
  Problem1<T> p(c, m);
  const Accumulator a = emulate(p.v, r, grid, eval_block::EmulationOrder::Forward);
  // Forward and reversed order (blocks, threads, warps, lanes): identical bits; and so with the
  // warps' 32-bit counters flushed after every tile or every second tile.
  expect_same_bits(a, emulate(p.v, r, grid, eval_block::EmulationOrder::Reversed));
  expect_same_bits(a, emulate(p.v, r, grid, eval_block::EmulationOrder::Reversed, 1));
  expect_same_bits(a, emulate(p.v, r, grid, eval_block::EmulationOrder::Forward, 2));
  // The plain loop: mesh_point, forward, sample, BinStats with the same scales.
  Accumulator ref;
  const HistScales h(p.v.stats);
  std::vector<T> x(static_cast<std::size_t>(m.dim)), ba(256), bb(256);
  long double abs_err = 0;
  for (index_t i = r.begin; i < r.end; ++i) {
    mesh_point(m, i, x.data());
    const PointSample s =
        sample_at(p.v, x.data(), forward(p.v.net, x.data(), ba.data(), bb.data()));
    ref.scalar.add(s, p.v.stats.tau);
    ref.bins.add(s, h);
    abs_err += std::isfinite(s.f) ? std::fabs(s.f - s.truth) : 0.0;
  }
  EXPECT_EQ(a.scalar.points, static_cast<std::uint64_t>(r.size()));
  EXPECT_EQ(a.scalar.points, ref.scalar.points);
  EXPECT_EQ(a.scalar.spike_count, ref.scalar.spike_count);
  EXPECT_EQ(a.scalar.nonfinite_count, ref.scalar.nonfinite_count);
  EXPECT_EQ(a.scalar.correct_count, ref.scalar.correct_count);
  EXPECT_EQ(a.scalar.undecided_count, ref.scalar.undecided_count);
  EXPECT_EQ(a.scalar.f_min, ref.scalar.f_min);
  EXPECT_EQ(a.scalar.f_max, ref.scalar.f_max);
  EXPECT_EQ(a.scalar.max_abs_err, ref.scalar.max_abs_err);
  // Sums in another order: each within a few units of roundoff of sum |e| (compensated
  // accumulations of plain partial sums of <= 32 terms: |error| <= 40 u sum|e| each).
  const double u40 = 40 * 1.12e-16;
  EXPECT_NEAR(a.scalar.sum_abs_err.value(), ref.scalar.sum_abs_err.value(),
              2 * u40 * static_cast<double>(abs_err));
  for (int b = 0; b < kFBins; ++b)
    EXPECT_EQ(a.bins.f_counts[b], ref.bins.f_counts[b]) << "f bin " << b;
  for (int b = 0; b < kDistBins; ++b) {
    EXPECT_EQ(a.bins.dist_counts[b], ref.bins.dist_counts[b]) << "dist bin " << b;
    EXPECT_EQ(a.bins.dist_err_max[b], ref.bins.dist_err_max[b]) << "dist bin " << b;
    const double sum = ref.bins.dist_err_sum[b].value(); // of errors >= 0: sum |e|
    EXPECT_NEAR(a.bins.dist_err_sum[b].value(), sum, 2 * u40 * sum);
  }
}

MeshView mesh_of(std::vector<index_t> axes) {
  MeshSpec s;
  s.dim = static_cast<int>(axes.size());
  s.points_per_axis = std::move(axes);
  return make_mesh_view(s);
}

TEST(WarpEmulation, SpikeCaseEqualsPlainLoop) {
  CaseParams cp;
  cp.bias = 1.6;
  const Case c = build_case(cp);
  const MeshView m = mesh_of({301, 301});
  expect_plain_loop<float>(c, m, {0, m.total}, 7);
  expect_plain_loop<double>(c, m, {0, m.total}, 7);
  expect_plain_loop<float>(c, m, {777, 777 + 3 * 2048 + 45}, 2); // ragged, several rounds
}

TEST(WarpEmulation, SmallAxesAndRandomNetworkEqualPlainLoop) {
  Case c = build_case(CaseParams{});
  const MeshView m = mesh_of({5, 200}); // axis 0 shorter than a warp: lanes span rows
  expect_plain_loop<float>(c, m, {3, m.total}, 3);
  c.network = testing::random_network(7, 2, {16, 16}, Activation::Tanh);
  expect_plain_loop<double>(c, mesh_of({97, 101}), {0, 97 * 101}, 5);
}

TEST(WarpEmulation, FlushRunsEveryPeriodOfTiles) {
  // One warp walks its tiles (warp 0 of a 1-block grid: tiles 0, 4, 8, ...) from NaN-filled
  // shared memory with flush periods 1, 2 and 5 tiles. After warp_tiles the 32-bit counters
  // hold the unflushed tiles only (at most period * kTilePoints, the bound of kFlushTiles), the
  // totals the rest, and their sums equal the run without a flush (whose totals stay 0).
  CaseParams cp;
  cp.bias = 1.6;
  const Case c = build_case(cp);
  const MeshView m = mesh_of({301, 301});
  Problem1<float> p(c, m);
  const IndexRange r{0, 41 * eval_block::kTilePoints + 77}; // warp 0: 11 full tiles 0, 4, .., 40
  const auto walk = [&](int period, eval_block::SharedBins& s) {
    std::memset(static_cast<void*>(&s), 0xff, sizeof s);
    for (int t = 0; t < eval_block::kThreads; ++t)
      eval_block::clear(s, t);
    L<ScalarStats> stats;
    eval_block::warp_tiles<float, eval_block::kNarrowWidth>(Warp{}, p.v, r, 0, 1, 0, s.warp[0],
                                                            stats, period);
    return s.warp[0];
  };
  const auto none = std::make_unique<eval_block::SharedBins>();
  const eval_block::WarpBins& whole = walk(eval_block::kFlushTiles, *none);
  std::uint64_t points = 0;
  for (int b = 0; b < kFBins; ++b) {
    EXPECT_EQ(whole.f_total[b], 0u);
    points += whole.f_counts[b];
  }
  EXPECT_EQ(points, 11u * eval_block::kTilePoints);
  for (int period : {1, 2, 5}) {
    const auto s = std::make_unique<eval_block::SharedBins>();
    const eval_block::WarpBins& slot = walk(period, *s);
    const unsigned bound = static_cast<unsigned>(period * eval_block::kTilePoints);
    // 11 tiles: the rest is 11 mod period tiles' counts (0 for period 1).
    const unsigned rest_tiles = static_cast<unsigned>(11 % period);
    std::uint64_t rest = 0, flushed = 0;
    for (int b = 0; b < kFBins; ++b) {
      EXPECT_EQ(slot.f_total[b] + slot.f_counts[b], whole.f_counts[b]) << "f bin " << b;
      EXPECT_LE(slot.f_counts[b], bound);
      rest += slot.f_counts[b];
      flushed += slot.f_total[b];
    }
    EXPECT_EQ(rest, rest_tiles * eval_block::kTilePoints) << "period " << period;
    EXPECT_EQ(flushed + rest, points);
    for (int b = 0; b < kDistBins; ++b) {
      EXPECT_EQ(slot.dist_total[b] + slot.dist_counts[b], whole.dist_counts[b]);
      EXPECT_LE(slot.dist_counts[b], bound);
    }
    // The zero-f fast path fills one bin with up to a whole tile per tile: the bound is tight.
    unsigned top = 0;
    for (int b = 0; b < kFBins; ++b)
      top = std::max(top, slot.f_counts[b]);
    if (rest_tiles > 0) {
      EXPECT_GT(top, (rest_tiles - 1) * eval_block::kTilePoints);
    }
  }
}

} // namespace
} // namespace spikemesh
