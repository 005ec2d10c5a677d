/// @file results.hpp
/// @brief Turns a reduced Accumulator into the named statistics of docs/math.md section 7.3, side
/// by side with the oracle's exact values.
#pragma once

#include "spikemesh/case.hpp"
#include "spikemesh/math/point_stats.hpp"
#include "spikemesh/mesh_spec.hpp"

#include <string>
#include <vector>

namespace spikemesh {

/// One named scalar statistic (integers are stored exactly: counts < 2^53 in any real run, and
/// the count fields are also kept as uint64 in the Accumulator).
struct Statistic {
  std::string name;
  double value;
  bool is_count = false;
};

/// Final results of one run.
struct Results {
  Accumulator acc;
  std::vector<Statistic> scalars; ///< defined in docs/math.md section 7.3
  std::vector<double> f_edges;    ///< [kFBins + 1]
  std::vector<double> dist_edges; ///< [kDistBins + 1]

  /// Value of statistic @p name; throws std::out_of_range if absent.
  double get(const std::string& name) const;
};

/// Everything besides the Accumulator that the statistics depend on (stored with shards so that
/// `spikemesh merge` can finalize without rebuilding the case).
struct FinalizeInputs {
  Task task = Task::Classify;
  Oracle oracle;
  bool unit_box = true; ///< the box is [0,1]^d (where the oracle holds)
  double box_volume = 1.0;
  StatsConfig stats;
  std::pair<double, double> train{0.0, 0.0}; ///< (MSE, max abs error) at the training points
};

FinalizeInputs finalize_inputs(const Case& c, const MeshSpec& mesh, const StatsConfig& stats,
                               std::pair<double, double> train);

/// Builds the named statistics.
Results finalize(const Accumulator& acc, const FinalizeInputs& in);

/// Shorthand: finalize(acc, finalize_inputs(c, mesh, stats, train)).
Results finalize(const Accumulator& acc, const Case& c, const MeshSpec& mesh,
                 const StatsConfig& stats, std::pair<double, double> train);

} // namespace spikemesh
