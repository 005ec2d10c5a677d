/// @file mesh_run.hpp
/// @brief The run command's mesh evaluation, start to end: the shard's range, the fingerprint,
/// --resume (a complete OUT.partial renamed only when its fingerprint matches; a checkpoint
/// checked), the training-error pass, the checkpointing block loop and the MPI merge.
#pragma once

#include "spikemesh/checkpoint.hpp"
#include "spikemesh/driver.hpp"

#include <functional>
#include <string>
#include <utility>

namespace spikemesh::run {

/// What a mesh run is asked to do.
struct MeshRunSpec {
  const Case* c = nullptr;
  const MeshSpec* mesh = nullptr;
  Evaluator* ev = nullptr;
  Precision precision = Precision::Auto; ///< as asked (resolved by plan_mesh_run)
  int shard_index = 0, shard_count = 1;  ///< --shard i/N
  std::string out;                       ///< the final file; checkpoints go to OUT.partial
  bool resume = false;
  double checkpoint_interval = 60.0;
  bool quiet = false;
};

/// The run's range, precision and fingerprint, fixed before any work.
struct MeshRunPlan {
  index_t mesh_points = 0;
  IndexRange whole; ///< this shard's share of the mesh
  Precision precision = Precision::Float;
  std::string fingerprint;
};

MeshRunPlan plan_mesh_run(const MeshRunSpec& spec);

enum class MeshRunStatus {
  Complete,        ///< out holds the statistics (merged on rank 0)
  AlreadyComplete, ///< OUT.partial was this run's complete result and is now OUT
  Checkpointed,    ///< stopped; OUT.partial holds the state (exit 3)
  Stopped,         ///< stopped without a checkpoint (several ranks; exit 4)
};

struct MeshRunOutcome {
  MeshRunStatus status = MeshRunStatus::Complete;
  RunOutput out;
  std::pair<double, double> train; ///< training error (MSE, max abs) in the run's precision
};

/// Runs @p plan of @p spec; @p progress (may be empty) gets (points done, points in range).
MeshRunOutcome run_planned(const MeshRunSpec& spec, const MeshRunPlan& plan,
                           const std::function<void(index_t, index_t)>& progress);

} // namespace spikemesh::run
