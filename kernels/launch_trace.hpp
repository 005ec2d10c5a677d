/// @file launch_trace.hpp
/// @brief For the GPU tests: one mesh-kernel launch as the CUDA evaluator makes it (same
/// problem upload, width and grid), with its per-block partials and the device merge's result
/// brought back, and the device merge of given partials. Implemented in backend_cuda.cpp.
#pragma once

#include "spikemesh/evaluator.hpp"
#include "spikemesh/math/eval_block.hpp"
#include "spikemesh/math/point_stats.hpp"

#include <vector>

namespace spikemesh::cuda {

/// A launch's per-block partials (block order) and the merge kernel's result of them.
struct LaunchTrace {
  std::vector<Accumulator> partials;
  Accumulator merged;
  int width = 0; ///< the kernel's layer-buffer width
};

/// Evaluates @p range of @p problem in one launch with warp flush period @p flush_tiles.
LaunchTrace trace_eval_launch(const Problem& problem, IndexRange range,
                              int flush_tiles = eval_block::kFlushTiles);

/// The merge kernel's block-order merge of @p partials (uploaded, merged, downloaded).
Accumulator merge_on_device(const std::vector<Accumulator>& partials);

} // namespace spikemesh::cuda
