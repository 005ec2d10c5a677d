/// @file warp.hpp
/// @brief One interface to a warp's 32 lanes, so the same templated per-warp code runs on the
/// device (DeviceWarp: each thread is one lane, the collectives are the CUDA intrinsics with the
/// masks they are given; __reduce_max_sync and __reduce_add_sync need sm_80 or later) and on the
/// host (HostWarp: a lockstep emulator holding every lane's value, whose collectives follow the
/// device's rules, including what the device leaves undefined: a lane outside the mask gets a
/// poison value, never a plausible one).
///
/// Per-warp code is written as warp-uniform statements (same on every lane: loop bounds,
/// collectives, masks) and per-lane blocks `w.each([&](int lane) { ... x[lane] ... })` over
/// values of type `Lanes<W, T>`: one register per thread on the device, 32 values on the host.
/// A per-lane block must not communicate with other lanes (the host runs lane 0's block to the
/// end before lane 1's); lanes talk only through the collectives between blocks.
#pragma once

#include "spikemesh/config.hpp"

#include <cstdint>
#include <limits>
#include <type_traits>

namespace spikemesh {

inline constexpr int kWarpSize = 32;
inline constexpr unsigned kFullMask = 0xffffffffu;

/// Whether lane @p lane is in @p mask.
SM_HOST_DEVICE bool lane_in(unsigned mask, int lane) {
  return (mask >> lane) & 1u;
}

/// Lowest lane of a non-empty @p mask.
SM_HOST_DEVICE int first_lane(unsigned mask) {
#if defined(__CUDA_ARCH__)
  return __ffs(static_cast<int>(mask)) - 1;
#else
  return __builtin_ctz(mask);
#endif
}

/// Lanes in @p mask.
SM_HOST_DEVICE int lane_count(unsigned mask) {
#if defined(__CUDA_ARCH__)
  return __popc(mask);
#else
  return __builtin_popcount(mask);
#endif
}

/// What the host emulator returns where the device's result is undefined.
template <class T>
inline T warp_poison() {
  if constexpr (std::is_floating_point_v<T>) {
    return std::numeric_limits<T>::quiet_NaN();
  } else {
    return static_cast<T>(0x5a5a5a5a5a5a5a5aull);
  }
}

/// The lockstep emulator: Lanes hold all 32 values; each() runs a block for lane 0..31.
struct HostWarp {
  template <class T>
  struct Lanes {
    T v[kWarpSize];
    T& operator[](int lane) { return v[lane]; }
    const T& operator[](int lane) const { return v[lane]; }
  };

  bool reversed = false; ///< each() runs lanes 31..0 (tests: no per-lane block may depend on it)

  template <class F>
  void each(F&& f) const {
    for (int i = 0; i < kWarpSize; ++i)
      f(reversed ? kWarpSize - 1 - i : i);
  }

  static bool in(unsigned mask, int lane) { return lane_in(mask, lane); }

  /// __syncwarp: the host's lanes are in lockstep already.
  void sync(unsigned = kFullMask) const {}

  /// __ballot_sync: bit l set when lane l is in @p mask and its predicate holds.
  unsigned ballot(const Lanes<bool>& p, unsigned mask = kFullMask) const {
    unsigned r = 0;
    for (int l = 0; l < kWarpSize; ++l)
      r |= in(mask, l) && p[l] ? 1u << l : 0u;
    return r;
  }

  /// __match_any_sync: for each lane of @p mask, the lanes of @p mask holding its value;
  /// a lane outside the mask gets poison.
  template <class T>
  Lanes<unsigned> match_any(const Lanes<T>& x, unsigned mask = kFullMask) const {
    Lanes<unsigned> r;
    for (int l = 0; l < kWarpSize; ++l) {
      r[l] = 0;
      if (!in(mask, l)) {
        r[l] = warp_poison<unsigned>();
        continue;
      }
      for (int k = 0; k < kWarpSize; ++k)
        r[l] |= in(mask, k) && x[k] == x[l] ? 1u << k : 0u;
    }
    return r;
  }

  /// __shfl_sync(mask, x, src): every lane reads lane src mod 32; undefined (poison) when that
  /// lane or the reading lane is outside @p mask.
  template <class T>
  Lanes<T> shfl(const Lanes<T>& x, int src, unsigned mask = kFullMask) const {
    const int s = src & (kWarpSize - 1);
    Lanes<T> r;
    for (int l = 0; l < kWarpSize; ++l)
      r[l] = in(mask, l) && in(mask, s) ? x[s] : warp_poison<T>();
    return r;
  }

  /// __shfl_sync(mask, x, src[l]) with a source per lane: lane l reads lane src[l] mod 32;
  /// poison when that lane or the reading lane is outside @p mask.
  template <class T>
  Lanes<T> shfl_idx(const Lanes<T>& x, const Lanes<int>& src, unsigned mask = kFullMask) const {
    Lanes<T> r;
    for (int l = 0; l < kWarpSize; ++l) {
      const int s = src[l] & (kWarpSize - 1);
      r[l] = in(mask, l) && in(mask, s) ? x[s] : warp_poison<T>();
    }
    return r;
  }

  /// __shfl_xor_sync(mask, x, lane_mask): lane l reads lane l ^ lane_mask (its own value when
  /// that is past the warp); poison when either lane is outside @p mask.
  template <class T>
  Lanes<T> shfl_xor(const Lanes<T>& x, int lane_mask, unsigned mask = kFullMask) const {
    Lanes<T> r;
    for (int l = 0; l < kWarpSize; ++l) {
      const int s = l ^ lane_mask;
      const int src = s < kWarpSize ? s : l;
      r[l] = in(mask, l) && in(mask, src) ? x[src] : warp_poison<T>();
    }
    return r;
  }

  /// __reduce_max_sync: every lane of @p mask gets the largest value of the lanes of @p mask;
  /// a lane outside the mask gets poison.
  Lanes<unsigned> reduce_max(const Lanes<unsigned>& x, unsigned mask = kFullMask) const {
    unsigned m = 0;
    for (int l = 0; l < kWarpSize; ++l)
      m = in(mask, l) && x[l] > m ? x[l] : m;
    Lanes<unsigned> r;
    for (int l = 0; l < kWarpSize; ++l)
      r[l] = in(mask, l) ? m : warp_poison<unsigned>();
    return r;
  }

  /// __reduce_add_sync: every lane of @p mask gets the sum (modulo 2^32) of the values of the
  /// lanes of @p mask; a lane outside the mask gets poison.
  Lanes<unsigned> reduce_add(const Lanes<unsigned>& x, unsigned mask = kFullMask) const {
    unsigned s = 0;
    for (int l = 0; l < kWarpSize; ++l)
      s += in(mask, l) ? x[l] : 0u;
    Lanes<unsigned> r;
    for (int l = 0; l < kWarpSize; ++l)
      r[l] = in(mask, l) ? s : warp_poison<unsigned>();
    return r;
  }
};

#if defined(__CUDACC__)
/// One lane per thread: Lanes hold this thread's value, each() runs the block once for it.
struct DeviceWarp {
  template <class T>
  struct Lanes {
    T v;
    __device__ __forceinline__ T& operator[](int) { return v; }
    __device__ __forceinline__ const T& operator[](int) const { return v; }
  };

  template <class F>
  __device__ __forceinline__ void each(F&& f) const {
    f(static_cast<int>(threadIdx.x) & (kWarpSize - 1));
  }

  /// __syncwarp: orders the lanes' shared-memory writes before the other lanes' later reads
  /// (the vote and shuffle intrinsics synchronise lanes but promise no memory ordering).
  __device__ __forceinline__ void sync(unsigned mask = kFullMask) const { __syncwarp(mask); }

  __device__ __forceinline__ unsigned ballot(const Lanes<bool>& p,
                                             unsigned mask = kFullMask) const {
    return __ballot_sync(mask, p.v);
  }

  template <class T>
  __device__ __forceinline__ Lanes<unsigned> match_any(const Lanes<T>& x,
                                                       unsigned mask = kFullMask) const {
    return {__match_any_sync(mask, x.v)};
  }

  template <class T>
  __device__ __forceinline__ Lanes<T> shfl(const Lanes<T>& x, int src,
                                           unsigned mask = kFullMask) const {
    return {__shfl_sync(mask, x.v, src)};
  }

  template <class T>
  __device__ __forceinline__ Lanes<T> shfl_idx(const Lanes<T>& x, const Lanes<int>& src,
                                               unsigned mask = kFullMask) const {
    return {__shfl_sync(mask, x.v, src.v)};
  }

  template <class T>
  __device__ __forceinline__ Lanes<T> shfl_xor(const Lanes<T>& x, int lane_mask,
                                               unsigned mask = kFullMask) const {
    return {__shfl_xor_sync(mask, x.v, lane_mask)};
  }

  __device__ __forceinline__ Lanes<unsigned> reduce_max(const Lanes<unsigned>& x,
                                                        unsigned mask = kFullMask) const {
    return {__reduce_max_sync(mask, x.v)};
  }

  __device__ __forceinline__ Lanes<unsigned> reduce_add(const Lanes<unsigned>& x,
                                                        unsigned mask = kFullMask) const {
    return {__reduce_add_sync(mask, x.v)};
  }
};
#endif

/// The per-lane value type of warp @p W.
template <class W, class T>
using Lanes = typename W::template Lanes<T>;

} // namespace spikemesh
