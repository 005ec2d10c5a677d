/// @file truth.hpp
/// @brief What a network is compared against at a mesh point: target functions g, the label of
/// the nearest training point, and the l1 distance to the training set.
#pragma once

#include "spikemesh/config.hpp"

#include <cmath>
#include <cstdint>
#include <type_traits>

namespace spikemesh {

/// Classification (labels +-1, truth = label of the nearest training point) or approximation.
enum class Task : std::uint8_t { Classify, Approximate };

/// Approximation targets g on [0,1]^d (docs/math.md section 7.2).
enum class Target : std::uint8_t {
  One,   ///< g = 1
  Sin,   ///< g = prod_k sin(pi x_k)
  Gauss, ///< g = exp(-|x - c|^2 / (2 * 0.25^2)), c = (1/2, ..., 1/2)
  Poly   ///< g = (1/d) sum_k x_k^2
};

/// sin(pi x), with the argument reduced exactly: x - 2 round(x / 2) and the reflections below
/// are exact in double (integers and Sterbenz subtractions), so sin_pi(k) = 0 and
/// sin_pi(k + 1/2) = +-1 exactly for integers k, where sin(pi * x) carries the rounding of
/// pi * x (sin(pi * 1.0) = 1.2e-16). The device calls CUDA's sinpi(), whose reduction is the same
/// exact one: unlike sin(), it needs no Payne-Hanek table, so no stack frame in the kernels. The
/// host evaluates sin(pi r) for |r| <= 1/2 with the math library: the rounded pi r is within
/// u |pi r| of the exact value, which moves sin by at most that (|cos| <= 1, |r| <= 1/2), plus
/// the library's own error (glibc and CUDA within 1 to 2 ulp): a few ulp of the result, as any
/// of the targets' library functions; backends that evaluate on the host agree bit for bit.
SM_HOST_DEVICE double sin_pi(double x) {
#if defined(__CUDA_ARCH__)
  return ::sinpi(x);
#else
  double r = x - 2.0 * std::nearbyint(0.5 * x); // exact, in [-1, 1]
  if (r > 0.5) r = 1.0 - r;                     // sin(pi r) = sin(pi (1 - r)), exact
  if (r < -0.5) r = -1.0 - r;                   // sin(pi r) = sin(pi (-1 - r)), exact
  return std::sin(3.14159265358979323846 * r);
#endif
}

/// Evaluates target @p g at x[0..d) (@p x: a pointer, or coordinates with operator[]).
template <class X>
SM_HOST_DEVICE double target_value(Target g, const X& x, int d) {
  switch (g) {
  case Target::One:
    return 1.0;
  case Target::Sin: {
    double p = 1.0;
    for (int k = 0; k < d; ++k)
      p *= sin_pi(static_cast<double>(x[k]));
    return p;
  }
  case Target::Gauss: {
    double r2 = 0.0;
    for (int k = 0; k < d; ++k) {
      const double t = static_cast<double>(x[k]) - 0.5;
      r2 += t * t;
    }
    return std::exp(-r2 / (2.0 * 0.0625));
  }
  case Target::Poly: {
    double s = 0.0;
    for (int k = 0; k < d; ++k)
      s += static_cast<double>(x[k]) * static_cast<double>(x[k]);
    return s / d;
  }
  }
  return 0.0;
}

/// Training set as the evaluators see it: either the regular grid of the constructions
/// (n points per axis on [0,1]^d, nearest point found per axis in O(d)) or a list of points
/// (brute-force nearest point).
struct TruthView {
  Task task = Task::Classify;
  Target target = Target::One;
  bool grid = true; ///< regular training grid
  int dim = 0;
  int n = 0;                 ///< grid: points per axis
  double h = 0.0;            ///< grid: spacing 1/(n-1)
  double inv_h = 0.0;        ///< grid: n - 1 (multiplied, never divided, per point)
  index_t count = 0;         ///< number of training points
  const double* x = nullptr; ///< [count][dim] (list form only)
  const double* y = nullptr; ///< [count] labels / values
};
static_assert(std::is_trivially_copyable_v<TruthView>);

/// Nearest training point to x: its index and its l1 distance.
struct Nearest {
  index_t index = 0;
  double distance = 0.0;
};

/// Grid training set, axis @p k at coordinate @p xk: the nearest grid position and the axis's
/// distance term |xk - i h|.
SM_HOST_DEVICE index_t nearest_on_axis(const TruthView& t, double xk, double* term) {
  double i = std::floor(xk * t.inv_h + 0.5);
  i = i < 0.0 ? 0.0 : (i > t.n - 1 ? t.n - 1 : i);
  *term = std::fabs(xk - i * t.h);
  return static_cast<index_t>(i);
}

/// Nearest training point to x (@p x: a pointer, or coordinates with operator[]). On the grid the
/// distance sums the axes' terms from the last axis down to axis 0, so that the sum over axes >= 1
/// is a prefix (the mesh kernel's separable path computes it once per mesh row of a warp tile); the
/// index is first axis slowest.
template <class X>
SM_HOST_DEVICE Nearest nearest_training_point(const TruthView& t, const X& x) {
  Nearest r;
  if (t.grid) {
    index_t stride = 1;
    for (int k = t.dim - 1; k >= 0; --k) {
      double term;
      r.index += nearest_on_axis(t, static_cast<double>(x[k]), &term) * stride;
      r.distance += term;
      stride *= t.n;
    }
    return r;
  }
  r.distance = INFINITY;
  for (index_t p = 0; p < t.count; ++p) {
    double dist = 0.0;
    for (int k = 0; k < t.dim; ++k)
      dist += std::fabs(static_cast<double>(x[k]) - t.x[p * t.dim + k]);
    if (dist < r.distance) {
      r.distance = dist;
      r.index = p;
    }
  }
  return r;
}

} // namespace spikemesh
