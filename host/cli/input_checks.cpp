/// @file input_checks.cpp
/// @brief Numeric option checks (finite, 64-bit range), --threads, --config files, --max-memory
/// and certify's box budget: refused with exit 2 before any work (docs/cli.md, Hostile input).
#include "input_checks.hpp"

#include "spikemesh/config.hpp"
#include "spikemesh/errors.hpp"
#include "spikemesh/resources.hpp"

#include <omp.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <sys/stat.h>

namespace spikemesh::cli {
namespace {

std::string shown(const std::string& s) {
  return "'" + (s.size() > 40 ? s.substr(0, 40) + "..." : s) + "'";
}

/// FLOAT options: a number that is finite as a double. Unparsable text is left to CLI11's own
/// conversion error.
CLI::Validator finite_number() {
  return CLI::Validator(
      [](std::string& input) -> std::string {
        char* end = nullptr;
        errno = 0;
        const double v = std::strtod(input.c_str(), &end);
        if (input.empty() || *end != '\0') return {};
        if (std::isnan(v)) return shown(input) + " is not a number (NaN is refused)";
        if (!std::isfinite(v)) return shown(input) + " is not finite (|value| <= 1.8e308)";
        return {};
      },
      "", "FINITE");
}

/// INT options: within [-2^63, 2^63) (strtoll would clamp silently).
CLI::Validator int64_range() {
  return CLI::Validator(
      [](std::string& input) -> std::string {
        char* end = nullptr;
        errno = 0;
        (void)std::strtoll(input.c_str(), &end, 0);
        if (input.empty() || *end != '\0') return {};
        if (errno == ERANGE) return shown(input) + " is outside the 64-bit range [-2^63, 2^63)";
        return {};
      },
      "", "INT64");
}

/// UINT options: 0 <= value < 2^64 (strtoull would wrap "-1" to 2^64 - 1).
CLI::Validator uint64_range() {
  return CLI::Validator(
      [](std::string& input) -> std::string {
        std::size_t at = input.find_first_not_of(" \t");
        if (at != std::string::npos && input[at] == '-') return shown(input) + " must be >= 0";
        char* end = nullptr;
        errno = 0;
        (void)std::strtoull(input.c_str(), &end, 0);
        if (input.empty() || *end != '\0') return {};
        if (errno == ERANGE) return shown(input) + " is 2^64 or more";
        return {};
      },
      "", "UINT64");
}

void harden(CLI::App& app) {
  for (CLI::Option* opt : app.get_options()) {
    // "FLOAT", or "FLOAT:DESCRIPTION" when a check with a description is already attached.
    const std::string type = opt->get_type_name();
    const std::string base = type.substr(0, type.find(':'));
    if (base == "FLOAT") opt->check(finite_number());
    if (base == "INT") opt->check(int64_range());
    if (base == "UINT") opt->check(uint64_range());
  }
  for (CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
    harden(*sub);
}

} // namespace

void harden_numeric_options(CLI::App& app) {
  harden(app);
}

int max_threads() {
  return std::max(256, 4 * omp_get_num_procs());
}

CLI::Validator thread_count() {
  return CLI::Validator(
      [](std::string& input) -> std::string {
        char* end = nullptr;
        errno = 0;
        const long long v = std::strtoll(input.c_str(), &end, 10);
        const long long most = max_threads();
        if (input.empty() || *end != '\0') return shown(input) + " is not an integer";
        if (errno == ERANGE || v < 0 || v > most) {
          return shown(input) + " is outside 0.." + std::to_string(most) + " (0 = every core, " +
                 std::to_string(omp_get_num_procs()) + " here)";
        }
        return {};
      },
      "0.." + std::to_string(max_threads()), "THREADS");
}

CLI::Validator non_negative() {
  return CLI::Validator(
      [](std::string& input) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(input.c_str(), &end);
        if (input.empty() || *end != '\0') return shown(input) + " is not a number";
        if (!(v >= 0.0)) return shown(input) + " must be >= 0";
        return {};
      },
      ">= 0", "NONNEGATIVE");
}

CLI::Validator positive() {
  return CLI::Validator(
      [](std::string& input) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(input.c_str(), &end);
        if (input.empty() || *end != '\0') return shown(input) + " is not a number";
        if (!(v > 0.0)) return shown(input) + " must be > 0";
        return {};
      },
      "> 0", "POSITIVE");
}

void check_config_file(const std::string& path) {
  if (path.empty()) return;
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) throw InvalidParameter("config", path + " does not exist");
  if (!S_ISREG(st.st_mode)) {
    throw InvalidParameter("config", path + " is not a regular file (" +
                                         (S_ISDIR(st.st_mode)    ? "a folder"
                                          : S_ISFIFO(st.st_mode) ? "a FIFO"
                                                                 : "a device or special file") +
                                         "); give a TOML file of `key = value` lines");
  }
  if (st.st_size > kMaxConfigBytes) {
    throw InvalidParameter("config", path + " has " + std::to_string(st.st_size) +
                                         " bytes, more than a TOML config can need (limit " +
                                         std::to_string(kMaxConfigBytes) + ")");
  }
}

void apply_memory_limit(const std::string& text) {
  if (text.empty()) {
    set_memory_limit(default_memory_limit());
    return;
  }
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  double scale = 1.0;
  const std::string unit = end;
  if (unit == "K" || unit == "k") scale = 1024.0;
  if (unit == "M" || unit == "m") scale = 1024.0 * 1024.0;
  if (unit == "G" || unit == "g") scale = 1024.0 * 1024.0 * 1024.0;
  if (unit == "T" || unit == "t") scale = 1024.0 * 1024.0 * 1024.0 * 1024.0;
  const bool unit_ok = unit.empty() || scale > 1.0;
  if (text.empty() || end == text.c_str() || !unit_ok || !std::isfinite(v) || !(v > 0.0) ||
      v * scale > 9.0e18) {
    throw InvalidParameter(
        "max-memory", shown(text) + " is not a size > 0 (bytes, or with K, M, G or T, e.g. 8G)");
  }
  set_memory_limit(static_cast<std::uint64_t>(v * scale));
}

void check_inputs(const Options& o, bool mesh_run) {
  apply_memory_limit(o.max_memory);
  if (mesh_run && o.method == "mesh" && o.cp.construction != "from-file") {
    // The training-error pass after a mesh run; a sweep is bounded by its largest d and n (the
    // work grows with both).
    CaseParams p = o.cp;
    for (const std::string& sw : o.sweeps) {
      const std::size_t eq = sw.find('=');
      const std::string name = sw.substr(0, eq);
      if (eq == std::string::npos || (name != "dim" && name != "train-per-axis")) continue;
      std::stringstream values(sw.substr(eq + 1));
      for (std::string v; std::getline(values, v, ',');) {
        const long long x = std::strtoll(v.c_str(), nullptr, 10);
        if (x < 1 || x > 1000000) continue; // refused later with its own message
        if (name == "dim") p.dim = std::max(p.dim, std::min(static_cast<int>(x), kMaxDim));
        if (name == "train-per-axis")
          p.train_per_axis = std::max(p.train_per_axis, static_cast<int>(x));
      }
    }
    const double work = training_pass_work(p);
    if (p.dim >= 1 && p.train_per_axis >= 2 &&
        std::pow(static_cast<double>(p.train_per_axis), p.dim) <= 4194304.0 &&
        !(work <= kMaxSetupWork)) {
      char text[320];
      std::snprintf(text, sizeof text,
                    "--dim %d --train-per-axis %d: the training-error pass of a mesh run needs "
                    "about %.2g multiply-adds (n^d points through every weight), more than the "
                    "%.0e limit; use --method certify or exact, or fewer training points",
                    p.dim, p.train_per_axis, work, kMaxSetupWork);
      throw InvalidParameter("train-per-axis", text);
    }
  }
  if (o.method == "certify" || o.method == "exact") {
    // Open boxes: at most budget / 2 + 2, each 2d doubles plus volume, axis and a queue entry,
    // in vectors that may double while growing past their reservation.
    const int d = o.cp.construction == "from-file" ? kMaxDim : o.cp.dim;
    const double open = static_cast<double>(o.box_budget) / 2.0 + 2.0;
    require_memory(2.0 * open * (16.0 * d + 48.0), "box-budget",
                   std::to_string(o.box_budget) + " boxes");
  }
}

} // namespace spikemesh::cli
