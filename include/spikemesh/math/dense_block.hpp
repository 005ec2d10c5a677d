/// @file dense_block.hpp
/// @brief What a thread block of the fused dense-MLP kernel (kernels/eval_dense.cu) does,
/// written once for the device (DeviceBlock, DeviceWarp) and the host's block and warp
/// emulators (HostBlock in math/block.hpp, HostWarp in math/warp.hpp).
///
/// The block walks the same warp tiles as the mesh kernel (math/eval_block.hpp: warp w of block
/// b takes tiles b * kWarps + w, + grid * kWarps, ...; at step j its lane l has point
/// first + 32 j + l), but a step's 128 points (column 32 w + l) go through the network
/// together, kPoints of them at a time, as one register-blocked SIMT GEMM per layer:
///   - thread tid owns a micro-tile of MO outputs x MP points (outputs o0 + MO (tid / 8) + r,
///     points MP (tid % 8) + i), its accumulators in registers;
///   - the layer's weights are staged in shared memory in chunks of kChunk inputs x 16 MO
///     outputs (past the layer's outputs: garbage, feeding rows never stored), the activations of
///     the kPoints points live in shared memory ([unit][point], two ping-pong buffers), the step's
///     inputs too: nothing but the per-block Accumulator is written to global memory;
///   - each thread's mesh cursor (SharedCursor, math/shared_cursor.hpp) lives in shared memory
///     as well: its coordinates ARE the first layer's input tile (thread tid, axis a at
///     x[a * kStepPoints + tid]), its axis positions a region of in_dim * kStepPoints index_t
///     beside it, so no thread keeps an array indexed by axis (no stack frame) and no step
///     copies its point into the tile;
///   - every pre-activation is bias first, then z = fma(w_j, a_j, z) for inputs j in ascending
///     order, one rounding per term: exactly forward()'s dense_layer (math/forward.hpp), which
///     skips exact-zero inputs (fma(w, 0, z) == z up to the sign of a zero); the output layer
///     (one unit) is a dot product per point in the same order.
/// The f values of the step then feed the mesh kernel's per-warp statistics (sample_at, RunSums,
/// warp_bins, write_bins), point for point and lane for lane as eval_block::warp_tiles() feeds
/// them, so the block's Accumulator equals the mesh kernel's bit for bit.
///
/// Phases (b.threads / b.staged / b.warps) end with a barrier. Lines marked `// block-uniform`
/// run once per block in the host emulator but on every thread of the device, lines marked
/// `// warp-uniform` once per warp: the static performance model scales their profile counts by
/// kThreads and 32 (bench/perf_model/README.md).
#pragma once

#include "spikemesh/math/activation.hpp"
#include "spikemesh/math/block.hpp"
#include "spikemesh/math/eval_block.hpp"
#include "spikemesh/math/fma.hpp"
#include "spikemesh/math/shared_cursor.hpp"

#include <cstring>
#include <memory>
#include <type_traits>
#include <vector>

#if defined(__CUDA_ARCH__)
#define SM_DENSE_UNROLL _Pragma("unroll")
#define SM_DENSE_NO_UNROLL _Pragma("unroll 1")
#else
#define SM_DENSE_UNROLL
#define SM_DENSE_NO_UNROLL
#endif

namespace spikemesh {
namespace dense_block {

using eval_block::kSteps;
using eval_block::kThreads;
using eval_block::kTilePoints;
using eval_block::kWarps;

inline constexpr int kStepPoints = kThreads; ///< points of one block step (column 32 w + lane)
inline constexpr int kMinWidth = 32;         ///< hidden widths the kernel takes: 32 ..
inline constexpr int kMaxWidth = 256;        ///< .. 256
inline constexpr int kPointThreads = 8;      ///< threads along the points of a GEMM tile
inline constexpr int kOutputThreads = kThreads / kPointThreads; ///< threads along the outputs
inline constexpr int kRowsNarrow = 2; ///< micro-tile rows instantiated: 32 outputs per pass
inline constexpr int kRowsWide = 8;   ///< 128 outputs per pass

/// GEMM tile per precision: kPoints points per pass (kPointsPerThread per thread), weights
/// staged kChunk inputs at a time. Double halves the points, so that shared memory stays within
/// the device's 227 KB at width 256.
template <class T>
struct Tiling;
template <>
struct Tiling<float> {
  static constexpr int kPoints = 64, kPointsPerThread = 8, kChunk = 32;
};
template <>
struct Tiling<double> {
  static constexpr int kPoints = 32, kPointsPerThread = 4, kChunk = 16;
};

/// A thread's accumulators: MO outputs x kPointsPerThread points.
template <class T, int MO>
struct Micro {
  T acc[MO][Tiling<T>::kPointsPerThread];
};

/// The dynamic shared memory of a block, as offsets in elements of T (all multiples of 16).
struct Layout {
  int x = 0;     ///< the step's inputs = the cursors' coordinates [in_dim][kStepPoints]
  int k = 0;     ///< the cursors' axis positions, index_t [in_dim][kStepPoints]
  int f = 0;     ///< the step's outputs [kStepPoints]
  int a = 0;     ///< activations [width][kPoints]
  int b = 0;     ///< activations [width][kPoints]
  int w = 0;     ///< staged weights [kChunk][16 MO]
  int total = 0; ///< elements
};

template <class T, int MO>
SM_HOST_DEVICE constexpr Layout layout(int in_dim, int width) {
  static_assert(sizeof(index_t) % sizeof(T) == 0, "the index_t region in whole elements of T");
  Layout s;
  s.x = 0;
  s.k = s.x + in_dim * kStepPoints;
  s.f = s.k + in_dim * kStepPoints * static_cast<int>(sizeof(index_t) / sizeof(T));
  s.a = s.f + kStepPoints;
  s.b = s.a + width * Tiling<T>::kPoints;
  s.w = s.b + width * Tiling<T>::kPoints;
  s.total = s.w + Tiling<T>::kChunk * kOutputThreads * MO;
  return s;
}

/// Dynamic shared memory of a block at the largest network rows_for() takes (in_dim kMaxDim,
/// hidden width kMaxWidth), in bytes: with the kernel's static shared memory (the warps' bins,
/// the block reduction's storage) it must stay within the 227 KB per block that sm_90 grants by
/// opt-in (eval_dense.cu checks the device's limit at run time and refuses with the sizes).
template <class T, int MO>
inline constexpr std::size_t
    kMaxSmemBytes = static_cast<std::size_t>(layout<T, MO>(kMaxDim, kMaxWidth).total) * sizeof(T);
/// 227 KB less the static shared memory: the warps' bins and 1 KB for the block reduction.
inline constexpr std::size_t kSmemBudget = 227u * 1024u - sizeof(eval_block::SharedBins) - 1024u;
static_assert(kMaxSmemBytes<float, kRowsNarrow> <= kSmemBudget &&
                  kMaxSmemBytes<float, kRowsWide> <= kSmemBudget &&
                  kMaxSmemBytes<double, kRowsNarrow> <= kSmemBudget &&
                  kMaxSmemBytes<double, kRowsWide> <= kSmemBudget,
              "every network rows_for() takes fits the device's shared memory per block");

/// The lanes' mesh cursors of a block in its shared memory (cursor of thread tid: coordinates
/// at x[a * kStepPoints + tid], axis positions at k[a * kStepPoints + tid]; consecutive threads
/// touch consecutive words, free of bank conflicts).
template <class T>
struct Cursors {
  index_t* k;
  T* x;
  SM_HOST_DEVICE SharedCursor<T> operator[](int tid) const {
    return {{k + tid, kStepPoints}, {x + tid, kStepPoints}};
  }
};

template <class T>
SM_HOST_DEVICE Cursors<T> cursors(const Layout& s, T* smem) {
  return {reinterpret_cast<index_t*>(smem + s.k), smem + s.x};
}

/// The widest hidden layer of @p net.
template <class T>
SM_HOST_DEVICE int hidden_width(const NetworkView<T>& net) {
  int w = 0;
  for (int l = 0; l + 1 < net.n_layers; ++l) // block-uniform
    w = net.layers[l].out > w ? net.layers[l].out : w;
  return w;
}

/// The micro-tile rows the kernel runs @p net with (host view), or 0 when the network is not
/// for it: every layer dense (buffered or streamed), hidden widths in [kMinWidth, kMaxWidth], one
/// output (its shared memory then fits, kMaxSmemBytes). Between 2 rows (outputs padded to multiples
/// of 32) and 8 (of 128, but 4x the FMAs per shared load: predicted inner-loop FMA share about 0.9
/// against 0.65), the one with the smaller padded FMA count divided by that share.
template <class T>
int rows_for(const NetworkView<T>& net) {
  if (net.n_layers < 2 || net.in_dim < 1 || net.in_dim > kMaxDim) return 0;
  const LayerDesc& last = net.layers[net.n_layers - 1];
  if (last.out != 1 || last.sparse || last.stream) return 0;
  double narrow = 0, wide = 0;
  for (int l = 0; l + 1 < net.n_layers; ++l) {
    const LayerDesc& L = net.layers[l];
    // A streamed dense layer (folded into the next one by forward()) sums in the same order.
    if (L.sparse || L.out < kMinWidth || L.out > kMaxWidth) return 0;
    narrow += static_cast<double>(L.in) * ((L.out + 31) / 32 * 32);
    wide += static_cast<double>(L.in) * ((L.out + 127) / 128 * 128);
  }
  return wide / 0.9 <= narrow / 0.65 ? kRowsWide : kRowsNarrow;
}

/// Dynamic shared memory of a block for @p net (host view) at @p rows micro-tile rows.
template <class T>
std::size_t smem_bytes(const NetworkView<T>& net, int rows) {
  const int w = hidden_width(net);
  const Layout s = rows == kRowsWide ? layout<T, kRowsWide>(net.in_dim, w)
                                     : layout<T, kRowsNarrow>(net.in_dim, w);
  return static_cast<std::size_t>(s.total) * sizeof(T);
}

/// dst[0..N) = src[0..N): one or a few vector loads on the device (src 16-byte aligned when
/// N is a multiple of 16 bytes, else 8), a plain copy on the host.
template <int N, class T>
SM_HOST_DEVICE void load_row(const T* src, T* dst) {
#if defined(__CUDA_ARCH__)
  if constexpr (std::is_same_v<T, float> && N % 4 == 0) {
    SM_DENSE_UNROLL
    for (int i = 0; i < N / 4; ++i) {
      const float4 v = reinterpret_cast<const float4*>(src)[i];
      dst[4 * i] = v.x;
      dst[4 * i + 1] = v.y;
      dst[4 * i + 2] = v.z;
      dst[4 * i + 3] = v.w;
    }
  } else if constexpr (std::is_same_v<T, float> && N % 2 == 0) {
    SM_DENSE_UNROLL
    for (int i = 0; i < N / 2; ++i) {
      const float2 v = reinterpret_cast<const float2*>(src)[i];
      dst[2 * i] = v.x;
      dst[2 * i + 1] = v.y;
    }
  } else if constexpr (std::is_same_v<T, double> && N % 2 == 0) {
    SM_DENSE_UNROLL
    for (int i = 0; i < N / 2; ++i) {
      const double2 v = reinterpret_cast<const double2*>(src)[i];
      dst[2 * i] = v.x;
      dst[2 * i + 1] = v.y;
    }
  } else {
    SM_DENSE_UNROLL
    for (int i = 0; i < N; ++i)
      dst[i] = src[i];
  }
#else
  for (int i = 0; i < N; ++i)
    dst[i] = src[i];
#endif
}

/// acc[r][i] = fma(w[r], a[i], acc[r][i]): one input's terms of a thread's micro-tile.
template <class T, int MO>
SM_HOST_DEVICE void micro_fma(Micro<T, MO>& m, const T* a, const T* w) {
  SM_DENSE_UNROLL
  for (int r = 0; r < MO; ++r) {
    SM_DENSE_UNROLL
    for (int i = 0; i < Tiling<T>::kPointsPerThread; ++i)
      m.acc[r][i] = fma_rn(w[r], a[i], m.acc[r][i]);
  }
}

/// One hidden layer for the kPoints points of @p in ([L.in][ld_in]) into @p out
/// ([L.out][kPoints]): passes of 16 MO outputs, each over chunks of kChunk inputs (stage the
/// chunk's weights into @p ws, barrier, accumulate, barrier). @p acc: the threads' micro-tiles.
template <class T, int MO, class B>
SM_HOST_DEVICE void hidden_layer(const B& b, const NetworkView<T>& net, const LayerDesc& L,
                                 const T* in, int ld_in, T* out, T* ws,
                                 typename B::template Regs<Micro<T, MO>>& acc) {
  constexpr int MP = Tiling<T>::kPointsPerThread;
  constexpr int KC = Tiling<T>::kChunk;
  constexpr int OC = kOutputThreads * MO;
  constexpr int P = Tiling<T>::kPoints;
  const T* W = net.params + L.w_off;
  const T* bias = net.params + L.b_off;
  const T alpha = static_cast<T>(L.alpha);
  for (int o0 = 0; o0 < L.out; o0 += OC) {            // block-uniform
    for (int k0 = 0; k0 < L.in; k0 += KC) {           // block-uniform
      const int kc = L.in - k0 < KC ? L.in - k0 : KC; // block-uniform
      b.staged(
          [&](int tid) {
            // Thread tid stages column tid % OC of rows tid / OC, + kThreads / OC, ...: coalesced
            // along the outputs, no division per element.
            // Columns past the layer's outputs and rows past its inputs are left as they are:
            // the rows they feed are never stored, the inputs never read.
            static_assert(kThreads % OC == 0, "whole rows per pass");
            const int o = o0 + tid % OC;
            if (o >= L.out) return;
            const T* src = W + k0 * L.out + o;
            SM_DENSE_NO_UNROLL
            for (int k = tid / OC; k < kc; k += kThreads / OC)
              ws[k * OC + tid % OC] = src[k * L.out];
          },
          [&](int tid) {
            const int tp = tid % kPointThreads, to = tid / kPointThreads;
            Micro<T, MO>& m = acc[tid];
            if (k0 == 0) {
              SM_DENSE_UNROLL
              for (int r = 0; r < MO; ++r) {
                const int o = o0 + to * MO + r;
                const T z = o < L.out ? bias[o] : T(0);
                SM_DENSE_UNROLL
                for (int i = 0; i < MP; ++i)
                  m.acc[r][i] = z;
              }
            }
            const T* a_row = in + k0 * ld_in + tp * MP;
            const T* w_row = ws + to * MO;
            // The inner loop: MO x MP fused multiply-adds per MP + MO shared loads (vectors),
            // two inputs per trip with the loads of the next input issued before the FMAs of
            // the current one (register double buffering, no copies); an odd last input after.
            // Inputs stay in ascending order. Not unrolled further, so that the code holds one
            // copy of each FMA site (the static model charges each site by its host count).
            T a0[MP], w0[MO], a1[MP], w1[MO];
            load_row<MP>(a_row, a0);
            load_row<MO>(w_row, w0);
            int k = 0;
            SM_DENSE_NO_UNROLL
            for (; k + 2 <= kc; k += 2) {
              load_row<MP>(a_row + (k + 1) * ld_in, a1);
              load_row<MO>(w_row + (k + 1) * OC, w1);
              micro_fma<T, MO>(m, a0, w0);
              const int kn = k + 2 < kc ? k + 2 : k + 1; // in range; unused past the end
              load_row<MP>(a_row + kn * ld_in, a0);
              load_row<MO>(w_row + kn * OC, w0);
              micro_fma<T, MO>(m, a1, w1);
            }
            if (k < kc) micro_fma<T, MO>(m, a0, w0);
            if (k0 + KC >= L.in) { // the last chunk: activate and store the micro-tile
              SM_DENSE_UNROLL
              for (int r = 0; r < MO; ++r) {
                const int o = o0 + to * MO + r;
                if (o >= L.out) continue;
                SM_DENSE_UNROLL
                for (int i = 0; i < MP; ++i)
                  out[o * P + tp * MP + i] = activate(L.act, m.acc[r][i], alpha);
              }
            }
          });
    }
  }
}

/// The output layer (one unit) for the kPoints points of @p in ([L.in][ld_in]): a dot product
/// per point, bias first, inputs in ascending order, into @p f[0..kPoints).
template <class T, class B>
SM_HOST_DEVICE void output_layer(const B& b, const NetworkView<T>& net, const LayerDesc& L,
                                 const T* in, int ld_in, T* f) {
  constexpr int P = Tiling<T>::kPoints;
  const T* W = net.params + L.w_off;
  const T bias = net.params[L.b_off];
  const T alpha = static_cast<T>(L.alpha);
  b.threads([&](int tid) {
    if (tid >= P) return;
    T z = bias;
    SM_DENSE_NO_UNROLL
    for (int k = 0; k < L.in; ++k)
      z = fma_rn(W[k], in[k * ld_in + tid], z);
    f[tid] = activate(L.act, z, alpha);
  });
}

/// The step's kStepPoints points, inputs in smem + s.x ([in_dim][kStepPoints], the cursors'
/// coordinates, complete: the phase that wrote them ended with a barrier), through the
/// network into smem + s.f, kPoints at a time.
template <class T, int MO, class B>
SM_HOST_DEVICE void step_forward(const B& b, const NetworkView<T>& net, const Layout& s, T* smem,
                                 typename B::template Regs<Micro<T, MO>>& acc) {
  constexpr int P = Tiling<T>::kPoints;
  for (int c0 = 0; c0 < kStepPoints; c0 += P) {                                 // block-uniform
    const T* in = smem + s.x + c0;                                              // block-uniform
    int ld = kStepPoints;                                                       // block-uniform
    for (int l = 0; l + 1 < net.n_layers; ++l) {                                // block-uniform
      T* out = smem + (l % 2 == 0 ? s.a : s.b);                                 // block-uniform
      hidden_layer<T, MO>(b, net, net.layers[l], in, ld, out, smem + s.w, acc); // block-uniform
      in = out;                                                                 // block-uniform
      ld = P;                                                                   // block-uniform
    }
    output_layer(b, net, net.layers[net.n_layers - 1], in, ld, smem + s.f + c0); // block-uniform
  }
}

/// Warp @p warp's statistics of step @p j of its tile @p t (of @p tiles): its lanes' f from
/// @p fs, as eval_block::warp_tiles() takes them; then its cursors advance by a step (each lane
/// its own: the step's GEMM, which read all of them, ended with a barrier).
template <class T, class W>
SM_HOST_DEVICE void step_stats(const W& w, const EvalView<T>& v, IndexRange range, index_t t,
                               index_t tiles, int j, int warp, const T* fs,
                               const HistScales& scales, const Cursors<T>& cur,
                               Lanes<W, RunSums>& run, Lanes<W, eval_block::LaneRun>& open,
                               eval_block::TileTally& tally, eval_block::WarpBins& slot) {
  const index_t tile0 = range.begin + t * kTilePoints;              // warp-uniform
  const index_t base = tile0 + static_cast<index_t>(j) * kWarpSize; // warp-uniform
  const bool mine = t < tiles;                                      // warp-uniform
  Lanes<W, bool> ok, fzero;
  Lanes<W, int> fbin, dbin;
  Lanes<W, double> err;
  w.each([&](int lane) {
    ok[lane] = false;
    fzero[lane] = false;
    fbin[lane] = -1;
    dbin[lane] = -1;
    err[lane] = 0.0;
    SharedCursor<T> c = cur[warp * kWarpSize + lane]; // views into shared memory
    if (mine && base + lane < range.end) {
      const PointSample ps = sample_at(v, c.coords(), fs[warp * kWarpSize + lane]);
      run[lane].add(ps, v.stats.tau);
      if (std::isfinite(ps.f)) {
        ok[lane] = true;
        fzero[lane] = ps.f == 0.0;
        fbin[lane] = scales.f.scaled_bin(ps.f);
        dbin[lane] = scales.dist.scaled_bin(ps.distance);
        err[lane] = std::fabs(ps.f - ps.truth);
      }
    }
    c.advance(v.mesh);
  });
  if (mine) eval_block::warp_bins(w, ok, fzero, fbin, dbin, err, open, tally, slot); // warp-uniform
}

/// Block @p block (of @p grid) over @p range: every round, the block's kWarps warp tiles, step
/// by step through the network and into the warps' statistics (@p bins, @p stats per thread).
/// @p smem: layout<T, MO>(in_dim, hidden_width) elements of shared memory.
template <class T, int MO, class B>
SM_HOST_DEVICE void block_tiles(const B& b, const EvalView<T>& v, IndexRange range, int block,
                                int grid, T* smem, eval_block::SharedBins& bins,
                                typename B::template Regs<ScalarStats>& stats) {
  const NetworkView<T>& net = v.net;
  const Layout s = layout<T, MO>(net.in_dim, hidden_width(net));
  const Cursors<T> cur = cursors(s, smem);
  T* fs = smem + s.f;
  const HistScales scales(v.stats); // once per thread: no division per point
  const int zero_bin = scales.f.scaled_bin(0.0);
  typename B::template Regs<RunSums> run;
  typename B::template Regs<eval_block::LaneRun> open;
  // A warp's tally (warp-uniform): lane 0's entry of the warp on the host, the thread's own on
  // the device.
  typename B::template Regs<eval_block::TileTally> tally;
  typename B::template Regs<Micro<T, MO>> acc;
  const index_t tiles = (range.size() + kTilePoints - 1) / kTilePoints;
  const index_t stride = static_cast<index_t>(grid) * kWarps;
  const index_t t_first = static_cast<index_t>(block) * kWarps;
  int unflushed = 0;                                      // block-uniform
  for (index_t t0 = t_first; t0 < tiles; t0 += stride) {  // block-uniform
    const index_t first = range.begin + t0 * kTilePoints; // block-uniform
    // The cursors into the shared input tile (the barrier after the phase: before the GEMM).
    b.threads([&](int tid) {
      const index_t t = t0 + tid / kWarpSize;
      cur[tid].start(v.mesh, (t < tiles ? range.begin + t * kTilePoints : first) + tid % kWarpSize);
    });
    for (int j = 0; j < kSteps && first + j * kWarpSize < range.end; ++j) { // block-uniform
      step_forward<T, MO>(b, net, s, smem, acc);                            // block-uniform
      // The warps' statistics of the step, then their cursors (the next step's inputs) advance.
      b.warps([&](const auto& w, int warp) {
        step_stats(w, v, range, t0 + warp, tiles, j, warp, fs, scales, cur, run.warp(warp),
                   open.warp(warp), tally.warp(warp)[0], bins.warp[warp]);
      });
    }
    // The end of the warps' tiles: their lanes' open histogram entries into their slots, as
    // eval_block::warp_tiles() does; the lanes' scalar sums into their ScalarStats.
    b.warps([&](const auto& w, int warp) {
      if (t0 + warp < tiles) { // warp-uniform
        eval_block::flush_tile(w, open.warp(warp), tally.warp(warp)[0], zero_bin,
                               bins.warp[warp]); // warp-uniform
      }
      w.each([&](int lane) { run.warp(warp)[lane].flush(stats.warp(warp)[lane]); });
    });
    // The warps' 32-bit counters into their 64-bit totals, as eval_block::warp_tiles() does:
    // each round adds at most kTilePoints to a warp's counter (eval_block::kFlushTiles).
    if (++unflushed == eval_block::kFlushTiles) { // block-uniform
      b.warps([&](const auto& w, int warp) {
        eval_block::flush_counts(w, bins.warp[warp]);
      });            // block-uniform
      unflushed = 0; // block-uniform
    }
  }
}

/// How emulate_dense_grid() may break the kernel on purpose (tests: the break must show).
enum class Mutation { None, NoStageBarrier };

/// The kernel on @p grid blocks on the host, as eval_block::emulate_eval_grid(): one Accumulator
/// per block in @p partials; every block starts from NaN-filled shared memory (all bits set);
/// the scalars of a block are merged in thread order.
template <class T, int MO>
void emulate_dense_grid(const EvalView<T>& v, IndexRange range, int grid, Accumulator* partials,
                        eval_block::EmulationOrder order = eval_block::EmulationOrder::Forward,
                        Mutation mutation = Mutation::None) {
  HostBlock<kThreads> b;
  b.reversed = order == eval_block::EmulationOrder::Reversed;
  b.drop_stage_barrier = mutation == Mutation::NoStageBarrier;
  const Layout s = layout<T, MO>(v.net.in_dim, hidden_width(v.net));
  std::vector<T> smem(static_cast<std::size_t>(s.total));
  const auto shared = std::make_unique<eval_block::SharedBins>();
  using Stats = HostBlock<kThreads>::Regs<ScalarStats>;
  const auto at = [&](int i, int n) { return b.reversed ? n - 1 - i : i; };
  for (int bi = 0; bi < grid; ++bi) {
    const int blk = at(bi, grid);
    std::memset(static_cast<void*>(smem.data()), 0xff, smem.size() * sizeof(T));
    std::memset(static_cast<void*>(shared.get()), 0xff, sizeof(eval_block::SharedBins));
    b.threads([&](int tid) { eval_block::clear(*shared, tid); });
    const auto stats = std::make_unique<Stats>();
    block_tiles<T, MO>(b, v, range, blk, grid, smem.data(), *shared, *stats);
    ScalarStats merged;
    for (int tid = 0; tid < kThreads; ++tid)
      merged.merge((*stats)[tid]); // thread order
    partials[blk].scalar = merged;
    b.threads([&](int tid) { eval_block::write_bins(*shared, tid, &partials[blk]); });
  }
}

} // namespace dense_block
} // namespace spikemesh

#undef SM_DENSE_UNROLL
#undef SM_DENSE_NO_UNROLL
