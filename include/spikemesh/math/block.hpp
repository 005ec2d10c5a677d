/// @file block.hpp
/// @brief One interface to a thread block, so that the same block-cooperative code (phases of
/// all kThreads threads separated by barriers, math/dense_block.hpp) runs on the device
/// (DeviceBlock: each thread runs its own part of a phase, then __syncthreads()) and on the
/// host (HostBlock: a phase runs thread 0..kThreads-1, or reversed, to its end before the next
/// phase starts, which is what a barrier guarantees and all it guarantees).
///
/// Per-thread state that lives across phases (registers on the device) is a Regs<T>: on the
/// host one value per thread, grouped by warp so that a warp phase can hand its warp's values to
/// the per-warp code as HostWarp::Lanes; on the device the thread's own value.
///
/// This file is emulator plumbing: the static performance model leaves it out of its line
/// profile, as math/warp.hpp (bench/perf_model/README.md).
#pragma once

#include "spikemesh/config.hpp"
#include "spikemesh/math/warp.hpp"

namespace spikemesh {

/// The host's block emulator: phases run thread by thread, in order or reversed.
template <int Threads>
struct HostBlock {
  static constexpr int kThreads = Threads;
  static constexpr int kWarps = Threads / kWarpSize;

  template <class T>
  struct Regs {
    HostWarp::Lanes<T> w[kWarps];
    T& operator[](int tid) { return w[tid / kWarpSize][tid % kWarpSize]; }
    const T& operator[](int tid) const { return w[tid / kWarpSize][tid % kWarpSize]; }
    HostWarp::Lanes<T>& warp(int i) { return w[i]; }
  };

  bool reversed = false; ///< threads and warps of a phase run in reversed order
  /// Mutation check of the tests: staged() runs staging and compute thread by thread without
  /// the barrier between them (each thread computes right after staging its own share).
  bool drop_stage_barrier = false;

  /// One phase: @p f(tid) for every thread, then (implied) a barrier.
  template <class F>
  void threads(F&& f) const {
    for (int i = 0; i < kThreads; ++i)
      f(reversed ? kThreads - 1 - i : i);
  }

  /// Two phases, staging then compute, with a barrier between them (and after).
  template <class S, class C>
  void staged(S&& stage, C&& compute) const {
    if (drop_stage_barrier) {
      for (int i = 0; i < kThreads; ++i) {
        const int t = reversed ? kThreads - 1 - i : i;
        stage(t);
        compute(t);
      }
      return;
    }
    threads(stage);
    threads(compute);
  }

  /// A warp phase: @p f(warp emulator, warp index) for every warp, then a barrier.
  template <class F>
  void warps(F&& f) const {
    HostWarp w;
    w.reversed = reversed;
    for (int i = 0; i < kWarps; ++i)
      f(w, reversed ? kWarps - 1 - i : i);
  }
};

#if defined(__CUDACC__)
/// A thread of a block on the device: it runs its part of each phase, then waits at the barrier.
template <int Threads>
struct DeviceBlock {
  static constexpr int kThreads = Threads;
  static constexpr int kWarps = Threads / kWarpSize;

  template <class T>
  struct Regs {
    DeviceWarp::Lanes<T> l;
    __device__ __forceinline__ T& operator[](int) { return l.v; }
    __device__ __forceinline__ const T& operator[](int) const { return l.v; }
    __device__ __forceinline__ DeviceWarp::Lanes<T>& warp(int) { return l; }
  };

  template <class F>
  __device__ __forceinline__ void threads(F&& f) const {
    f(static_cast<int>(threadIdx.x));
    __syncthreads();
  }

  template <class S, class C>
  __device__ __forceinline__ void staged(S&& stage, C&& compute) const {
    threads(stage);
    threads(compute);
  }

  template <class F>
  __device__ __forceinline__ void warps(F&& f) const {
    const DeviceWarp w;
    f(w, static_cast<int>(threadIdx.x) / kWarpSize);
    __syncthreads();
  }
};
#endif

} // namespace spikemesh
