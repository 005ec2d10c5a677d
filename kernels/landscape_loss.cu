/// @file landscape_loss.cu
/// @brief The loss-landscape kernel: each block materialises theta* + x u + y v for its mesh
/// point (in shared memory when it fits), its threads share the training points, and a CUB block
/// reduction sums the squared residuals. The per-cell work is landscape_block.hpp's, which CPU
/// tests run in emulation.
#include "spikemesh/math/landscape_block.hpp"

#include "cuda_check.hpp"
#include "landscape_loss.hpp"

#include <cub/block/block_reduce.cuh>

namespace spikemesh::cuda {
namespace {

constexpr int kThreads = 128;

template <int W>
__global__ void __launch_bounds__(kThreads) landscape_loss_kernel(LandscapeArgs a) {
  extern __shared__ double shared_params[];
  using Reduce = cub::BlockReduce<double, kThreads>;
  __shared__ typename Reduce::TempStorage temp;
  double* p = a.scratch != nullptr
                  ? a.scratch + static_cast<std::int64_t>(blockIdx.x) * a.v.n_params
                  : shared_params;
  double buf_a[W], buf_b[W];
  const std::int64_t cells = static_cast<std::int64_t>(a.v.points) * a.v.points;
  for (std::int64_t cell = blockIdx.x; cell < cells; cell += gridDim.x) {
    landscape_block::set_params(a.v, cell, p, threadIdx.x, blockDim.x);
    __syncthreads();
    const double sum = landscape_block::partial_loss(a.v, p, threadIdx.x, blockDim.x, buf_a, buf_b);
    const double total = Reduce(temp).Sum(sum);
    if (threadIdx.x == 0) a.loss[cell] = total;
    __syncthreads(); // the parameters and the reduction storage are reused by the next cell
  }
}

} // namespace

void launch_landscape_loss(const LandscapeArgs& a, int width, int grid, std::size_t shared_bytes,
                           cudaStream_t stream) {
  if (width <= 32) {
    landscape_loss_kernel<32><<<grid, kThreads, shared_bytes, stream>>>(a);
  } else {
    landscape_loss_kernel<256><<<grid, kThreads, shared_bytes, stream>>>(a);
  }
  SM_CUDA_CHECK(cudaGetLastError());
}

} // namespace spikemesh::cuda
