/// @file h5_writers.hpp
/// @brief The group writers of the result-file schema, shared by results_writer.cpp and
/// shard_merge.cpp (private to host/io).
#pragma once

#include "spikemesh/io/results_h5.hpp"

#include "h5_handles.hpp"

#include <functional>
#include <string>

namespace spikemesh::io::detail {

void write_root(hid_t file, const Provenance& p);
void write_config(hid_t file, const Case& c);
void write_network(hid_t file, const Network& net);
void write_training(hid_t file, const TrainingSet& t);
void write_mesh(hid_t file, const MeshSpec& m);
void write_results(hid_t file, const RunOutput& out, const std::string& oracle_source);
void write_shard(hid_t file, const ShardInfo& info, const std::string& kind);
void write_slices(hid_t file, const std::vector<Slice>& slices);
/// One /sweep column: counts (points, spike_count, nonfinite_count, points_per_axis) and
/// integer parameters as int64, everything else as float64.
void write_sweep_column(hid_t group, const std::string& name, const std::vector<double>& values);

/// Digest of a shard: its header, every part (range, totals, time, every finalize input, the
/// state) and the attributes of /config and /mesh of @p file (which must already be written).
/// Stored as /shard@digest; merge refuses a shard whose digest does not match.
std::uint64_t shard_digest(hid_t file, const ShardInfo& info, const std::string& kind);

/// Builds the file in memory (@p body) and publishes it at @p target (run/output_file.hpp).
void write_via_tmp(const std::string& target, const std::function<void(hid_t)>& body);
/// write_via_tmp to @p path, then removes a stale checkpoint path.partial.
void atomic_write(const std::string& path, const std::function<void(hid_t)>& body);

} // namespace spikemesh::io::detail
