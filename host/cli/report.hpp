/// @file report.hpp
/// @brief What a run prints: the readable table and the JSON summary.
#pragma once

#include "spikemesh/case.hpp"
#include "spikemesh/driver.hpp"
#include "spikemesh/mesh_spec.hpp"

#include "io/json.hpp"

#include <string>
#include <utility>
#include <vector>

namespace spikemesh::cli {

/// Extra key/value pairs of the JSON summary (backend, out, ...): each value is already JSON
/// (json_string() for text, json_number() or an integer for numbers).
using JsonExtras = std::vector<std::pair<std::string, std::string>>;

/// One JSON object: every /results statistic (NaN as null) plus wall_seconds,
/// points_per_second and the @p extras.
std::string json_summary(const RunOutput& r, const JsonExtras& extras);

/// The readable table: estimate vs exact for each statistic that has an exact value, then the
/// others, then time and rate.
std::string table_summary(const Case& c, const MeshSpec& mesh, const RunOutput& r,
                          const std::string& backend, const std::string& device);

using io::json_number; // JSON literals (host/io/json.hpp), shared with `info --json`
using io::json_string;

} // namespace spikemesh::cli
