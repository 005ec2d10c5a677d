/// @file certify_boxes.hpp
/// @brief Host-side declarations of the certified-volume kernels (R6: no device code here):
/// interval bounds and split axes of a batch of boxes, one thread block per box running
/// box_block.hpp's phases, which mirror BoxBounder's interval method operation for operation
/// (compiled without FMA contraction, so verdicts and axes match the CPU's); and box-local
/// uniform sampling on the same streams as the CPU engine.
#pragma once

#include "spikemesh/certify.hpp"
#include "spikemesh/math/box_block.hpp"
#include "spikemesh/math/network_view.hpp"

#include <cuda_runtime_api.h>

#include <cstdint>
#include <memory>
#include <string>

namespace spikemesh::cuda {

/// Bounds @p count boxes ([2 d] doubles each) into f_lo, f_hi and axis; @p scratch holds
/// grid * v.scratch_per_block doubles. Checks the launch.
void launch_bound_boxes(const BoundsView& v, const double* boxes, int count, double* scratch,
                        int grid, double* f_lo, double* f_hi, int* axis, cudaStream_t stream);

/// Device arguments of one sampling call.
struct SampleArgs {
  NetworkView<double> net;
  const double* boxes = nullptr;         ///< [count][2 d]
  const std::int64_t* offsets = nullptr; ///< [count + 1] prefix sums of the points per box
  int count = 0;
  std::uint64_t seed = 0, round = 0, first = 0;
  double tau = 0.0;
  std::int64_t* hits = nullptr; ///< [count], zeroed by the launcher
};

/// One thread per point of all the boxes together (grid-stride over the @p total points, at
/// most @p max_grid blocks): point s of box i is draws s d .. s d + d - 1 of
/// box_math::box_stream(seed, first + i, round); hits are counted with integer atomics. @p width
/// is 32 or 256 (>= the network's buffer width). Zeroes the hits first; checks the launch.
void launch_sample_boxes(const SampleArgs& a, int width, std::int64_t total, int max_grid,
                         cudaStream_t stream);

/// The GPU BoxEngine (see make_cuda_box_engine()).
std::unique_ptr<BoxEngine> make_box_engine(const Network& net, const BoxBounder& bounder,
                                           std::string* why);

} // namespace spikemesh::cuda
