/// @file random.hpp
/// @brief Portable random deviates for the landscape code: mt19937_64's sequence is fixed by the
/// standard, the library's distributions are not, so directions repeat on every platform.
#pragma once

#include <cmath>
#include <random>

namespace spikemesh::detail {

/// Uniform on [0, 1) with 53 random bits.
inline double uniform01(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

/// Standard normal deviate (Box-Muller).
inline double standard_normal(std::mt19937_64& rng) {
  const double u1 = (static_cast<double>(rng() >> 11) + 0.5) * 0x1.0p-53; // never 0
  const double u2 = uniform01(rng);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * 3.14159265358979323846 * u2);
}

} // namespace spikemesh::detail
