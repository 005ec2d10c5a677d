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

/// Non-owning view of a packed network in precision T. Every thread walks the same weights.
template <class T>
struct NetworkView {
  const LayerDesc* layers = nullptr;     ///< [n_layers]; the last one is the linear output
  const T* params = nullptr;             ///< weights and biases of all layers
  const std::int32_t* indices = nullptr; ///< CSR row pointers and columns of sparse layers
  int n_layers = 0;
  int in_dim = 0;
  int buffer_width = 0; ///< scratch each of the two ping-pong buffers must hold
};

static_assert(std::is_trivially_copyable_v<LayerDesc>);
static_assert(std::is_trivially_copyable_v<NetworkView<float>>);
static_assert(std::is_trivially_copyable_v<NetworkView<double>>);

} // namespace spikemesh
