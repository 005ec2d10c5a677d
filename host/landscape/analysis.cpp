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
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<double> tp = t0, tm = t0;
    tp[i] += h;
    tm[i] -= h;
    const double g = (F(tp) - F(tm)) / (2.0 * h);
    g2 += g * g;
  }
  v.grad_norm = std::sqrt(g2);

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

  if (v.grad_norm > opt.grad_tol) {
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
