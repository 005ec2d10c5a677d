/// @file options.hpp
/// @brief Options of the spikemesh command line and their CLI11 definitions (R11).
#pragma once

#include "spikemesh/case.hpp"
#include "spikemesh/evaluator.hpp"
#include "spikemesh/mesh_spec.hpp"

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace spikemesh::cli {

/// Everything the command line (or a --config TOML file) can set.
struct Options {
  CaseParams cp;
  std::vector<index_t> points_per_axis; ///< empty: about 10^8 points (CPU) / 10^9 (GPU)
  Centring centring = Centring::Cell;
  std::vector<double> box{0.0, 1.0};
  Backend backend = Backend::Auto;
  Precision precision = Precision::Auto;
  int threads = 0;
  std::string max_memory; ///< --max-memory SIZE; empty: half of the physical memory
  std::string out;        ///< empty: the command's default file name
  bool json = false;
  bool quiet = false;
  bool slice = false;
  int slice_points = 512;
  std::string shard;                    ///< "i/N": evaluate the i-th (0-based) of N index shards
  std::vector<std::string> merge_files; ///< merge: OUT then the shard files
  std::string method = "mesh";          ///< mesh | certify | exact
  std::int64_t box_budget = 1000000;    ///< certify: boxes bounded before sampling
  std::int64_t samples = 1000000;       ///< certify: points sampled in undecided boxes (cap)
  double target_rel_ci = 0.0;           ///< certify: stop sampling at this relative half-width
  double target_rel_gap = 1e-12;        ///< exact: stop subdividing at this relative gap
  std::string bounds = "auto";          ///< certify: auto | interval | linear
  bool quick = false;                   ///< suite: the CI-sized version
  bool resume = false;                  ///< continue from OUT.partial
  double time_limit = 0.0;              ///< seconds; 0 = none. Past it: checkpoint, exit 3
  double checkpoint_interval = 60.0;    ///< seconds between checkpoints (0: after every block)
  double progress_interval = -1.0;      ///< seconds between batch progress lines; < 0: auto
  std::string config;                   ///< --config: a TOML file of the same options
  std::vector<std::string> sweeps;      ///< NAME=V1,V2,...
  std::string info_file;
  // landscape subcommand
  std::string landscape_case = "relu-dead-neuron";
  std::string directions = "auto"; ///< auto: axes for 2 parameters, else filter-normalized
  double range = 1.0;
  int perturbations = 20000;
};

/// Landscape mesh side when --points-per-axis is not given.
inline constexpr int kDefaultLandscapePoints = 51;

/// Defines the subcommands (list, run, sweep, info, landscape, merge, suite) on @p app, each
/// with exactly the options that apply to it, grouped (case, depth extension, mesh, execution,
/// batch jobs, certify, landscape, output) and with their defaults in the help text. The bare
/// app (the embedded demo) takes the options of `run`. All options bind to @p o.
void add_options(CLI::App& app, Options& o);

/// The app whose options were parsed: the chosen subcommand, or @p app itself (the demo).
/// Throws std::invalid_argument when options of the bare app were given before a subcommand.
const CLI::App& chosen_app(const CLI::App& app);

/// Reads the --config TOML file of @p app (when given) into its options; options given on the
/// command line win. An unknown key throws std::invalid_argument naming TOML, the file, the line
/// and the nearest valid key.
void apply_config(CLI::App& app, const std::string& path);

/// A readable version of CLI11's "arguments were not expected" error: which subcommand refused
/// which option, the nearest option it takes, and which subcommands take that option.
std::string explain_extras(const CLI::App& root, const std::string& what);

/// Names of the options given explicitly on the command line or in the config file.
std::vector<std::string> given_options(const CLI::App& app);

/// One line per option given but not read in the chosen mode: case options the construction
/// does not read (e.g. --alpha for relu-spike), depth-extension options without --extra-depth,
/// mesh options under --method certify and certify
/// options under --method mesh, --slice-points without --slice, --slice with --dim 1.
/// @p swept: the names a sweep varies, checked like given options.
std::vector<std::string> unused_option_notes(const CLI::App& app, const Options& o,
                                             const std::vector<std::string>& swept = {});

/// The option name of @p candidates nearest to @p name (edit distance; ties: the first).
std::string nearest_name(const std::string& name, const std::vector<std::string>& candidates);

/// Sets option @p name (CLI spelling, no dashes) to @p value; used by sweeps. Throws
/// InvalidParameter for unknown names or unparsable values.
void set_option(Options& o, const std::string& name, const std::string& value);

/// Parses --shard "i/N" (0 <= i < N); {0, 1} when empty. Throws InvalidParameter("shard").
std::pair<int, int> parse_shard(const std::string& text);

/// The names a sweep may vary.
const std::vector<std::string>& sweepable_options();

} // namespace spikemesh::cli
