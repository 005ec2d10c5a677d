/// @file eval_mesh.cu
/// @brief The mesh-evaluation kernel (R7): 64-bit index -> point on the fly (never stored) ->
/// the shared forward pass -> per-thread statistics -> CUB block reduction -> one Accumulator
/// per block. Histogram counts use shared-memory integer atomics (order-free, exact); the
/// per-bin error sums sit in shared memory per thread and are summed in thread order, so
/// nothing depends on scheduling: no floating-point atomics anywhere. The per-thread work is
/// eval_block.hpp's, which CPU tests run in emulation.
#include "spikemesh/math/eval_block.hpp"

#include "cuda_check.hpp"
#include "eval_mesh.hpp"

#include <cub/block/block_reduce.cuh>

namespace spikemesh::cuda {
namespace {

struct MergeScalar {
  __device__ ScalarStats operator()(const ScalarStats& a, const ScalarStats& b) const {
    ScalarStats r = a;
    r.merge(b);
    return r;
  }
};

template <class T, int Width>
__global__ void __launch_bounds__(kBlock)
    eval_mesh_kernel(const EvalView<T> v, const IndexRange range,
                     Accumulator* __restrict__ partials) {
  static_assert(kBlock % 32 == 0, "whole warps");
  using BlockReduce = cub::BlockReduce<ScalarStats, kBlock>;
  __shared__ typename BlockReduce::TempStorage reduce_storage;
  __shared__ eval_block::SharedBins bins;
  const int tid = static_cast<int>(threadIdx.x);
  eval_block::clear(bins, tid);
  __syncthreads();
  const ScalarStats local = eval_block::thread_points<T, Width>(
      v, range, static_cast<int>(blockIdx.x), static_cast<int>(gridDim.x), tid, bins);
  const ScalarStats block = BlockReduce(reduce_storage).Reduce(local, MergeScalar{});
  __syncthreads(); // the shared bins are complete
  Accumulator* out = partials + blockIdx.x;
  if (tid == 0) out->scalar = block;
  eval_block::write_bins(bins, tid, out);
}

template <class T, int Width>
void launch(const EvalView<T>& view, IndexRange range, int grid, Accumulator* partials,
            cudaStream_t stream) {
  eval_mesh_kernel<T, Width><<<grid, kBlock, 0, stream>>>(view, range, partials);
  SM_CUDA_CHECK(cudaGetLastError());
}

template <class T, int Width>
int grid_for(int device) {
  int sms = 0, per_sm = 0;
  SM_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  SM_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, eval_mesh_kernel<T, Width>,
                                                              kBlock, 0));
  return sms * (per_sm > 0 ? per_sm : 1) * 4; // a few waves: balances uneven per-point work
}

} // namespace

template <class T>
void launch_eval_mesh(const EvalView<T>& view, IndexRange range, int width, int grid,
                      Accumulator* partials, cudaStream_t stream) {
  if (range.size() == 0) return;
  if (width == kNarrowWidth) {
    launch<T, kNarrowWidth>(view, range, grid, partials, stream);
  } else {
    launch<T, kWideWidth>(view, range, grid, partials, stream);
  }
}

template <class T>
int eval_mesh_grid(int width, int device) {
  return width == kNarrowWidth ? grid_for<T, kNarrowWidth>(device)
                               : grid_for<T, kWideWidth>(device);
}

template void launch_eval_mesh<float>(const EvalView<float>&, IndexRange, int, int, Accumulator*,
                                      cudaStream_t);
template void launch_eval_mesh<double>(const EvalView<double>&, IndexRange, int, int, Accumulator*,
                                       cudaStream_t);
template int eval_mesh_grid<float>(int, int);
template int eval_mesh_grid<double>(int, int);

} // namespace spikemesh::cuda
