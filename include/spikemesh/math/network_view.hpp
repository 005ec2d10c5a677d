/// @file network_view.hpp
/// @brief NetworkView: the flat, trivially copyable form of a network that evaluators receive (R3).
#pragma once

#include "spikemesh/config.hpp"
#include "spikemesh/math/activation.hpp"

#include <cstdint>
#include <type_traits>

namespace spikemesh {

/// One layer inside a packed network. Offsets index NetworkView::params / ::indices, so the
/// whole network moves between host and device as three plain arrays.
struct LayerDesc {
  std::int32_t in = 0;  ///< input width
  std::int32_t out = 0; ///< output width (neurons)
  Activation act = Activation::Identity;
  bool sparse = false;      ///< CSR rows (values at w_off, row_ptr at row_off, columns at col_off)
  bool stream = false;      ///< never buffered: each neuron is folded into the next layer at once
  double alpha = 0.0;       ///< PReLU slope for t < 0
  std::int64_t w_off = 0;   ///< dense: weights transposed [in][out]; sparse: values [nnz]
  std::int64_t b_off = 0;   ///< bias [out]
  std::int64_t row_off = 0; ///< sparse only: row_ptr [out + 1], relative to col_off
  std::int64_t col_off = 0; ///< sparse only: column indices [nnz]
};

/// The axis-separable spike structure of the constructions (docs/math.md, "Summation order"),
/// detected at pack time: layer 0 sparse with exactly one input per neuron (neuron q computes
/// act0(b0_q + w0_q x[axis_q])), layer 1 sparse (the spikes), layer 2 the dense linear output.
/// Layer 1's entries are packed in descending axis order of the layer-0 neuron they read (axes
/// >= 1 first, axis 0 last), so that a row's partial sum over axes >= 1 is a prefix of its
/// summation and is the same for every point of a mesh row along axis 0. The mesh kernel's
/// separable path (math/separable.hpp) reads the arrays below; forward() and the CPU backend
/// read the ordinary layers, which hold the same entries in the same order.
struct SeparableDesc {
  bool on = false;   ///< the structure is present and the separable kernel may be used
  bool skip = false; ///< rows provably <= 0 over a tile may be skipped (ReLU spikes, monotone
                     ///< layer-0 activation: Identity, ReLU, PReLU with alpha >= 0)
  Activation act0 = Activation::Identity; ///< layer 0's activation
  Activation act1 = Activation::Identity; ///< layer 1's activation
  double alpha0 = 0.0, alpha1 = 0.0;
  std::int32_t rows = 0;      ///< layer 1's width
  std::int64_t term_off = 0;  ///< params: per layer-1 entry e, {w_e, w0, b0} of the neuron read
  std::int64_t axis_off = 0;  ///< indices: per layer-1 entry, the axis of the neuron it reads
  std::int64_t row_off = 0;   ///< indices: layer 1's row_ptr [rows + 1]
  std::int64_t split_off = 0; ///< indices: per row, its first entry of axis 0 [rows]
  std::int64_t bias_off = 0;  ///< params: layer 1's bias [rows]
  std::int64_t out_w_off = 0; ///< params: the output layer's weights [rows]
  std::int64_t out_b_off = 0; ///< params: the output layer's bias [1]
};

/// Non-owning view of a packed network in precision T. Every thread walks the same weights.
template <class T>
struct NetworkView {
  const LayerDesc* layers = nullptr;     ///< [n_layers]; the last one is the linear output
  const T* params = nullptr;             ///< weights and biases of all layers
  const std::int32_t* indices = nullptr; ///< CSR row pointers and columns of sparse layers
  int n_layers = 0;
  int in_dim = 0;
  int buffer_width = 0; ///< scratch each of the two ping-pong buffers must hold
  SeparableDesc sep;    ///< the separable spike structure, when present
};

static_assert(std::is_trivially_copyable_v<LayerDesc>);
static_assert(std::is_trivially_copyable_v<SeparableDesc>);
static_assert(std::is_trivially_copyable_v<NetworkView<float>>);
static_assert(std::is_trivially_copyable_v<NetworkView<double>>);

} // namespace spikemesh
