/// @file json.hpp
/// @brief JSON literals shared by `run --json` (host/cli/report.cpp) and `info --json`
/// (file_json.cpp): strings escaped, numbers with 17 digits, NaN and Inf as null.
#pragma once

#include <string>

namespace spikemesh::io {

/// JSON string literal of @p s.
std::string json_string(const std::string& s);
/// JSON number with 17 significant digits (round-trips a double); null for NaN/Inf.
std::string json_number(double v);

} // namespace spikemesh::io
