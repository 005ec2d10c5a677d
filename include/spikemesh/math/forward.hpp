/// @file forward.hpp
/// @brief The fused per-point forward pass shared by the CPU and CUDA backends.
///
/// Summation order is fixed and identical whether a layer is buffered or streamed: every
/// pre-activation is bias first, then its inputs in stored order (dense: ascending index;
/// sparse: CSR order). So the choice of buffer width (which differs between backends) never
/// changes a result. The CSR order is set at pack time (PackedNetwork, host/network.cpp): a
/// sparse layer 1 that reads an axis-separable sparse layer 0 (one input per neuron) has each
/// row's entries stably sorted by descending axis of the layer-0 neuron they read, so terms of
/// axes >= 1 come before those of axis 0 (docs/math.md 7.6). Every backend, and the mesh
/// kernel's separable path (separable.hpp, which adds a row's axis-0 terms to a per-row prefix
/// over axes >= 1), follows this order. Dense layers (and the dense layer a streamed layer folds
/// into) accumulate with fused multiply-adds, z = fma(w, a, z), one rounding per term
/// (math/fma.hpp), as the GPU's block GEMM does (math/dense_block.hpp); sparse rows multiply
/// and add, two roundings per term.
#pragma once

#include "spikemesh/config.hpp"
#include "spikemesh/math/activation.hpp"
#include "spikemesh/math/fma.hpp"
#include "spikemesh/math/network_view.hpp"

namespace spikemesh {
namespace detail {

/// Pre-activation of neuron @p r of a sparse (CSR) layer.
template <class T>
SM_HOST_DEVICE T sparse_row(const NetworkView<T>& net, const LayerDesc& L, const T* in, int r) {
  const std::int32_t* row_ptr = net.indices + L.row_off;
  const std::int32_t* cols = net.indices + L.col_off;
  const T* values = net.params + L.w_off;
  T z = net.params[L.b_off + r];
  for (std::int32_t e = row_ptr[r]; e < row_ptr[r + 1]; ++e)
    z += values[e] * in[cols[e]];
  return z;
}

/// Pre-activation of neuron @p r of a dense layer stored transposed ([in][out]).
template <class T>
SM_HOST_DEVICE T dense_row(const NetworkView<T>& net, const LayerDesc& L, const T* in, int r) {
  const T* w = net.params + L.w_off + r;
  T z = net.params[L.b_off + r];
  for (int j = 0; j < L.in; ++j) {
    if (in[j] != T(0)) z = fma_rn(w[static_cast<std::int64_t>(j) * L.out], in[j], z);
  }
  return z;
}

/// Whole dense layer: out = bias, then out = fma(W^T[j], in[j], out) for each input j (axpy
/// form, so each output is its own chain and the inner loop vectorises without reassociation).
/// Skipping an exact-zero input changes at most the sign of a zero: fma(w, 0, z) == z.
template <class T>
SM_HOST_DEVICE void dense_layer(const NetworkView<T>& net, const LayerDesc& L, const T* in,
                                T* out) {
  const T* bias = net.params + L.b_off;
  for (int k = 0; k < L.out; ++k)
    out[k] = bias[k];
  for (int j = 0; j < L.in; ++j) {
    const T a = in[j];
    if (a == T(0)) continue; // exact: weights are finite (validated on load)
    const T* w = net.params + L.w_off + static_cast<std::int64_t>(j) * L.out;
    for (int k = 0; k < L.out; ++k)
      out[k] = fma_rn(w[k], a, out[k]);
  }
}

} // namespace detail

/// Evaluates the network at @p x (length net.in_dim). @p buf_a and @p buf_b are scratch arrays of
/// at least net.buffer_width elements each. Returns the scalar output f(x).
template <class T>
SM_HOST_DEVICE T forward(const NetworkView<T>& net, const T* x, T* buf_a, T* buf_b) {
  const T* in = x;
  T* out = buf_a;
  T* spare = buf_b;
  for (int l = 0; l < net.n_layers; ++l) {
    const LayerDesc& L = net.layers[l];
    const T alpha = static_cast<T>(L.alpha);
    if (L.stream) {
      // Wide layer: fold each neuron straight into the next (dense, narrow) layer's sums.
      const LayerDesc& N = net.layers[l + 1];
      const T* bias_n = net.params + N.b_off;
      for (int k = 0; k < N.out; ++k)
        out[k] = bias_n[k];
      for (int r = 0; r < L.out; ++r) {
        const T z = L.sparse ? detail::sparse_row(net, L, in, r) : detail::dense_row(net, L, in, r);
        const T a = activate(L.act, z, alpha);
        if (a == T(0)) continue;
        const T* w = net.params + N.w_off + static_cast<std::int64_t>(r) * N.out;
        for (int k = 0; k < N.out; ++k)
          out[k] = fma_rn(w[k], a, out[k]);
      }
      const T alpha_n = static_cast<T>(N.alpha);
      for (int k = 0; k < N.out; ++k)
        out[k] = activate(N.act, out[k], alpha_n);
      ++l; // the next layer is done
    } else if (L.sparse) {
      for (int r = 0; r < L.out; ++r)
        out[r] = activate(L.act, detail::sparse_row(net, L, in, r), alpha);
    } else {
      detail::dense_layer(net, L, in, out);
      for (int k = 0; k < L.out; ++k)
        out[k] = activate(L.act, out[k], alpha);
    }
    in = out;
    T* t = out;
    out = spare;
    spare = t;
  }
  return in[0];
}

} // namespace spikemesh
