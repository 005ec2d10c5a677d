/// @file mesh.hpp
/// @brief The implicit mesh: box, points per axis, centring, and linear index -> point.
///
/// The mesh is never stored: a point is decoded from its 64-bit linear index (axis 0 fastest).
#pragma once

#include "spikemesh/config.hpp"

#include <cstdint>
#include <type_traits>

namespace spikemesh {

/// Where mesh points sit inside the box.
enum class Centring : std::uint8_t {
  Cell,  ///< x = lo + (k + 1/2) h, h = (hi - lo)/M: the midpoint rule
  Vertex ///< x = lo + k (hi - lo)/(M - 1): includes both faces
};

/// Half-open range [begin, end) of linear mesh indices.
struct IndexRange {
  index_t begin = 0;
  index_t end = 0;
  SM_HOST_DEVICE index_t size() const { return end > begin ? end - begin : 0; }
};

/// Trivially copyable mesh description; built and validated on the host (see mesh_spec.hpp).
struct MeshView {
  int dim = 0;
  Centring centring = Centring::Cell;
  index_t points_per_axis[kMaxDim] = {}; ///< M_k >= 1 (>= 2 for vertex centring)
  double origin[kMaxDim] = {};           ///< coordinate of k = 0
  double step[kMaxDim] = {};             ///< spacing between neighbouring points on axis k
  index_t total = 0;                     ///< prod_k M_k <= 2^63 - 1
};
static_assert(std::is_trivially_copyable_v<MeshView>);

/// Per-axis integer coordinates of linear index @p i (axis 0 fastest).
SM_HOST_DEVICE void mesh_decode(const MeshView& m, index_t i, index_t* k) {
  for (int a = 0; a < m.dim; ++a) {
    const index_t q = i / m.points_per_axis[a];
    k[a] = i - q * m.points_per_axis[a];
    i = q;
  }
}

/// Coordinate of integer position @p k on axis @p a. Computed in double with one rounding per
/// operation on both host and device (no FMA contraction), so backends see identical points.
SM_HOST_DEVICE double mesh_coordinate(const MeshView& m, int a, index_t k) {
#if defined(__CUDA_ARCH__)
  return __dadd_rn(m.origin[a], __dmul_rn(static_cast<double>(k), m.step[a]));
#else
  return m.origin[a] + static_cast<double>(k) * m.step[a];
#endif
}

/// The point of linear index @p i, written to x[0..dim).
template <class T>
SM_HOST_DEVICE void mesh_point(const MeshView& m, index_t i, T* x) {
  for (int a = 0; a < m.dim; ++a) {
    const index_t q = i / m.points_per_axis[a];
    x[a] = static_cast<T>(mesh_coordinate(m, a, i - q * m.points_per_axis[a]));
    i = q;
  }
}

/// Walks consecutive mesh points without divisions: start at an index, then step (axis 0
/// fastest). Its coordinates equal mesh_point()'s bit for bit.
template <class T>
struct MeshCursor {
  index_t k[kMaxDim];
  T x[kMaxDim];

  SM_HOST_DEVICE void start(const MeshView& m, index_t i) {
    mesh_decode(m, i, k);
    for (int a = 0; a < m.dim; ++a)
      x[a] = static_cast<T>(mesh_coordinate(m, a, k[a]));
  }
  SM_HOST_DEVICE void next(const MeshView& m) {
    for (int a = 0; a < m.dim; ++a) {
      if (++k[a] < m.points_per_axis[a]) {
        x[a] = static_cast<T>(mesh_coordinate(m, a, k[a]));
        return;
      }
      k[a] = 0;
      x[a] = static_cast<T>(mesh_coordinate(m, a, 0));
    }
  }
};

} // namespace spikemesh
