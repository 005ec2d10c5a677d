/// @file driver.cpp
/// @brief run_mesh(): block loop, precision choice, training error, finalize.
#include "spikemesh/driver.hpp"

#include "spikemesh/errors.hpp"

#include <algorithm>
#include <chrono>

namespace spikemesh {

index_t driver_block_size(const Evaluator& ev) {
  // Fixed (never time-based) so that the merge order, and so every bit, repeats run to run.
  return ev.chunk_size() * 256;
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
  problem.precision = resolve_precision(opt.precision, c.slack);
  out.precision = problem.precision;
  out.stats = problem.stats;
  out.range = opt.range.end > 0 ? opt.range : IndexRange{0, problem.mesh.total};
  if (out.range.begin < 0 || out.range.end > problem.mesh.total ||
      out.range.begin > out.range.end) {
    throw InvalidParameter("range", "index range outside the mesh [0, " +
                                        std::to_string(problem.mesh.total) + ")");
  }

  const auto t0 = std::chrono::steady_clock::now();
  ev.prepare(problem);
  Accumulator total;
  const index_t block = driver_block_size(ev);
  index_t done = 0;
  for (index_t b = out.range.begin; b < out.range.end;) {
    // Blocks end on absolute multiples of the block size, like the evaluator's chunks.
    const index_t next = std::min(out.range.end, (b / block + 1) * block);
    total.merge(ev.evaluate({b, next}));
    done += next - b;
    b = next;
    if (opt.progress) opt.progress(done, out.range.size());
  }
  const auto t1 = std::chrono::steady_clock::now();
  out.wall_seconds = std::chrono::duration<double>(t1 - t0).count();
  out.points_per_second =
      out.wall_seconds > 0 ? static_cast<double>(out.range.size()) / out.wall_seconds : 0.0;
  const auto train =
      problem.precision == Precision::Double ? training_error<double>(c) : training_error<float>(c);
  out.results = finalize(total, c, mesh, problem.stats, train);
  return out;
}

} // namespace spikemesh
