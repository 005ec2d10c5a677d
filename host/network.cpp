/// @file network.cpp
/// @brief Network validation, statistics and packing into the flat view form.
#include "spikemesh/network.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace spikemesh {
namespace {

std::string layer_name(std::size_t l) {
  return "layer " + std::to_string(l);
}

bool all_finite(const std::vector<double>& v) {
  return std::all_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); });
}

/// Layer 0 is axis-separable: sparse, exactly one input per neuron.
bool separable_first(const Network& net) {
  if (net.layers.size() < 2 || !net.layers[0].is_sparse()) return false;
  const Layer& L = net.layers[0];
  for (int q = 0; q <= L.out; ++q) {
    if (L.row_ptr[static_cast<std::size_t>(q)] != q) return false;
  }
  return true;
}

/// The canonical summation order of a sparse layer that reads a separable layer 0: each row's
/// entries stably sorted by descending axis of the neuron they read (docs/math.md).
Layer axis_ordered(const Layer& L, const Layer& first) {
  Layer R = L;
  std::vector<std::pair<int, double>> row;
  for (int r = 0; r < L.out; ++r) {
    row.clear();
    for (std::int32_t e = L.row_ptr[r]; e < L.row_ptr[r + 1]; ++e)
      row.emplace_back(L.cols[e], L.values[e]);
    std::stable_sort(row.begin(), row.end(), [&](const auto& a, const auto& b) {
      return first.cols[a.first] > first.cols[b.first];
    });
    for (std::int32_t e = L.row_ptr[r]; e < L.row_ptr[r + 1]; ++e) {
      R.cols[e] = row[static_cast<std::size_t>(e - L.row_ptr[r])].first;
      R.values[e] = row[static_cast<std::size_t>(e - L.row_ptr[r])].second;
    }
  }
  return R;
}

/// alpha * t is non-decreasing for alpha >= 0, so these activations are monotone in fl.
bool monotone(Activation a, double alpha) {
  return a == Activation::Identity || a == Activation::ReLU ||
         (a == Activation::PReLU && alpha >= 0.0);
}

} // namespace

std::int64_t Layer::nnz() const {
  return is_sparse() ? static_cast<std::int64_t>(values.size())
                     : static_cast<std::int64_t>(in) * out;
}

std::vector<double> Layer::dense_weight() const {
  if (!is_sparse()) return weight;
  std::vector<double> w(static_cast<std::size_t>(in) * out, 0.0);
  for (int r = 0; r < out; ++r) {
    for (std::int32_t e = row_ptr[r]; e < row_ptr[r + 1]; ++e) {
      w[static_cast<std::size_t>(r) * in + cols[e]] += values[e];
    }
  }
  return w;
}

Layer Layer::dense(int in, int out, Activation act, double alpha) {
  Layer L;
  L.in = in;
  L.out = out;
  L.act = act;
  L.alpha = alpha;
  L.weight.assign(static_cast<std::size_t>(in) * out, 0.0);
  L.bias.assign(static_cast<std::size_t>(out), 0.0);
  return L;
}

Layer Layer::to_sparse(const Layer& d) {
  Layer L;
  L.in = d.in;
  L.out = d.out;
  L.act = d.act;
  L.alpha = d.alpha;
  L.bias = d.bias;
  L.row_ptr.assign(static_cast<std::size_t>(d.out) + 1, 0);
  for (int r = 0; r < d.out; ++r) {
    for (int j = 0; j < d.in; ++j) {
      const double w = d.weight[static_cast<std::size_t>(r) * d.in + j];
      if (w != 0.0) {
        L.cols.push_back(j);
        L.values.push_back(w);
      }
    }
    L.row_ptr[static_cast<std::size_t>(r) + 1] = static_cast<std::int32_t>(L.cols.size());
  }
  return L;
}

void Network::validate() const {
  if (in_dim < 1 || in_dim > kMaxDim) {
    throw std::invalid_argument("network: input dimension " + std::to_string(in_dim) +
                                " outside [1, " + std::to_string(kMaxDim) + "]");
  }
  if (layers.empty()) throw std::invalid_argument("network: no layers");
  int prev = in_dim;
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const Layer& L = layers[l];
    const std::string name = layer_name(l);
    if (L.in != prev) {
      throw std::invalid_argument(name + ": input width " + std::to_string(L.in) +
                                  " does not match the previous width " + std::to_string(prev));
    }
    if (L.out < 1) throw std::invalid_argument(name + ": output width must be >= 1");
    if (L.bias.size() != static_cast<std::size_t>(L.out)) {
      throw std::invalid_argument(name + ": bias has " + std::to_string(L.bias.size()) +
                                  " entries, expected " + std::to_string(L.out));
    }
    if (L.is_sparse()) {
      if (L.row_ptr.size() != static_cast<std::size_t>(L.out) + 1 || L.row_ptr.front() != 0 ||
          L.row_ptr.back() != static_cast<std::int32_t>(L.cols.size()) ||
          L.cols.size() != L.values.size() || !std::is_sorted(L.row_ptr.begin(), L.row_ptr.end())) {
        throw std::invalid_argument(name + ": malformed sparse rows");
      }
      for (std::int32_t c : L.cols) {
        if (c < 0 || c >= L.in) throw std::invalid_argument(name + ": column index out of range");
      }
      if (!all_finite(L.values)) throw std::invalid_argument(name + ": weight has NaN or Inf");
    } else {
      if (L.weight.size() != static_cast<std::size_t>(L.in) * L.out) {
        throw std::invalid_argument(name + ": weight has " + std::to_string(L.weight.size()) +
                                    " entries, expected " + std::to_string(L.out) + "x" +
                                    std::to_string(L.in));
      }
      if (!all_finite(L.weight)) throw std::invalid_argument(name + ": weight has NaN or Inf");
    }
    if (!all_finite(L.bias)) throw std::invalid_argument(name + ": bias has NaN or Inf");
    if (!std::isfinite(L.alpha)) throw std::invalid_argument(name + ": alpha is NaN or Inf");
    prev = L.out;
  }
  const Layer& last = layers.back();
  if (last.out != 1 || last.act != Activation::Identity) {
    throw std::invalid_argument(layer_name(layers.size() - 1) +
                                ": the output layer must have one neuron and identity activation");
  }
}

double Network::flops_per_point() const {
  double f = 0.0;
  for (const Layer& L : layers)
    f += 2.0 * static_cast<double>(L.nnz());
  return f;
}

std::int64_t Network::parameter_count() const {
  std::int64_t n = 0;
  for (const Layer& L : layers)
    n += L.nnz() + L.out;
  return n;
}

std::vector<int> Network::hidden_widths() const {
  std::vector<int> w;
  for (std::size_t l = 0; l + 1 < layers.size(); ++l)
    w.push_back(layers[l].out);
  return w;
}

template <class T>
PackedNetwork<T>::PackedNetwork(const Network& net, int max_buffer_width) : m_in_dim(net.in_dim) {
  net.validate();
  const std::size_t n = net.layers.size();
  const bool separable = separable_first(net);
  for (std::size_t l = 0; l < n; ++l) {
    const bool reorder = l == 1 && separable && net.layers[1].is_sparse();
    const Layer reordered = reorder ? axis_ordered(net.layers[1], net.layers[0]) : Layer();
    const Layer& L = reorder ? reordered : net.layers[l];
    LayerDesc D;
    D.in = L.in;
    D.out = L.out;
    D.act = L.act;
    D.alpha = L.alpha;
    D.sparse = L.is_sparse();
    D.w_off = static_cast<std::int64_t>(m_params.size());
    if (D.sparse) {
      for (double v : L.values)
        m_params.push_back(static_cast<T>(v));
      D.row_off = static_cast<std::int64_t>(m_indices.size());
      m_indices.insert(m_indices.end(), L.row_ptr.begin(), L.row_ptr.end());
      D.col_off = static_cast<std::int64_t>(m_indices.size());
      m_indices.insert(m_indices.end(), L.cols.begin(), L.cols.end());
    } else {
      // Transposed [in][out]: the axpy form of forward.hpp reads one contiguous row per input.
      for (int j = 0; j < L.in; ++j) {
        for (int k = 0; k < L.out; ++k) {
          m_params.push_back(static_cast<T>(L.weight[static_cast<std::size_t>(k) * L.in + j]));
        }
      }
    }
    D.b_off = static_cast<std::int64_t>(m_params.size());
    for (double b : L.bias)
      m_params.push_back(static_cast<T>(b));
    const bool hidden = l + 1 < n;
    if (hidden && L.out > max_buffer_width) {
      const Layer& next = net.layers[l + 1];
      if (next.is_sparse() || next.out > max_buffer_width) {
        throw std::invalid_argument(
            layer_name(l) + ": width " + std::to_string(L.out) + " exceeds " +
            std::to_string(max_buffer_width) +
            ", so it must be followed by a dense layer of at most that width (it is streamed)");
      }
      D.stream = true;
    }
    m_layers.push_back(D);
  }
  for (std::size_t l = 0; l < n; ++l) {
    const bool streamed_into = l > 0 && m_layers[l - 1].stream;
    if (!m_layers[l].stream || streamed_into) {
      m_buffer_width = std::max(m_buffer_width, m_layers[l].out);
    }
    if (m_layers[l].stream && streamed_into) {
      throw std::invalid_argument(layer_name(l) + ": two consecutive wide layers");
    }
  }
  if (separable) pack_separable(net);
}

template <class T>
void PackedNetwork<T>::pack_separable(const Network& net) {
  // Layer 0 separable, layer 1 sparse, layer 2 the (dense) output; at most 32 x 32 spike rows
  // (the kernel keeps one 32-row activity mask per lane).
  if (net.layers.size() != 3 || !net.layers[1].is_sparse() || net.layers[2].is_sparse()) return;
  if (net.layers[1].out > 32 * 32) return;
  const LayerDesc& D0 = m_layers[0];
  const LayerDesc& D1 = m_layers[1];
  const LayerDesc& D2 = m_layers[2];
  SeparableDesc s;
  s.on = true;
  s.act0 = D0.act;
  s.act1 = D1.act;
  s.alpha0 = D0.alpha;
  s.alpha1 = D1.alpha;
  s.skip = D1.act == Activation::ReLU && monotone(D0.act, D0.alpha);
  s.rows = D1.out;
  s.bias_off = D1.b_off;
  s.out_w_off = D2.w_off; // [in][out] with out = 1: weight of row r at w_off + r
  s.out_b_off = D2.b_off;
  s.row_off = D1.row_off;
  const std::vector<std::int32_t> row_ptr(m_indices.begin() + D1.row_off,
                                          m_indices.begin() + D1.row_off + D1.out + 1);
  const std::int64_t nnz = row_ptr[static_cast<std::size_t>(D1.out)];
  std::vector<std::int32_t> axis(static_cast<std::size_t>(nnz));
  std::vector<T> terms;
  for (std::int64_t e = 0; e < nnz; ++e) {
    const std::int32_t c = m_indices[static_cast<std::size_t>(D1.col_off + e)];
    axis[static_cast<std::size_t>(e)] = m_indices[static_cast<std::size_t>(D0.col_off + c)];
    terms.push_back(m_params[static_cast<std::size_t>(D1.w_off + e)]);
    terms.push_back(m_params[static_cast<std::size_t>(D0.w_off + c)]);
    terms.push_back(m_params[static_cast<std::size_t>(D0.b_off + c)]);
  }
  s.term_off = static_cast<std::int64_t>(m_params.size());
  m_params.insert(m_params.end(), terms.begin(), terms.end());
  s.axis_off = static_cast<std::int64_t>(m_indices.size());
  m_indices.insert(m_indices.end(), axis.begin(), axis.end());
  s.split_off = static_cast<std::int64_t>(m_indices.size());
  for (std::size_t r = 0; r < static_cast<std::size_t>(D1.out); ++r) {
    std::int32_t e = row_ptr[r];
    while (e < row_ptr[r + 1] && axis[static_cast<std::size_t>(e)] != 0)
      ++e;
    m_indices.push_back(e);
  }
  m_sep = s;
}

template <class T>
NetworkView<T> PackedNetwork<T>::view() const {
  NetworkView<T> v;
  v.layers = m_layers.data();
  v.params = m_params.data();
  v.indices = m_indices.data();
  v.n_layers = static_cast<int>(m_layers.size());
  v.in_dim = m_in_dim;
  v.buffer_width = m_buffer_width;
  v.sep = m_sep;
  return v;
}

template class PackedNetwork<float>;
template class PackedNetwork<double>;

std::string activation_name(Activation a) {
  switch (a) {
  case Activation::Identity:
    return "identity";
  case Activation::ReLU:
    return "relu";
  case Activation::PReLU:
    return "prelu";
  case Activation::Sigmoid:
    return "sigmoid";
  case Activation::Tanh:
    return "tanh";
  case Activation::Softplus:
    return "softplus";
  }
  return "identity";
}

Activation parse_activation(const std::string& name) {
  for (Activation a : {Activation::Identity, Activation::ReLU, Activation::PReLU,
                       Activation::Sigmoid, Activation::Tanh, Activation::Softplus}) {
    if (activation_name(a) == name) return a;
  }
  throw std::invalid_argument("unknown activation '" + name +
                              "' (identity, relu, prelu, sigmoid, tanh, softplus)");
}

} // namespace spikemesh
