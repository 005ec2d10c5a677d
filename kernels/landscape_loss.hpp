/// @file landscape_loss.hpp
/// @brief Host-side declarations of the loss-landscape kernel: the training loss at every point
/// theta* + x_i u + y_j v of a 2-D parameter mesh, one thread block per mesh point (R6: no
/// device code here).
#pragma once

#include "spikemesh/landscape.hpp"
#include "spikemesh/math/network_view.hpp"

#include <cuda_runtime_api.h>

#include <cstdint>
#include <string>

namespace spikemesh::cuda {

/// Widest layer the kernel's per-thread buffers hold (wider hidden layers are streamed).
inline constexpr int kLandscapeWidth = 256;

/// Device pointers and sizes of one landscape evaluation.
struct LandscapeArgs {
  const LayerDesc* layers = nullptr;
  const std::int32_t* indices = nullptr;
  int n_layers = 0, in_dim = 0, buffer_width = 0;
  const double* base = nullptr; ///< packed parameters at theta*
  const double* du = nullptr;   ///< direction u scattered to the packed layout (0 elsewhere)
  const double* dv = nullptr;
  std::int64_t n_params = 0;
  const double* xs = nullptr; ///< [points] mesh coordinates along u
  const double* ys = nullptr; ///< [points] along v
  int points = 0;
  const double* train_x = nullptr; ///< [n_train][in_dim]
  const double* train_y = nullptr;
  int n_train = 0;
  double* scratch = nullptr; ///< grid * n_params doubles when the parameters exceed shared memory
  double* loss = nullptr;    ///< [points][points]
};

/// Launches the kernel on @p grid blocks with @p shared_bytes of dynamic shared memory (the
/// parameters, or 0 with a scratch buffer); checks the launch.
void launch_landscape_loss(const LandscapeArgs& a, int grid, std::size_t shared_bytes,
                           cudaStream_t stream);

/// Fills m.train_loss on the current device; false with the reason in @p why when the case does
/// not fit the kernel.
bool landscape_loss(const LandscapeCase& c, LandscapeMesh& m, std::string* why);

} // namespace spikemesh::cuda
