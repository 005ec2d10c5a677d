/// @file ranks.cpp
/// @brief The rank-order merge (ranks.hpp).
#include "ranks.hpp"

#include "spikemesh/parallel.hpp"

namespace spikemesh::run {

void merge_ranks(RunOutput& r, const Case& c, const MeshSpec& mesh, IndexRange whole,
                 const std::pair<double, double>& train) {
  if (parallel::size() == 1) return;
  const Accumulator total = parallel::merge_on_root(r.total);
  const double wall = parallel::max_over_ranks(r.wall_seconds);
  if (parallel::rank() != 0) return;
  r.total = total;
  r.range = whole;
  r.next = whole.end;
  r.wall_seconds = wall;
  r.points_per_second = wall > 0 ? static_cast<double>(total.scalar.points) / wall : 0.0;
  r.results = finalize(total, c, mesh, r.stats, train);
}

} // namespace spikemesh::run
