/// @file ranks.hpp
/// @brief The MPI merge of a mesh run: rank states merged on rank 0 in rank order.
#pragma once

#include "spikemesh/driver.hpp"

#include <utility>

namespace spikemesh::run {

/// Merges the ranks' states of @p r on rank 0 in rank order and finalizes there (whole range,
/// slowest rank's time) with the training error @p train. A no-op in a single process.
void merge_ranks(RunOutput& r, const Case& c, const MeshSpec& mesh, IndexRange whole,
                 const std::pair<double, double>& train);

} // namespace spikemesh::run
