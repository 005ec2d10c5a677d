/// @file landscape_loss.cu
/// @brief The loss-landscape kernel: each block materialises theta* + x u + y v for its mesh
/// point (in shared memory when it fits), its threads share the training points, and a CUB block
/// reduction sums the squared residuals.
#include "spikemesh/math/forward.hpp"

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
  double* p = a.scratch != nullptr ? a.scratch + static_cast<std::int64_t>(blockIdx.x) * a.n_params
                                   : shared_params;
  NetworkView<double> v;
  v.layers = a.layers;
  v.params = p;
  v.indices = a.indices;
  v.n_layers = a.n_layers;
  v.in_dim = a.in_dim;
  v.buffer_width = a.buffer_width;
  double buf_a[W], buf_b[W];
  const std::int64_t cells = static_cast<std::int64_t>(a.points) * a.points;
  for (std::int64_t cell = blockIdx.x; cell < cells; cell += gridDim.x) {
    const double x = a.xs[cell / a.points], y = a.ys[cell % a.points];
    for (std::int64_t k = threadIdx.x; k < a.n_params; k += blockDim.x)
      p[k] = a.base[k] + (x * a.du[k] + y * a.dv[k]);
    __syncthreads();
    double sum = 0.0;
    for (int t = static_cast<int>(threadIdx.x); t < a.n_train; t += blockDim.x) {
      const double r =
          a.train_y[t] -
          forward(v, a.train_x + static_cast<std::int64_t>(t) * a.in_dim, buf_a, buf_b);
      sum += r * r;
    }
    const double total = Reduce(temp).Sum(sum);
    if (threadIdx.x == 0) a.loss[cell] = total;
    __syncthreads(); // the parameters and the reduction storage are reused by the next cell
  }
}

} // namespace

void launch_landscape_loss(const LandscapeArgs& a, int grid, std::size_t shared_bytes,
                           cudaStream_t stream) {
  if (a.buffer_width <= 32) {
    landscape_loss_kernel<32><<<grid, kThreads, shared_bytes, stream>>>(a);
  } else {
    landscape_loss_kernel<kLandscapeWidth><<<grid, kThreads, shared_bytes, stream>>>(a);
  }
  SM_CUDA_CHECK(cudaGetLastError());
}

} // namespace spikemesh::cuda
