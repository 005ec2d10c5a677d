/// @file certify_boxes.cu
/// @brief Certified-volume kernels: interval bounds and split axes of boxes (one block per box,
/// rows across threads, the split axis by thread 0 in the CPU's order) and box-local sampling
/// (one block per box, CUB block reduction of the hits). The per-box work is box_block.hpp's,
/// which CPU tests run in emulation. Compiled with --fmad=false so every product and sum rounds
/// as on the CPU.
#include "spikemesh/math/box_block.hpp"

#include "certify_boxes.hpp"
#include "cuda_check.hpp"

#include <cub/block/block_reduce.cuh>

namespace spikemesh::cuda {
namespace {

constexpr int kBoundThreads = 128;
constexpr int kSampleThreads = 64;

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
  using Reduce = cub::BlockReduce<std::int64_t, kSampleThreads>;
  __shared__ typename Reduce::TempStorage temp;
  const int d = a.net.in_dim;
  double x[kMaxDim], buf_a[W], buf_b[W];
  for (int i = blockIdx.x; i < a.count; i += gridDim.x) {
    const double* lo = a.boxes + static_cast<std::int64_t>(i) * 2 * d;
    const double* hi = lo + d;
    const std::uint64_t start =
        box_math::box_stream(a.seed, a.first + static_cast<std::uint64_t>(i), a.round);
    std::int64_t hits = 0;
    for (std::int64_t s = threadIdx.x; s < a.counts[i]; s += blockDim.x)
      hits += box_block::sample_hit(a.net, lo, hi, start, s, a.tau, x, buf_a, buf_b) ? 1 : 0;
    const std::int64_t total = Reduce(temp).Sum(hits);
    if (threadIdx.x == 0) a.hits[i] = total;
    __syncthreads(); // the reduction storage is reused by the next box
  }
}

} // namespace

void launch_bound_boxes(const BoundsView& v, const double* boxes, int count, double* scratch,
                        int grid, double* f_lo, double* f_hi, int* axis, cudaStream_t stream) {
  bound_boxes_kernel<<<grid, kBoundThreads, 0, stream>>>(v, boxes, count, scratch, f_lo, f_hi,
                                                         axis);
  SM_CUDA_CHECK(cudaGetLastError());
}

void launch_sample_boxes(const SampleArgs& a, int width, int grid, cudaStream_t stream) {
  if (width <= 32) {
    sample_boxes_kernel<32><<<grid, kSampleThreads, 0, stream>>>(a);
  } else {
    sample_boxes_kernel<256><<<grid, kSampleThreads, 0, stream>>>(a);
  }
  SM_CUDA_CHECK(cudaGetLastError());
}

} // namespace spikemesh::cuda
