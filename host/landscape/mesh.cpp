/// @file mesh.cpp
/// @brief The 2-D loss mesh theta* + alpha u + beta v (the loss-landscape tool's surface) with
/// axis, random or filter-normalised directions (Li et al. 2018).
#include "spikemesh/errors.hpp"
#include "spikemesh/landscape.hpp"

#include "landscape_image.hpp"
#include "random.hpp"

#if defined(SPIKEMESH_HAS_CUDA)
#include "spikemesh/evaluator.hpp"

#include "landscape_loss.hpp"
#endif

#include <omp.h>

#include <cmath>
#include <map>
#include <memory>
#include <random>

namespace spikemesh {
namespace {

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i)
    s += a[i] * b[i];
  return s;
}

void scale_to_unit(std::vector<double>& a) {
  const double n = std::sqrt(dot(a, a));
  if (n > 0) {
    for (double& x : a)
      x /= n;
  }
}

/// Filter normalisation: each neuron's incoming weights in the direction get the norm of that
/// neuron's weights at theta*; bias directions are zero (the loss-landscape tool's default).
void filter_normalise(const LandscapeCase& c, std::vector<double>& d) {
  std::map<std::pair<int, int>, std::pair<double, double>> norms; // (layer,row) -> (|d|^2, |w|^2)
  for (std::size_t i = 0; i < c.free.size(); ++i) {
    const ParamRef& p = c.free[i];
    if (p.bias) continue;
    auto& acc = norms[{p.layer, p.row}];
    acc.first += d[i] * d[i];
    acc.second += c.theta_star[i] * c.theta_star[i];
  }
  for (std::size_t i = 0; i < c.free.size(); ++i) {
    const ParamRef& p = c.free[i];
    if (p.bias) {
      d[i] = 0.0;
      continue;
    }
    const auto& acc = norms[{p.layer, p.row}];
    d[i] = acc.first > 0 ? d[i] * std::sqrt(acc.second / acc.first) : 0.0;
  }
}

} // namespace

std::string directions_name(Directions d) {
  switch (d) {
  case Directions::Axes:
    return "axes";
  case Directions::Random:
    return "random";
  case Directions::FilterNormalized:
    return "filter-normalized";
  }
  return "random";
}

LandscapeMesh landscape_directions(const LandscapeCase& c, Directions dirs, double range,
                                   int points, std::uint64_t seed) {
  const std::size_t n = c.theta_star.size();
  if (points < 2)
    throw InvalidParameter("points-per-axis", "a landscape needs >= 2 points per axis");
  if (!(range > 0) || !std::isfinite(range)) throw InvalidParameter("range", "must be > 0");
  if (dirs == Directions::Axes && n < 2)
    throw InvalidParameter("directions", "axes needs 2 parameters");
  LandscapeMesh m;
  m.directions = dirs;
  m.u.assign(n, 0.0);
  m.v.assign(n, 0.0);
  if (dirs == Directions::Axes) {
    m.u[0] = 1.0;
    m.v[1] = 1.0;
  } else {
    std::mt19937_64 rng(seed);
    for (double& x : m.u)
      x = detail::standard_normal(rng);
    for (double& x : m.v)
      x = detail::standard_normal(rng);
    if (dirs == Directions::Random) {
      scale_to_unit(m.u);
      const double p = dot(m.u, m.v); // v orthogonal to u, then unit
      for (std::size_t i = 0; i < n; ++i)
        m.v[i] -= p * m.u[i];
      scale_to_unit(m.v);
    } else {
      filter_normalise(c, m.u);
      filter_normalise(c, m.v);
    }
  }
  for (int i = 0; i < points; ++i) {
    const double t = -range + 2.0 * range * i / (points - 1);
    m.xcoordinates.push_back(t);
    m.ycoordinates.push_back(t);
  }
  return m;
}

void landscape_loss_cpu(const LandscapeCase& c, LandscapeMesh& m, int threads) {
  const std::size_t n = c.theta_star.size();
  const int points = static_cast<int>(m.xcoordinates.size());
  const LossFunction F(c);
  m.train_loss.assign(static_cast<std::size_t>(points) * static_cast<std::size_t>(points), 0.0);
#pragma omp parallel for schedule(dynamic, 4)                                                      \
    num_threads(threads > 0 ? threads : omp_get_max_threads())
  for (int i = 0; i < points; ++i) {
    for (int j = 0; j < points; ++j) {
      std::vector<double> t = c.theta_star;
      for (std::size_t k = 0; k < n; ++k) {
        t[k] += m.xcoordinates[static_cast<std::size_t>(i)] * m.u[k] +
                m.ycoordinates[static_cast<std::size_t>(j)] * m.v[k];
      }
      m.train_loss[static_cast<std::size_t>(i) * static_cast<std::size_t>(points) +
                   static_cast<std::size_t>(j)] = F(t);
    }
  }
  m.backend = "cpu";
}

bool landscape_loss_emulated(const LandscapeCase& c, LandscapeMesh& m, int block_threads,
                             std::string* why) {
  const std::unique_ptr<LandscapeImage> img = make_landscape_image(c, m, why);
  if (!img) return false;
  const LandscapeView a = img->host_view();
  const std::int64_t cells = static_cast<std::int64_t>(a.points) * a.points;
  m.train_loss.assign(static_cast<std::size_t>(cells), 0.0);
#pragma omp parallel
  {
    std::vector<double> p(img->base.size()), buf_a(static_cast<std::size_t>(a.buffer_width)),
        buf_b(buf_a.size());
#pragma omp for schedule(dynamic, 4)
    for (std::int64_t cell = 0; cell < cells; ++cell) {
      m.train_loss[static_cast<std::size_t>(cell)] = landscape_block::emulate_cell(
          a, cell, p.data(), block_threads, buf_a.data(), buf_b.data());
    }
  }
  m.backend = "cuda-emulated";
  return true;
}

bool landscape_loss_cuda([[maybe_unused]] const LandscapeCase& c, [[maybe_unused]] LandscapeMesh& m,
                         std::string* why) {
#if defined(SPIKEMESH_HAS_CUDA)
  if (!cuda_available(why)) return false;
  if (!cuda::landscape_loss(c, m, why)) return false;
  m.backend = "cuda";
  return true;
#else
  if (why) *why = "built without the CUDA backend";
  return false;
#endif
}

LandscapeMesh landscape_mesh(const LandscapeCase& c, Directions dirs, double range, int points,
                             std::uint64_t seed, int threads) {
  LandscapeMesh m = landscape_directions(c, dirs, range, points, seed);
  landscape_loss_cpu(c, m, threads);
  return m;
}

} // namespace spikemesh
