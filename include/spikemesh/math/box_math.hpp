/// @file box_math.hpp
/// @brief Interval arithmetic of the certified-volume bounds, shared by the CPU BoxBounder and the
/// CUDA box kernel so both classify a box identically: activation images, rounding widening,
/// slope bounds and the exact range of one axis's one-dimensional term.
#pragma once

#include "spikemesh/config.hpp"
#include "spikemesh/math/activation.hpp"

#include <cfloat>
#include <cmath>
#include <cstdint>

namespace spikemesh {

/// A closed interval [lo, hi].
struct Interval {
  double lo = 0.0;
  double hi = 0.0;
};

namespace box_math {

SM_HOST_DEVICE double min2(double a, double b) {
  return a < b ? a : b;
}
SM_HOST_DEVICE double max2(double a, double b) {
  return a > b ? a : b;
}

SM_HOST_DEVICE bool piecewise_linear(Activation a) {
  return a == Activation::ReLU || a == Activation::PReLU || a == Activation::Identity;
}

/// Image of [l, h] under activation @p act (monotone except PReLU with a negative slope).
SM_HOST_DEVICE Interval act_range(Activation act, double alpha, double l, double h) {
  const double al = activate(act, l, alpha), ah = activate(act, h, alpha);
  Interval r{min2(al, ah), max2(al, ah)};
  if (act == Activation::PReLU && alpha < 0.0 && l < 0.0 && h > 0.0) r.lo = min2(r.lo, 0.0);
  return r;
}

/// Widens [lo, hi] by the rounding error of a sum of @p terms terms of total magnitude @p mag.
SM_HOST_DEVICE Interval widen(Interval z, double mag, std::int64_t terms) {
  const double e = static_cast<double>(terms + 2) * DBL_EPSILON * mag;
  return {z.lo - e, z.hi + e};
}

/// Upper bound of |act'| over @p z.
SM_HOST_DEVICE double max_slope(Activation act, double alpha, Interval z) {
  switch (act) {
  case Activation::Identity:
    return 1.0;
  case Activation::ReLU:
    return z.hi > 0.0 ? 1.0 : 0.0;
  case Activation::PReLU:
    return z.hi <= 0.0 ? fabs(alpha) : z.lo >= 0.0 ? 1.0 : max2(1.0, fabs(alpha));
  case Activation::Softplus:
    return activate(Activation::Sigmoid, z.hi, 0.0);
  case Activation::Sigmoid:
  case Activation::Tanh:
    break;
  }
  const double m = z.lo > 0.0 ? z.lo : z.hi < 0.0 ? z.hi : 0.0; // both peak at 0
  return activate_derivative(act, m, 0.0);
}

/// Exact range over x in [lo, hi] of g(x) = sum_e w[e] act(a[e] x + c[e]), the part of one
/// second-layer row that reads one axis: piecewise-linear activations at the ends and kinks,
/// smooth ones by interval images on 16 sub-edges; widened for rounding.
SM_HOST_DEVICE Interval axis_term_range(Activation act, double alpha, const double* w,
                                        const double* a, const double* c, int n, double lo,
                                        double hi) {
  double mag = 0.0;
  for (int e = 0; e < n; ++e)
    mag += fabs(w[e]) * (fabs(a[e]) * max2(fabs(lo), fabs(hi)) + fabs(c[e]));
  Interval r{INFINITY, -INFINITY};
  if (piecewise_linear(act)) {
    auto visit = [&](double x) {
      double s = 0.0;
      for (int e = 0; e < n; ++e)
        s += w[e] * activate(act, a[e] * x + c[e], alpha);
      r.lo = min2(r.lo, s);
      r.hi = max2(r.hi, s);
    };
    visit(lo);
    visit(hi);
    for (int e = 0; e < n; ++e) {
      if (a[e] == 0.0) continue;
      const double kink = -c[e] / a[e];
      if (kink > lo && kink < hi) visit(kink);
    }
  } else {
    constexpr int kPieces = 16;
    for (int p = 0; p < kPieces; ++p) {
      const double l = lo + (hi - lo) * p / kPieces,
                   h = p + 1 == kPieces ? hi : lo + (hi - lo) * (p + 1) / kPieces;
      Interval s{0.0, 0.0};
      for (int e = 0; e < n; ++e) {
        const double u1 = a[e] * l + c[e], u2 = a[e] * h + c[e];
        const Interval v = act_range(act, alpha, min2(u1, u2), max2(u1, u2));
        s.lo += min2(w[e] * v.lo, w[e] * v.hi);
        s.hi += max2(w[e] * v.lo, w[e] * v.hi);
      }
      r.lo = min2(r.lo, s.lo);
      r.hi = max2(r.hi, s.hi);
    }
  }
  return widen(r, mag, 4 * static_cast<std::int64_t>(n));
}

/// SplitMix64: advances @p s and returns the next value. The k-th call on a state s0 returns
/// mix(s0 + (k + 1) * 0x9E3779B97F4A7C15), so any draw is also reachable directly (GPU).
SM_HOST_DEVICE std::uint64_t splitmix_mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}
SM_HOST_DEVICE std::uint64_t splitmix64(std::uint64_t& s) {
  s += 0x9E3779B97F4A7C15ULL;
  return splitmix_mix(s);
}

/// The start of box @p box's stream of sampled coordinates in sampling round @p round: the
/// points of a box are the consecutive draws of this stream, d coordinates each.
SM_HOST_DEVICE std::uint64_t box_stream(std::uint64_t seed, std::uint64_t box,
                                        std::uint64_t round) {
  std::uint64_t rng = seed ^ (0xD1B54A32D192ED03ULL * (box + 1));
  rng = splitmix64(rng) ^ (0x8CB92BA72F3D8DD7ULL * (round + 1));
  return splitmix64(rng);
}

/// A uniform double in [0, 1) from 53 random bits.
SM_HOST_DEVICE double unit_double(std::uint64_t bits) {
  return static_cast<double>(bits >> 11) * 0x1.0p-53;
}

/// Draw @p draw (from 0) of the stream that starts at @p start, as a coordinate in [lo, hi):
/// the (draw + 1)-th splitmix64 call on the state @p start, reached directly.
SM_HOST_DEVICE double stream_coordinate(std::uint64_t start, std::uint64_t draw, double lo,
                                        double hi) {
  return lo + (hi - lo) * unit_double(splitmix_mix(start + (draw + 1) * 0x9E3779B97F4A7C15ULL));
}

} // namespace box_math
} // namespace spikemesh
