/// @file checkpoint.hpp
/// @brief Resumable runs: the merged state after a block, the next index, and a fingerprint of
/// everything that must match for a resumed run to equal an uninterrupted one.
#pragma once

#include "spikemesh/case.hpp"
#include "spikemesh/math/point_stats.hpp"
#include "spikemesh/mesh_spec.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace spikemesh {

/// State of an interrupted run.
struct Checkpoint {
  std::string fingerprint; ///< run_fingerprint() of the run that wrote it
  IndexRange range;
  index_t next = 0;  ///< first index not yet evaluated
  Accumulator state; ///< merged statistics of [range.begin, next)
  double elapsed_seconds = 0.0;
};

/// Canonical "key=value;" text of everything that determines a run's bits: the case, the mesh,
/// the range, the precision, the backend and its block size, and the binary's state layout.
std::string run_fingerprint(const Case& c, const MeshSpec& mesh, IndexRange range,
                            const std::string& precision, const std::string& backend,
                            index_t block);

/// The first field that differs between two fingerprints, as "name: A in <where_a>, B in
/// <where_b>".
std::string fingerprint_difference(const std::string& theirs, const std::string& ours,
                                   const std::string& where_theirs = "the checkpoint",
                                   const std::string& where_ours = "this run");

/// FNV-1a 64 of the bytes (checkpoint integrity).
std::uint64_t fnv1a64(const void* data, std::size_t size,
                      std::uint64_t seed = 14695981039346656037ull);

} // namespace spikemesh
