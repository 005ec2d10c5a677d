/// @file narrow_lanes.hpp
/// @brief The generic mesh kernel's narrow path (eval_mesh_kernel<T, kNarrowWidth>: networks
/// that are neither separable nor dense-eligible, every buffered layer at most kNarrowWidth
/// wide): each lane's two layer buffers and its mesh cursor live in the block's dynamic shared
/// memory instead of per-thread arrays indexed at run time (which the compiler puts on the
/// stack, in local memory), sized by the mesh's dimension and the network's buffer width.
///
/// Block layout (block_bytes()), for kThreads threads, dim axes, buffer width b:
///   index_t k[dim][kThreads]         axis positions: thread t, axis a at k[a * kThreads + t]
///   T lane[kThreads][pitch]          thread t's row: x[dim] | buf_a[b] | buf_b[b] | pad
/// with pitch = dim + 2 b rounded up to an odd number of elements.
///
/// Why this layout. All lanes of a warp run the same network, so at any access they touch the
/// same element e of their own rows (the layer loops and CSR columns are warp-uniform): lane l
/// at word offset l * pitch + e. With an odd pitch, l * pitch mod 32 is distinct for the 32
/// lanes, so a float access hits 32 distinct banks (one wavefront); a double access (8-byte
/// words, served per half warp over 16 bank pairs) has l * pitch mod 16 distinct for the 16
/// lanes of each half: no conflicts either. A row is contiguous, so forward() keeps taking plain
/// pointers (x, buf_a, buf_b), exactly as the CPU backend calls it: the same operations in the
/// same order, bit for bit. The 64-bit axis positions are laid out by axis (consecutive lanes,
/// consecutive words): conflict-free too, and SharedCursor reads them through a stride.
#pragma once

#include "spikemesh/config.hpp"
#include "spikemesh/math/forward.hpp"
#include "spikemesh/math/mesh.hpp"
#include "spikemesh/math/point_stats.hpp"
#include "spikemesh/math/shared_cursor.hpp"
#include "spikemesh/math/warp.hpp"

#include <cstddef>

namespace spikemesh {
namespace narrow {

/// Elements of a lane's row: coordinates and two buffers of @p width (at least 1), rounded up to
/// an odd count (conflict-free, see the file comment).
SM_HOST_DEVICE int lane_pitch(int dim, int width) {
  return (dim + 2 * (width > 1 ? width : 1)) | 1;
}

/// Dynamic shared memory of a block of @p threads threads for a mesh of @p dim axes and a
/// network of buffer width @p width.
template <class T>
SM_HOST_DEVICE std::size_t block_bytes(int threads, int dim, int width) {
  return static_cast<std::size_t>(threads) *
         (static_cast<std::size_t>(dim) * sizeof(index_t) +
          static_cast<std::size_t>(lane_pitch(dim, width)) * sizeof(T));
}

/// One warp's part of its block's storage: lane l's cursor and row.
template <class T>
struct WarpLanes {
  index_t* k = nullptr; ///< the warp's lane 0 axis-0 position; lane l, axis a at k[a * threads + l]
  T* row = nullptr;     ///< the warp's lane 0 row; lane l's at row + l * pitch
  int threads = 0;      ///< the block's threads (the stride between axes of k)
  int dim = 0;
  int width = 1;
  int pitch = 1;

  SM_HOST_DEVICE SharedCursor<T> cursor(int lane) const {
    SharedCursor<T> c;
    c.k = {k + lane, threads};
    c.x = {row + static_cast<std::ptrdiff_t>(lane) * pitch, 1};
    return c;
  }
  SM_HOST_DEVICE T* x(int lane) const { return row + static_cast<std::ptrdiff_t>(lane) * pitch; }
  SM_HOST_DEVICE T* buf_a(int lane) const { return x(lane) + dim; }
  SM_HOST_DEVICE T* buf_b(int lane) const { return x(lane) + dim + width; }
};

/// Warp @p warp's lanes in the block storage at @p base (block_bytes<T>(threads, dim, width)
/// bytes, 8-byte aligned).
template <class T>
SM_HOST_DEVICE WarpLanes<T> warp_lanes(void* base, int threads, int dim, int width, int warp) {
  WarpLanes<T> s;
  index_t* const ks = static_cast<index_t*>(base);
  T* const rows = reinterpret_cast<T*>(ks + static_cast<std::ptrdiff_t>(dim) * threads);
  s.threads = threads;
  s.dim = dim;
  s.width = width > 1 ? width : 1;
  s.pitch = lane_pitch(dim, width);
  s.k = ks + warp * kWarpSize;
  s.row = rows + static_cast<std::ptrdiff_t>(warp) * kWarpSize * s.pitch;
  return s;
}

/// The start of a warp tile: lane l decodes point @p first + l.
template <class T, class W>
SM_HOST_DEVICE void start_tile(const W& w, const MeshView& m, const WarpLanes<T>& s,
                               index_t first) {
  w.each([&](int lane) { s.cursor(lane).start(m, first + lane); });
}

/// Lane @p lane's sample at its cursor's point: forward() on the lane's row (coordinates in,
/// buffers as scratch), as the CPU backend evaluates a point.
template <class T>
SM_HOST_DEVICE PointSample sample(const EvalView<T>& v, const WarpLanes<T>& s, int lane) {
  const T* const x = s.x(lane);
  return sample_at(v, x, forward(v.net, x, s.buf_a(lane), s.buf_b(lane)));
}

/// Lane @p lane's cursor kWarpSize points on.
template <class T>
SM_HOST_DEVICE void advance(const MeshView& m, const WarpLanes<T>& s, int lane) {
  s.cursor(lane).advance(m);
}

} // namespace narrow
} // namespace spikemesh
