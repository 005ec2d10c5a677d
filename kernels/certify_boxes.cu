/// @file certify_boxes.cu
/// @brief Certified-volume kernels: interval bounds and split axes of boxes (one block per box,
/// rows across threads, the split axis by thread 0 in the CPU's order) and box-local sampling
/// (one thread per point of all the boxes together, hits counted with integer atomics). The per-box
/// work is box_block.hpp's, which CPU tests run in emulation. Compiled with --fmad=false so every
/// product and sum rounds as on the CPU.
#include "spikemesh/math/box_block.hpp"

#include "certify_boxes.hpp"
#include "cuda_check.hpp"

namespace spikemesh::cuda {
namespace {

constexpr int kBoundThreads = 128;
constexpr int kSampleThreads = 128;

__global__ void __launch_bounds__(kBoundThreads)
    bound_boxes_kernel(BoundsView v, const double* boxes, int count, double* scratch_all,
                       double* f_lo, double* f_hi, int* axis_out) {
  double* scratch = scratch_all + static_cast<std::int64_t>(blockIdx.x) * v.scratch_per_block;
  const int d = v.in_dim;
  const int phases = box_block::phases(v);
  for (int b = blockIdx.x; b < count; b += gridDim.x) {
    const double* lo = boxes + static_cast<std::int64_t>(b) * 2 * d;
    const double* hi = lo + d;
    for (int p = 0; p < phases; ++p) {
      box_block::bound_phase(v, p, lo, hi, scratch, threadIdx.x, blockDim.x);
      __syncthreads();
    }
    if (threadIdx.x == 0) {
      const Interval f = box_block::bound_result(v, lo, hi, scratch, &axis_out[b]);
      f_lo[b] = f.lo;
      f_hi[b] = f.hi;
    }
    __syncthreads(); // the scratch is reused by the block's next box
  }
}

template <int W>
__global__ void __launch_bounds__(kSampleThreads) sample_boxes_kernel(SampleArgs a) {
  double x[kMaxDim], buf_a[W], buf_b[W];
  const std::int64_t total = a.offsets[a.count];
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t g = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; g < total;
       g += stride) {
    int box = 0;
    if (box_block::global_sample_hit(a.net, a.boxes, a.offsets, a.count, a.seed, a.round, a.first,
                                     a.tau, g, x, buf_a, buf_b, &box)) {
      atomicAdd(reinterpret_cast<unsigned long long*>(a.hits + box), 1ull); // exact, order-free
    }
  }
}

} // namespace

void launch_bound_boxes(const BoundsView& v, const double* boxes, int count, double* scratch,
                        int grid, double* f_lo, double* f_hi, int* axis, cudaStream_t stream) {
  bound_boxes_kernel<<<grid, kBoundThreads, 0, stream>>>(v, boxes, count, scratch, f_lo, f_hi,
                                                         axis);
  SM_CUDA_CHECK(cudaGetLastError());
}

void launch_sample_boxes(const SampleArgs& a, int width, std::int64_t total, int max_grid,
                         cudaStream_t stream) {
  const std::int64_t blocks = (total + kSampleThreads - 1) / kSampleThreads;
  const int grid = static_cast<int>(blocks < max_grid ? blocks : max_grid);
  // Every box's count is cleared, also when no box has a point to sample (then no launch):
  // the caller downloads a.count hits either way.
  if (a.count > 0) {
    SM_CUDA_CHECK(
        cudaMemsetAsync(a.hits, 0, static_cast<std::size_t>(a.count) * sizeof *a.hits, stream));
  }
  if (grid < 1) return;
  if (width <= 32) {
    sample_boxes_kernel<32><<<grid, kSampleThreads, 0, stream>>>(a);
  } else {
    sample_boxes_kernel<256><<<grid, kSampleThreads, 0, stream>>>(a);
  }
  SM_CUDA_CHECK(cudaGetLastError());
}

} // namespace spikemesh::cuda
