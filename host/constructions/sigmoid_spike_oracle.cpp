/// @file sigmoid_spike_oracle.cpp
/// @brief Semi-analytic ground truth of C3 (docs/math.md section 4.3): the bump's level-set
/// half-width u*(beta) and the d-dimensional volume V_d(beta) by nested Gauss-Legendre quadrature.
#include "spikemesh/constructions.hpp"

#include <array>
#include <cmath>

namespace spikemesh {
namespace {

constexpr int kNodes = 48;
constexpr double kPi = 3.14159265358979323846;

/// Gauss-Legendre nodes and weights on [-1, 1] (Newton iteration on P_n).
struct GaussLegendre {
  std::array<double, kNodes> x{}, w{};
  GaussLegendre() {
    for (int i = 0; i < kNodes; ++i) {
      double t = std::cos(kPi * (i + 0.75) / (kNodes + 0.5));
      double dp = 1.0;
      for (int it = 0; it < 100; ++it) {
        double p0 = 1.0, p1 = t;
        for (int k = 2; k <= kNodes; ++k) {
          const double p2 = ((2.0 * k - 1.0) * t * p1 - (k - 1.0) * p0) / k;
          p0 = p1;
          p1 = p2;
        }
        dp = kNodes * (t * p1 - p0) / (t * t - 1.0);
        const double dt = p1 / dp;
        t -= dt;
        if (std::fabs(dt) < 1e-16) break;
      }
      x[static_cast<std::size_t>(i)] = t;
      w[static_cast<std::size_t>(i)] = 2.0 / ((1.0 - t * t) * dp * dp);
    }
  }
};

const GaussLegendre& rule() {
  static const GaussLegendre g;
  return g;
}

} // namespace

double sigmoid_bump(double u, double a) {
  return (1.0 + std::cosh(a)) / (std::cosh(a) + std::cosh(u));
}

double sigmoid_bump_halfwidth(double beta, double a) {
  if (beta >= 1.0) return 0.0;
  return std::acosh((1.0 + std::cosh(a)) / beta - std::cosh(a));
}

double sigmoid_bump_volume(int d, double beta, double a) {
  if (beta >= d) return 0.0;
  if (d == 1) return 2.0 * sigmoid_bump_halfwidth(beta, a);
  const double U = sigmoid_bump_halfwidth(beta - d + 1, a);
  // u = U sin(pi t / 2) removes the square-root behaviour of the integrand at the ends.
  const GaussLegendre& g = rule();
  double sum = 0.0;
  for (int i = 0; i < kNodes; ++i) {
    const double t = g.x[static_cast<std::size_t>(i)];
    const double u = U * std::sin(kPi * t / 2.0);
    const double du = U * kPi / 2.0 * std::cos(kPi * t / 2.0);
    sum += g.w[static_cast<std::size_t>(i)] * du *
           sigmoid_bump_volume(d - 1, beta - sigmoid_bump(u, a), a);
  }
  return sum;
}

} // namespace spikemesh
