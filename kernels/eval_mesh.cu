/// @file eval_mesh.cu
/// @brief The mesh-evaluation kernel (R7): 64-bit index -> point on the fly (never stored) ->
/// the shared forward pass -> per-thread statistics -> CUB block reduction -> one Accumulator
/// per block. Histogram counts use shared-memory integer atomics (order-free, exact); the
/// per-bin error sums sit in shared memory per thread and are summed in thread order, so
/// nothing depends on scheduling: no floating-point atomics anywhere.
#include "spikemesh/math/point_stats.hpp"

#include "cuda_check.hpp"
#include "eval_mesh.hpp"

#include <cub/block/block_reduce.cuh>

namespace spikemesh::cuda {
namespace {

/// Consecutive points one thread walks with a MeshCursor (one decode per run).
constexpr int kRun = 16;

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
  __shared__ unsigned long long f_counts[kFBins];
  __shared__ unsigned long long dist_counts[kDistBins];
  __shared__ unsigned long long dist_max_bits[kDistBins]; // non-negative doubles order as integers
  __shared__ double dist_sums[kDistBins][kBlock];         // [bin][thread]: no bank conflicts

  const int tid = static_cast<int>(threadIdx.x);
  for (int i = tid; i < kFBins; i += kBlock)
    f_counts[i] = 0;
  for (int i = tid; i < kDistBins; i += kBlock) {
    dist_counts[i] = 0;
    dist_max_bits[i] = 0;
  }
  for (int b = 0; b < kDistBins; ++b)
    dist_sums[b][tid] = 0.0;
  __syncthreads();

  T buf_a[Width], buf_b[Width];
  MeshCursor<T> cur;
  PointSample samples[kRun];
  ScalarStats local;
  const index_t runs = (range.size() + kRun - 1) / kRun;
  const index_t stride = static_cast<index_t>(gridDim.x) * kBlock;
  for (index_t r = static_cast<index_t>(blockIdx.x) * kBlock + tid; r < runs; r += stride) {
    const index_t first = range.begin + r * kRun;
    const int n = static_cast<int>(range.end - first < kRun ? range.end - first : kRun);
    cur.start(v.mesh, first);
    for (int p = 0; p < n; ++p) {
      const T f = forward(v.net, cur.x, buf_a, buf_b);
      const PointSample s = sample_at(v, cur.x, f);
      samples[p] = s;
      if (isfinite(s.f)) {
        atomicAdd(&f_counts[bin_of(s.f, v.stats.f_lo, v.stats.f_hi, kFBins)], 1ull);
        const int db = bin_of(s.distance, 0.0, v.stats.dist_max, kDistBins);
        const double e = fabs(s.f - s.truth);
        atomicAdd(&dist_counts[db], 1ull);
        atomicMax(&dist_max_bits[db], static_cast<unsigned long long>(__double_as_longlong(e)));
        dist_sums[db][tid] += e;
      }
      cur.next(v.mesh);
    }
    local.add_block(samples, n, v.stats.tau);
  }

  const ScalarStats block = BlockReduce(reduce_storage).Reduce(local, MergeScalar{});
  __syncthreads(); // dist_sums, counters complete
  Accumulator* out = partials + blockIdx.x;
  if (tid == 0) out->scalar = block;
  for (int i = tid; i < kFBins; i += kBlock)
    out->bins.f_counts[i] = f_counts[i];
  for (int b = tid; b < kDistBins; b += kBlock) {
    CompensatedSum sum;
    for (int t = 0; t < kBlock; ++t)
      sum.add(dist_sums[b][t]); // fixed thread order
    out->bins.dist_counts[b] = dist_counts[b];
    out->bins.dist_err_sum[b] = sum;
    out->bins.dist_err_max[b] = __longlong_as_double(static_cast<long long>(dist_max_bits[b]));
  }
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
