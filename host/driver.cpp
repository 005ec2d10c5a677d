/// @file driver.cpp
/// @brief run_mesh(): block loop, precision choice, resume and stop points, training error,
/// finalize.
#include "spikemesh/driver.hpp"

#include "spikemesh/errors.hpp"
#include "spikemesh/rounding_bound.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <string>

namespace spikemesh {

index_t driver_block_size(const Evaluator& ev) {
  // Fixed (never time-based) so that the merge order, and so every bit, repeats run to run and
  // across a checkpoint and resume.
  return ev.chunk_size() * 64;
}

std::pair<double, double> training_error_in(const Case& c, Precision p) {
  if (c.training.y.empty()) return {std::nan(""), std::nan("")};
  return p == Precision::Double ? training_error<double>(c) : training_error<float>(c);
}

RunOutput run_mesh(const Case& c, const MeshSpec& mesh, Evaluator& ev, const RunOptions& opt) {
  if (mesh.dim != c.network.in_dim) {
    throw InvalidParameter("dim", "the mesh has dimension " + std::to_string(mesh.dim) +
                                      " but the network takes " + std::to_string(c.network.in_dim) +
                                      " inputs");
  }
  RunOutput out;
  Problem problem;
  problem.c = &c;
  problem.mesh = make_mesh_view(mesh);
  problem.stats = default_stats_config(c);
  // The precision rule of docs/math.md 7.6 (auto: float only when its rounding bound leaves tau
  // a margin); an explicit precision is kept, with the rule's warning recorded.
  const PrecisionChoice choice = choose_precision(opt.precision, c, mesh, problem.stats.tau);
  problem.precision = choice.precision;
  out.precision = problem.precision;
  out.rounding_bound_float = choice.float_bound.bound;
  out.rounding_bound_double = choice.double_bound.bound;
  out.precision_rule = choice.rule;
  out.precision_warning = choice.warning;
  out.stats = problem.stats;
  out.range = opt.range.end >= 0 ? opt.range : IndexRange{0, problem.mesh.total};
  if (out.range.begin < 0 || out.range.end > problem.mesh.total ||
      out.range.begin > out.range.end) {
    throw InvalidParameter("range", "index range outside the mesh [0, " +
                                        std::to_string(problem.mesh.total) + ")");
  }
  index_t b = out.range.begin;
  if (opt.resume_state) {
    if (opt.resume_next < out.range.begin || opt.resume_next > out.range.end) {
      throw InvalidParameter("resume", "checkpoint index outside the run's range");
    }
    out.total = *opt.resume_state;
    b = opt.resume_next;
  }

  const auto t0 = std::chrono::steady_clock::now();
  ev.prepare(problem);
  const index_t block = driver_block_size(ev);
  // Blocks end on absolute multiples of the block size, like the evaluator's chunks. Up to
  // pipeline_depth() blocks are submitted ahead (the CUDA evaluator computes block k + 1 while
  // block k's result is merged here); results are merged, reported and checkpointed in block
  // order, so the totals are those of evaluating block after block. A stop drops the blocks
  // submitted past it (discard(), also when after_block or a collect throws).
  struct DropUnfinished {
    Evaluator& ev;
    ~DropUnfinished() { ev.discard(); }
  } drop{ev};
  const int depth = std::max(1, ev.pipeline_depth());
  std::deque<index_t> ends; // the submitted blocks' ends, oldest first
  index_t submitted = b;
  while (b < out.range.end) {
    while (submitted < out.range.end && static_cast<int>(ends.size()) < depth) {
      const index_t next = std::min(out.range.end, (submitted / block + 1) * block);
      ev.submit({submitted, next});
      ends.push_back(next);
      submitted = next;
    }
    out.total.merge(ev.collect());
    b = ends.front();
    ends.pop_front();
    if (opt.progress) opt.progress(b - out.range.begin, out.range.size());
    if (opt.after_block && !opt.after_block(out.total, b) && b < out.range.end) break;
  }
  ev.discard(); // a stop: the blocks submitted after b are not part of the state
  out.next = b;
  out.complete = b >= out.range.end;
  const auto t1 = std::chrono::steady_clock::now();
  out.wall_seconds = std::chrono::duration<double>(t1 - t0).count() +
                     (opt.resume_state ? opt.resume_elapsed_seconds : 0.0);
  out.points_per_second =
      out.wall_seconds > 0 ? static_cast<double>(b - out.range.begin) / out.wall_seconds : 0.0;
  if (!out.complete) return out; // stopped: the caller keeps the state, not the statistics
  out.results = finalize(out.total, c, mesh, problem.stats,
                         opt.train ? *opt.train : training_error_in(c, problem.precision));
  return out;
}

} // namespace spikemesh
