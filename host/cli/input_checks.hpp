/// @file input_checks.hpp
/// @brief Checks of hostile input before any work: numeric option values (finite, in the 64-bit
/// range), the thread count, the --config file and the --max-memory limit.
#pragma once

#include "options.hpp"

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

namespace spikemesh::cli {

/// Adds to every numeric option of @p app and its subcommands a check run on the command line
/// and on --config values: FLOAT options refuse NaN and +-Inf (and values that overflow a double,
/// e.g. 1e999), INT options values outside [-2^63, 2^63), UINT options negative values and values
/// of 2^64 or more. The error names the option (exit 2).
void harden_numeric_options(CLI::App& app);

/// Threads a run may ask for: max(256, 4 x the cores).
int max_threads();

/// --threads: 0 (every core) .. max_threads(); a short message naming the range otherwise.
CLI::Validator thread_count();

/// Non-negative seconds (--time-limit, --checkpoint-interval, --progress-interval): a short
/// message instead of CLI11's 300-digit range.
CLI::Validator non_negative();

/// Positive numbers (--range): the same, > 0.
CLI::Validator positive();

/// Largest --config file read (1 MiB): a config is a few lines of `key = value`.
inline constexpr std::int64_t kMaxConfigBytes = std::int64_t(1) << 20;

/// Refuses a --config path that is not a regular file (a device, FIFO or folder) or is larger
/// than kMaxConfigBytes, before it is opened for reading (InvalidParameter "config").
void check_config_file(const std::string& path);

/// Parses --max-memory ("" = the default; otherwise bytes with an optional K, M, G or T suffix,
/// powers of 1024, e.g. 8G) and sets the process-wide limit (resources.hpp). Throws
/// InvalidParameter("max-memory").
void apply_memory_limit(const std::string& text);

/// Every check of the parsed options that needs no case built: the memory limit (--max-memory),
/// certify's box budget against it and, for a mesh run or sweep (@p mesh_run) of a construction,
/// the work of the training-error pass against kMaxSetupWork (over the largest swept d and n).
/// Called once after the command line and the --config file are read.
void check_inputs(const Options& o, bool mesh_run);

} // namespace spikemesh::cli
