/// @file fma.hpp
/// @brief fma_rn(a, b, c) = a * b + c rounded once: the dense layers' multiply-add on both
/// backends. The build turns contraction off (-ffp-contract=off, nvcc --fmad=false), so a fused
/// multiply-add happens only where it is written: here, as std::fma on the host (the FMA
/// instruction in the CPU backend's x86-64-v3 clone, glibc's correctly rounded fma elsewhere)
/// and __fmaf_rn / __fma_rn on the device (FFMA / DFMA). Both are IEEE fusedMultiplyAdd, so the
/// two backends round every dense pre-activation identically (docs/math.md 7.6).
#pragma once

#include "spikemesh/config.hpp"

#include <cmath>

namespace spikemesh {

SM_HOST_DEVICE float fma_rn(float a, float b, float c) {
#if defined(__CUDA_ARCH__)
  return __fmaf_rn(a, b, c);
#else
  return std::fma(a, b, c);
#endif
}

SM_HOST_DEVICE double fma_rn(double a, double b, double c) {
#if defined(__CUDA_ARCH__)
  return __fma_rn(a, b, c);
#else
  return std::fma(a, b, c);
#endif
}

} // namespace spikemesh
