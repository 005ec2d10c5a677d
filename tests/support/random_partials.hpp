/// @file random_partials.hpp
/// @brief Per-block partials for the merge tests (CPU and GPU): order-sensitive sums, empty
/// blocks, infinite and NaN extrema; the host's block-order merge they are checked against.
#pragma once

#include "spikemesh/math/point_stats.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

namespace spikemesh::testing {

inline bool same_bytes(const Accumulator& a, const Accumulator& b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

/// Partials whose sums depend on the merge order (magnitudes from 2^-60 to 2^60, both signs,
/// so that compensated merges in another order give other bits), with empty blocks (f_min =
/// +inf, f_max = -inf), infinite and NaN extrema among them.
inline std::vector<Accumulator> random_partials(std::uint64_t seed, int n) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::uniform_int_distribution<int> e(-60, 60);
  const auto value = [&] { return std::ldexp(u(rng), e(rng)); };
  const auto sum = [&] {
    CompensatedSum s;
    for (int i = 0; i < 3; ++i)
      s.add(value());
    return s;
  };
  std::vector<Accumulator> parts(static_cast<std::size_t>(n));
  for (Accumulator& a : parts) {
    if (rng() % 9 == 0) continue; // an empty block: the default Accumulator
    ScalarStats& s = a.scalar;
    s.points = rng() >> 20;
    s.spike_count = rng() >> 24;
    s.nonfinite_count = rng() % 5;
    s.correct_count = rng() >> 26;
    s.undecided_count = rng() >> 25;
    s.sum_f = sum();
    s.sum_f2 = sum();
    s.sum_abs_err = sum();
    s.sum_sq_err = sum();
    s.sum_sq_truth = sum();
    s.f_min = rng() % 17 == 0 ? -INFINITY : value();
    s.f_max = rng() % 19 == 0 ? std::nan("") : value();
    s.max_abs_err = std::fabs(value());
    for (int b = 0; b < kFBins; ++b)
      a.bins.f_counts[b] = rng() >> 30;
    for (int b = 0; b < kDistBins; ++b) {
      a.bins.dist_counts[b] = rng() >> 30;
      a.bins.dist_err_sum[b] = sum();
      a.bins.dist_err_max[b] = rng() % 7 == 0 ? 0.0 : std::fabs(value());
    }
  }
  return parts;
}

/// Accumulator::merge of parts[0, count) in block order.
inline Accumulator host_merge(const std::vector<Accumulator>& parts, int count) {
  Accumulator total;
  for (int p = 0; p < count; ++p)
    total.merge(parts[static_cast<std::size_t>(p)]); // block order
  return total;
}

} // namespace spikemesh::testing
