/// @file mesh_job.cpp
/// @brief Resume look-up and the checkpointing block loop of run and sweep.
#include "mesh_job.hpp"

#include "spikemesh/errors.hpp"
#include "spikemesh/io/results_h5.hpp"

#include "run_control.hpp"

#include <chrono>
#include <cstdio>

namespace spikemesh::run {

void check_fingerprint(const std::string& out, const std::string& theirs, const std::string& ours) {
  if (theirs == ours) return;
  const std::string diff = fingerprint_difference(theirs, ours);
  throw InvalidFile(out + ".partial: checkpoint of a different run (" +
                    (diff.empty() ? std::string("another case") : diff) +
                    "); delete it or choose another --out");
}

ResumePoint find_resume(const std::string& out, const std::string& complete_fingerprint,
                        bool quiet) {
  ResumePoint r;
  switch (io::partial_kind(out)) {
  case io::PartialKind::Complete: {
    const std::string theirs = io::complete_partial_fingerprint(out);
    if (theirs.empty() || complete_fingerprint.empty()) {
      throw InvalidFile(out + ".partial: a complete result whose run cannot be verified (no "
                              "run_fingerprint); delete it or choose another --out");
    }
    if (theirs != complete_fingerprint) {
      throw InvalidFile(out + ".partial: a complete result of a different run (" +
                        fingerprint_difference(theirs, complete_fingerprint, "the partial result") +
                        "); delete it or choose another --out");
    }
    r.complete = true;
    return r;
  }
  case io::PartialKind::Checkpoint:
    r.state = io::read_checkpoint(out);
    r.rows = io::read_finished_rows(out);
    r.checkpoint = true;
    return r;
  case io::PartialKind::None:
    if (!quiet)
      std::fprintf(stderr, "spikemesh: no checkpoint %s.partial; starting at 0\n", out.c_str());
    return r;
  }
  return r;
}

RunOutput run_job(const MeshJob& job) {
  using clock = std::chrono::steady_clock;
  RunOptions ro = job.options;
  double elapsed_before = 0.0;
  if (job.resume) {
    ro.resume_state = &job.resume->state;
    ro.resume_next = job.resume->next;
    ro.resume_elapsed_seconds = job.resume->elapsed_seconds;
    elapsed_before = job.resume->elapsed_seconds;
  }
  const auto start = clock::now();
  auto last_checkpoint = start;
  const auto since = [](clock::time_point t) {
    return std::chrono::duration<double>(clock::now() - t).count();
  };
  ro.after_block = [&](const Accumulator& state, index_t next) {
    block_done();
    const bool stop = stop_requested();
    if (!job.checkpointing) return !stop;
    if (stop || since(last_checkpoint) >= job.checkpoint_interval) {
      if (next < job.whole.end)
        job.save({job.fingerprint, job.whole, next, state, elapsed_before + since(start)});
      last_checkpoint = clock::now();
    }
    return !stop;
  };
  const CooperativeStop phase("the mesh evaluation");
  return run_mesh(*job.c, *job.mesh, *job.ev, ro);
}

} // namespace spikemesh::run
