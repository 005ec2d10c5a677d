/// @file cuda_check.hpp
/// @brief SM_CUDA_CHECK: every CUDA runtime call and launch is checked and throws with the call
/// text and file:line (R9). Compiles with g++ (runtime API header only).
#pragma once

#include <cuda_runtime_api.h>

namespace spikemesh::cuda {

/// Throws std::runtime_error naming the error, the call and where it was made.
[[noreturn]] void throw_cuda_error(cudaError_t err, const char* call, const char* file, int line);

} // namespace spikemesh::cuda

#define SM_CUDA_CHECK(call)                                                                        \
  do {                                                                                             \
    const cudaError_t sm_cuda_err_ = (call);                                                       \
    if (sm_cuda_err_ != cudaSuccess) {                                                             \
      static_cast<void>(cudaGetLastError());                                                       \
      ::spikemesh::cuda::throw_cuda_error(sm_cuda_err_, #call, __FILE__, __LINE__);                \
    }                                                                                              \
  } while (0)
