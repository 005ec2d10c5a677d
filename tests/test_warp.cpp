/// @file test_warp.cpp
/// @brief The host's lockstep warp emulator (math/warp.hpp) against the device's documented
/// rules, and the mesh kernel's per-warp statistics (math/eval_block.hpp) against plain
/// per-point loops: counts, maxima and bins exactly, warp error sums bit for bit against the
/// documented stride-halving pairwise order, results independent of the order in which blocks,
/// threads, warps and lanes run, and shared memory that starts as NaN garbage.
#include "spikemesh/constructions.hpp"
#include "spikemesh/evaluator.hpp"
#include "spikemesh/math/eval_block.hpp"
#include "spikemesh/math/shared_cursor.hpp"
#include "spikemesh/math/warp.hpp"
#include "spikemesh/mesh_spec.hpp"

#include "support/accumulator_checks.hpp"
#include "support/emulated_grid.hpp"
#include "support/random_network.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <utility>
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

/// Stride-halving pairwise sum of 32 values (the order of a warp's xor butterfly).
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

/// A step where every lane has the given bins and error (f == 0 when fbin is zero_bin).
StepInput uniform_step(int fbin, int dbin, double err, int zero_bin) {
  StepInput s;
  for (int l = 0; l < kWarpSize; ++l) {
    s.ok[l] = true;
    s.fzero[l] = fbin == zero_bin;
    s.fbin[l] = fbin;
    s.dbin[l] = dbin;
    s.err[l] = err;
  }
  return s;
}

/// Random steps: a few distinct bins per step (neighbouring points), lanes out of range or with
/// non-finite f, whole steps with f = 0; every lane (31 included) is live in some steps. With
/// @p sticky > 0 a lane keeps its previous distance bin with that probability (long runs).
std::vector<StepInput> random_steps(std::uint64_t seed, int n, int zero_bin, double sticky = 0.0) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<StepInput> steps(static_cast<std::size_t>(n));
  int last[kWarpSize];
  std::fill(last, last + kWarpSize, 0);
  for (StepInput& s : steps) {
    const bool zero_step = u(rng) < 0.3;
    const int fb0 = static_cast<int>(u(rng) * kFBins), db0 = static_cast<int>(u(rng) * 30);
    for (int l = 0; l < kWarpSize; ++l) {
      s.ok[l] = u(rng) > 0.1;
      const bool fz = zero_step || u(rng) < 0.2;
      s.fzero[l] = s.ok[l] && fz;
      s.fbin[l] = !s.ok[l] ? -1 : fz ? zero_bin : (fb0 + static_cast<int>(u(rng) * 3)) % kFBins;
      const int db = u(rng) < sticky ? last[l] : db0 + static_cast<int>(u(rng) * 3);
      s.dbin[l] = !s.ok[l] ? -1 : db;
      if (s.ok[l]) last[l] = db;
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

/// The kernel's statistics over @p steps, cut into tiles of @p tile_steps steps (flush_tile()
/// after each, the last one shorter), flush_counts() after every @p period tiles (0: never).
void kernel_bins(const Warp& w, const std::vector<StepInput>& steps, int zero_bin,
                 eval_block::WarpBins& slot, int tile_steps = eval_block::kSteps, int period = 0) {
  L<eval_block::LaneRun> open;
  eval_block::TileTally tally;
  int in_tile = 0, tiles = 0;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const StepInput& s = steps[i];
    eval_block::warp_bins(w, s.ok, s.fzero, s.fbin, s.dbin, s.err, open, tally, slot);
    if (++in_tile == tile_steps || i + 1 == steps.size()) {
      eval_block::flush_tile(w, open, tally, zero_bin, slot);
      in_tile = 0;
      if (period > 0 && ++tiles % period == 0) eval_block::flush_counts(w, slot);
    }
  }
}

/// The histograms of @p steps, written as a plain loop over lanes and steps. Counts and maxima
/// per point. Error sums in the documented order: lane l's run is its consecutive points (in
/// step order, skipping steps where it has no point) in one distance bin, within one tile; a
/// run ends at a point in another bin or at the tile's end. At each step (before its points
/// are added), then at the tile's end, the runs that end there are summed per bin: each run's
/// sum is the plain sum of its errors in step order, a bin's group sum the stride-halving
/// pairwise sum over the 32 lanes of their run sums (0 for lanes without one), and each group
/// sum is added to the bin's compensated sum in the order of the steps where they end.
struct PlainBins {
  std::uint64_t f_counts[kFBins] = {}, d_counts[kDistBins] = {};
  double d_max[kDistBins] = {};
  CompensatedSum d_sum[kDistBins];
  long double d_exact[kDistBins] = {}; ///< the exact sum (in long double: errors are >= 0)
  int groups[kDistBins] = {};          ///< group sums added per bin

  PlainBins(const std::vector<StepInput>& steps, int tile_steps = eval_block::kSteps) {
    int bin[kWarpSize];
    double sum[kWarpSize];
    bool open[kWarpSize] = {};
    const auto end_runs = [&](const bool ends[kWarpSize]) {
      for (int b = 0; b < kDistBins; ++b) {
        double v[kWarpSize];
        bool any = false;
        for (int l = 0; l < kWarpSize; ++l) {
          const bool mine = ends[l] && bin[l] == b;
          v[l] = mine ? sum[l] : 0.0;
          any = any || mine;
        }
        if (!any) continue;
        d_sum[b].add(pairwise(v));
        ++groups[b];
      }
      for (int l = 0; l < kWarpSize; ++l)
        open[l] = open[l] && !ends[l];
    };
    for (std::size_t i = 0; i < steps.size(); ++i) {
      const StepInput& s = steps[i];
      bool ends[kWarpSize];
      for (int l = 0; l < kWarpSize; ++l)
        ends[l] = s.ok[l] && open[l] && s.dbin[l] != bin[l];
      end_runs(ends);
      for (int l = 0; l < kWarpSize; ++l) {
        if (!s.ok[l]) continue;
        ++f_counts[s.fbin[l]];
        ++d_counts[s.dbin[l]];
        d_max[s.dbin[l]] = std::max(d_max[s.dbin[l]], s.err[l]);
        d_exact[s.dbin[l]] += s.err[l];
        sum[l] = open[l] ? sum[l] + s.err[l] : s.err[l];
        bin[l] = s.dbin[l];
        open[l] = true;
      }
      if ((i + 1) % static_cast<std::size_t>(tile_steps) == 0 || i + 1 == steps.size())
        end_runs(open); // the tile's end
    }
  }
};

/// The kernel's slot against the plain loop: counts and maxima exactly, sums bit for bit, and
/// close to the exact sum. The bound: a run sum of at most kSteps terms >= 0 is within
/// (kSteps - 1) u of its exact value, the 5 pairwise levels add 5 u, the compensated
/// accumulation and its final rounding u + O(u^2): |error| <= (kSteps + 6) u sum|e|.
void expect_plain(const eval_block::WarpBins& slot, const PlainBins& ref) {
  for (int b = 0; b < kFBins; ++b)
    EXPECT_EQ(slot.f_total[b] + slot.f_counts[b], ref.f_counts[b]) << "f bin " << b;
  const long double bound = (eval_block::kSteps + 6) * 1.12e-16L;
  for (int b = 0; b < kDistBins; ++b) {
    EXPECT_EQ(slot.dist_total[b] + slot.dist_counts[b], ref.d_counts[b]) << "dist bin " << b;
    EXPECT_EQ(slot.dist_max[b], ref.d_max[b]) << "dist bin " << b;
    EXPECT_EQ(slot.dist_sums[b].sum, ref.d_sum[b].sum) << "dist bin " << b; // the order
    EXPECT_EQ(slot.dist_sums[b].comp, ref.d_sum[b].comp) << "dist bin " << b;
    EXPECT_LE(std::fabs(static_cast<long double>(slot.dist_sums[b].value()) - ref.d_exact[b]),
              bound * ref.d_exact[b])
        << "dist bin " << b;
  }
}

TEST(HostWarp, ReduceAddOverTheMask) {
  const Warp w;
  L<unsigned> x;
  for (int l = 0; l < kWarpSize; ++l)
    x[l] = static_cast<unsigned>(l + 1);
  const L<unsigned> all = w.reduce_add(x);
  const L<unsigned> part = w.reduce_add(x, 0x0000000fu); // lanes 0..3: 1 + 2 + 3 + 4
  for (int l = 0; l < kWarpSize; ++l)
    EXPECT_EQ(all[l], 528u); // 32 * 33 / 2
  for (int l = 0; l < 4; ++l)
    EXPECT_EQ(part[l], 10u);
  for (int l = 4; l < kWarpSize; ++l)
    EXPECT_EQ(part[l], warp_poison<unsigned>());
  x[7] = 0xffffffffu; // modulo 2^32, as the device's 32-bit adder
  EXPECT_EQ(w.reduce_add(x)[0], 528u - 8u - 1u);
}

TEST(WarpBins, EqualAPlainPerPointLoop) {
  const int zero_bin = BinScales(-1.0, 1.0, kFBins).scaled_bin(0.0);
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    // Bins that change at most steps, and long runs (a lane keeps its bin 90 % of its points).
    for (double sticky : {0.0, 0.9}) {
      const std::vector<StepInput> steps = random_steps(seed, 400, zero_bin, sticky);
      const PlainBins ref(steps);
      for (bool rev : {false, true}) {
        Warp w;
        w.reversed = rev;
        eval_block::WarpBins slot;
        clear_slot(slot);
        kernel_bins(w, steps, zero_bin, slot);
        expect_plain(slot, ref);
        std::uint64_t total = 0;
        for (int b = 0; b < kFBins; ++b)
          total += slot.f_counts[b];
        EXPECT_GT(total, 0u);
      }
    }
  }
}

TEST(WarpBins, RunPatternsEqualAPlainPerPointLoop) {
  const int zero_bin = BinScales(-1.0, 1.0, kFBins).scaled_bin(0.0);
  const int S = eval_block::kSteps;
  std::vector<std::pair<const char*, std::vector<StepInput>>> cases;
  // All lanes in one bin, f == 0, for two whole tiles: one group per tile.
  cases.push_back({"one bin", {}});
  for (int j = 0; j < 2 * S; ++j)
    cases.back().second.push_back(uniform_step(zero_bin, 9, 0.25 + j, zero_bin));
  // Every lane a different bin (lane l: bin l), f != 0 in one f bin: 32 groups per tile.
  cases.push_back({"every lane a bin", {}});
  for (int j = 0; j < S + 3; ++j) {
    StepInput s = uniform_step(5, 0, 1.0, zero_bin);
    for (int l = 0; l < kWarpSize; ++l) {
      s.dbin[l] = l;
      s.err[l] = std::ldexp(1.0 + l, -j);
    }
    cases.back().second.push_back(s);
  }
  // A bin boundary crossing the tile: point 32 j + l is in bin 3 below 200, 4 from there on, so
  // lanes change bin at two neighbouring steps and every lane's run ends mid-tile once.
  cases.push_back({"boundary", {}});
  for (int j = 0; j < S; ++j) {
    StepInput s = uniform_step(zero_bin, 3, 0.0, zero_bin);
    for (int l = 0; l < kWarpSize; ++l) {
      s.dbin[l] = 32 * j + l < 200 ? 3 : 4;
      s.err[l] = 0.1 * (32 * j + l);
      s.fzero[l] = (j + l) % 3 != 0;
      s.fbin[l] = s.fzero[l] ? zero_bin : 40;
    }
    cases.back().second.push_back(s);
  }
  // Lanes that go back and forth between two bins, and gaps (no point: non-finite f or past the
  // range) inside runs, which neither end nor split them.
  cases.push_back({"gaps", {}});
  for (int j = 0; j < 2 * S; ++j) {
    StepInput s = uniform_step(7, 2, 0.5, zero_bin);
    for (int l = 0; l < kWarpSize; ++l) {
      s.ok[l] = (j * 7 + l) % 5 != 0 && !(l >= 20 && j >= S + 4);
      s.dbin[l] = s.ok[l] ? ((j / 3 + l) % 2 == 0 ? 2 : 6) : -1;
      s.fzero[l] = false;
      s.fbin[l] = s.ok[l] ? 7 + l % 2 : -1;
      s.err[l] = s.ok[l] ? 1.0 / (1 + j + l) : 0.0;
    }
    cases.back().second.push_back(s);
  }
  for (const auto& [name, steps] : cases) {
    for (int tile_steps : {S, 5}) {
      const PlainBins ref(steps, tile_steps);
      for (bool rev : {false, true}) {
        SCOPED_TRACE(std::string(name) + (rev ? " reversed" : "") + " tile " +
                     std::to_string(tile_steps));
        Warp w;
        w.reversed = rev;
        eval_block::WarpBins slot;
        clear_slot(slot);
        kernel_bins(w, steps, zero_bin, slot, tile_steps);
        expect_plain(slot, ref);
      }
    }
  }
  // What the patterns are for: the plain loop's groups per bin.
  const auto groups = [&](int i, int bin) { return PlainBins(cases[i].second).groups[bin]; };
  EXPECT_EQ(groups(0, 9), 2); // one group per tile
  EXPECT_EQ(groups(1, 0), 2); // one per lane and tile
  EXPECT_EQ(groups(2, 3), 2); // the crossing: two steps end bin 3's runs
  EXPECT_EQ(groups(2, 4), 1); // and the tile's end bin 4's
  EXPECT_EQ(PlainBins(cases[0].second).d_counts[9], 2u * S * kWarpSize);
  // One tile, one bin: the slot holds one pairwise sum of the lanes' plain run sums.
  eval_block::WarpBins slot;
  clear_slot(slot);
  std::vector<StepInput> one(cases[0].second.begin(), cases[0].second.begin() + S);
  kernel_bins(Warp{}, one, zero_bin, slot);
  double run = 0.0;
  for (int j = 0; j < S; ++j)
    run += 0.25 + j;
  double v[kWarpSize];
  std::fill(v, v + kWarpSize, run);
  EXPECT_EQ(slot.dist_sums[9].sum, pairwise(v));
  EXPECT_EQ(slot.dist_sums[9].comp, 0.0);
  EXPECT_EQ(slot.dist_counts[9], static_cast<unsigned>(S * kWarpSize));
  EXPECT_EQ(slot.f_counts[zero_bin], static_cast<unsigned>(S * kWarpSize)); // the tally
  EXPECT_EQ(slot.dist_max[9], 0.25 + (S - 1));
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
    kernel_bins(Warp{}, {s}, zero_bin, slot);
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
  kernel_bins(Warp{}, {s}, 0, slot);
  EXPECT_EQ(slot.dist_max[5], 1.0 + std::ldexp(31.0, -50));
  EXPECT_EQ(slot.f_counts[3], 32u);
}

TEST(WarpBins, FlushMovesTheCountersIntoTheTotals) {
  // The same random steps as above with flush_counts() every `period` tiles of 4 steps: totals
  // plus 32-bit rest equal the plain counts, the rest holds at most `period` tiles' counts, and
  // the other slots are as without flushes, bit for bit.
  const int zero_bin = BinScales(-1.0, 1.0, kFBins).scaled_bin(0.0);
  const int tile_steps = 4;
  const std::vector<StepInput> steps = random_steps(11, 300, zero_bin, 0.5);
  const PlainBins ref(steps, tile_steps);
  eval_block::WarpBins plain;
  clear_slot(plain);
  kernel_bins(Warp{}, steps, zero_bin, plain, tile_steps);
  expect_plain(plain, ref);
  for (int period : {1, 2, 5}) {
    for (bool rev : {false, true}) {
      Warp w;
      w.reversed = rev;
      eval_block::WarpBins slot;
      clear_slot(slot);
      kernel_bins(w, steps, zero_bin, slot, tile_steps, period);
      expect_plain(slot, ref);
      const unsigned bound = static_cast<unsigned>(period * tile_steps * kWarpSize);
      std::uint64_t flushed = 0;
      for (int b = 0; b < kFBins; ++b) {
        EXPECT_LE(slot.f_counts[b], bound);
        flushed += slot.f_total[b];
      }
      EXPECT_GT(flushed, 0u);
      for (int b = 0; b < kDistBins; ++b) {
        EXPECT_LE(slot.dist_counts[b], bound);
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

TEST(SharedCursor, StepsOf32EqualMeshPointInStridedStorage) {
  // Three cursors interleaved in one NaN-filled array (lane t, axis a at a * 3 + t), as a kernel
  // lays lanes out in shared memory: each must equal mesh_point() and mesh_decode() at every
  // step and leave its neighbours' words alone.
  constexpr int kLanes = 3;
  for (const std::vector<index_t>& axes : std::vector<std::vector<index_t>>{
           {1001, 7}, {5, 3, 4}, {1, 40, 2}, {32, 32}, {33, 2, 3}, {2, 2, 2, 2, 2, 2, 2}}) {
    MeshSpec spec;
    spec.dim = static_cast<int>(axes.size());
    spec.points_per_axis = axes;
    const MeshView m = make_mesh_view(spec);
    std::vector<index_t> ks(static_cast<std::size_t>(m.dim * kLanes), ~index_t(0));
    std::vector<float> xs(static_cast<std::size_t>(m.dim * kLanes), std::nanf(""));
    SharedCursor<float> c[kLanes];
    index_t at[kLanes];
    for (int t = 0; t < kLanes; ++t) {
      c[t].k = {ks.data() + t, kLanes};
      c[t].x = {xs.data() + t, kLanes};
      at[t] = t == 2 ? m.total / 2 : index_t(t) * 31;
      c[t].start(m, at[t]);
    }
    float x[kMaxDim];
    index_t k[kMaxDim];
    for (int step = 0; step < 64; ++step) {
      for (int t = 0; t < kLanes; ++t) {
        if (at[t] >= m.total) continue;
        mesh_point(m, at[t], x);
        mesh_decode(m, at[t], k);
        const Strided<const float> xc = c[t].coords();
        for (int a = 0; a < m.dim; ++a) {
          ASSERT_EQ(xc[a], x[a]) << "lane " << t << " index " << at[t] << " axis " << a;
          ASSERT_EQ(c[t].k[a], k[a]) << "lane " << t << " index " << at[t] << " axis " << a;
        }
        c[t].advance(m);
        at[t] += kWarpSize;
      }
    }
  }
}

// ---- the whole block emulation against a plain per-point loop ----------------------------------

template <class T>
struct Problem1 : test::PackedProblem<T> {
  Problem1(const Case& c, const MeshView& m)
      : test::PackedProblem<T>(c, m, eval_block::kNarrowWidth) {
    EXPECT_LE(this->packed.buffer_width(), eval_block::kNarrowWidth);
  }
};

template <class T>
Accumulator emulate(const EvalView<T>& v, IndexRange r, int grid, eval_block::EmulationOrder o,
                    int flush_tiles = eval_block::kFlushTiles) {
  return test::emulated_grid<eval_block::kNarrowWidth>(v, r, grid, o, flush_tiles);
}

using testing::expect_same_bits;

/// A block's NaN-filled dynamic shared memory for the narrow path (lane rows and cursors), as
/// emulate_eval_grid() gives it, for tests that run warp_tiles() themselves.
template <class T>
struct NarrowStorage {
  explicit NarrowStorage(const EvalView<T>& v)
      : view(v),
        words((eval_block::dynamic_smem_bytes(v, eval_block::kNarrowWidth) + 7) / 8, std::nan("")) {
  }
  narrow::WarpLanes<T> warp(int w) {
    return narrow::warp_lanes<T>(words.data(), eval_block::kThreads, view.mesh.dim,
                                 view.net.buffer_width, w);
  }
  EvalView<T> view;
  std::vector<double> words; // 8-byte aligned; all bits of a NaN double: a NaN float too
};

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
  // accumulations of plain partial sums of <= kSteps terms, combined pairwise over at most 32
  // lanes for the bins: |error| <= (kSteps + 6) u sum|e| <= 40 u sum|e| each).
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
  const auto walk = [&](int period, eval_block::SharedBins& s, bool rev = false) {
    std::memset(static_cast<void*>(&s), 0xff, sizeof s);
    for (int t = 0; t < eval_block::kThreads; ++t)
      eval_block::clear(s, t);
    L<ScalarStats> stats;
    Warp w;
    w.reversed = rev;
    NarrowStorage<float> lanes(p.v);
    eval_block::warp_tiles<float, eval_block::kNarrowWidth>(w, p.v, r, 0, 1, 0, s.warp[0], stats,
                                                            period, nullptr, lanes.warp(0));
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
  for (int period : {1, 2, 5})
    for (bool rev : {false, true}) {
      SCOPED_TRACE(rev ? "reversed" : "forward");
      const auto s = std::make_unique<eval_block::SharedBins>();
      const eval_block::WarpBins& slot = walk(period, *s, rev);
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
        EXPECT_EQ(slot.dist_sums[b].sum, whole.dist_sums[b].sum); // flushing moves counts only
        EXPECT_EQ(slot.dist_sums[b].comp, whole.dist_sums[b].comp);
        EXPECT_EQ(slot.dist_max[b], whole.dist_max[b]);
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

/// A network whose float output overflows where x0 > 0.8 (+Inf) or x1 > 0.8 (-Inf), and both
/// (Inf - Inf: NaN); finite elsewhere: the mesh's non-finite points form runs of their own
/// inside warp tiles and steps.
Network overflowing_network() {
  Network net;
  net.in_dim = 2;
  Layer h = Layer::dense(2, 3, Activation::ReLU, 0.0);
  h.weight = {1e30, 0.0, 0.0, 1e30, 0.5, 0.5};
  h.bias = {-0.8e30, -0.8e30, 0.0};
  Layer o = Layer::dense(3, 1, Activation::Identity, 0.0);
  o.weight = {1e30, -1e30, 1.0};
  o.bias = {0.1};
  net.layers = {h, o};
  return net;
}

TEST(WarpEmulation, NonFinitePointsAreCountedNeverBinned) {
  Case c = build_case(CaseParams{});
  c.network = overflowing_network();
  const MeshView m = mesh_of({301, 53});
  expect_plain_loop<float>(c, m, {0, m.total}, 5);
  expect_plain_loop<float>(c, m, {1000, m.total - 999}, 2);
  // The mesh has all three kinds and finite points.
  Problem1<float> p(c, m);
  const Accumulator a = emulate(p.v, {0, m.total}, 5, eval_block::EmulationOrder::Forward);
  EXPECT_GT(a.scalar.nonfinite_count, static_cast<std::uint64_t>(m.total / 8));
  EXPECT_LT(a.scalar.nonfinite_count, static_cast<std::uint64_t>(m.total / 2));
  std::uint64_t binned = 0;
  for (int b = 0; b < kDistBins; ++b)
    binned += a.bins.dist_counts[b];
  EXPECT_EQ(binned + a.scalar.nonfinite_count, static_cast<std::uint64_t>(m.total));
  EXPECT_EQ(a.scalar.spike_count + a.scalar.undecided_count + a.scalar.nonfinite_count,
            static_cast<std::uint64_t>(m.total));
  EXPECT_TRUE(std::isfinite(a.scalar.sum_f.value()));
}

TEST(WarpEmulation, TilesCutShortByTheRangeEnd) {
  // Ranges whose last tile ends inside a step (lanes past the end) or after a few steps, from
  // 1 point to several rounds, starting mid-row; one block and several.
  CaseParams cp;
  cp.bias = 1.6;
  const Case c = build_case(cp);
  const MeshView m = mesh_of({301, 301});
  const index_t T = eval_block::kTilePoints;
  for (index_t size : {index_t(1), index_t(31), index_t(33), T - 1, T + 1, 5 * T + 7 * 32 + 5}) {
    SCOPED_TRACE("size " + std::to_string(size));
    expect_plain_loop<float>(c, m, {4567, 4567 + size}, 3);
    expect_plain_loop<double>(c, m, {301 * 150 + 140, 301 * 150 + 140 + size}, 1);
  }
}

TEST(WarpEmulation, CountsAddToTheStatsTheLanesStartWith) {
  // warp_tiles() adds to its lanes' ScalarStats: counts the lanes already hold (from add(), with
  // spikes, undecided and non-finite points) stay and the walk's counts come on top.
  CaseParams cp;
  cp.bias = 1.6;
  const Case c = build_case(cp);
  const MeshView m = mesh_of({301, 301});
  Problem1<float> p(c, m);
  const IndexRange r{0, 9 * eval_block::kTilePoints + 100};
  const auto walk = [&](L<ScalarStats>& stats) {
    const auto s = std::make_unique<eval_block::SharedBins>();
    for (int t = 0; t < eval_block::kThreads; ++t)
      eval_block::clear(*s, t);
    NarrowStorage<float> lanes(p.v);
    eval_block::warp_tiles<float, eval_block::kNarrowWidth>(Warp{}, p.v, r, 0, 1, 0, s->warp[0],
                                                            stats, eval_block::kFlushTiles, nullptr,
                                                            lanes.warp(0));
  };
  L<ScalarStats> fresh, given;
  for (int l = 0; l < kWarpSize; ++l)
    for (int k = 0; k <= l % 4; ++k) {
      given[l].add({k == 0 ? 0.0 : k == 1 ? 0.9 : k == 2 ? NAN : -0.7, 1.0, 0.0}, 0.5);
    }
  const L<ScalarStats> before = given;
  walk(fresh);
  walk(given);
  for (int l = 0; l < kWarpSize; ++l) {
    EXPECT_EQ(given[l].points, before[l].points + fresh[l].points) << "lane " << l;
    EXPECT_EQ(given[l].nonfinite_count, before[l].nonfinite_count + fresh[l].nonfinite_count);
    EXPECT_EQ(given[l].spike_count, before[l].spike_count + fresh[l].spike_count);
    EXPECT_EQ(given[l].undecided_count, before[l].undecided_count + fresh[l].undecided_count);
    EXPECT_GT(fresh[l].undecided_count, 0u);
    EXPECT_GT(before[l].undecided_count, 0u);
  }
}

TEST(WarpEmulation, ShortFlushPeriodsInBothOrdersGiveTheSameBits) {
  CaseParams cp;
  cp.bias = 1.6;
  const Case c = build_case(cp);
  const MeshView m = mesh_of({301, 301});
  Problem1<float> p(c, m);
  const IndexRange r{100, 100 + 23 * eval_block::kTilePoints + 301};
  const Accumulator a = emulate(p.v, r, 2, eval_block::EmulationOrder::Forward);
  for (int period : {1, 2, 5})
    for (auto o : {eval_block::EmulationOrder::Forward, eval_block::EmulationOrder::Reversed})
      expect_same_bits(a, emulate(p.v, r, 2, o, period), "period " + std::to_string(period));
}

} // namespace
} // namespace spikemesh
