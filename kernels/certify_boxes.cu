/// @file certify_boxes.cu
/// @brief Certified-volume kernels: interval bounds and split axes of boxes (one block per box,
/// rows across threads, the split axis by thread 0 in the CPU's order) and box-local sampling
/// (one block per box, CUB block reduction of the hits). Compiled with --fmad=false so every
/// product and sum rounds as on the CPU.
#include "spikemesh/math/box_math.hpp"
#include "spikemesh/math/forward.hpp"

#include "certify_boxes.hpp"
#include "cuda_check.hpp"

#include <cub/block/block_reduce.cuh>

namespace spikemesh::cuda {
namespace {

constexpr int kBoundThreads = 128;
constexpr int kSampleThreads = 64;

using box_math::act_range;
using box_math::max2;
using box_math::min2;
using box_math::widen;

/// BoxBounder's propagate() for one row: inputs z (through the activation below when @p act),
/// silent inputs ([0, 0]) skipped, widened for rounding.
__device__ Interval propagate_row(const BoundsView& v, const BoundLayer& L, int r,
                                  const Interval* z, bool act, Activation below,
                                  double below_alpha) {
  double lo = v.bias[L.bias_off + r], hi = lo, mag = fabs(lo);
  std::int64_t n = 0;
  const std::int64_t* ptr = v.row_ptr + L.ptr_off;
  for (std::int64_t e = ptr[r]; e < ptr[r + 1]; ++e) {
    const int j = v.cols[L.ent_off + e];
    const double w = v.vals[L.ent_off + e];
    const Interval x = act ? act_range(below, below_alpha, z[j].lo, z[j].hi) : z[j];
    if (x.lo == 0.0 && x.hi == 0.0) continue;
    const double a = w * x.lo, b = w * x.hi;
    lo += min2(a, b);
    hi += max2(a, b);
    mag += max2(fabs(a), fabs(b));
    ++n;
  }
  return widen({lo, hi}, mag, n);
}

/// out[j] = sum_r |W[r][j]| in[r] over the nonzero in[r], rows in order (as on the CPU).
__device__ void abs_transpose_times(const BoundsView& v, const BoundLayer& L, const double* in,
                                    double* out) {
  for (int j = 0; j < L.in; ++j)
    out[j] = 0.0;
  const std::int64_t* ptr = v.row_ptr + L.ptr_off;
  for (int r = 0; r < L.out; ++r) {
    const double s = in[r];
    if (s == 0.0) continue;
    for (std::int64_t e = ptr[r]; e < ptr[r + 1]; ++e)
      out[v.cols[L.ent_off + e]] += fabs(v.vals[L.ent_off + e]) * s;
  }
}

/// BoxBounder::split_axis(), serially (one thread).
__device__ int split_axis(const BoundsView& v, const double* lo, const double* hi,
                          const Interval* z, const Interval* term, double* scratch) {
  double* sens = scratch + v.sens_off;
  double* next = sens + v.max_width;
  double* score = scratch + v.score_off;
  const int stop = v.separable ? 1 : 0;
  sens[0] = 1.0;
  for (int l = v.n_layers - 1; l > stop; --l) {
    const BoundLayer& L = v.layers[l];
    abs_transpose_times(v, L, sens, next);
    const BoundLayer& below = v.layers[l - 1];
    for (int n = 0; n < L.in; ++n)
      next[n] *= box_math::max_slope(below.act, below.alpha, z[below.z_off + n]);
    double* t = sens;
    sens = next;
    next = t;
  }
  const int d = v.in_dim;
  for (int k = 0; k < d; ++k)
    score[k] = 0.0;
  if (v.separable) {
    const BoundLayer& L1 = v.layers[1];
    for (int r = 0; r < L1.out; ++r) {
      if (sens[r] == 0.0) continue;
      for (int e = v.row_term_ptr[r]; e < v.row_term_ptr[r + 1]; ++e) {
        const int t = v.row_term_idx[e];
        score[v.term_axis[t]] += sens[r] * (term[t].hi - term[t].lo);
      }
    }
  } else {
    abs_transpose_times(v, v.layers[0], sens, next);
    for (int k = 0; k < d; ++k)
      score[k] = next[k] * (hi[k] - lo[k]);
  }
  int best = 0;
  for (int k = 1; k < d; ++k) {
    const double a = score[k], b = score[best];
    if (a > b || (a == b && hi[k] - lo[k] > hi[best] - lo[best])) best = k;
  }
  return best;
}

__global__ void __launch_bounds__(kBoundThreads)
    bound_boxes_kernel(BoundsView v, const double* boxes, int count, double* scratch_all,
                       double* f_lo, double* f_hi, int* axis_out) {
  double* scratch = scratch_all + static_cast<std::int64_t>(blockIdx.x) * v.scratch_per_block;
  Interval* z = reinterpret_cast<Interval*>(scratch); // Interval is two doubles
  Interval* term = reinterpret_cast<Interval*>(scratch + v.term_off);
  double* term_mag = scratch + v.mag_off;
  const int d = v.in_dim;
  for (int b = blockIdx.x; b < count; b += gridDim.x) {
    const double* lo = boxes + static_cast<std::int64_t>(b) * 2 * d;
    const double* hi = lo + d;
    const BoundLayer& L0 = v.layers[0];
    int first = 1;
    if (v.separable) {
      for (int j = threadIdx.x; j < L0.out; j += blockDim.x) {
        const int k = v.axis0[j];
        const double c = v.bias[L0.bias_off + j];
        const double u1 = v.a0[j] * lo[k] + c, u2 = v.a0[j] * hi[k] + c;
        z[L0.z_off + j] = widen({min2(u1, u2), max2(u1, u2)},
                                fabs(v.a0[j]) * max2(fabs(lo[k]), fabs(hi[k])) + fabs(c), 1);
      }
      for (int t = threadIdx.x; t < v.n_terms; t += blockDim.x) {
        const int k = v.term_axis[t], p = v.term_ptr[t];
        term[t] = box_math::axis_term_range(L0.act, L0.alpha, v.term_w + p, v.term_a + p,
                                            v.term_c + p, v.term_ptr[t + 1] - p, lo[k], hi[k]);
        term_mag[t] = max2(fabs(term[t].lo), fabs(term[t].hi));
      }
      __syncthreads();
      const BoundLayer& L1 = v.layers[1];
      for (int r = threadIdx.x; r < L1.out; r += blockDim.x) {
        Interval s{v.bias[L1.bias_off + r], v.bias[L1.bias_off + r]};
        double mag = fabs(s.lo);
        for (int e = v.row_term_ptr[r]; e < v.row_term_ptr[r + 1]; ++e) {
          const int t = v.row_term_idx[e];
          s.lo += term[t].lo;
          s.hi += term[t].hi;
          mag += term_mag[t];
        }
        z[L1.z_off + r] = widen(s, mag, v.row_term_ptr[r + 1] - v.row_term_ptr[r]);
      }
      first = 2;
    } else {
      // The box itself is the input interval vector: lay it out as intervals in the score slot.
      Interval* in = reinterpret_cast<Interval*>(scratch + v.sens_off);
      for (int k = threadIdx.x; k < d; k += blockDim.x)
        in[k] = {lo[k], hi[k]};
      __syncthreads();
      for (int r = threadIdx.x; r < L0.out; r += blockDim.x)
        z[L0.z_off + r] = propagate_row(v, L0, r, in, false, Activation::Identity, 0.0);
    }
    __syncthreads();
    for (int l = first; l < v.n_layers; ++l) {
      const BoundLayer& L = v.layers[l];
      const BoundLayer& below = v.layers[l - 1];
      for (int r = threadIdx.x; r < L.out; r += blockDim.x)
        z[L.z_off + r] = propagate_row(v, L, r, z + below.z_off, true, below.act, below.alpha);
      __syncthreads();
    }
    if (threadIdx.x == 0) {
      const Interval f = z[v.layers[v.n_layers - 1].z_off];
      f_lo[b] = f.lo;
      f_hi[b] = f.hi;
      axis_out[b] = split_axis(v, lo, hi, z, term, scratch);
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
    for (std::int64_t s = threadIdx.x; s < a.counts[i]; s += blockDim.x) {
      // Draw s * d + k of the stream, as the CPU's sequential splitmix64 calls.
      for (int k = 0; k < d; ++k) {
        const std::uint64_t draw = static_cast<std::uint64_t>(s) * static_cast<std::uint64_t>(d) +
                                   static_cast<std::uint64_t>(k) + 1;
        const std::uint64_t bits = box_math::splitmix_mix(start + draw * 0x9E3779B97F4A7C15ULL);
        x[k] = lo[k] + (hi[k] - lo[k]) * box_math::unit_double(bits);
      }
      hits += fabs(forward(a.net, x, buf_a, buf_b)) > a.tau ? 1 : 0;
    }
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
