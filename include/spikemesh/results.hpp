/// @file results.hpp
/// @brief Turns a reduced Accumulator into the named statistics of design.md section 1, side by
/// side with the oracle's exact values.
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
  std::vector<Statistic> scalars; ///< in the order of design.md section 1
  std::vector<double> f_edges;    ///< [kFBins + 1]
  std::vector<double> dist_edges; ///< [kDistBins + 1]

  /// Value of statistic @p name; throws std::out_of_range if absent.
  double get(const std::string& name) const;
};

/// Builds the named statistics. @p train is (MSE, max abs error) at the training points.
Results finalize(const Accumulator& acc, const Case& c, const MeshSpec& mesh,
                 const StatsConfig& stats, std::pair<double, double> train);

} // namespace spikemesh
