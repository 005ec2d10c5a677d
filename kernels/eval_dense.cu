/// @file eval_dense.cu
/// @brief The fused dense-MLP kernel: for networks whose layers are all dense with hidden widths
/// 32 to 256 (dense_block::rows_for), each block takes the mesh kernel's warp tiles step by step
/// (128 points), runs them through every layer as a register-blocked SIMT GEMM in shared memory
/// (FFMA in float, DFMA in double, weights staged per chunk of inputs; activations never leave
/// shared memory; each thread's mesh cursor lives there too, its coordinates the first layer's
/// input tile, so the kernel has no per-thread axis arrays on its stack), and feeds the f values to
/// the mesh kernel's per-warp statistics, then the CUB block reduction and write_bins: one
/// Accumulator per block, bit for bit the mesh kernel's. The per-block code is
/// math/dense_block.hpp's, which CPU tests run on the host's block and warp emulators
/// (tests/test_dense_block.cpp).
#include "spikemesh/math/dense_block.hpp"

#include "cuda_check.hpp"
#include "eval_dense.hpp"

#include <cub/block/block_reduce.cuh>

#include <stdexcept>
#include <string>

namespace spikemesh::cuda {
namespace {

constexpr int kThreads = dense_block::kThreads;

template <class T, int MO>
__global__ void __launch_bounds__(kThreads, 1)
    eval_dense_kernel(const EvalView<T> v, const IndexRange range,
                      Accumulator* __restrict__ partials) {
  using BlockReduce = cub::BlockReduce<ScalarStats, kThreads>;
  __shared__ typename BlockReduce::TempStorage reduce_storage;
  __shared__ eval_block::SharedBins bins;
  extern __shared__ __align__(16) unsigned char dense_smem[];
  const int tid = static_cast<int>(threadIdx.x);
  eval_block::clear(bins, tid); // phase 1
  __syncthreads();
  const DeviceBlock<kThreads> b;
  DeviceBlock<kThreads>::Regs<ScalarStats> local;
  dense_block::block_tiles<T, MO>(b, v, range, static_cast<int>(blockIdx.x),
                                  static_cast<int>(gridDim.x), reinterpret_cast<T*>(dense_smem),
                                  bins, local); // phase 2 (ends with a barrier)
  const ScalarStats block = BlockReduce(reduce_storage).Reduce(local.l.v, MergeScalarStats{});
  __syncthreads(); // the shared bins are complete
  Accumulator* out = partials + blockIdx.x;
  if (tid == 0) out->scalar = block;
  eval_block::write_bins(bins, tid, out); // phase 3
}

template <class T, int MO>
void launch(const EvalView<T>& view, IndexRange range, std::size_t smem, int grid,
            Accumulator* partials, cudaStream_t stream) {
  eval_dense_kernel<T, MO><<<grid, kThreads, smem, stream>>>(view, range, partials);
  SM_CUDA_CHECK(cudaGetLastError());
}

template <class T, int MO>
int grid_for(std::size_t smem, int device) {
  int sms = 0, optin = 0, per_sm = 0;
  SM_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  SM_CUDA_CHECK(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
  cudaFuncAttributes attr{};
  SM_CUDA_CHECK(cudaFuncGetAttributes(&attr, eval_dense_kernel<T, MO>));
  if (smem + attr.sharedSizeBytes > static_cast<std::size_t>(optin))
    throw std::runtime_error(
        "dense kernel: the network needs " + std::to_string(smem + attr.sharedSizeBytes) +
        " bytes of shared memory per block, the device allows " + std::to_string(optin));
  // Above the default 48 KB a kernel must opt in; set it always (checked).
  SM_CUDA_CHECK(cudaFuncSetAttribute(eval_dense_kernel<T, MO>,
                                     cudaFuncAttributeMaxDynamicSharedMemorySize,
                                     static_cast<int>(smem)));
  SM_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, eval_dense_kernel<T, MO>,
                                                              kThreads, smem));
  return sms * (per_sm > 0 ? per_sm : 1) * 4; // a few waves, as the mesh kernel
}

} // namespace

template <class T>
void launch_eval_dense(const EvalView<T>& view, IndexRange range, int rows, std::size_t smem,
                       int grid, Accumulator* partials, cudaStream_t stream) {
  if (range.size() == 0) return;
  if (rows == dense_block::kRowsWide) {
    launch<T, dense_block::kRowsWide>(view, range, smem, grid, partials, stream);
  } else {
    launch<T, dense_block::kRowsNarrow>(view, range, smem, grid, partials, stream);
  }
}

template <class T>
int eval_dense_grid(int rows, std::size_t smem, int device) {
  return rows == dense_block::kRowsWide ? grid_for<T, dense_block::kRowsWide>(smem, device)
                                        : grid_for<T, dense_block::kRowsNarrow>(smem, device);
}

template void launch_eval_dense<float>(const EvalView<float>&, IndexRange, int, std::size_t, int,
                                       Accumulator*, cudaStream_t);
template void launch_eval_dense<double>(const EvalView<double>&, IndexRange, int, std::size_t, int,
                                        Accumulator*, cudaStream_t);
template int eval_dense_grid<float>(int, std::size_t, int);
template int eval_dense_grid<double>(int, std::size_t, int);

} // namespace spikemesh::cuda
