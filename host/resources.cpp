/// @file resources.cpp
/// @brief The process-wide memory limit and the check against it.
#include "spikemesh/resources.hpp"

#include "spikemesh/errors.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <unistd.h>

namespace spikemesh {
namespace {

std::atomic<std::uint64_t> g_limit{0};

std::string gib(double bytes) {
  char text[64];
  std::snprintf(text, sizeof text, "%.3g GiB", bytes / (1024.0 * 1024.0 * 1024.0));
  return text;
}

} // namespace

std::uint64_t physical_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page <= 0) return 0;
  return static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page);
}

std::uint64_t default_memory_limit() {
  const std::uint64_t phys = physical_memory_bytes();
  return phys > 0 ? phys / 2 : std::uint64_t(8) << 30;
}

void set_memory_limit(std::uint64_t bytes) {
  g_limit = bytes;
}

std::uint64_t memory_limit() {
  const std::uint64_t set = g_limit;
  return set > 0 ? set : default_memory_limit();
}

void require_memory(double bytes, const std::string& field, const std::string& what) {
  const double limit = static_cast<double>(memory_limit());
  if (std::isfinite(bytes) && bytes <= limit) return;
  throw InvalidParameter(field, what + " needs about " + gib(bytes) +
                                    " of memory, more than the --max-memory limit of " +
                                    gib(limit) + " (default: half of the physical memory)");
}

namespace {

/// Rows and weights per row of the spike layer (the one that dominates every construction).
std::pair<double, double> spike_layer(const CaseParams& p) {
  const double P = std::pow(static_cast<double>(p.train_per_axis), p.dim);
  const double d = p.dim;
  if (p.construction == "prelu-spike") return {2.0 * P, 3.0 * d};
  if (p.construction == "sigmoid-spike") return {P, 2.0 * d};
  return {P, 3.0 * d};
}

double extra_weights(const CaseParams& p) {
  const double w = std::max(1, p.extra_width);
  return p.extra_depth > 0 ? static_cast<double>(p.extra_depth) * (w * w + w) : 0.0;
}

} // namespace

double case_memory_bytes(const CaseParams& p) {
  const double P = std::pow(static_cast<double>(p.train_per_axis), p.dim);
  const auto [rows, per_row] = spike_layer(p);
  // Network: value 8 + column 4; packed double 8 + 4; packed float 4 + 4 -> 32 bytes a weight;
  // row pointers, biases and the output weight: about 64 bytes a row in all copies.
  const double weights = rows * per_row + extra_weights(p);
  const double network = 2.0 * (weights * 32.0 + rows * 64.0); // vectors grow by doubling
  const double training = P * (p.dim + 1.0) * 8.0;
  const double layers = std::max(0, p.extra_depth) * 8192.0;
  return network + training + layers;
}

double training_pass_work(const CaseParams& p) {
  const double P = std::pow(static_cast<double>(p.train_per_axis), p.dim);
  const auto [rows, per_row] = spike_layer(p);
  return P * (rows * (per_row + 1.0) + extra_weights(p));
}

} // namespace spikemesh
