/// @file results_h5.hpp
/// @brief The HDF5 contract of docs/hdf5-schema.md behind an HDF5-free interface (R10): result
/// files of runs and sweeps, the /network schema, and file summaries.
#pragma once

#include "spikemesh/case.hpp"
#include "spikemesh/certify.hpp"
#include "spikemesh/checkpoint.hpp"
#include "spikemesh/driver.hpp"
#include "spikemesh/landscape.hpp"
#include "spikemesh/mesh_spec.hpp"

#include <string>
#include <utility>
#include <vector>

namespace spikemesh::io {

/// Root attributes of every file.
struct Provenance {
  std::string command_line;
  std::string backend; ///< "cpu" / "cuda"
  std::string device;
  std::string precision; ///< "float" / "double"
  int mpi_ranks = 1;
};

/// A 2-D slice of f through the box centre (axes 0 and 1), row-major [M][M] with axis 1 slowest.
struct Slice {
  std::string name = "x0x1";
  int points = 0;
  double lo = 0.0, hi = 1.0; ///< the plane spans [lo, hi]^2 in axes 0 and 1
  std::vector<double> values;
};

/// One mesh's part of a sharded run or sweep row: its index range and merged state, and what
/// finalize() needs, so that `spikemesh merge` never has to rebuild the case.
struct ShardPart {
  IndexRange range;  ///< this shard's share of [0, total)
  index_t total = 0; ///< points of the whole mesh
  Accumulator state;
  FinalizeInputs inputs;
  double wall_seconds = 0.0;
};

/// Shard i of N (`--shard i/N`): stored in /shard of its result file.
struct ShardInfo {
  int index = 0;
  int count = 1;
  std::string fingerprint;      ///< the case(s), mesh(es) and precision, without the range
  std::vector<ShardPart> parts; ///< one per mesh: 1 for a run, one per row for a sweep
};

/// Everything one run writes.
struct RunRecord {
  const Case* c = nullptr;
  MeshSpec mesh;
  RunOutput out;
  Provenance prov;
  std::vector<Slice> slices;
  const ShardInfo* shard = nullptr; ///< set for --shard runs
  std::string fingerprint;          ///< run_fingerprint() of the run (/@run_fingerprint)
};

/// A sweep: one row per parameter combination, each column a dataset of /sweep.
struct SweepRecord {
  const Case* first = nullptr; ///< the first row's case (for /config, /network, /training)
  MeshSpec mesh;
  Provenance prov;
  std::vector<std::string> numeric_names;
  std::vector<std::vector<double>> numeric_columns;
  std::vector<std::string> text_names;
  std::vector<std::vector<std::string>> text_columns;
  const ShardInfo* shard = nullptr; ///< set for --shard sweeps
};

/// A landscape run: the case, its verdict and its 2-D loss mesh.
struct LandscapeRecord {
  const LandscapeCase* c = nullptr;
  Verdict verdict;
  LandscapeMesh mesh;
  Provenance prov;
  std::vector<std::pair<std::string, std::string>> config;
  double global_alpha = 0.0, global_beta = 0.0; ///< theta_global projected on (u, v)
  double global_plane_distance = 0.0;           ///< its distance from the plane (0: in it)
  bool has_global = false;
};

/// Writes /landscape (xcoordinates, ycoordinates, train_loss, directions; also linked at the
/// root, where the loss-landscape tool's scripts look), /results (verdict), /config,
/// /network and /training, atomically like write_run().
void write_landscape(const std::string& path, const LandscapeRecord& rec);

/// Writes @p rec to @p path atomically: to path + ".partial", renamed when complete. With a
/// slice, also writes the ParaView sidecar path-without-.h5 + ".xdmf". Throws on failure and
/// leaves nothing at @p path.
void write_run(const std::string& path, const RunRecord& rec);
void write_sweep(const std::string& path, const SweepRecord& rec);

/// Writes the checkpoint of the run whose result goes to @p path into path + ".partial"
/// (atomically: a kill while writing leaves the previous checkpoint intact).
/// A sweep's checkpoint also holds its finished rows (@p finished, one per row, next = end).
void write_checkpoint(const std::string& path, const Checkpoint& cp,
                      const std::vector<Checkpoint>& finished = {});

/// The finished rows of a sweep checkpoint in path + ".partial" (verified like the checkpoint).
std::vector<Checkpoint> read_finished_rows(const std::string& path);

/// The /@run_fingerprint of a complete result at path + ".partial" ("" when it has none).
std::string complete_partial_fingerprint(const std::string& path);

/// Checksum stored with a checkpoint: its state bytes, fingerprint and indices.
std::uint64_t checkpoint_checksum(const Checkpoint& cp);

/// What path + ".partial" holds. Throws InvalidFile when something that is not a regular file
/// is there (a FIFO is never opened).
enum class PartialKind { None, Checkpoint, Complete };
PartialKind partial_kind(const std::string& path);

/// Reads and verifies the checkpoint in path + ".partial". Throws InvalidFile naming the file
/// for a missing, truncated, corrupted (checksum) or foreign (layout) checkpoint.
Checkpoint read_checkpoint(const std::string& path);

/// A `--method certify` run: certified bounds, estimate and box statistics.
struct CertifyRecord {
  const Case* c = nullptr;
  double lo = 0.0, hi = 1.0; ///< the box [lo, hi]^d
  CertifyOptions options;
  CertifyResult result;
  std::string method = "certify"; ///< "certify" or "exact"
  Provenance prov;
};

/// Root, /config, /network, /training, /results (the certify statistics and the exact volume)
/// and /certify (box statistics and options); atomic like write_run().
void write_certify(const std::string& path, const CertifyRecord& rec);

/// Writes a suite into one file, one group per case: the mesh runs (named by @p names) with the
/// schema of a run file (their own provenance attributes, /config, /network, /training, /mesh,
/// /results), the certified cases (named by @p certify_names) with that of a certified-volume
/// file. The root attribute `cases` counts both. Atomic like write_run().
void write_suite(const std::string& path, const std::vector<std::string>& names,
                 const std::vector<RunRecord>& runs, const std::vector<std::string>& certify_names,
                 const std::vector<CertifyRecord>& certified);

/// Merges shard files (`spikemesh merge OUT SHARD...`): checks that they come from the same
/// case and tile every mesh's index range exactly once (InvalidFile naming the gap, overlap or
/// mismatch otherwise), merges their states in index order and writes @p out atomically, with
/// the first shard's /config, /network, /training, /mesh and (sweeps) parameter columns.
/// Returns the merged results of the first mesh (for printing).
Results merge_shards(const std::string& out, const std::vector<std::string>& shards,
                     const Provenance& prov);

/// Human-readable summary of a result file (what `spikemesh info` prints).
std::string describe_file(const std::string& path);

/// Writes only the /network (and /training when non-empty) groups: a weight file.
void write_network_file(const std::string& path, const Network& net, const TrainingSet& training);

/// Builds a from-file case: /network (any MLP) and the optional /training group. Every
/// malformed file gets its own InvalidFile message naming the file and the HDF5 path.
Case load_case_from_file(const CaseParams& p);

/// The XDMF sidecar text for slice @p s stored in @p h5_name (a file name relative to the sidecar).
std::string xdmf_for_slice(const std::string& h5_name, const Slice& s);

} // namespace spikemesh::io
