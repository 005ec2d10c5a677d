/// @file network.hpp
/// @brief Network: the owning host description of an MLP f: R^d -> R, and PackedNetwork<T>, the
/// flat arrays behind a NetworkView<T>.
#pragma once

#include "spikemesh/math/activation.hpp"
#include "spikemesh/math/network_view.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace spikemesh {

/// One fully connected layer, dense or sparse (CSR). Weights are double on the host; evaluators
/// round them to their precision when packing.
struct Layer {
  int in = 0;
  int out = 0;
  Activation act = Activation::Identity;
  double alpha = 0.0;                ///< PReLU slope
  std::vector<double> weight;        ///< dense only: row-major [out][in]
  std::vector<std::int32_t> row_ptr; ///< sparse only: [out + 1]
  std::vector<std::int32_t> cols;    ///< sparse only: [nnz], ascending within a row
  std::vector<double> values;        ///< sparse only: [nnz]
  std::vector<double> bias;          ///< [out]

  bool is_sparse() const { return !row_ptr.empty(); }
  /// Number of stored weights (dense: in*out).
  std::int64_t nnz() const;
  /// Row-major dense copy [out][in] of the weights (sparse layers are expanded).
  std::vector<double> dense_weight() const;

  static Layer dense(int in, int out, Activation act, double alpha = 0.0);
  /// Converts a dense layer to CSR, dropping exact zeros.
  static Layer to_sparse(const Layer& dense_layer);
};

/// A network: hidden layers followed by one linear output neuron.
struct Network {
  int in_dim = 0;
  std::vector<Layer> layers; ///< the last layer is the output: out == 1, Identity

  /// Throws std::invalid_argument naming the first broken layer (shapes, activation, NaN/Inf).
  void validate() const;
  /// Multiply-adds per evaluated point, counted from the stored nonzeros, times two.
  double flops_per_point() const;
  /// Total stored parameters (weights + biases).
  std::int64_t parameter_count() const;
  /// Widths of the hidden layers.
  std::vector<int> hidden_widths() const;
};

/// Packs a Network into flat arrays in precision T and hands out views of them.
/// A hidden layer wider than @p max_buffer_width is streamed into the next layer, which must then
/// be dense and at most that wide.
template <class T>
class PackedNetwork {
public:
  explicit PackedNetwork(const Network& net, int max_buffer_width = 256);
  NetworkView<T> view() const;
  const std::vector<LayerDesc>& layers() const { return m_layers; }
  const std::vector<T>& params() const { return m_params; }
  const std::vector<std::int32_t>& indices() const { return m_indices; }
  int buffer_width() const { return m_buffer_width; }
  int in_dim() const { return m_in_dim; }
  /// The axis-separable spike structure (network_view.hpp), when the network has it.
  const SeparableDesc& separable() const { return m_sep; }

private:
  void pack_separable(const Network& net);

  std::vector<LayerDesc> m_layers;
  std::vector<T> m_params;
  std::vector<std::int32_t> m_indices;
  int m_buffer_width = 0;
  int m_in_dim = 0;
  SeparableDesc m_sep;
};

extern template class PackedNetwork<float>;
extern template class PackedNetwork<double>;

/// Name of an activation as used in the CLI and HDF5 files ("relu", "prelu", ...).
std::string activation_name(Activation a);
/// Parses an activation name; throws std::invalid_argument for unknown names.
Activation parse_activation(const std::string& name);

} // namespace spikemesh
