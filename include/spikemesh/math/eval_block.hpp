/// @file eval_block.hpp
/// @brief What a thread block of the mesh kernel does: each thread walks runs of consecutive
/// mesh points (64-bit index -> point, the shared forward pass, per-point sample), keeps scalar
/// statistics in registers, and adds histogram counts to block-shared counters (integer atomics
/// on the device: order-free, exact) and its error sums to its own shared slot. The CUDA kernel
/// calls these with threadIdx/blockIdx (a CUB block reduction of the scalars);
/// emulate_eval_grid() runs them block after block, thread after thread, on the host, so CPU
/// tests check the kernel's index partition, tails and bins against the CPU backend.
#pragma once

#include "spikemesh/config.hpp"
#include "spikemesh/math/mesh.hpp"
#include "spikemesh/math/point_stats.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

namespace spikemesh {
namespace eval_block {

inline constexpr int kThreads = 128;    ///< threads per block
inline constexpr int kRun = 16;         ///< consecutive points per walk (one decode per run)
inline constexpr int kNarrowWidth = 32; ///< per-thread layer buffer widths instantiated
inline constexpr int kWideWidth = 256;

/// Block-shared histogram state (__shared__ on the device).
struct SharedBins {
  unsigned long long f_counts[kFBins];
  unsigned long long dist_counts[kDistBins];
  unsigned long long dist_max_bits[kDistBins]; ///< non-negative doubles order as their bits
  double dist_sums[kDistBins][kThreads];       ///< [bin][thread]: no bank conflicts
};

SM_HOST_DEVICE void count_one(unsigned long long* c) {
#if defined(__CUDA_ARCH__)
  atomicAdd(c, 1ull);
#else
  ++*c;
#endif
}

SM_HOST_DEVICE unsigned long long bits_of(double x) {
#if defined(__CUDA_ARCH__)
  return static_cast<unsigned long long>(__double_as_longlong(x));
#else
  unsigned long long b;
  std::memcpy(&b, &x, sizeof b);
  return b;
#endif
}

SM_HOST_DEVICE double double_of(unsigned long long b) {
#if defined(__CUDA_ARCH__)
  return __longlong_as_double(static_cast<long long>(b));
#else
  double x;
  std::memcpy(&x, &b, sizeof x);
  return x;
#endif
}

SM_HOST_DEVICE void max_bits(unsigned long long* m, unsigned long long b) {
#if defined(__CUDA_ARCH__)
  atomicMax(m, b);
#else
  *m = b > *m ? b : *m;
#endif
}

/// Phase 1: thread @p tid clears its share of the bins.
SM_HOST_DEVICE void clear(SharedBins& s, int tid) {
  for (int i = tid; i < kFBins; i += kThreads)
    s.f_counts[i] = 0;
  for (int i = tid; i < kDistBins; i += kThreads) {
    s.dist_counts[i] = 0;
    s.dist_max_bits[i] = 0;
  }
  for (int b = 0; b < kDistBins; ++b)
    s.dist_sums[b][tid] = 0.0;
}

/// Phase 2: thread @p tid of block @p block (of @p grid) walks runs r = block * kThreads + tid,
/// + grid * kThreads, ... of @p range, each kRun consecutive points (the last one shorter).
/// Returns the thread's scalar statistics; histogram counts go to @p s.
template <class T, int Width>
SM_HOST_DEVICE ScalarStats thread_points(const EvalView<T>& v, IndexRange range, int block,
                                         int grid, int tid, SharedBins& s) {
  T buf_a[Width], buf_b[Width];
  MeshCursor<T> cur;
  PointSample samples[kRun];
  ScalarStats local;
  const index_t runs = (range.size() + kRun - 1) / kRun;
  const index_t stride = static_cast<index_t>(grid) * kThreads;
  for (index_t r = static_cast<index_t>(block) * kThreads + tid; r < runs; r += stride) {
    const index_t first = range.begin + r * kRun;
    const int n = static_cast<int>(range.end - first < kRun ? range.end - first : kRun);
    cur.start(v.mesh, first);
    for (int p = 0; p < n; ++p) {
      const T f = forward(v.net, cur.x, buf_a, buf_b);
      const PointSample ps = sample_at(v, cur.x, f);
      samples[p] = ps;
      if (std::isfinite(ps.f)) {
        count_one(&s.f_counts[bin_of(ps.f, v.stats.f_lo, v.stats.f_hi, kFBins)]);
        const int db = bin_of(ps.distance, 0.0, v.stats.dist_max, kDistBins);
        const double e = std::fabs(ps.f - ps.truth);
        count_one(&s.dist_counts[db]);
        max_bits(&s.dist_max_bits[db], bits_of(e));
        s.dist_sums[db][tid] += e;
      }
      cur.next(v.mesh);
    }
    local.add_block(samples, n, v.stats.tau);
  }
  return local;
}

/// Phase 3, after a barrier: thread @p tid writes its share of the block's histograms to
/// @p out (error sums over the threads' slots in thread order, compensated).
SM_HOST_DEVICE void write_bins(const SharedBins& s, int tid, Accumulator* out) {
  for (int i = tid; i < kFBins; i += kThreads)
    out->bins.f_counts[i] = s.f_counts[i];
  for (int b = tid; b < kDistBins; b += kThreads) {
    CompensatedSum sum;
    for (int t = 0; t < kThreads; ++t)
      sum.add(s.dist_sums[b][t]); // fixed thread order
    out->bins.dist_counts[b] = s.dist_counts[b];
    out->bins.dist_err_sum[b] = sum;
    out->bins.dist_err_max[b] = double_of(s.dist_max_bits[b]);
  }
}

/// The kernel on @p grid blocks on the host: one Accumulator per block in @p partials, the
/// scalars of a block merged in thread order (the kernel's CUB reduction merges in a tree).
template <class T, int Width>
void emulate_eval_grid(const EvalView<T>& v, IndexRange range, int grid, Accumulator* partials) {
  const auto shared = std::make_unique<SharedBins>();
  for (int b = 0; b < grid; ++b) {
    for (int t = 0; t < kThreads; ++t)
      clear(*shared, t);
    ScalarStats block;
    for (int t = 0; t < kThreads; ++t)
      block.merge(thread_points<T, Width>(v, range, b, grid, t, *shared));
    partials[b].scalar = block;
    for (int t = 0; t < kThreads; ++t)
      write_bins(*shared, t, &partials[b]);
  }
}

/// Blocks for a range of @p points: the full grid, or fewer for small ranges so that every
/// block has a run.
SM_HOST_DEVICE int grid_for_range(index_t points, int full_grid) {
  const index_t runs = (points + kRun - 1) / kRun;
  const index_t needed = (runs + kThreads - 1) / kThreads;
  return static_cast<int>(needed < full_grid ? needed : full_grid);
}

} // namespace eval_block
} // namespace spikemesh
