/// @file eval_block.hpp
/// @brief What a thread block of the mesh kernel does, written once for the device
/// (DeviceWarp) and the host's lockstep warp emulator (HostWarp, math/warp.hpp).
///
/// A block of kThreads threads is kWarps warps. Each warp walks warp tiles of kTilePoints
/// consecutive mesh points: at step j its 32 lanes take 32 consecutive points along axis 0
/// (lane l: point first + 32 j + l), so a lane decodes its 64-bit index once per tile and then
/// steps by 32 along axis 0 without divisions (SharedCursor, math/shared_cursor.hpp: the
/// narrow generic path keeps each lane's cursor and layer buffers in the block's dynamic shared
/// memory, narrow_lanes.hpp; the wide one its cursors and per-warp layer buffers there,
/// warp_forward.hpp; the separable path its tile geometry in per-warp slots, separable.hpp: no
/// per-thread array is on the stack). Scalar statistics stay per lane
/// in registers (RunSums: no per-point arrays). Histograms go to the warp's own slots in shared
/// memory (WarpBins), written by one leader lane per bin: each lane keeps a run of its points in
/// one distance bin in registers (LaneRun: count, plain error sum, error maximum), and only when
/// some lane's next point is in another bin (one ballot per step), and at the end of every tile,
/// are the ending runs moved into the slots (flush_runs(): a loop over their distinct bins with
/// a reduce-add for the count, an xor butterfly for the error sum and two __reduce_max_sync for
/// the maximum error, as 64-bit pattern, high word then low word). Points with f != 0 go to the
/// f histogram in the steps that have them (match_any); those with f == 0 are only tallied, and
/// added to the zero bin once per tile (TileTally). No shared atomics, so no CAS loops; every
/// phase that updates the slots starts with a __syncwarp(), which orders earlier (perhaps other)
/// leaders' writes before its leaders read them. The block's phases, with a barrier between
/// each:
///   1. clear(): every thread zeroes its share of all warps' slots;
///   2. warp_tiles(): each warp fills its slots (32-bit counters, moved into the warp's 64-bit
///      totals every kFlushTiles tiles by flush_counts()) and its lanes' ScalarStats;
///   3. write_bins(): thread tid merges bins tid, tid + kThreads, ... over the warps in warp
///      order (counts: 64-bit total plus the unflushed 32-bit rest, exact; error sums
///      compensated) into the block's Accumulator.
/// emulate_eval_grid() runs the phases on the host, optionally with blocks, threads, warps and
/// lanes in reversed order, starting from NaN-filled shared memory, so that a missing phase or an
/// order dependence shows in the tests.
///
/// Lines marked `// warp-uniform` run once per warp in the emulator but on every lane of the
/// device; the static performance model (bench/perf_model) scales their profile counts by 32.
#pragma once

#include "spikemesh/config.hpp"
#include "spikemesh/math/mesh.hpp"
#include "spikemesh/math/narrow_lanes.hpp"
#include "spikemesh/math/point_stats.hpp"
#include "spikemesh/math/separable.hpp"
#include "spikemesh/math/warp.hpp"
#include "spikemesh/math/warp_forward.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#if defined(__CUDA_ARCH__)
#define SM_EVAL_UNROLL _Pragma("unroll")
#define SM_EVAL_NO_UNROLL _Pragma("unroll 1")
#else
#define SM_EVAL_UNROLL
#define SM_EVAL_NO_UNROLL
#endif

namespace spikemesh {
namespace eval_block {

inline constexpr int kThreads = 128;                      ///< threads per block
inline constexpr int kWarps = kThreads / kWarpSize;       ///< warps per block
inline constexpr int kSteps = 16;                         ///< steps of 32 points per warp tile
inline constexpr int kTilePoints = kSteps * kWarpSize;    ///< consecutive points per warp tile
inline constexpr int kBlockPoints = kTilePoints * kWarps; ///< points a block takes per round
inline constexpr int kNarrowWidth = 32; ///< per-thread layer buffer widths instantiated
inline constexpr int kWideWidth = 256;
/// Not a buffer width: the instantiation that runs the separable spike path (separable.hpp,
/// no layer buffers) for networks with NetworkView::sep.on. Such networks are packed with this
/// as their buffer width (the path reads no buffers, so it only has to pack).
inline constexpr int kSeparableWidth = kWideWidth + 1;

/// Dynamic shared memory a block of the kernel of buffer width @p width takes for @p v: the
/// narrow path's lane rows and cursors (math/narrow_lanes.hpp) or the wide path's warp scratch
/// (math/warp_forward.hpp), sized by the mesh's dimension and the network's buffer width; 0 for
/// the separable path.
template <class T>
SM_HOST_DEVICE std::size_t dynamic_smem_bytes(const EvalView<T>& v, int width) {
  if (width == kNarrowWidth)
    return narrow::block_bytes<T>(kThreads, v.mesh.dim, v.net.buffer_width);
  if (width == kWideWidth)
    return warp_forward::block_bytes<T>(kWarps, v.net.buffer_width, v.mesh.dim);
  return 0;
}

/// Tiles a warp walks between two flushes of its 32-bit counters (flush_counts()). Each point of
/// a tile is counted once per histogram, and every count of a tile is in the counters by the end
/// of the tile (flush_tile(): runs and tallies never cross tiles), so a tile adds at most
/// kTilePoints to a counter: after kFlushTiles tiles a counter holds at most kFlushTiles *
/// kTilePoints
/// <= 2^32 - 1, whatever the grid and the range (static_assert below). In the evaluators'
/// launches a warp takes far fewer tiles (2^28 points per driver block over >= 1 block of
/// kWarps warps: at most 2^17 tiles per warp), so there the periodic flush is the guard and
/// write_bins() the flush that runs, once per block at the end of the launch.
inline constexpr int kFlushTiles = static_cast<int>(0xffffffffu / kTilePoints);
static_assert(static_cast<unsigned long long>(kFlushTiles) * kTilePoints <= 0xffffffffull,
              "a warp's 32-bit counters cannot overflow between flushes");

/// One warp's histogram slots in shared memory. Only that warp writes them, one leader lane
/// per bin and step, so plain read-modify-writes suffice (no atomics). The hot counters are
/// 32-bit (one 32-bit load and store per leader update); flush_counts() moves them into the
/// warp's 64-bit totals before they can overflow (kFlushTiles), and write_bins() adds both.
struct WarpBins {
  unsigned f_counts[kFBins];
  unsigned dist_counts[kDistBins];
  double dist_max[kDistBins]; ///< errors are >= 0: 0 is the neutral element
  CompensatedSum dist_sums[kDistBins];
  unsigned long long f_total[kFBins]; ///< 64-bit totals of flushed counts (cold)
  unsigned long long dist_total[kDistBins];
};

/// Block-shared histogram state (__shared__ on the device): one WarpBins per warp.
struct SharedBins {
  WarpBins warp[kWarps];
};

/// The bits of a double; non-negative doubles order as their bits.
SM_HOST_DEVICE unsigned long long bits_of(double x) {
#if defined(__CUDA_ARCH__)
  return static_cast<unsigned long long>(__double_as_longlong(x));
#else
  unsigned long long b;
  std::memcpy(&b, &x, sizeof b);
  return b;
#endif
}

SM_HOST_DEVICE double double_of(unsigned long long b) {
#if defined(__CUDA_ARCH__)
  return __longlong_as_double(static_cast<long long>(b));
#else
  double x;
  std::memcpy(&x, &b, sizeof x);
  return x;
#endif
}

/// Phase 1: thread @p tid zeroes its share of every warp's slots.
SM_HOST_DEVICE void clear(SharedBins& s, int tid) {
  for (int i = tid; i < kWarps * kFBins; i += kThreads) {
    WarpBins& w = s.warp[i / kFBins];
    w.f_counts[i % kFBins] = 0;
    w.f_total[i % kFBins] = 0;
  }
  for (int i = tid; i < kWarps * kDistBins; i += kThreads) {
    WarpBins& w = s.warp[i / kDistBins];
    w.dist_counts[i % kDistBins] = 0;
    w.dist_total[i % kDistBins] = 0;
    w.dist_max[i % kDistBins] = 0.0;
    w.dist_sums[i % kDistBins] = CompensatedSum();
  }
}

/// A warp adds its 32-bit counters to its 64-bit totals and zeroes them: lane l takes bins
/// l, l + kWarpSize, ... (each bin one lane). Call it after flush_tile(), when every count of
/// the warp's tiles is in the counters. The sync orders the leaders' writes before these
/// reads; the next phase that updates the slots (flush_runs(), warp_bins()'s f histogram,
/// flush_tile()) starts with a sync that orders these writes before its leaders' updates.
template <class W>
SM_HOST_DEVICE void flush_counts(const W& w, WarpBins& slot) {
  w.sync(); // warp-uniform
  w.each([&](int lane) {
    for (int b = lane; b < kFBins; b += kWarpSize) {
      slot.f_total[b] += slot.f_counts[b];
      slot.f_counts[b] = 0;
    }
    for (int b = lane; b < kDistBins; b += kWarpSize) {
      slot.dist_total[b] += slot.dist_counts[b];
      slot.dist_counts[b] = 0;
    }
  });
}

/// A lane's distance-bin entries that are not in the warp's slots yet (registers: no per-point
/// arrays): its run, the lane's latest points with a finite f, all in one distance bin, in step
/// order (a step where the lane has no such point neither ends nor extends it). A run ends when
/// the lane's next point is in another bin, and at the end of the tile (flush_tile()), so it
/// holds at most kSteps points. A bin's error sum is then the compensated sum, in the order of
/// the steps where they end, of group sums (flush_runs()): the stride-halving pairwise sum over
/// the 32 lanes of the run sums of the group's lanes. The errors are >= 0, so it is within
/// (kSteps - 1 + 5 + 1) u sum|e| + O(u^2) sum|e| of the exact sum (u = 2^-53; docs/math.md 7.3).
struct LaneRun {
  int dbin = -1;      ///< the run's distance bin; -1: no run open
  unsigned count = 0; ///< points in the run (0: none open)
  double sum = 0.0;   ///< plain sum of the run's errors, in step order
  double max = 0.0;   ///< the run's largest error (errors >= 0: 0 is the neutral element)
};

/// A warp's counts in the current tile, the same on every lane (warp-uniform): points it moved
/// into the distance bins (every point with a finite f goes there, through a run) and points
/// it added to the f histogram (those with f != 0). The rest, the points with f == 0, go to the
/// f histogram's zero bin at the end of the tile with one addition (flush_tile()). Both are at
/// most kTilePoints.
struct TileTally {
  unsigned finite = 0;
  unsigned nonzero = 0;
};

/// The runs of the lanes in @p lanes (warp-uniform; each of these lanes has one open) into the
/// warp's slots, then empties them: one round per distinct bin among those lanes (usually one).
/// A round's leader, its lowest lane, adds the group's count (a reduce-add), its error sum (the
/// stride-halving pairwise sum over the 32 lanes of the group's run sums, the other lanes giving
/// 0: an xor butterfly) with one compensated addition, and its largest error (two
/// __reduce_max_sync on the 64-bit pattern: high word, then low word among the lanes holding
/// it). The rounds write distinct bins, so their order does not matter: a call adds at most one
/// group to a bin. Adds the points flushed to @p tally.finite.
template <class W>
SM_HOST_DEVICE void flush_runs(const W& w, unsigned lanes, Lanes<W, LaneRun>& open,
                               TileTally& tally, WarpBins& slot) {
  // Earlier leaders (other lanes, perhaps) wrote the slots this call's leaders read and
  // update: order those writes first.
  w.sync(); // warp-uniform
  Lanes<W, int> dbin;
  w.each([&](int lane) { dbin[lane] = open[lane].dbin; });
  unsigned pending = lanes; // warp-uniform
  SM_EVAL_NO_UNROLL
  do {                                              // warp-uniform: lanes != 0
    const int leader = first_lane(pending);         // warp-uniform
    const Lanes<W, int> bin = w.shfl(dbin, leader); // warp-uniform
    Lanes<W, bool> mine;
    Lanes<W, double> sum;
    Lanes<W, unsigned> count, hi, lo;
    w.each([&](int lane) {
      mine[lane] = lane_in(pending, lane) && dbin[lane] == bin[lane];
      sum[lane] = mine[lane] ? open[lane].sum : 0.0;
      count[lane] = mine[lane] ? open[lane].count : 0u;
      const unsigned long long top = bits_of(mine[lane] ? open[lane].max : 0.0);
      hi[lane] = static_cast<unsigned>(top >> 32);
      lo[lane] = static_cast<unsigned>(top);
    });
    const unsigned group = w.ballot(mine);              // warp-uniform
    const unsigned n = w.reduce_add(count)[0];          // warp-uniform (every lane holds it)
    const Lanes<W, unsigned> top_hi = w.reduce_max(hi); // warp-uniform
    w.each([&](int lane) { lo[lane] = hi[lane] == top_hi[lane] ? lo[lane] : 0u; });
    const Lanes<W, unsigned> top_lo = w.reduce_max(lo); // warp-uniform
    // Xor butterfly: afterwards every lane holds the stride-halving pairwise sum (adding the
    // others' zeros is exact; a + b == b + a, so all lanes agree bit for bit).
    SM_EVAL_UNROLL
    for (int s = kWarpSize / 2; s >= 1; s /= 2) {        // warp-uniform
      const Lanes<W, double> sum_o = w.shfl_xor(sum, s); // warp-uniform
      w.each([&](int lane) { sum[lane] = sum[lane] + sum_o[lane]; });
    }
    w.each([&](int lane) {
      if (lane == leader) {
        const int b = dbin[lane];
        const double top =
            double_of(static_cast<unsigned long long>(top_hi[lane]) << 32 | top_lo[lane]);
        slot.dist_counts[b] += n;
        slot.dist_sums[b].add(sum[lane]);
        slot.dist_max[b] = top > slot.dist_max[b] ? top : slot.dist_max[b];
      }
    });
    tally.finite += n;    // warp-uniform
    pending &= ~group;    // warp-uniform: the leader is in the group, so each round ends one bin
  } while (pending != 0); // warp-uniform
  w.each([&](int lane) {
    if (lane_in(lanes, lane)) open[lane] = LaneRun();
  });
}

/// One step's histogram entries of a warp. @p ok: the lane has a point in range with finite f;
/// @p fzero: and f == 0; @p fbin, @p dbin its bins, @p err |f - truth|. A lane's point extends
/// its run (@p open) when it is in the run's bin; otherwise the runs of all such lanes are
/// flushed first (flush_runs(); one ballot decides, and most steps flush nothing) and the point
/// opens a new run. Points with f != 0 go to the f histogram right away, grouped with match_any,
/// in the steps that have one; those with f == 0 are only tallied (@p tally, flush_tile()).
/// Every slot a lane writes is indexed by its own bin, and each bin has one writer per call.
template <class W>
SM_HOST_DEVICE void warp_bins(const W& w, const Lanes<W, bool>& ok, const Lanes<W, bool>& fzero,
                              const Lanes<W, int>& fbin, const Lanes<W, int>& dbin,
                              const Lanes<W, double>& err, Lanes<W, LaneRun>& open,
                              TileTally& tally, WarpBins& slot) {
  Lanes<W, bool> ends, fnz;
  w.each([&](int lane) {
    ends[lane] = ok[lane] && open[lane].count != 0 && dbin[lane] != open[lane].dbin;
    fnz[lane] = ok[lane] && !fzero[lane];
  });
  const unsigned ended = w.ballot(ends);                   // warp-uniform
  if (ended != 0) flush_runs(w, ended, open, tally, slot); // warp-uniform
  const unsigned nonzero = w.ballot(fnz);                  // warp-uniform
  if (nonzero != 0) {                                      // warp-uniform
    w.sync();                                              // warp-uniform: earlier leaders' writes
    Lanes<W, int> key;
    w.each([&](int lane) { key[lane] = fnz[lane] ? fbin[lane] : -1; });
    const Lanes<W, unsigned> peers = w.match_any(key); // warp-uniform
    w.each([&](int lane) {
      if (fnz[lane] && lane == first_lane(peers[lane]))
        slot.f_counts[fbin[lane]] += static_cast<unsigned>(lane_count(peers[lane]));
    });
    tally.nonzero += static_cast<unsigned>(lane_count(nonzero)); // warp-uniform
  }
  w.each([&](int lane) {
    if (ok[lane]) {
      LaneRun& o = open[lane];
      o.dbin = dbin[lane];
      ++o.count;
      o.sum += err[lane];
      o.max = err[lane] > o.max ? err[lane] : o.max;
    }
  });
}

/// The end of a warp's tile: every lane's open run into the warp's slots (flush_runs()), and
/// the tile's points with f == 0 (every finite point less those with f != 0, @p tally) into the
/// zero bin @p zero_bin, added by lane 0. Leaves the runs empty and the tally zero.
template <class W>
SM_HOST_DEVICE void flush_tile(const W& w, Lanes<W, LaneRun>& open, TileTally& tally, int zero_bin,
                               WarpBins& slot) {
  Lanes<W, bool> has;
  w.each([&](int lane) { has[lane] = open[lane].count != 0; });
  const unsigned runs = w.ballot(has);                   // warp-uniform
  if (runs != 0) flush_runs(w, runs, open, tally, slot); // warp-uniform
  const unsigned zeros = tally.finite - tally.nonzero;   // warp-uniform
  w.sync();                                              // warp-uniform: earlier leaders' writes
  w.each([&](int lane) {
    if (lane == 0) slot.f_counts[zero_bin] += zeros;
  });
  tally = TileTally(); // warp-uniform
}

/// Phase 2: warp @p warp of block @p block (of @p grid) walks warp tiles t = block * kWarps +
/// warp, + grid * kWarps, ... of @p range (the last one shorter). Adds its points' scalar
/// statistics to @p stats (per lane) and their histogram entries to @p slot, flushing the
/// slot's 32-bit counters every @p flush_tiles tiles (1 <= flush_tiles <= kFlushTiles). The
/// separable path (Width == kSeparableWidth) keeps its per-tile state in the warp's @p sep slot
/// of shared memory; the narrow path (Width == kNarrowWidth) its lanes' cursors and layer
/// buffers in @p lanes, the warp's part of the block's dynamic shared memory (narrow_lanes.hpp);
/// the wide path (Width == kWideWidth) its cursors and layer buffers in the warp's @p wide
/// scratch, also in the block's dynamic shared memory (math/warp_forward.hpp).
template <class T, int Width, class W>
SM_HOST_DEVICE void warp_tiles(const W& w, const EvalView<T>& v, IndexRange range, int block,
                               int grid, int warp, WarpBins& slot, Lanes<W, ScalarStats>& stats,
                               int flush_tiles = kFlushTiles, separable::WarpSlot<T>* sep = nullptr,
                               narrow::WarpLanes<T> lanes = {},
                               const warp_forward::WarpScratch<T>* wide = nullptr) {
  constexpr bool kSeparable = Width == kSeparableWidth; // the separable spike path
  constexpr bool kWide = Width == kWideWidth;           // the warp-cooperative forward pass
  Lanes<W, T> fwide;
  const HistScales scales(v.stats); // once per thread: no division per point
  separable::Tile<T, W> tile;
  Lanes<W, bool> live;
  Lanes<W, T> fsep;
  Lanes<W, PointSample> sample;
  const int zero_bin = scales.f.scaled_bin(0.0);
  Lanes<W, RunSums> run;
  Lanes<W, bool> ok, fzero;
  Lanes<W, int> fbin, dbin;
  Lanes<W, double> err;
  Lanes<W, LaneRun> open;
  TileTally tally; // warp-uniform
  const index_t tiles = (range.size() + kTilePoints - 1) / kTilePoints;
  const index_t stride = static_cast<index_t>(grid) * kWarps;
  index_t t = static_cast<index_t>(block) * kWarps + warp; // warp-uniform
  int unflushed = 0;                                       // warp-uniform
  for (; t < tiles; t += stride) {                         // warp-uniform
    const index_t first = range.begin + t * kTilePoints;   // warp-uniform
    if constexpr (kSeparable) {
      const index_t left = range.end - first;                                 // warp-uniform
      const index_t count = left < kTilePoints ? left : index_t(kTilePoints); // warp-uniform
      if (t == static_cast<index_t>(block) * kWarps + warp) { // warp-uniform: the first tile
        separable::first_tile(w, v.mesh, first, stride * kTilePoints, *sep); // warp-uniform
      } else {
        separable::next_tile(w, v.mesh, *sep); // warp-uniform
      }
      separable::begin_tile(w, v.net, v.mesh, count, *sep, tile); // warp-uniform
      separable::begin_nearest(w, v.truth, v.mesh, tile);         // warp-uniform
    } else if constexpr (Width == kNarrowWidth) {
      narrow::start_tile(w, v.mesh, lanes, first);
    } else {
      static_assert(kWide, "the mesh kernel's widths: separable, narrow, wide");
      w.each([&](int lane) { wide->cursor(lane).start(v.mesh, first + lane); });
    }
    for (int j = 0; j < kSteps && first + j * kWarpSize < range.end; ++j) { // warp-uniform
      const index_t base = first + static_cast<index_t>(j) * kWarpSize;     // warp-uniform
      if constexpr (kSeparable) {
        w.each([&](int lane) { live[lane] = base + lane < range.end; });
        separable::step(w, v.net, v.mesh, tile, live, fsep); // warp-uniform
        separable::samples(w, v, tile, live, fsep, sample);  // warp-uniform
        separable::advance(w, v.mesh, tile);                 // warp-uniform
      }
      if constexpr (kWide) {
        const index_t left = range.end - base;                                   // warp-uniform
        const int count = left < kWarpSize ? static_cast<int>(left) : kWarpSize; // warp-uniform
        warp_forward::points(w, v.net, count, *wide, fwide);                     // warp-uniform
      }
      w.each([&](int lane) {
        ok[lane] = false;
        fzero[lane] = false;
        fbin[lane] = -1;
        dbin[lane] = -1;
        err[lane] = 0.0;
        if (base + lane < range.end) {
          PointSample ps;
          if constexpr (kSeparable) {
            ps = sample[lane];
          } else if constexpr (Width == kNarrowWidth) {
            ps = narrow::sample(v, lanes, lane);
          } else {
            ps = sample_at(v, wide->coords(lane), fwide[lane]);
          }
          run[lane].add(ps, v.stats.tau);
          if (std::isfinite(ps.f)) {
            ok[lane] = true;
            fzero[lane] = ps.f == 0.0;
            fbin[lane] = ps.f == 0.0 ? zero_bin : scales.f.scaled_bin(ps.f); // same bin
            dbin[lane] = scales.dist.scaled_bin(ps.distance);
            err[lane] = std::fabs(ps.f - ps.truth);
          }
        }
        if constexpr (Width == kNarrowWidth) {
          narrow::advance(v.mesh, lanes, lane);
        } else if constexpr (kWide) {
          wide->cursor(lane).advance(v.mesh);
        }
      });
      warp_bins(w, ok, fzero, fbin, dbin, err, open, tally, slot); // warp-uniform
    }
    flush_tile(w, open, tally, zero_bin, slot); // warp-uniform
    w.each([&](int lane) { run[lane].flush(stats[lane]); });
    if (++unflushed == flush_tiles) { // warp-uniform
      flush_counts(w, slot);          // warp-uniform
      unflushed = 0;                  // warp-uniform
    }
  }
}

/// Phase 3, after a barrier: thread @p tid writes its share of the block's histograms to
/// @p out, each bin merged over the warps in warp order: a warp's count is its 64-bit total plus
/// its unflushed 32-bit counter (the flush at the end of the launch), exact in 64 bits.
SM_HOST_DEVICE void write_bins(const SharedBins& s, int tid, Accumulator* out) {
  for (int i = tid; i < kFBins; i += kThreads) {
    unsigned long long c = 0;
    for (int w = 0; w < kWarps; ++w)
      c += s.warp[w].f_total[i] + s.warp[w].f_counts[i];
    out->bins.f_counts[i] = c;
  }
  for (int b = tid; b < kDistBins; b += kThreads) {
    unsigned long long c = 0;
    CompensatedSum sum;
    double top = 0.0;
    for (int w = 0; w < kWarps; ++w) { // fixed warp order
      c += s.warp[w].dist_total[b] + s.warp[w].dist_counts[b];
      sum.merge(s.warp[w].dist_sums[b]);
      top = s.warp[w].dist_max[b] > top ? s.warp[w].dist_max[b] : top;
    }
    out->bins.dist_counts[b] = c;
    out->bins.dist_err_sum[b] = sum;
    out->bins.dist_err_max[b] = top;
  }
}

/// How emulate_eval_grid() runs a grid: in order, or every level (blocks, threads of a phase,
/// warps, lanes of a per-lane block) reversed. Results must not depend on it.
enum class EmulationOrder { Forward, Reversed };

/// The kernel on @p grid blocks on the host: one Accumulator per block in @p partials. Shared
/// memory starts NaN-filled (all bits set), as garbage; the scalars of a block are merged in
/// thread order (as the float kernels and the wide double one merge them; the other double
/// kernels' CUB reduction merges in a tree); the separable path's warp slots
/// (separable::WarpSlot) start NaN-filled too, and so does every block's dynamic shared memory
/// (the narrow path's lane rows and cursors, the wide path's warp scratch:
/// dynamic_smem_bytes()), so that a read before a write shows. @p flush_tiles: the warps'
/// counter flush period (tests shorten it so that the flush runs).
template <class T, int Width>
void emulate_eval_grid(const EvalView<T>& v, IndexRange range, int grid, Accumulator* partials,
                       EmulationOrder order = EmulationOrder::Forward,
                       int flush_tiles = kFlushTiles) {
  const bool rev = order == EmulationOrder::Reversed;
  const auto shared = std::make_unique<SharedBins>();
  std::memset(static_cast<void*>(shared.get()), 0xff, sizeof(SharedBins));
  const auto sep = std::make_unique<separable::WarpSlot<T>[]>(kWarps); // the separable path's
  std::memset(static_cast<void*>(sep.get()), 0xff, sizeof(separable::WarpSlot<T>) * kWarps);
  const std::size_t dyn_bytes = dynamic_smem_bytes(v, Width);
  const auto dyn = std::make_unique<double[]>((dyn_bytes + sizeof(double) - 1) / sizeof(double));
  const auto stats = std::make_unique<HostWarp::Lanes<ScalarStats>[]>(kWarps);
  HostWarp w;
  w.reversed = rev;
  const auto at = [rev](int i, int n) { return rev ? n - 1 - i : i; };
  for (int bi = 0; bi < grid; ++bi) {
    const int b = at(bi, grid);
    for (int t = 0; t < kThreads; ++t)
      clear(*shared, at(t, kThreads));
    std::memset(static_cast<void*>(dyn.get()), 0xff, dyn_bytes);
    // __syncthreads()
    for (int wi = 0; wi < kWarps; ++wi) {
      const int wp = at(wi, kWarps);
      stats[static_cast<std::size_t>(wp)] = HostWarp::Lanes<ScalarStats>();
      narrow::WarpLanes<T> lanes;
      if constexpr (Width == kNarrowWidth)
        lanes = narrow::warp_lanes<T>(dyn.get(), kThreads, v.mesh.dim, v.net.buffer_width, wp);
      warp_forward::WarpScratch<T> wide;
      if constexpr (Width == kWideWidth)
        wide = warp_forward::warp_scratch<T>(dyn.get(), wp, v.net.buffer_width, v.mesh.dim);
      warp_tiles<T, Width>(w, v, range, b, grid, wp, shared->warp[wp],
                           stats[static_cast<std::size_t>(wp)], flush_tiles,
                           Width == kSeparableWidth ? &sep[static_cast<std::size_t>(wp)] : nullptr,
                           lanes, Width == kWideWidth ? &wide : nullptr);
    }
    // __syncthreads()
    ScalarStats block;
    for (int wp = 0; wp < kWarps; ++wp)
      for (int lane = 0; lane < kWarpSize; ++lane)
        block.merge(stats[static_cast<std::size_t>(wp)][lane]); // thread order
    partials[b].scalar = block;
    for (int t = 0; t < kThreads; ++t)
      write_bins(*shared, at(t, kThreads), &partials[b]);
  }
}

/// Blocks for a range of @p points: the full grid, or fewer for small ranges so that every
/// block has a warp tile.
SM_HOST_DEVICE int grid_for_range(index_t points, int full_grid) {
  const index_t needed = (points + kBlockPoints - 1) / kBlockPoints;
  return static_cast<int>(needed < full_grid ? needed : full_grid);
}

} // namespace eval_block
} // namespace spikemesh

#undef SM_EVAL_UNROLL
#undef SM_EVAL_NO_UNROLL
