/// @file driver.hpp
/// @brief Runs a case over a mesh with any evaluator: fixed blocks of the index range evaluated
/// in order and merged in order (deterministic), progress reporting, statistics.
#pragma once

#include "spikemesh/evaluator.hpp"
#include "spikemesh/mesh_spec.hpp"
#include "spikemesh/results.hpp"

#include <functional>
#include <string>

namespace spikemesh {

/// Options of one mesh run.
struct RunOptions {
  Precision precision = Precision::Auto;
  /// Sub-range of the linear index; end <= 0 means the whole mesh.
  IndexRange range{0, 0};
  /// Called after each block with (points done, points in range); may be empty.
  std::function<void(index_t, index_t)> progress;
};

/// Outcome of one mesh run.
struct RunOutput {
  Results results;
  Precision precision = Precision::Float; ///< resolved
  StatsConfig stats;
  IndexRange range;
  double wall_seconds = 0.0;
  double points_per_second = 0.0;
};

/// Evaluates @p c over @p mesh with @p ev (prepares it) and finalizes the statistics.
RunOutput run_mesh(const Case& c, const MeshSpec& mesh, Evaluator& ev, const RunOptions& opt);

/// Blocks of the index range the driver hands to an evaluator: a multiple of its chunk size.
index_t driver_block_size(const Evaluator& ev);

} // namespace spikemesh
