/// @file driver.hpp
/// @brief Runs a case over a mesh with any evaluator: fixed blocks of the index range evaluated
/// in order and merged in order (deterministic), progress, resumable state, statistics.
#pragma once

#include "spikemesh/evaluator.hpp"
#include "spikemesh/mesh_spec.hpp"
#include "spikemesh/results.hpp"

#include <functional>
#include <limits>
#include <string>

namespace spikemesh {

/// Options of one mesh run.
struct RunOptions {
  Precision precision = Precision::Auto;
  /// Sub-range of the linear index (may be empty: an MPI rank without a block); end < 0 means
  /// the whole mesh.
  IndexRange range{0, -1};
  /// Called after each block with (points done, points in range); may be empty.
  std::function<void(index_t, index_t)> progress;
  /// Resume: the merged state of [range.begin, resume_next) from an earlier run (checkpoint).
  const Accumulator* resume_state = nullptr;
  index_t resume_next = -1;
  /// Resume: seconds the earlier runs spent on [range.begin, resume_next); added to wall_seconds
  /// (and so to points_per_second) of the result.
  double resume_elapsed_seconds = 0.0;
  /// The training error (training_error_in()) when the caller computed it beforehand (in a phase
  /// a signal may interrupt); else the driver computes it after the mesh.
  const std::pair<double, double>* train = nullptr;
  /// Called after each block with (merged state, next index); returning false stops the run at
  /// this block boundary (time limit, signal). May be empty.
  std::function<bool(const Accumulator&, index_t)> after_block;
};

/// Outcome of one mesh run.
struct RunOutput {
  Results results;
  Accumulator total;                      ///< the merged state (what results were made from)
  Precision precision = Precision::Float; ///< resolved
  StatsConfig stats;
  IndexRange range;
  index_t next = 0;               ///< first index not evaluated (range.end when complete)
  bool complete = true;           ///< false when after_block stopped the run
  double wall_seconds = 0.0;      ///< this run's time plus resume_elapsed_seconds
  double points_per_second = 0.0; ///< points of [range.begin, next) / wall_seconds
  /// Rounding-error bounds of f over the box per precision, and the precision rule's reason and
  /// warning (docs/math.md 7.6; NaN and empty where not computed, e.g. merged shards).
  double rounding_bound_float = std::numeric_limits<double>::quiet_NaN();
  double rounding_bound_double = std::numeric_limits<double>::quiet_NaN();
  std::string precision_rule;
  std::string precision_warning;
};

/// Evaluates @p c over @p mesh with @p ev (prepares it) and finalizes the statistics.
RunOutput run_mesh(const Case& c, const MeshSpec& mesh, Evaluator& ev, const RunOptions& opt);

/// Blocks of the index range the driver hands to an evaluator: a multiple of its chunk size.
index_t driver_block_size(const Evaluator& ev);

/// (MSE, max abs error) at the training points in precision @p p.
std::pair<double, double> training_error_in(const Case& c, Precision p);

} // namespace spikemesh
