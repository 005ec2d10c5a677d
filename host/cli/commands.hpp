/// @file commands.hpp
/// @brief The subcommands as functions of Options, callable without argv (R11).
#pragma once

#include "spikemesh/driver.hpp"
#include "spikemesh/io/results_h5.hpp"

#include "options.hpp"
#include "run/ranks.hpp"

#include <functional>
#include <string>

namespace spikemesh::cli {

/// Context of one invocation: the command line (for provenance) and the parsed app (for the
/// unused-option notes).
struct Invocation {
  std::string command_line;
  const CLI::App* app = nullptr;
  bool demo = false; ///< bare `spikemesh`: the embedded default case
};

int list_command();
int run_command(const Options& o, const Invocation& inv);
int sweep_command(const Options& o, const Invocation& inv);
int info_command(const Options& o);
int landscape_command(const Options& o, const Invocation& inv);
int merge_command(const Options& o, const Invocation& inv);
int suite_command(const Options& o, const Invocation& inv);

/// Mesh of a run: the user's points per axis, or about @p target_points in all, odd and coprime
/// to the training spacing (never aligned with the spike boundaries).
MeshSpec resolve_mesh(const Options& o, const Case& c, double target_points);

/// f on the plane of axes 0 and 1 through the box centre (--slice).
io::Slice compute_slice(const Case& c, const MeshSpec& mesh, int points, Precision p);

/// run::check_output(@p path, "out") before any work: whether a result file already exists at
/// @p path (it will be replaced). Throws InvalidParameter("out") when something that is not a
/// regular file (a folder, a link, a FIFO, a device) is there, or when the folder is missing or
/// unwritable.
bool output_exists(const std::string& path);

/// The XDMF sidecar of a result file with a slice (NAME.xdmf).
std::string xdmf_sidecar(const std::string& path);

/// After writing @p path: the one-line notice that an existing file was replaced.
void note_replaced(bool existed, const std::string& path, bool quiet);

/// Builds the case the options describe (constructions or from-file).
Case make_case(const Options& o);

/// Runs @p f on every rank; if it throws on any rank, every rank throws before any other
/// collective call is made: in one process the exception itself, under MPI the first failure
/// (lowest rank) as "rank R: MESSAGE", an invalid_argument (exit 2) for input errors, else a
/// runtime_error (exit 1), so that rank 0 prints the real message with its rank.
void agree_on_errors(const std::function<void()>& f);

/// Refuses (exit 2 on every rank, rank 0 naming the first difference) a run whose
/// @p fingerprint (case, mesh, options) differs from rank 0's. A no-op in a single process.
void agree_on_fingerprint(const std::string& fingerprint);

/// The MPI merge of a mesh run lives in the run component (run/ranks.hpp).
using run::merge_ranks;

} // namespace spikemesh::cli
