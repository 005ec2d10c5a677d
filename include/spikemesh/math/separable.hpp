/// @file separable.hpp
/// @brief The mesh kernel's specialised forward pass for the constructions' axis-separable
/// spike networks (SeparableDesc in network_view.hpp), written once for the device and the
/// host's warp emulator (math/warp.hpp), like eval_block.hpp which calls it.
///
/// No per-thread layer buffers: a layer-0 value act0(b0 + w0 x_axis) is recomputed where a
/// spike row reads it (same operations, same bits as forward()). Per warp tile (eval_block.hpp:
/// kTilePoints consecutive points):
///   - the tile's box: per axis the range of integer positions its points take (axes above the
///     highest axis that changes are constant; that axis spans first..last; lower axes, which
///     wrap, their whole range);
///   - the active-row mask (lanes parallel over rows, one ballot per 32 rows): a ReLU spike row
///     is left out when row_upper() (math/activity_bound.hpp, docs/math.md 7.7) proves its
///     computed pre-activation <= 0 at every point of the tile's box. A left-out row's
///     activation is an exact zero at every point of the tile, which forward() skips too, so
///     no bit changes; a NaN term keeps the row active;
///   - the per-row terms of axes >= 1: the tile's points lie on S consecutive mesh rows along
///     axis 0 (segments); when S times the active rows is at most 32, lane s * n_active + k
///     holds the prefix bias + (terms of axes >= 1) of the k-th active row on segment s, and a
///     point adds only its axis-0 terms to it (the packed order puts axes >= 1 first). Else
///     each lane sums the active rows in full (same order, same bits).
/// Lines marked `// warp-uniform` run once per warp in the emulator and on every lane of the
/// device (see eval_block.hpp).
#pragma once

#include "spikemesh/config.hpp"
#include "spikemesh/math/activation.hpp"
#include "spikemesh/math/activity_bound.hpp"
#include "spikemesh/math/fma.hpp"
#include "spikemesh/math/mesh.hpp"
#include "spikemesh/math/network_view.hpp"
#include "spikemesh/math/point_stats.hpp"
#include "spikemesh/math/truth.hpp"
#include "spikemesh/math/warp.hpp"

namespace spikemesh {
namespace separable {

/// Layer-0 value act0(b0 + w0 x), as forward()'s sparse_row computes it (bias first).
template <class T>
SM_HOST_DEVICE T layer0(const SeparableDesc& s, T w0, T b0, T x) {
  T z = b0;
  z += w0 * x;
  if (s.act0 == Activation::ReLU) return z > T(0) ? z : T(0); // activate()'s ReLU, inline
  return activate(s.act0, z, static_cast<T>(s.alpha0));
}

/// Term w_e * a0(x) of spike entry @p e at coordinate @p x.
template <class T>
SM_HOST_DEVICE T term(const NetworkView<T>& net, std::int64_t e, T x) {
  const T* t = net.params + net.sep.term_off + 3 * e;
  return t[0] * layer0(net.sep, t[1], t[2], x);
}

/// The larger of @p a and @p b, NaN when either is NaN.
template <class T>
SM_HOST_DEVICE T max_nan(T a, T b) {
  if (a != a) return a;
  if (b != b) return b;
  return a > b ? a : b;
}

/// A warp tile's geometry. Every lane computes the same (the emulator too, so that the
/// profile counts it per lane, as the device runs it).
template <class T>
struct Geometry {
  index_t k_first[kMaxDim]; ///< integer position of the tile's first point
  T x_lo[kMaxDim];          ///< per axis, the coordinates at the two ends of the box's range
  T x_hi[kMaxDim];
  int segments = 1; ///< mesh rows along axis 0 that the tile's points lie on

  /// Tile [first, first + count) of mesh @p m (count >= 1, all in the mesh), from the position
  /// @p k_lane of its point first + @p lane (a borrow back by lane points: no decode).
  SM_HOST_DEVICE void start(const MeshView& m, const index_t* k_lane, int lane, index_t count) {
    index_t k_last[kMaxDim];
    for (int a = 0; a < m.dim; ++a)
      k_first[a] = k_lane[a];
    index_t borrow = lane;
    for (int a = 0; a < m.dim && borrow != 0; ++a) {
      const index_t v = k_first[a] - borrow;
      borrow = 0;
      if (v >= 0) {
        k_first[a] = v;
      } else {
        borrow = (-v + m.points_per_axis[a] - 1) / m.points_per_axis[a];
        k_first[a] = v + borrow * m.points_per_axis[a];
      }
    }
    segments = 1;
    // The last point, first + count - 1, carried from axis 0 up (divisions only on a wrap).
    index_t idx = k_first[0] + (count - 1);
    int top = 0; // highest axis whose position changes within the tile
    for (int a = 0; a < m.dim; ++a) {
      if (idx < m.points_per_axis[a]) {
        k_last[a] = idx;
        for (int b = a + 1; b < m.dim; ++b)
          k_last[b] = k_first[b];
        break;
      }
      const index_t q = idx / m.points_per_axis[a];
      k_last[a] = idx - q * m.points_per_axis[a];
      if (a == 0) segments = static_cast<int>(q) + 1;
      top = a + 1;
      idx = a + 1 < m.dim ? k_first[a + 1] + q : index_t(0);
    }
    for (int a = 0; a < m.dim; ++a) {
      const bool whole = a < top; // a lower axis that wraps: its whole range
      const index_t lo = whole ? 0 : k_first[a];
      const index_t hi = whole ? m.points_per_axis[a] - 1 : k_last[a];
      x_lo[a] = static_cast<T>(mesh_coordinate(m, a, lo));
      x_hi[a] = static_cast<T>(mesh_coordinate(m, a, hi));
    }
  }
};

/// One warp tile's state: its geometry, and per-lane registers for the activity masks and the
/// per-row prefixes.
template <class T, class W>
struct Tile {
  Lanes<W, Geometry<T>> g;
  int chunks = 0;          ///< 32-row words of the mask
  int n_active = 0;        ///< rows that may be active somewhere in the tile
  bool prefixed = true;    ///< lanes hold the per-row prefixes (segments * n_active <= 32)
  Lanes<W, unsigned> mask; ///< lane c: rows 32c..32c+31 that may be active
  Lanes<W, T> prefix;      ///< lane s * n_active + k: prefix of active row k on segment s
  Lanes<W, int> seg;       ///< this lane's point: its segment
  Lanes<W, index_t> pos;   ///< and its position along axis 0 within that segment
  bool near = false;       ///< lanes hold the nearest-training-point prefixes (grid, <= 32 rows)
  Lanes<W, double> near_distance; ///< lane s: distance terms of axes >= 1 on segment s
  Lanes<W, index_t> near_index;   ///< lane s: index part of axes >= 1 on segment s
  index_t near_stride0 = 1;       ///< n^(d-1): index stride of axis 0
};

/// Integer position on axes >= 1 of segment @p sg of the tile (its first point's row + sg).
template <class T>
SM_HOST_DEVICE void segment_position(const MeshView& m, const Geometry<T>& g, int sg, index_t* k) {
  for (int a = 1; a < m.dim; ++a)
    k[a] = g.k_first[a];
  index_t carry = static_cast<index_t>(sg);
  for (int a = 1; a < m.dim && carry != 0; ++a) {
    const index_t v = k[a] + carry;
    carry = v / m.points_per_axis[a];
    k[a] = v - carry * m.points_per_axis[a];
  }
}

/// Starts warp tile [first, first + count) of the mesh (count >= 1, all in range); @p cur:
/// each lane's cursor, started at first + lane.
template <class T, class W, class X>
SM_HOST_DEVICE void begin_tile(const W& w, const NetworkView<T>& net, const MeshView& m,
                               const X& cur, index_t count, Tile<T, W>& t) {
  const SeparableDesc& s = net.sep;
  w.each([&](int lane) { t.g[lane].start(m, cur[lane].k, lane, count); });
  // Activity mask: lane l tests row 32 c + l; lane c keeps word c.
  t.chunks = (s.rows + kWarpSize - 1) / kWarpSize; // warp-uniform
  t.n_active = 0;                                  // warp-uniform
  for (int c = 0; c < t.chunks; ++c) {             // warp-uniform
    Lanes<W, bool> act;
    w.each([&](int lane) {
      const int r = c * kWarpSize + lane;
      act[lane] = r < s.rows && (!s.skip || !(row_upper(net, t.g[lane], r) <= T(0)));
    });
    const unsigned word = w.ballot(act); // warp-uniform
    w.each([&](int lane) {
      if (lane == c) t.mask[lane] = word;
    });
    t.n_active += lane_count(word); // warp-uniform
  }
  // Each lane's point (first + lane): segment and position along axis 0.
  w.each([&](int lane) {
    index_t p = t.g[lane].k_first[0] + lane;
    int sg = 0;
    while (p >= m.points_per_axis[0]) {
      p -= m.points_per_axis[0];
      ++sg;
    }
    t.seg[lane] = sg;
    t.pos[lane] = p;
  });
  const int segments = t.g[0].segments;                              // warp-uniform
  t.prefixed = t.n_active > 0 && segments * t.n_active <= kWarpSize; // warp-uniform
  if (!t.prefixed) return;                                           // warp-uniform
  // Lane j = seg * n_active + k finds active row k ...
  Lanes<W, int> row;
  w.each([&](int lane) { row[lane] = 0; });
  int before = 0;                               // warp-uniform
  for (int c = 0; c < t.chunks; ++c) {          // warp-uniform
    const unsigned word = w.shfl(t.mask, c)[0]; // warp-uniform
    const int n = lane_count(word);             // warp-uniform
    w.each([&](int lane) {
      const int k = lane % t.n_active - before;
      if (k >= 0 && k < n) {
        unsigned rest = word;
        for (int i = 0; i < k; ++i)
          rest &= rest - 1u;
        row[lane] = c * kWarpSize + first_lane(rest);
      }
    });
    before += n; // warp-uniform
  }
  // ... and sums its bias and terms of axes >= 1 at that segment's coordinates.
  w.each([&](int lane) {
    t.prefix[lane] = T(0);
    const int sg = lane / t.n_active;
    if (sg >= segments) return;
    index_t k[kMaxDim];
    segment_position(m, t.g[lane], sg, k);
    const int r = row[lane];
    const std::int32_t* row_ptr = net.indices + s.row_off;
    const std::int32_t* axis = net.indices + s.axis_off;
    const std::int32_t split = net.indices[s.split_off + r];
    T z = net.params[s.bias_off + r];
    for (std::int32_t e = row_ptr[r]; e < split; ++e) {
      const int a = axis[e];
      z += term(net, e, static_cast<T>(mesh_coordinate(m, a, k[a])));
    }
    t.prefix[lane] = z;
  });
}

/// The nearest-training-point prefixes of the tile's segments (nearest_training_point() sums
/// the axes from the last down to axis 0): lane s sums segment s's axes >= 1.
template <class T, class W>
SM_HOST_DEVICE void begin_nearest(const W& w, const TruthView& tr, const MeshView& m,
                                  Tile<T, W>& t) {
  const int segments = t.g[0].segments;      // warp-uniform
  t.near = tr.grid && segments <= kWarpSize; // warp-uniform
  if (!t.near) return;                       // warp-uniform
  t.near_stride0 = 1;                        // warp-uniform
  for (int a = 1; a < m.dim; ++a)            // warp-uniform
    t.near_stride0 *= tr.n;                  // warp-uniform
  w.each([&](int lane) {
    t.near_distance[lane] = 0.0;
    t.near_index[lane] = 0;
    if (lane >= segments) return;
    index_t k[kMaxDim];
    segment_position(m, t.g[lane], lane, k);
    index_t stride = 1;
    for (int a = m.dim - 1; a >= 1; --a) {
      double term;
      const double xa = static_cast<double>(static_cast<T>(mesh_coordinate(m, a, k[a])));
      t.near_index[lane] += nearest_on_axis(tr, xa, &term) * stride;
      t.near_distance[lane] += term;
      stride *= tr.n;
    }
  });
}

/// The sample of each live lane's point whose network value is @p f, as sample_at() computes
/// it, with the nearest training point's axes >= 1 taken from the tile's segment prefixes.
template <class T, class W, class X>
SM_HOST_DEVICE void samples(const W& w, const EvalView<T>& v, const Tile<T, W>& t, const X& x,
                            const Lanes<W, bool>& live, const Lanes<W, T>& f,
                            Lanes<W, PointSample>& out) {
  if (!t.near) { // warp-uniform
    w.each([&](int lane) {
      if (live[lane]) out[lane] = sample_at(v, x[lane].x, f[lane]);
    });
    return;
  }
  Lanes<W, int> src;
  w.each([&](int lane) { src[lane] = live[lane] ? t.seg[lane] : 0; });
  const Lanes<W, double> dist = w.shfl_idx(t.near_distance, src); // warp-uniform
  const Lanes<W, index_t> idx = w.shfl_idx(t.near_index, src);    // warp-uniform
  w.each([&](int lane) {
    if (!live[lane]) return;
    PointSample s;
    s.f = static_cast<double>(f[lane]);
    double term;
    const index_t i0 = nearest_on_axis(v.truth, static_cast<double>(x[lane].x[0]), &term);
    s.distance = dist[lane] + term;
    s.truth = v.truth.task == Task::Classify ? v.truth.y[idx[lane] + i0 * t.near_stride0]
                                             : target_value(v.truth.target, x[lane].x, v.mesh.dim);
    out[lane] = s;
  });
}

/// f at each lane's point (@p x: its cursor, coordinates in .x; lanes with @p live false are left
/// alone).
template <class T, class W, class X>
SM_HOST_DEVICE void step(const W& w, const NetworkView<T>& net, const Tile<T, W>& t, const X& x,
                         const Lanes<W, bool>& live, Lanes<W, T>& f) {
  const SeparableDesc& s = net.sep;
  const std::int32_t* row_ptr = net.indices + s.row_off;
  const std::int32_t* axis = net.indices + s.axis_off;
  const T alpha1 = static_cast<T>(s.alpha1);
  w.each([&](int lane) { f[lane] = net.params[s.out_b_off]; });
  int k = 0;                                          // warp-uniform
  for (int c = 0; c < t.chunks; ++c) {                // warp-uniform
    unsigned word = w.shfl(t.mask, c)[0];             // warp-uniform
    while (word != 0) {                               // warp-uniform
      const int r = c * kWarpSize + first_lane(word); // warp-uniform
      word &= word - 1u;                              // warp-uniform
      Lanes<W, T> pre;
      if (t.prefixed) { // warp-uniform
        Lanes<W, int> src;
        w.each([&](int lane) { src[lane] = live[lane] ? t.seg[lane] * t.n_active + k : 0; });
        pre = w.shfl_idx(t.prefix, src); // warp-uniform
      }
      w.each([&](int lane) {
        if (!live[lane]) return;
        T z;
        if (t.prefixed) { // axis-0 terms only: they come last in the row
          z = pre[lane];
          const T x0 = x[lane].x[0];
          for (std::int32_t e = net.indices[s.split_off + r]; e < row_ptr[r + 1]; ++e)
            z += term(net, e, x0);
        } else {
          z = net.params[s.bias_off + r];
          for (std::int32_t e = row_ptr[r]; e < row_ptr[r + 1]; ++e)
            z += term(net, e, x[lane].x[axis[e]]);
        }
        const T a = s.act1 == Activation::ReLU ? (z > T(0) ? z : T(0)) // activate()'s ReLU
                                               : activate(s.act1, z, alpha1);
        if (a != T(0)) f[lane] = fma_rn(net.params[s.out_w_off + r], a, f[lane]); // as forward()
      });
      ++k; // warp-uniform
    }
  }
}

/// Moves each lane's segment and axis-0 position on by kWarpSize points.
template <class T, class W>
SM_HOST_DEVICE void advance(const W& w, const MeshView& m, Tile<T, W>& t) {
  if (t.g[0].segments == 1) return; // warp-uniform: every point on segment 0
  w.each([&](int lane) {
    index_t p = t.pos[lane] + kWarpSize;
    while (p >= m.points_per_axis[0]) {
      p -= m.points_per_axis[0];
      ++t.seg[lane];
    }
    t.pos[lane] = p;
  });
}

} // namespace separable
} // namespace spikemesh
