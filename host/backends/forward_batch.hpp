/// @file forward_batch.hpp
/// @brief The CPU form of forward(): the same per-point arithmetic in the same order, applied to
/// a tile of B points at once so that every inner loop runs across points and vectorises.
/// Results equal forward() bit for bit (up to the sign of an exact zero).
#pragma once

#include "spikemesh/math/activation.hpp"
#include "spikemesh/math/fma.hpp"
#include "spikemesh/math/network_view.hpp"

#include <limits>

namespace spikemesh::cpu {

/// a[b] = act(z[b]) for a tile; the switch sits outside the loop so each case vectorises.
template <class T, int B>
__attribute__((always_inline)) inline void activate_tile(Activation act, const T* z, T* a,
                                                         T alpha) {
  switch (act) {
  case Activation::Identity:
    for (int b = 0; b < B; ++b)
      a[b] = z[b];
    return;
  case Activation::ReLU:
    for (int b = 0; b < B; ++b)
      a[b] = z[b] > T(0) ? z[b] : T(0);
    return;
  case Activation::PReLU:
    for (int b = 0; b < B; ++b)
      a[b] = z[b] >= T(0) ? z[b] : alpha * z[b];
    return;
  default:
    for (int b = 0; b < B; ++b)
      a[b] = activate(act, z[b], alpha);
  }
}

/// z[b] = bias[r] + sum_e value_e * in[col_e][b] for sparse row @p r (same order as sparse_row).
template <class T, int B>
__attribute__((always_inline)) inline void
sparse_row_tile(const NetworkView<T>& net, const LayerDesc& L, const T* in, int r, T* z) {
  const std::int32_t* row_ptr = net.indices + L.row_off;
  const std::int32_t* cols = net.indices + L.col_off;
  const T* values = net.params + L.w_off;
  const T bias = net.params[L.b_off + r];
  for (int b = 0; b < B; ++b)
    z[b] = bias;
  for (std::int32_t e = row_ptr[r]; e < row_ptr[r + 1]; ++e) {
    const T v = values[e];
    const T* src = in + static_cast<std::int64_t>(cols[e]) * B;
    for (int b = 0; b < B; ++b)
      z[b] += v * src[b];
  }
}

/// z[b] = bias[r] + sum_j W[j][r] in[j][b] for dense row @p r (transposed storage), one fused
/// multiply-add per term as dense_row.
template <class T, int B>
__attribute__((always_inline)) inline void
dense_row_tile(const NetworkView<T>& net, const LayerDesc& L, const T* in, int r, T* z) {
  const T bias = net.params[L.b_off + r];
  for (int b = 0; b < B; ++b)
    z[b] = bias;
  for (int j = 0; j < L.in; ++j) {
    const T w = net.params[L.w_off + static_cast<std::int64_t>(j) * L.out + r];
    const T* src = in + static_cast<std::int64_t>(j) * B;
    for (int b = 0; b < B; ++b)
      z[b] = fma_rn(w, src[b], z[b]);
  }
}

/// out[k][b] = fma(W^T[j][k], a[b], out[k][b]) for k < L.out: one input's contribution to a
/// dense layer (fused, as dense_layer).
template <class T, int B>
__attribute__((always_inline)) inline void axpy_tile(const T* w, int outs, const T* a, T* out) {
  for (int k = 0; k < outs; ++k) {
    const T wk = w[k];
    T* o = out + static_cast<std::int64_t>(k) * B;
    for (int b = 0; b < B; ++b)
      o[b] = fma_rn(wk, a[b], o[b]);
  }
}

template <class T, int B>
__attribute__((always_inline)) inline bool any_nonzero(const T* a) {
  bool any = false;
  for (int b = 0; b < B; ++b)
    any |= a[b] != T(0);
  return any;
}

/// Per-input range over the tile: lo[j] = min_b in[j][b], hi[j] = max_b in[j][b].
template <class T, int B>
__attribute__((always_inline)) inline void tile_ranges(const T* in, int width, T* lo, T* hi) {
  for (int j = 0; j < width; ++j) {
    T l = in[j * B], h = in[j * B];
    for (int b = 1; b < B; ++b) {
      l = in[j * B + b] < l ? in[j * B + b] : l;
      h = in[j * B + b] > h ? in[j * B + b] : h;
    }
    lo[j] = l;
    hi[j] = h;
  }
}

/// True when ReLU row @p r is provably <= 0 at every point of the tile, from the inputs' tile
/// ranges: the row then contributes exact zeros, and skipping it changes no bit. The margin
/// covers the rounding of both the bound and the row's own sum (n terms: (n + 1) u |.| each).
template <class T>
__attribute__((always_inline)) inline bool
relu_row_silent(const NetworkView<T>& net, const LayerDesc& L, const T* lo, const T* hi, int r) {
  const T bias = net.params[L.b_off + r];
  T ub = bias, mag = bias < T(0) ? -bias : bias;
  int n = 0;
  auto add = [&](T w, int j) {
    ub += w > T(0) ? w * hi[j] : w * lo[j];
    const T m = (lo[j] < T(0) ? -lo[j] : lo[j]) > (hi[j] < T(0) ? -hi[j] : hi[j])
                    ? (lo[j] < T(0) ? -lo[j] : lo[j])
                    : (hi[j] < T(0) ? -hi[j] : hi[j]);
    mag += (w < T(0) ? -w : w) * m;
    ++n;
  };
  if (L.sparse) {
    const std::int32_t* row_ptr = net.indices + L.row_off;
    const std::int32_t* cols = net.indices + L.col_off;
    for (std::int32_t e = row_ptr[r]; e < row_ptr[r + 1]; ++e)
      add(net.params[L.w_off + e], cols[e]);
  } else {
    for (int j = 0; j < L.in; ++j)
      add(net.params[L.w_off + static_cast<std::int64_t>(j) * L.out + r], j);
  }
  const T eps = std::numeric_limits<T>::epsilon();
  return ub < -T(4) * static_cast<T>(n + 2) * eps * mag;
}

/// f[b] for the B points x[k][b] (structure of arrays). @p buf_a and @p buf_b hold
/// net.buffer_width * B values each.
/// @p ranges holds 2 * max(net.buffer_width, net.in_dim) values (per-input tile ranges).
template <class T, int B>
__attribute__((always_inline)) inline void forward_tile(const NetworkView<T>& net, const T* x,
                                                        T* buf_a, T* buf_b, T* ranges, T* f) {
  const T* in = x;
  T* out = buf_a;
  T* spare = buf_b;
  T z[B], a[B];
  const int stride = net.buffer_width > net.in_dim ? net.buffer_width : net.in_dim;
  T* lo = ranges;
  T* hi = ranges + stride;
  int in_width = net.in_dim;
  for (int l = 0; l < net.n_layers; ++l) {
    const LayerDesc& L = net.layers[l];
    const T alpha = static_cast<T>(L.alpha);
    // ReLU rows that are negative over the whole tile are skipped: most spike neurons are
    // silent for every point of a tile (the points are neighbours along axis 0).
    const bool skip_silent = L.act == Activation::ReLU && L.sparse && L.out >= 8;
    if (skip_silent) tile_ranges<T, B>(in, in_width, lo, hi);
    if (L.stream) {
      const LayerDesc& N = net.layers[l + 1];
      for (int k = 0; k < N.out; ++k) {
        for (int b = 0; b < B; ++b)
          out[k * B + b] = net.params[N.b_off + k];
      }
      for (int r = 0; r < L.out; ++r) {
        if (skip_silent && relu_row_silent(net, L, lo, hi, r)) continue;
        if (L.sparse) {
          sparse_row_tile<T, B>(net, L, in, r, z);
        } else {
          dense_row_tile<T, B>(net, L, in, r, z);
        }
        activate_tile<T, B>(L.act, z, a, alpha);
        if (!any_nonzero<T, B>(a)) continue; // whole tile silent: the common case for spikes
        axpy_tile<T, B>(net.params + N.w_off + static_cast<std::int64_t>(r) * N.out, N.out, a, out);
      }
      const T alpha_n = static_cast<T>(N.alpha);
      for (int k = 0; k < N.out; ++k)
        activate_tile<T, B>(N.act, out + k * B, out + k * B, alpha_n);
      ++l;
    } else if (L.sparse) {
      for (int r = 0; r < L.out; ++r) {
        if (skip_silent && relu_row_silent(net, L, lo, hi, r)) {
          for (int b = 0; b < B; ++b)
            out[r * B + b] = T(0);
          continue;
        }
        sparse_row_tile<T, B>(net, L, in, r, z);
        activate_tile<T, B>(L.act, z, out + r * B, alpha);
      }
    } else {
      for (int k = 0; k < L.out; ++k) {
        for (int b = 0; b < B; ++b)
          out[k * B + b] = net.params[L.b_off + k];
      }
      for (int j = 0; j < L.in; ++j) {
        const T* aj = in + j * B;
        if (!any_nonzero<T, B>(aj)) continue;
        axpy_tile<T, B>(net.params + L.w_off + static_cast<std::int64_t>(j) * L.out, L.out, aj,
                        out);
      }
      for (int k = 0; k < L.out; ++k)
        activate_tile<T, B>(L.act, out + k * B, out + k * B, alpha);
    }
    in_width = L.stream ? net.layers[l].out : L.out;
    in = out;
    T* t = out;
    out = spare;
    spare = t;
  }
  for (int b = 0; b < B; ++b)
    f[b] = in[b];
}

} // namespace spikemesh::cpu
