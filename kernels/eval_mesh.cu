/// @file eval_mesh.cu
/// @brief The mesh-evaluation kernel (R7): 64-bit index -> point on the fly (never stored) ->
/// the shared forward pass (per thread; warp-cooperative for the wide networks,
/// math/warp_forward.hpp) -> per-lane statistics (float and the wide kernels: in shared memory,
/// merged by thread 0 in thread order; other double kernels: in registers, CUB block reduction) ->
/// one Accumulator per block. Each warp walks tiles of consecutive points (lane l: every 32nd point
/// from first + l) and aggregates its histogram entries with warp collectives (match_any, ballot,
/// xor shuffles) into its own shared slots, written by one leader lane per bin: no atomics of any
/// kind, and the per-bin error sums are compensated and merged in warp order, so nothing depends on
/// scheduling. The per-warp code is eval_block.hpp's, which CPU tests run in the host's lockstep
/// warp emulation (math/warp.hpp). Phases: clear | tiles | write bins, with a barrier between each.
/// merge_partials_kernel then folds the launch's partials in block order on the device
/// (math/partials_merge.hpp), so that one Accumulator per launch is downloaded.
#include "spikemesh/math/eval_block.hpp"
#include "spikemesh/math/partials_merge.hpp"

#include "cuda_check.hpp"
#include "eval_mesh.hpp"

#include <cub/block/block_reduce.cuh>

#include <cstddef>
#include <stdexcept>
#include <string>

namespace spikemesh::cuda {
namespace {

/// A thread's ScalarStats in shared memory (float kernels): touched once per tile
/// (RunSums::flush), so they need no registers across the hot loop. 152 bytes apart (19
/// doubles): a half warp's 64-bit accesses of one field fall in 16 distinct bank pairs.
struct alignas(8) StatsSlot {
  Lanes<DeviceWarp, ScalarStats> s;
  double pad;
};
static_assert(sizeof(StatsSlot) == 152, "a stride of 19 doubles: conflict-free");

/// Blocks per SM the kernel is compiled for (__launch_bounds__), which caps its registers:
/// separable 3 (168 registers); narrow 4 (128: without a bound ptxas stops at 80 and spills in
/// float once the truth's sin() is sinpi(); its blocks also take their lane rows of dynamic
/// shared memory, so fewer may fit); wide unbounded.
template <class T, int Width>
__global__ void __launch_bounds__(kBlock, Width == eval_block::kSeparableWidth ? 3
                                          : Width == eval_block::kNarrowWidth  ? 4
                                                                               : 0)
    eval_mesh_kernel(const EvalView<T> v, const IndexRange range,
                     Accumulator* __restrict__ partials, const int flush_tiles) {
  static_assert(kBlock % kWarpSize == 0, "whole warps");
  // Float kernels and the wide ones keep the lanes' ScalarStats in shared memory and merge them
  // in thread order (as emulate_eval_grid() does; in registers, the wide double kernel spilled
  // 700 bytes); the other double kernels' shared memory has no room for them (the separable
  // slots take 35 KB), so they keep them in registers and reduce with CUB.
  constexpr bool kSharedStats = sizeof(T) == 4 || Width == kWideWidth;
  using BlockReduce = cub::BlockReduce<ScalarStats, kBlock>;
  // Raw storage: a __shared__ variable takes no constructor; clear() writes every field.
  __shared__ alignas(eval_block::SharedBins) unsigned char bins_raw[sizeof(eval_block::SharedBins)];
  eval_block::SharedBins& bins = *reinterpret_cast<eval_block::SharedBins*>(bins_raw);
  const int tid = static_cast<int>(threadIdx.x);
  eval_block::clear(bins, tid); // phase 1
  const DeviceWarp warp;
  const int w = tid / kWarpSize;
  auto tiles = [&](Lanes<DeviceWarp, ScalarStats>& stats) { // phase 2
    if constexpr (Width == eval_block::kSeparableWidth) {
      // The separable warp slots, as raw storage (a __shared__ variable takes no constructor;
      // first_tile() writes every field a tile reads).
      using Slot = separable::WarpSlot<T>;
      __shared__ alignas(Slot) unsigned char sep_raw[sizeof(Slot) * eval_block::kWarps];
      Slot* const sep = reinterpret_cast<Slot*>(sep_raw);
      eval_block::warp_tiles<T, Width>(warp, v, range, static_cast<int>(blockIdx.x),
                                       static_cast<int>(gridDim.x), w, bins.warp[w], stats,
                                       flush_tiles, &sep[w]);
    } else if constexpr (Width == eval_block::kNarrowWidth) {
      // The lanes' cursors and layer buffers: eval_block::dynamic_smem_bytes() of dynamic
      // shared memory (math/narrow_lanes.hpp), no per-thread arrays.
      extern __shared__ __align__(8) unsigned char narrow_lanes[];
      eval_block::warp_tiles<T, Width>(
          warp, v, range, static_cast<int>(blockIdx.x), static_cast<int>(gridDim.x), w,
          bins.warp[w], stats, flush_tiles, nullptr,
          narrow::warp_lanes<T>(narrow_lanes, kBlock, v.mesh.dim, v.net.buffer_width, w));
    } else if constexpr (Width == kWideWidth) {
      // The warps' cursors and layer buffers (eval_mesh_smem() bytes, math/warp_forward.hpp).
      extern __shared__ __align__(8) unsigned char wide_mem[];
      const warp_forward::WarpScratch<T> scratch =
          warp_forward::warp_scratch<T>(wide_mem, w, v.net.buffer_width, v.mesh.dim);
      eval_block::warp_tiles<T, Width>(warp, v, range, static_cast<int>(blockIdx.x),
                                       static_cast<int>(gridDim.x), w, bins.warp[w], stats,
                                       flush_tiles, nullptr, {}, &scratch);
    } else {
      static_assert(Width == kWideWidth, "the mesh kernel's widths: separable, narrow, wide");
    }
  };
  Accumulator* out = partials + blockIdx.x;
  if constexpr (kSharedStats) {
    // Raw storage: a __shared__ variable takes no constructor (ScalarStats() is assigned).
    __shared__ alignas(StatsSlot) unsigned char lane_stats_raw[sizeof(StatsSlot) * kBlock];
    StatsSlot* const lane_stats = reinterpret_cast<StatsSlot*>(lane_stats_raw);
    lane_stats[tid].s.v = ScalarStats();
    __syncthreads();
    tiles(lane_stats[tid].s);
    __syncthreads(); // the shared bins and the lanes' stats are complete
    if (tid == 0) {
      ScalarStats block;
      for (int i = 0; i < kBlock; ++i)
        block.merge(lane_stats[i].s.v); // thread order
      out->scalar = block;
    }
  } else {
    __shared__ typename BlockReduce::TempStorage reduce_storage;
    __syncthreads();
    Lanes<DeviceWarp, ScalarStats> local;
    tiles(local);
    const ScalarStats block = BlockReduce(reduce_storage).Reduce(local.v, MergeScalarStats{});
    __syncthreads(); // the shared bins are complete
    if (tid == 0) out->scalar = block;
  }
  eval_block::write_bins(bins, tid, out); // phase 3
}

/// One block: thread s folds merge slot s over the partials in block order.
__global__ void __launch_bounds__(partials::kMergeThreads)
    merge_partials_kernel(const Accumulator* __restrict__ parts, const int count,
                          Accumulator* __restrict__ out) {
  partials::merge_slot(parts, count, static_cast<int>(threadIdx.x), out);
}

/// Lets eval_mesh_kernel<T, Width> take @p smem bytes of dynamic shared memory: above the
/// default 48 KB a kernel must opt in (set at every launch, so that evaluators of different
/// networks in one process cannot lower each other's limit).
template <class T, int Width>
void opt_in(std::size_t smem) {
  if (smem > 48 * 1024)
    SM_CUDA_CHECK(cudaFuncSetAttribute(eval_mesh_kernel<T, Width>,
                                       cudaFuncAttributeMaxDynamicSharedMemorySize,
                                       static_cast<int>(smem)));
}

template <class T, int Width>
void launch(const EvalView<T>& view, IndexRange range, int grid, Accumulator* partials,
            cudaStream_t stream, int flush_tiles) {
  const std::size_t smem = eval_block::dynamic_smem_bytes(view, Width);
  opt_in<T, Width>(smem);
  eval_mesh_kernel<T, Width><<<grid, kBlock, smem, stream>>>(view, range, partials, flush_tiles);
  SM_CUDA_CHECK(cudaGetLastError());
}

template <class T, int Width>
int grid_for(const EvalView<T>& view, int device) {
  const std::size_t smem = eval_block::dynamic_smem_bytes(view, Width);
  int sms = 0, optin = 0, per_sm = 0;
  SM_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  SM_CUDA_CHECK(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
  cudaFuncAttributes attr{};
  SM_CUDA_CHECK(cudaFuncGetAttributes(&attr, eval_mesh_kernel<T, Width>));
  if (smem + attr.sharedSizeBytes > static_cast<std::size_t>(optin))
    throw std::runtime_error(
        "mesh kernel: the network and mesh need " + std::to_string(smem + attr.sharedSizeBytes) +
        " bytes of shared memory per block, the device allows " + std::to_string(optin));
  opt_in<T, Width>(smem);
  SM_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, eval_mesh_kernel<T, Width>,
                                                              kBlock, smem));
  return sms * (per_sm > 0 ? per_sm : 1) * 4; // a few waves: balances uneven per-point work
}

} // namespace

template <class T>
void launch_eval_mesh(const EvalView<T>& view, IndexRange range, int width, int grid,
                      Accumulator* partials, cudaStream_t stream, int flush_tiles) {
  if (range.size() == 0) return;
  if (flush_tiles < 1 || flush_tiles > eval_block::kFlushTiles)
    throw std::invalid_argument("launch_eval_mesh: flush period outside [1, kFlushTiles]");
  if (width == eval_block::kSeparableWidth) {
    launch<T, eval_block::kSeparableWidth>(view, range, grid, partials, stream, flush_tiles);
  } else if (width == kNarrowWidth) {
    launch<T, kNarrowWidth>(view, range, grid, partials, stream, flush_tiles);
  } else {
    launch<T, kWideWidth>(view, range, grid, partials, stream, flush_tiles);
  }
}

void launch_merge_partials(const Accumulator* parts, int count, Accumulator* out,
                           cudaStream_t stream) {
  if (count < 0) throw std::invalid_argument("launch_merge_partials: negative count");
  merge_partials_kernel<<<1, partials::kMergeThreads, 0, stream>>>(parts, count, out);
  SM_CUDA_CHECK(cudaGetLastError());
}

template <class T>
int eval_mesh_grid(const EvalView<T>& view, int width, int device) {
  if (width == eval_block::kSeparableWidth)
    return grid_for<T, eval_block::kSeparableWidth>(view, device);
  return width == kNarrowWidth ? grid_for<T, kNarrowWidth>(view, device)
                               : grid_for<T, kWideWidth>(view, device);
}

template void launch_eval_mesh<float>(const EvalView<float>&, IndexRange, int, int, Accumulator*,
                                      cudaStream_t, int);
template void launch_eval_mesh<double>(const EvalView<double>&, IndexRange, int, int, Accumulator*,
                                       cudaStream_t, int);
template int eval_mesh_grid<float>(const EvalView<float>&, int, int);
template int eval_mesh_grid<double>(const EvalView<double>&, int, int);

} // namespace spikemesh::cuda
