/// @file shared_cursor.hpp
/// @brief A lane's mesh cursor whose state lives in memory the caller lays out (shared memory
/// on the device), so that no kernel keeps per-lane arrays indexed by axis on its stack.
///
/// A per-lane cursor in registers (index_t k[kMaxDim], T x[kMaxDim]) is indexed by a run-time
/// axis, so the compiler puts it in local memory: a stack frame of (8 + sizeof(T)) * kMaxDim
/// bytes per thread. SharedCursor reads and writes the same state through two strided views
/// into storage the kernel sizes by the mesh's dimension (e.g. lane t, axis a at
/// base[a * kThreads + t]: consecutive lanes touch consecutive words, free of bank conflicts).
/// It steps as the mesh kernels' lanes do: decoded once per warp tile, then kWarpSize points
/// along axis 0 per step, with carries into the next axes by subtraction (no divisions); its
/// coordinates equal mesh_point()'s bit for bit.
#pragma once

#include "spikemesh/config.hpp"
#include "spikemesh/math/mesh.hpp"
#include "spikemesh/math/warp.hpp"

#include <cstddef>

namespace spikemesh {

/// Coordinates with operator[] over strided storage: element a at p[a * stride].
template <class T>
struct Strided {
  T* p = nullptr;
  int stride = 1;
  SM_HOST_DEVICE T& operator[](int a) const { return p[static_cast<std::ptrdiff_t>(a) * stride]; }
};

/// A lane's mesh cursor: axis positions @c k and coordinates @c x (rounded to T), stored where
/// the two views point.
template <class T>
struct SharedCursor {
  Strided<index_t> k;
  Strided<T> x;

  /// Decodes linear index @p i (axis 0 fastest), as mesh_decode() does.
  SM_HOST_DEVICE void start(const MeshView& m, index_t i) {
    for (int a = 0; a < m.dim; ++a) {
      const index_t q = i / m.points_per_axis[a];
      const index_t ka = i - q * m.points_per_axis[a];
      k[a] = ka;
      x[a] = static_cast<T>(mesh_coordinate(m, a, ka));
      i = q;
    }
  }
  /// Index + kWarpSize (past the last axis the carry is dropped: such a lane is out of range).
  SM_HOST_DEVICE void advance(const MeshView& m) {
    index_t carry = kWarpSize;
    for (int a = 0; a < m.dim && carry != 0; ++a) {
      index_t ka = k[a] + carry;
      carry = 0;
      while (ka >= m.points_per_axis[a]) {
        ka -= m.points_per_axis[a];
        ++carry;
      }
      k[a] = ka;
      x[a] = static_cast<T>(mesh_coordinate(m, a, ka));
    }
  }
  /// The coordinates, read-only (sample_at(), target_value() take any operator[]).
  SM_HOST_DEVICE Strided<const T> coords() const { return {x.p, x.stride}; }
};

} // namespace spikemesh
