/// @file commands.hpp
/// @brief The subcommands as functions of Options, callable without argv (R11).
#pragma once

#include "options.hpp"

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

/// Mesh of a run: the user's points per axis, or about @p target_points in all, odd and coprime
/// to the training spacing (never aligned with the spike boundaries).
MeshSpec resolve_mesh(const Options& o, const Case& c, double target_points);

/// Builds the case the options describe (constructions or from-file).
Case make_case(const Options& o);

} // namespace spikemesh::cli
