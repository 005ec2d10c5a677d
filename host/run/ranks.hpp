/// @file ranks.hpp
/// @brief MPI agreement of every command: input errors agreed on before the first collective,
/// rank states merged on rank 0 in rank order.
#pragma once

#include "spikemesh/driver.hpp"

#include <functional>
#include <utility>

namespace spikemesh::run {

/// Runs @p f on every rank; if it throws on any rank, every rank throws (the failing ones their
/// own exception, the others a runtime_error) before any other collective call is made.
void agree_on_errors(const std::function<void()>& f);

/// Merges the ranks' states of @p r on rank 0 in rank order and finalizes there (whole range,
/// slowest rank's time) with the training error @p train. A no-op in a single process.
void merge_ranks(RunOutput& r, const Case& c, const MeshSpec& mesh, IndexRange whole,
                 const std::pair<double, double>& train);

} // namespace spikemesh::run
