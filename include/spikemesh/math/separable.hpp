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

#if defined(__CUDA_ARCH__)
#define SM_SEP_NO_UNROLL _Pragma("unroll 1")
#else
#define SM_SEP_NO_UNROLL
#endif

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

/// Coordinates of axes >= 1 that a warp's slot holds for its tile's segments (kSegCoords >=
/// segments * (dim - 1)); larger tiles (very short axis 0 in high dimension) recompute them from
/// integer positions (segment_coordinate()).
inline constexpr int kSegCoords = 640;

/// A warp tile's geometry, in the warp's slot in shared memory (WarpSlot): written by the
/// warp's lanes once per tile, read by all of them.
template <class T>
struct Geometry {
  index_t k_first[kMaxDim]; ///< integer position of the tile's first point
  T x_lo[kMaxDim];          ///< per axis, the coordinates at the two ends of the box's range
  T x_hi[kMaxDim];
  int segments; ///< mesh rows along axis 0 that the tile's points lie on
};

/// A warp's per-tile state in shared memory (__shared__ on the device, one per warp; the host's
/// emulator starts it NaN-filled): the tile's geometry, and per segment s of the tile the
/// coordinates of axes 1..dim-1 of its mesh row at seg_x[s * (dim - 1) + a - 1] (when they fit).
template <class T>
struct WarpSlot {
  Geometry<T> g;
  index_t k_step[kMaxDim]; ///< digits of the linear distance between the warp's tiles
  T seg_x[kSegCoords];
  double near_distance[kWarpSize]; ///< per segment s < 32: distance terms of axes >= 1
  index_t near_index[kWarpSize];   ///< and the index part of axes >= 1
};

/// The integer positions on axes 1..@p upto of segment @p s of the tile (its first point's row
/// + s), carried from axis 1 up (a division only where a carry exceeds one wrap); @p emit(a, k)
/// for each.
template <class T, class F>
SM_HOST_DEVICE void segment_positions(const MeshView& m, const Geometry<T>& g, int s, int upto,
                                      F&& emit) {
  index_t carry = s;
  for (int a = 1; a <= upto; ++a) {
    const index_t M = m.points_per_axis[a];
    index_t k = g.k_first[a] + carry;
    carry = 0;
    if (k >= M) {
      carry = k - M < M ? index_t(1) : k / M;
      k -= carry * M;
    }
    emit(a, k);
  }
}

/// Coordinate on axis @p a >= 1 of segment @p s, from its integer position (the rare path).
template <class T>
SM_HOST_DEVICE T segment_coordinate(const MeshView& m, const Geometry<T>& g, int s, int a) {
  index_t pos = 0;
  segment_positions(m, g, s, a, [&](int, index_t k) { pos = k; });
  return static_cast<T>(mesh_coordinate(m, a, pos));
}

/// A lane's mesh point as coordinates x[a] (mesh_point()'s bits): axis 0 from the lane's register,
/// axes >= 1 from its segment's row of the slot's table, or recomputed where the table is off.
template <class T>
struct LanePoint {
  const MeshView* m;
  const Geometry<T>* g;
  const T* row; ///< the segment's coordinates of axes 1.. (nullptr: recompute)
  int seg;
  T x0;
  SM_HOST_DEVICE T operator[](int a) const {
    if (a == 0) return x0;
    if (row != nullptr) return row[a - 1];
    return segment_coordinate(*m, *g, seg, a);
  }
};

/// One warp tile's state: its slot in shared memory, warp-uniform scalars, and per-lane
/// registers (activity masks, per-row prefixes, the lane's point).
template <class T, class W>
struct Tile {
  WarpSlot<T>* slot;       ///< this warp's slot (geometry, segment coordinates)
  int segments;            ///< mesh rows along axis 0 that the tile's points lie on
  bool coords;             ///< the slot holds the segments' coordinates (else recomputed)
  int chunks;              ///< 32-row words of the mask
  int n_active;            ///< rows that may be active somewhere in the tile
  T out_b;                 ///< the output layer's bias
  bool prefixed;           ///< lanes hold the per-row prefixes (segments * n_active <= 32)
  Lanes<W, unsigned> mask; ///< lane c: rows 32c..32c+31 that may be active
  Lanes<W, T> prefix;      ///< lane s * n_active + k: prefix of active row k on segment s
  Lanes<W, int> seg;       ///< this lane's point: its segment
  Lanes<W, index_t> pos;   ///< its position along axis 0
  Lanes<W, T> x0;          ///< and its coordinate there
  bool near;            ///< the slot holds the nearest-training-point prefixes (grid, <= 32 rows)
  bool near_inside;     ///< and axis 0's nearest grid position needs no clamp in the tile
  index_t near_stride0; ///< n^(d-1): index stride of axis 0
};

/// A lane's point on segment @p sg with axis-0 coordinate @p x0, as coordinates.
template <class T, class W>
SM_HOST_DEVICE LanePoint<T> lane_point(const MeshView& m, const Tile<T, W>& t, int sg, T x0) {
  const T* row = t.coords ? t.slot->seg_x + sg * (m.dim - 1) : nullptr;
  return LanePoint<T>{&m, &t.slot->g, row, sg, x0};
}

/// Lane a < dim: digit a of @p x in the mesh's mixed radix (axis 0 fastest) into @p digits; the
/// top digit (axis dim - 1) is left unreduced when @p top_unreduced (a step past the mesh's end).
template <class W>
SM_HOST_DEVICE void mesh_digits(const W& w, const MeshView& m, index_t x, bool top_unreduced,
                                index_t* digits) {
  w.each([&](int lane) {
    if (lane >= m.dim) return;
    index_t q = x;
    if (lane > 0) {
      index_t below = 1; // points per row of the axes < lane (<= total: no overflow)
      for (int b = 0; b < lane; ++b)
        below *= m.points_per_axis[b];
      q = x / below;
    }
    const index_t M = m.points_per_axis[lane];
    const bool reduce = !(top_unreduced && lane == m.dim - 1);
    digits[lane] = !reduce || q < M ? q : q - (q / M) * M;
  });
}

/// The warp's first tile starts at linear index @p first, and each next one @p step indices on:
/// the slot's k_first and k_step (divisions, once per warp).
template <class T, class W>
SM_HOST_DEVICE void first_tile(const W& w, const MeshView& m, index_t first, index_t step,
                               WarpSlot<T>& slot) {
  w.sync(); // warp-uniform: the previous reads of the slot come first
  mesh_digits(w, m, first, false, slot.g.k_first);
  mesh_digits(w, m, step, true, slot.k_step);
}

/// The next tile: k_first += k_step, carried from axis 0 up (at most one wrap per axis: no
/// division). Past the mesh's last index the top digit overflows; such a tile is never begun.
template <class T, class W>
SM_HOST_DEVICE void next_tile(const W& w, const MeshView& m, WarpSlot<T>& slot) {
  w.sync(); // warp-uniform: the previous tile's reads of the slot come first
  w.each([&](int lane) {
    if (lane != 0) return;
    index_t carry = 0;
    for (int a = 0; a < m.dim; ++a) {
      index_t k = slot.g.k_first[a] + slot.k_step[a] + carry;
      carry = 0;
      if (k >= m.points_per_axis[a] && a + 1 < m.dim) {
        k -= m.points_per_axis[a];
        carry = 1;
      }
      slot.g.k_first[a] = k;
    }
  });
}

/// The tile's geometry into its slot (its first point's position k_first set by first_tile()
/// or next_tile()) and each lane's point (first + lane): the last point's position, carried
/// from axis 0 up (divisions only where a carry exceeds one wrap), gives the box; then the
/// segments' coordinates.
template <class T, class W>
SM_HOST_DEVICE void start_geometry(const W& w, const MeshView& m, index_t count, Tile<T, W>& t) {
  Geometry<T>& g = t.slot->g;
  w.sync();                                         // warp-uniform
  index_t idx = g.k_first[0] + (count - 1);         // warp-uniform: the last point on axis `top`
  int top = 0;                                      // warp-uniform: highest axis that changes
  int segments = 1;                                 // warp-uniform
  for (int a = 0; a < m.dim; ++a) {                 // warp-uniform
    const index_t M = m.points_per_axis[a];         // warp-uniform
    if (idx < M) break;                             // warp-uniform
    const index_t q = idx - M < M ? 1 : idx / M;    // warp-uniform
    if (a == 0) segments = static_cast<int>(q) + 1; // warp-uniform
    top = a + 1;                                    // warp-uniform
    idx = a + 1 < m.dim ? g.k_first[a + 1] + q : index_t(0); // warp-uniform
  }
  t.segments = segments; // warp-uniform
  w.each([&](int lane) {
    if (lane == 0) g.segments = segments;
    if (lane < m.dim) {
      const bool whole = lane < top; // a lower axis that wraps: its whole range
      const index_t lo = whole ? 0 : g.k_first[lane];
      const index_t hi = whole ? m.points_per_axis[lane] - 1 : lane == top ? idx : g.k_first[lane];
      g.x_lo[lane] = static_cast<T>(mesh_coordinate(m, lane, lo));
      g.x_hi[lane] = static_cast<T>(mesh_coordinate(m, lane, hi));
    }
    index_t p = g.k_first[0] + lane;
    int sg = 0;
    while (p >= m.points_per_axis[0]) {
      p -= m.points_per_axis[0];
      ++sg;
    }
    t.seg[lane] = sg;
    t.pos[lane] = p;
    t.x0[lane] = static_cast<T>(mesh_coordinate(m, 0, p));
  });
  const int axes = m.dim - 1;                                     // warp-uniform
  t.coords = segments * static_cast<index_t>(axes) <= kSegCoords; // warp-uniform
  if (t.coords && axes > 0) {                                     // warp-uniform
    w.each([&](int lane) {
      for (int sg = lane; sg < segments; sg += kWarpSize) {
        T* row = t.slot->seg_x + sg * axes;
        segment_positions(m, g, sg, axes, [&](int a, index_t k) {
          row[a - 1] = static_cast<T>(mesh_coordinate(m, a, k));
        });
      }
    });
  }
  w.sync(); // warp-uniform
}

/// z + the terms of entries [e0, e1) of a row, all of axes >= 1, at the coordinates of segment
/// @p sg of the tile (the slot's table, or recomputed), in order.
template <class T, class W>
SM_HOST_DEVICE T upper_terms(const NetworkView<T>& net, const MeshView& m, const Tile<T, W>& t,
                             int sg, std::int32_t e0, std::int32_t e1, T z) {
  const SeparableDesc& s = net.sep;
  const std::int32_t* axis = net.indices + s.axis_off;
  const T* p = net.params + s.term_off + 3 * e0;
  if (t.coords) {
    const T* row = t.slot->seg_x + sg * (m.dim - 1); // axis a at row[a - 1]
    if (s.act0 == Activation::ReLU) {
      SM_SEP_NO_UNROLL // a short loop (a row's axes >= 1): no remainder code
          for (std::int32_t e = e0; e < e1; ++e, p += 3) {
        T u = p[2];
        u += p[1] * row[axis[e] - 1];
        z += p[0] * (u > T(0) ? u : T(0)); // layer0()'s ReLU
      }
      return z;
    }
    for (std::int32_t e = e0; e < e1; ++e, p += 3)
      z += p[0] * layer0(s, p[1], p[2], row[axis[e] - 1]);
    return z;
  }
  for (std::int32_t e = e0; e < e1; ++e, p += 3)
    z += p[0] * layer0(s, p[1], p[2], segment_coordinate(m, t.slot->g, sg, axis[e]));
  return z;
}

/// Starts warp tile [first, first + count) of the mesh (count >= 1, all in range) in the
/// warp's slot @p slot, whose k_first holds first's position (first_tile(), next_tile()).
template <class T, class W>
SM_HOST_DEVICE void begin_tile(const W& w, const NetworkView<T>& net, const MeshView& m,
                               index_t count, WarpSlot<T>& slot, Tile<T, W>& t) {
  const SeparableDesc& s = net.sep;
  t.slot = &slot;                    // warp-uniform
  t.out_b = net.params[s.out_b_off]; // warp-uniform
  start_geometry(w, m, count, t);
  const Geometry<T>& g = slot.g;
  // Activity mask: lane l tests row 32 c + l; lane c keeps word c.
  t.chunks = (s.rows + kWarpSize - 1) / kWarpSize; // warp-uniform
  t.n_active = 0;                                  // warp-uniform
  for (int c = 0; c < t.chunks; ++c) {             // warp-uniform
    Lanes<W, bool> act;
    w.each([&](int lane) {
      const int r = c * kWarpSize + lane;
      act[lane] = r < s.rows && (!s.skip || !(row_upper(net, g, r) <= T(0)));
    });
    const unsigned word = w.ballot(act); // warp-uniform
    w.each([&](int lane) {
      if (lane == c) t.mask[lane] = word;
    });
    t.n_active += lane_count(word); // warp-uniform
  }
  const int segments = t.segments;                                   // warp-uniform
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
    const int r = row[lane];
    t.prefix[lane] = upper_terms(net, m, t, sg, net.indices[s.row_off + r],
                                 net.indices[s.split_off + r], net.params[s.bias_off + r]);
  });
}

/// The nearest-training-point prefixes of the tile's segments (nearest_training_point() sums
/// the axes from the last down to axis 0): lane s sums segment s's axes >= 1.
template <class T, class W>
SM_HOST_DEVICE void begin_nearest(const W& w, const TruthView& tr, const MeshView& m,
                                  Tile<T, W>& t) {
  const int segments = t.segments;           // warp-uniform
  t.near = tr.grid && segments <= kWarpSize; // warp-uniform
  if (!t.near) return;                       // warp-uniform
  // The nearest grid position along axis 0, floor(x inv_h + 1/2), is monotone in x (rounded
  // products and sums are), so within [0, n - 1] at both ends of the tile's axis-0 range
  // means the clamp is a no-op at every point of it.
  const Geometry<T>& g = t.slot->g;                                              // warp-uniform
  const double e0 = std::floor(static_cast<double>(g.x_lo[0]) * tr.inv_h + 0.5); // warp-uniform
  const double e1 = std::floor(static_cast<double>(g.x_hi[0]) * tr.inv_h + 0.5); // warp-uniform
  t.near_inside = e0 >= 0.0 && e1 >= 0.0 && e0 <= tr.n - 1 && e1 <= tr.n - 1;    // warp-uniform
  t.near_stride0 = 1;                                                            // warp-uniform
  for (int a = 1; a < m.dim; ++a)                                                // warp-uniform
    t.near_stride0 *= tr.n;                                                      // warp-uniform
  w.each([&](int lane) {
    if (lane >= segments) return;
    const LanePoint<T> x = lane_point(m, t, lane, T(0)); // axes >= 1 only
    double distance = 0.0;
    index_t index = 0, stride = 1;
    for (int a = m.dim - 1; a >= 1; --a) {
      double term;
      index += nearest_on_axis(tr, static_cast<double>(x[a]), &term) * stride;
      distance += term;
      stride *= tr.n;
    }
    t.slot->near_distance[lane] = distance;
    t.slot->near_index[lane] = index;
  });
  w.sync(); // warp-uniform: the prefixes before other lanes read them
}

/// nearest_on_axis() where its clamp to the grid is known to change nothing (the same
/// operations otherwise).
SM_HOST_DEVICE index_t nearest_inside(const TruthView& t, double xk, double* term) {
  const double i = std::floor(xk * t.inv_h + 0.5);
  *term = std::fabs(xk - i * t.h);
  return static_cast<index_t>(i);
}

/// The sample of each live lane's point whose network value is @p f, as sample_at() computes
/// it, with the nearest training point's axes >= 1 taken from the tile's segment prefixes.
template <class T, class W>
SM_HOST_DEVICE void samples(const W& w, const EvalView<T>& v, const Tile<T, W>& t,
                            const Lanes<W, bool>& live, const Lanes<W, T>& f,
                            Lanes<W, PointSample>& out) {
  if (!t.near) { // warp-uniform
    w.each([&](int lane) {
      if (live[lane])
        out[lane] = sample_at(v, lane_point(v.mesh, t, t.seg[lane], t.x0[lane]), f[lane]);
    });
    return;
  }
  w.each([&](int lane) {
    if (!live[lane]) return;
    const int sg = t.seg[lane];
    PointSample s;
    s.f = static_cast<double>(f[lane]);
    double term;
    const double x0 = static_cast<double>(t.x0[lane]);
    const index_t i0 =
        t.near_inside ? nearest_inside(v.truth, x0, &term) : nearest_on_axis(v.truth, x0, &term);
    s.distance = t.slot->near_distance[sg] + term;
    s.truth = v.truth.task == Task::Classify
                  ? v.truth.y[t.slot->near_index[sg] + i0 * t.near_stride0]
                  : target_value(v.truth.target, lane_point(v.mesh, t, t.seg[lane], t.x0[lane]),
                                 v.mesh.dim);
    out[lane] = s;
  });
}

/// z + the terms w_e * act0(b0 + w0 x) of entries [e, end) of a row (@p p: the packed
/// {w_e, w0, b0} of entry e), in order; @p relu0: layer 0 is a ReLU (inline, three entries per
/// pass: the constructions' hats), else layer0().
template <class T>
SM_HOST_DEVICE T axis0_terms(const SeparableDesc& s, bool relu0, const T* p, std::int32_t n, T z,
                             T x) {
  if (relu0) {
    const auto hat = [x](const T* q) {
      T u = q[2];
      u += q[1] * x;
      return u > T(0) ? u : T(0); // activate()'s ReLU
    };
    for (; n >= 3; n -= 3, p += 9) {
      z += p[0] * hat(p);
      z += p[3] * hat(p + 3);
      z += p[6] * hat(p + 6);
    }
    for (; n > 0; --n, p += 3)
      z += p[0] * hat(p);
    return z;
  }
  for (; n > 0; --n, p += 3)
    z += p[0] * layer0(s, p[1], p[2], x);
  return z;
}

/// f at each lane's point (lanes with @p live false are left alone).
template <class T, class W>
SM_HOST_DEVICE void step(const W& w, const NetworkView<T>& net, const MeshView& m,
                         const Tile<T, W>& t, const Lanes<W, bool>& live, Lanes<W, T>& f) {
  const SeparableDesc& s = net.sep;
  const std::int32_t* row_ptr = net.indices + s.row_off;
  const std::int32_t* split = net.indices + s.split_off;
  const T* terms = net.params + s.term_off;
  const T* out_w = net.params + s.out_w_off;
  const T alpha1 = static_cast<T>(s.alpha1);
  w.each([&](int lane) { f[lane] = t.out_b; });
  if (t.n_active == 0) return;                        // warp-uniform: no spike meets the tile
  const bool relu0 = s.act0 == Activation::ReLU;      // warp-uniform
  const bool relu1 = s.act1 == Activation::ReLU;      // warp-uniform
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
          const std::int32_t e = split[r];
          z = axis0_terms(s, relu0, terms + 3 * e, row_ptr[r + 1] - e, pre[lane], t.x0[lane]);
        } else { // the whole row: axes >= 1 at the segment's coordinates, then axis 0
          const std::int32_t e1 = split[r];
          z = upper_terms(net, m, t, t.seg[lane], row_ptr[r], e1, net.params[s.bias_off + r]);
          z = axis0_terms(s, relu0, terms + 3 * e1, row_ptr[r + 1] - e1, z, t.x0[lane]);
        }
        const T a = relu1 ? (z > T(0) ? z : T(0)) // activate()'s ReLU
                          : activate(s.act1, z, alpha1);
        if (a != T(0)) f[lane] = fma_rn(out_w[r], a, f[lane]); // as forward()
      });
      ++k; // warp-uniform
    }
  }
}

/// Moves each lane's point on by kWarpSize points: its segment, axis-0 position and coordinate.
template <class T, class W>
SM_HOST_DEVICE void advance(const W& w, const MeshView& m, Tile<T, W>& t) {
  if (t.segments == 1) { // warp-uniform: every point of the tile on segment 0 (no wrap)
    w.each([&](int lane) {
      t.pos[lane] += kWarpSize;
      t.x0[lane] = static_cast<T>(mesh_coordinate(m, 0, t.pos[lane]));
    });
    return;
  }
  w.each([&](int lane) {
    index_t p = t.pos[lane] + kWarpSize;
    while (p >= m.points_per_axis[0]) {
      p -= m.points_per_axis[0];
      ++t.seg[lane];
    }
    t.pos[lane] = p;
    t.x0[lane] = static_cast<T>(mesh_coordinate(m, 0, p));
  });
}

} // namespace separable
} // namespace spikemesh
