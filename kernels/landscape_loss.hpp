/// @file landscape_loss.hpp
/// @brief Host-side declarations of the loss-landscape kernel: the training loss at every point
/// theta* + x_i u + y_j v of a 2-D parameter mesh, one thread block per mesh point (R6: no
/// device code here).
#pragma once

#include "spikemesh/landscape.hpp"
#include "spikemesh/math/landscape_block.hpp"

#include <cuda_runtime_api.h>

#include <cstdint>
#include <string>

namespace spikemesh::cuda {

/// Device arguments of one landscape evaluation.
struct LandscapeArgs {
  LandscapeView v;           ///< device pointers
  double* scratch = nullptr; ///< grid * n_params doubles when the parameters exceed shared memory
  double* loss = nullptr;    ///< [points][points]
};

/// Launches the kernel on @p grid blocks with @p shared_bytes of dynamic shared memory (the
/// parameters, or 0 with a scratch buffer); @p width (32 or 256) is at least the network's
/// buffer width. Checks the launch.
void launch_landscape_loss(const LandscapeArgs& a, int width, int grid, std::size_t shared_bytes,
                           cudaStream_t stream);

/// Fills m.train_loss on the current device; false with the reason in @p why when the case does
/// not fit the kernel.
bool landscape_loss(const LandscapeCase& c, LandscapeMesh& m, std::string* why);

} // namespace spikemesh::cuda
