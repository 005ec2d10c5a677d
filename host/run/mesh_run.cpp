/// @file mesh_run.cpp
/// @brief plan_mesh_run() and run_planned() (mesh_run.hpp).
#include "mesh_run.hpp"

#include "spikemesh/io/results_h5.hpp"
#include "spikemesh/parallel.hpp"
#include "spikemesh/rounding_bound.hpp"

#include "mesh_job.hpp"
#include "ranks.hpp"
#include "run_control.hpp"

#include <cstdio>
#include <stdexcept>

namespace spikemesh::run {

MeshRunPlan plan_mesh_run(const MeshRunSpec& spec) {
  MeshRunPlan p;
  p.mesh_points = make_mesh_view(*spec.mesh).total;
  p.whole = parallel::share({0, p.mesh_points}, parallel::kShardBlock, spec.shard_index,
                            spec.shard_count);
  // docs/math.md 7.6: exit 2 (--tau, --precision) before any work when the rule refuses; the
  // driver applies the same rule to spec.precision and records it.
  const PrecisionChoice choice =
      choose_precision(spec.precision, *spec.c, *spec.mesh, spec.c->params.resolved_tau());
  p.precision = choice.precision;
  if (!choice.warning.empty() && parallel::rank() == 0 && !spec.quiet)
    std::fprintf(stderr, "spikemesh: warning: %s\n", choice.warning.c_str());
  p.fingerprint = run_fingerprint(*spec.c, *spec.mesh, p.whole, precision_name(p.precision),
                                  spec.ev->name(), driver_block_size(*spec.ev));
  return p;
}

MeshRunOutcome run_planned(const MeshRunSpec& spec, const MeshRunPlan& plan,
                           const std::function<void(index_t, index_t)>& progress) {
  MeshRunOutcome result;
  ResumePoint resume;
  if (spec.resume) {
    resume = find_resume(spec.out, plan.fingerprint, spec.quiet);
    if (resume.complete) { // the run finished; only the final rename was missed
      if (std::rename((spec.out + ".partial").c_str(), spec.out.c_str()) != 0)
        throw std::runtime_error("cannot rename " + spec.out + ".partial");
      if (!spec.quiet) {
        std::fprintf(stderr,
                     "spikemesh: %s.partial was this run's complete result; renamed to %s\n",
                     spec.out.c_str(), spec.out.c_str());
      }
      result.status = MeshRunStatus::AlreadyComplete;
      return result;
    }
    if (resume.checkpoint) {
      check_fingerprint(spec.out, resume.state.fingerprint, plan.fingerprint);
      if (!spec.quiet) {
        std::fprintf(stderr, "spikemesh: resuming at index %lld of %lld\n",
                     static_cast<long long>(resume.state.next),
                     static_cast<long long>(plan.whole.end));
      }
    }
  }
  // The training error (quadratic in the training set for spike networks): before the mesh,
  // where a signal ends the run with nothing written.
  {
    const ImmediateStop phase("the training-error pass");
    result.train = training_error_in(*spec.c, plan.precision);
  }
  MeshJob job;
  job.c = spec.c;
  job.mesh = spec.mesh;
  job.ev = spec.ev;
  job.options.precision = spec.precision; // the driver resolves it as plan_mesh_run did
  job.options.range =
      parallel::share(plan.whole, driver_block_size(*spec.ev), parallel::rank(), parallel::size());
  job.options.train = &result.train;
  job.options.progress = progress;
  job.whole = plan.whole;
  job.fingerprint = plan.fingerprint;
  job.checkpointing = parallel::size() == 1;
  job.checkpoint_interval = spec.checkpoint_interval;
  job.resume = resume.checkpoint ? &resume.state : nullptr;
  const std::string out = spec.out;
  job.save = [out](const Checkpoint& cp) { io::write_checkpoint(out, cp); };
  result.out = run_job(job);
  if (!result.out.complete) {
    result.status = job.checkpointing ? MeshRunStatus::Checkpointed : MeshRunStatus::Stopped;
    return result;
  }
  merge_ranks(result.out, *spec.c, *spec.mesh, plan.whole, result.train);
  return result;
}

} // namespace spikemesh::run
