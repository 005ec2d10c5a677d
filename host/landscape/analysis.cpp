/// @file analysis.cpp
/// @brief The verification protocol of docs/math.md section 9.3: finite-difference gradient
/// and Hessian, perturbation spheres, and the verdict.
#include "spikemesh/landscape.hpp"

#include "random.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <random>

namespace spikemesh {
namespace {

std::vector<double> unit_direction(std::mt19937_64& rng, std::size_t n) {
  std::vector<double> d(n);
  double norm = 0.0;
  for (double& x : d) {
    x = detail::standard_normal(rng);
    norm += x * x;
  }
  norm = std::sqrt(norm);
  for (double& x : d)
    x /= norm;
  return d;
}

/// Eigenvalues of the symmetric matrix @p A [n][n] by cyclic Jacobi rotations, ascending.
std::vector<double> symmetric_eigenvalues(std::vector<double> A, std::size_t n) {
  for (int sweep = 0; sweep < 100; ++sweep) {
    double off = 0.0;
    for (std::size_t p = 0; p < n; ++p) {
      for (std::size_t q = p + 1; q < n; ++q)
        off += A[p * n + q] * A[p * n + q];
    }
    if (off < 1e-30) break;
    for (std::size_t p = 0; p < n; ++p) {
      for (std::size_t q = p + 1; q < n; ++q) {
        const double apq = A[p * n + q];
        if (std::fabs(apq) < 1e-300) continue;
        const double theta = (A[q * n + q] - A[p * n + p]) / (2.0 * apq);
        const double t =
            (theta >= 0 ? 1.0 : -1.0) / (std::fabs(theta) + std::sqrt(theta * theta + 1.0));
        const double c = 1.0 / std::sqrt(t * t + 1.0), s = t * c;
        for (std::size_t k = 0; k < n; ++k) { // A <- J^T A J
          const double akp = A[k * n + p], akq = A[k * n + q];
          A[k * n + p] = c * akp - s * akq;
          A[k * n + q] = s * akp + c * akq;
        }
        for (std::size_t k = 0; k < n; ++k) {
          const double apk = A[p * n + k], aqk = A[q * n + k];
          A[p * n + k] = c * apk - s * aqk;
          A[q * n + k] = s * apk + c * aqk;
        }
      }
    }
  }
  std::vector<double> ev(n);
  for (std::size_t i = 0; i < n; ++i)
    ev[i] = A[i * n + i];
  std::sort(ev.begin(), ev.end());
  return ev;
}

} // namespace

Verdict analyse_critical_point(const LandscapeCase& c, const VerdictOptions& opt) {
  const LossFunction F(c);
  const std::vector<double>& t0 = c.theta_star;
  const std::size_t n = t0.size();
  Verdict v;
  v.loss = F(t0);

  // 1. Gradient by central differences, step 1e-6.
  const double h = 1e-6;
  double g2 = 0.0;
  std::vector<double> f_plus(n), f_minus(n);
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<double> tp = t0, tm = t0;
    tp[i] += h;
    tm[i] -= h;
    f_plus[i] = F(tp);
    f_minus[i] = F(tm);
    const double g = (f_plus[i] - f_minus[i]) / (2.0 * h);
    g2 += g * g;
  }
  v.grad_norm = std::sqrt(g2);

  // 1b. At a kink of a ReLU (a nonsmooth point) the central difference is no gradient: F can
  // rise on one side and stay flat on the other, and where the residuals vanish a curvature jump
  // a^2 makes it a^2 h / 2. So, before any gradient verdict, the one-sided derivatives along
  // +-e_i: forward and backward differences at h and h/10, Richardson-extrapolated
  // (D = (10 D(h/10) - D(h)) / 9 cancels the O(h) term of a piecewise-quadratic F exactly).
  // Rounding: F is evaluated to a relative 1e-14 (stated bound for these small networks), so a
  // difference at step h/10 is good to 2e-14 max|F| / 1e-7 and the extrapolation multiplies
  // that by 11/9; the tolerance adds 3e-7 max|F| to grad_tol.
  bool one_sided_ok = false;
  if (v.grad_norm > opt.grad_tol) {
    double fmax = std::fabs(v.loss);
    double min_d = INFINITY;
    for (std::size_t i = 0; i < n; ++i) {
      std::vector<double> tp = t0, tm = t0;
      tp[i] += h / 10;
      tm[i] -= h / 10;
      const double fp = F(tp), fm = F(tm);
      fmax = std::max(
          {fmax, std::fabs(fp), std::fabs(fm), std::fabs(f_plus[i]), std::fabs(f_minus[i])});
      const double up = (10.0 * (fp - v.loss) / (h / 10) - (f_plus[i] - v.loss) / h) / 9.0;
      const double down = (10.0 * (fm - v.loss) / (h / 10) - (f_minus[i] - v.loss) / h) / 9.0;
      min_d = std::min({min_d, up, down}); // derivatives in the directions +e_i and -e_i
    }
    v.min_one_sided_derivative = min_d;
    one_sided_ok = min_d >= -(opt.grad_tol + 3e-7 * fmax);
  }

  // 2. Perturbation spheres: random unit directions plus all +-e_i, at each radius.
  double best_seen = v.loss;
  v.radii = {1e-4, 1e-3, 1e-2, 1e-1};
  v.min_loss_change = INFINITY;
  for (std::size_t ri = 0; ri < v.radii.size(); ++ri) {
    const double r = v.radii[ri];
    const int total = opt.directions_per_radius + static_cast<int>(2 * n);
    double min_change = INFINITY;
#pragma omp parallel num_threads(opt.threads > 0 ? opt.threads : omp_get_max_threads())
    {
      double local_min = INFINITY;
#pragma omp for schedule(static)
      for (int k = 0; k < total; ++k) {
        std::vector<double> dir(n, 0.0);
        if (k < static_cast<int>(2 * n)) {
          dir[static_cast<std::size_t>(k / 2)] = k % 2 == 0 ? 1.0 : -1.0;
        } else {
          std::mt19937_64 rng(opt.seed * 1000003u + ri * 7919u + static_cast<std::uint64_t>(k));
          dir = unit_direction(rng, n);
        }
        std::vector<double> t = t0;
        for (std::size_t i = 0; i < n; ++i)
          t[i] += r * dir[i];
        local_min = std::min(local_min, F(t) - v.loss);
      }
#pragma omp critical
      min_change = std::min(min_change, local_min);
    }
    v.min_change_per_radius.push_back(min_change);
    v.min_loss_change = std::min(v.min_loss_change, min_change);
    best_seen = std::min(best_seen, v.loss + min_change);
  }

  // 3. Hessian by central differences, step 1e-4 (small problems only).
  if (n <= 64) {
    const double e = 1e-4;
    std::vector<double> H(n * n);
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = i; j < n; ++j) {
        auto at = [&](double si, double sj) {
          std::vector<double> t = t0;
          t[i] += si * e;
          t[j] += sj * e;
          return F(t);
        };
        const double hij = (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1)) / (4.0 * e * e);
        H[i * n + j] = H[j * n + i] = hij;
      }
    }
    v.hessian_eigenvalues = symmetric_eigenvalues(H, n);
  }

  // 4. The best loss elsewhere: the known global minimiser, else the best point seen.
  if (!c.theta_global.empty()) {
    v.global_loss = F(c.theta_global);
    v.global_source = "known global minimiser";
  } else if (!std::isnan(c.known_global_loss)) {
    v.global_loss = c.known_global_loss;
    v.global_source = "known global loss";
  } else {
    v.global_loss = best_seen;
    v.global_source = "best loss found on the perturbation spheres";
  }

  // A sum of squares is >= 0 everywhere: at F(theta*) = 0 the point is a global minimum, kinks
  // or not. "0" to rounding: every residual at most 1e-12 max(1, max|y|) (the forward pass's
  // rounding for weight products up to ~1e4), so F <= N (1e-12 max(1, max|y|))^2.
  double ymax = 1.0;
  for (double y : c.y)
    ymax = std::max(ymax, std::fabs(y));
  const double zero_bound = static_cast<double>(c.y.size()) * (1e-12 * ymax) * (1e-12 * ymax);
  if (v.loss <= zero_bound) {
    v.criterion = "sum of squares at 0";
    v.verdict = "global_minimum";
    if (std::isnan(c.known_global_loss) && c.theta_global.empty()) {
      v.global_loss = std::min(v.global_loss, v.loss);
      v.global_source = "F >= 0 (a sum of squares) and F(theta*) = 0";
    }
    return v;
  }
  if (v.grad_norm <= opt.grad_tol) {
    v.criterion = "central gradient";
  } else if (one_sided_ok) {
    v.criterion = "one-sided differences (nonsmooth point)";
  }
  if (v.criterion.empty()) {
    v.verdict = "not_critical";
  } else if (v.min_loss_change < -opt.decrease_tol) {
    v.verdict = "saddle";
  } else if (v.global_loss < v.loss - 1e-9 * std::max(1.0, std::fabs(v.loss))) {
    v.verdict = "spurious_local_minimum";
  } else {
    v.verdict = "global_minimum";
  }
  return v;
}

} // namespace spikemesh
