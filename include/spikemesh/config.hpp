/// @file config.hpp
/// @brief Portability macros shared by g++ and nvcc, and the project's index type.
#pragma once

#include <cstdint>

#if defined(__CUDACC__)
/// Marks math that must compile for both the host and the device.
#define SM_HOST_DEVICE __host__ __device__ __forceinline__
#else
#define SM_HOST_DEVICE inline
#endif

namespace spikemesh {

/// Linear mesh index and counts: 64-bit everywhere (meshes reach 10^12 points).
using index_t = std::int64_t;

/// Largest input dimension the evaluators support (mesh decode keeps per-axis arrays).
inline constexpr int kMaxDim = 32;

} // namespace spikemesh
