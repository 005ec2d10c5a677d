/// @file mesh_job.hpp
/// @brief A resumable mesh evaluation shared by run and sweep: --resume from OUT.partial with
/// its fingerprint checked (checkpoints and complete results alike), checkpoints after blocks
/// by the interval or on a stop, the checkpoint's elapsed time carried into wall_seconds.
#pragma once

#include "spikemesh/checkpoint.hpp"
#include "spikemesh/driver.hpp"

#include <functional>
#include <string>
#include <vector>

namespace spikemesh::run {

/// What --resume found at OUT.partial.
struct ResumePoint {
  bool checkpoint = false;      ///< a checkpoint (verified by read_checkpoint)
  Checkpoint state;             ///< its in-progress state
  std::vector<Checkpoint> rows; ///< a sweep's finished rows
  bool complete = false;        ///< a complete result whose /@run_fingerprint is @p fingerprint
};

/// Reads OUT.partial for --resume. A complete result is accepted only when its recorded
/// fingerprint equals @p complete_fingerprint (empty: never); a checkpoint is returned for the
/// caller to check with check_fingerprint(). Prints where the run continues unless @p quiet.
ResumePoint find_resume(const std::string& out, const std::string& complete_fingerprint,
                        bool quiet);

/// Throws InvalidFile naming OUT.partial and the first differing field when @p theirs is not
/// @p ours.
void check_fingerprint(const std::string& out, const std::string& theirs, const std::string& ours);

/// One mesh evaluation that can stop with a checkpoint.
struct MeshJob {
  const Case* c = nullptr;
  const MeshSpec* mesh = nullptr;
  Evaluator* ev = nullptr;
  RunOptions options;         ///< precision, this process's range, progress, training error
  IndexRange whole;           ///< the range a checkpoint covers
  std::string fingerprint;    ///< stored in every checkpoint
  bool checkpointing = false; ///< single process: checkpoints are written
  double checkpoint_interval = 60.0;
  const Checkpoint* resume = nullptr; ///< continue from here (the caller checked its fingerprint)
  std::function<void(const Checkpoint&)> save; ///< writes OUT.partial
};

/// Runs @p job. A stop (signal, time limit) ends it at the next block boundary with a
/// checkpoint when checkpointing (RunOutput::complete false). Every block is a test stop point
/// (run_control.hpp, block_done()).
RunOutput run_job(const MeshJob& job);

} // namespace spikemesh::run
