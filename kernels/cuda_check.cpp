/// @file cuda_check.cpp
/// @brief throw_cuda_error(): formats the CUDA error name, message, call text and file:line.
#include "cuda_check.hpp"

#include <stdexcept>
#include <string>

namespace spikemesh::cuda {

void throw_cuda_error(cudaError_t err, const char* call, const char* file, int line) {
  throw std::runtime_error(std::string("CUDA error ") + cudaGetErrorName(err) + " (" +
                           cudaGetErrorString(err) + ") in " + call + " at " + file + ":" +
                           std::to_string(line));
}

} // namespace spikemesh::cuda
