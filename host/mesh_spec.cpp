/// @file mesh_spec.cpp
/// @brief Validation of the mesh options and construction of the MeshView.
#include "spikemesh/mesh_spec.hpp"

#include "spikemesh/errors.hpp"

#include <cmath>
#include <cstdio>
#include <limits>

namespace spikemesh {

MeshView make_mesh_view(const MeshSpec& s) {
  if (s.dim < 1 || s.dim > kMaxDim) {
    throw InvalidParameter("dim", std::to_string(s.dim) + " is outside [1, 32]");
  }
  const std::size_t given = s.points_per_axis.size();
  if (given != 1 && given != static_cast<std::size_t>(s.dim)) {
    throw InvalidParameter("points-per-axis", "give one value or one per axis (" +
                                                  std::to_string(s.dim) + "), not " +
                                                  std::to_string(given));
  }
  check_box(s.lo, s.hi, s.dim);
  MeshView m;
  m.dim = s.dim;
  m.centring = s.centring;
  index_t total = 1;
  for (int a = 0; a < s.dim; ++a) {
    const index_t M = s.points_per_axis[given == 1 ? 0 : static_cast<std::size_t>(a)];
    const index_t min_points = s.centring == Centring::Vertex ? 2 : 1;
    if (M < min_points) {
      throw InvalidParameter("points-per-axis",
                             std::to_string(M) + " must be >= " + std::to_string(min_points));
    }
    if (total > std::numeric_limits<index_t>::max() / M) {
      throw InvalidParameter("points-per-axis", "the mesh has more than 2^63 - 1 points");
    }
    total *= M;
    m.points_per_axis[a] = M;
    const double width = s.hi - s.lo;
    if (s.centring == Centring::Cell) {
      m.step[a] = width / static_cast<double>(M);
      m.origin[a] = s.lo + 0.5 * m.step[a];
    } else {
      m.step[a] = width / static_cast<double>(M - 1);
      m.origin[a] = s.lo;
    }
  }
  if (total > kMaxMeshPoints) {
    throw InvalidParameter("points-per-axis", "the mesh has " + std::to_string(total) +
                                                  " points, more than 2^63 - 2^20 (the index "
                                                  "range the evaluation blocks need)");
  }
  for (int a = 0; a < s.dim; ++a) {
    if (!(m.step[a] >= std::numeric_limits<double>::min()) ||
        !(m.origin[a] + m.step[a] > m.origin[a])) {
      char text[200];
      std::snprintf(text, sizeof text,
                    "the step (HI - LO) / M = %.3g along axis %d does not separate mesh points in "
                    "double; widen --box or use fewer --points-per-axis",
                    m.step[a], a);
      throw InvalidParameter("box", text);
    }
  }
  m.total = total;
  return m;
}

void check_box(double lo, double hi, int dim) {
  if (!std::isfinite(lo) || !std::isfinite(hi) || !(lo < hi)) {
    throw InvalidParameter("box", "needs finite LO < HI");
  }
  const double width = hi - lo;
  const double volume = std::pow(width, dim);
  if (!std::isfinite(width) || !std::isfinite(volume)) {
    char text[160];
    std::snprintf(text, sizeof text, "the volume (HI - LO)^d of [%.3g, %.3g]^%d overflows a double",
                  lo, hi, dim);
    throw InvalidParameter("box", text);
  }
  if (!(width >= std::numeric_limits<double>::min()) ||
      !(volume >= std::numeric_limits<double>::min())) {
    char text[160];
    std::snprintf(text, sizeof text, "the volume (HI - LO)^d = (%.3g)^%d underflows a double",
                  width, dim);
    throw InvalidParameter("box", text);
  }
}

double box_volume(const MeshSpec& s) {
  return std::pow(s.hi - s.lo, s.dim);
}

std::string centring_name(Centring c) {
  return c == Centring::Cell ? "cell" : "vertex";
}

index_t points_per_axis_for(double total, int dim) {
  const double m = std::floor(std::pow(total, 1.0 / dim) + 0.5);
  return m < 1.0 ? 1 : static_cast<index_t>(m);
}

} // namespace spikemesh
