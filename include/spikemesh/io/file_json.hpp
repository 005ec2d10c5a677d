/// @file file_json.hpp
/// @brief `spikemesh info FILE --json`: a result file's statistics as one JSON object.
#pragma once

#include <string>

namespace spikemesh::io {

/// One JSON object with the keys `spikemesh run --json` prints: every numeric /results
/// attribute (integers as integers, NaN as null, arrays as arrays; the provenance attributes
/// range_begin, range_end and oracle_source left out), the string /results attributes of
/// landscape and certify files (verdict, bound_method, ...), the root's backend, device,
/// precision (strings) and mpi_ranks (a number), and "out": @p path. A sweep file gives
/// {"rows": [one object per row of the numeric /sweep columns], "backend", "out"}.
/// Throws InvalidFile for a file that is not HDF5.
std::string describe_file_json(const std::string& path);

} // namespace spikemesh::io
