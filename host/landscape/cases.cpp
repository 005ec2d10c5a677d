/// @file cases.cpp
/// @brief The spurious-minimum cases of docs/math.md section 9.2 (S1-S4) as networks with
/// their free parameters, the point to judge and a known global minimiser.
#include "spikemesh/errors.hpp"
#include "spikemesh/landscape.hpp"

#include <cmath>
#include <random>

namespace spikemesh {
namespace {

/// 1 -> 1 -> 1 network f = u act(v x) with both biases fixed at 0; free = (u, v).
LandscapeCase single_neuron(Activation act) {
  LandscapeCase c;
  c.in_dim = 1;
  c.network.in_dim = 1;
  c.network.layers.push_back(Layer::dense(1, 1, act));
  c.network.layers.push_back(Layer::dense(1, 1, Activation::Identity));
  c.free = {{1, false, 0, 0}, {0, false, 0, 0}}; // (u, v)
  return c;
}

/// 1 -> w -> ... -> 1 ReLU network; all dense weights and biases free.
Network relu_net(const std::vector<int>& widths) {
  Network n;
  n.in_dim = 1;
  int prev = 1;
  for (int w : widths) {
    n.layers.push_back(Layer::dense(prev, w, Activation::ReLU));
    prev = w;
  }
  n.layers.push_back(Layer::dense(prev, 1, Activation::Identity));
  return n;
}

/// S3 data: y = |x| at x = -1, 0, 1; best affine fit 2/3, global 0.
void affine_segment_data(LandscapeCase& c) {
  c.in_dim = 1;
  c.x = {-1.0, 0.0, 1.0};
  c.y = {1.0, 0.0, 1.0};
  c.known_global_loss = 0.0;
}

} // namespace

const std::vector<std::string>& landscape_case_names() {
  static const std::vector<std::string> names{"relu-dead-neuron",    "sigmoid-three-point",
                                              "affine-segment",      "affine-segment-deep",
                                              "affine-segment-wide", "linear-saddle"};
  return names;
}

std::vector<ParamRef> all_dense_params(const Network& net) {
  std::vector<ParamRef> free;
  for (std::size_t l = 0; l < net.layers.size(); ++l) {
    const Layer& L = net.layers[l];
    if (L.is_sparse()) continue;
    for (int r = 0; r < L.out; ++r) {
      for (int j = 0; j < L.in; ++j)
        free.push_back({static_cast<int>(l), false, r, j});
      free.push_back({static_cast<int>(l), true, r, 0});
    }
  }
  return free;
}

std::vector<double> param_values(const Network& net, const std::vector<ParamRef>& free) {
  std::vector<double> v;
  for (const ParamRef& p : free) {
    const Layer& L = net.layers[static_cast<std::size_t>(p.layer)];
    v.push_back(p.bias ? L.bias[static_cast<std::size_t>(p.row)]
                       : L.weight[static_cast<std::size_t>(p.row) * L.in + p.col]);
  }
  return v;
}

LandscapeCase make_landscape_case(const std::string& name, std::uint64_t seed) {
  LandscapeCase c;
  if (name == "relu-dead-neuron") { // S1: F(u, v) = (1 - u relu(v))^2 at (0, -1)
    c = single_neuron(Activation::ReLU);
    c.x = {1.0};
    c.y = {1.0};
    c.theta_star = {0.0, -1.0};
    c.theta_global = {1.0, 1.0};
    c.known_global_loss = 0.0;
    c.description = "S1: y = u relu(v x), x = y = 1; dead neuron at (u, v) = (0, -1)";
  } else if (name == "sigmoid-three-point") { // S2
    c = single_neuron(Activation::Sigmoid);
    c.x = {-1.0, 1.0, 2.0};
    c.y = {-1.0, -1.0, 3.0};
    c.theta_star = {-1.1881401793, -2.0807562608};
    c.theta_global = {1.1266603368, 1.8020561986};
    c.known_global_loss = 8.8362174986;
    c.description = "S2: y = u sigmoid(v x), x = (-1, 1, 2), y = (-1, -1, 3)";
  } else if (name == "affine-segment" || name == "affine-segment-deep") { // S3
    const bool deep = name == "affine-segment-deep";
    c.network = relu_net(deep ? std::vector<int>{2, 2} : std::vector<int>{2});
    affine_segment_data(c);
    Layer& l1 = c.network.layers[0];
    l1.weight = {1.0, -1.0};
    l1.bias = {2.0, 2.0}; // pre-activations x + 2, 2 - x in [1, 3]: the affine piece of relu
    if (deep) {
      c.network.layers[1].weight = {1.0, 0.0, 0.0, 1.0}; // W2 = I, beta2 = 0
    }
    Layer& out = c.network.layers.back();
    out.weight = {1.0 / 6.0, 1.0 / 6.0};
    out.bias = {0.0};
    c.free = all_dense_params(c.network);
    c.theta_star = param_values(c.network, c.free);
    Network global = c.network;
    global.layers[0].bias = {0.0, 0.0};
    global.layers.back().weight = {1.0, 1.0}; // |x| = relu(x) + relu(-x)
    c.theta_global = param_values(global, c.free);
    c.description = deep ? "S3: y = |x| at -1, 0, 1; two hidden ReLU layers of width 2 at the "
                           "best affine fit"
                         : "S3: y = |x| at -1, 0, 1; one hidden ReLU layer of width 2 at the best "
                           "affine fit";
  } else if (name == "affine-segment-wide") { // S3 width 7
    c.network = relu_net({7});
    affine_segment_data(c);
    std::mt19937_64 rng(seed);
    const auto uniform = [&rng](double lo, double hi) {
      return lo + (hi - lo) * static_cast<double>(rng() >> 11) * 0x1.0p-53;
    };
    Layer& l1 = c.network.layers[0];
    std::vector<double> w(7), b(7);
    for (int j = 0; j < 7; ++j) {
      w[static_cast<std::size_t>(j)] = (rng() & 1 ? 1.0 : -1.0) * uniform(0.5, 1.5);
      b[static_cast<std::size_t>(j)] = uniform(2.0, 3.0); // pre-activations >= 0.5 on [-1, 1]
    }
    l1.weight = w;
    l1.bias = b;
    // a = least-norm solution of a.w = 0, a.b = 2/3 - c0: a = A^T (A A^T)^{-1} r.
    const double c0 = 0.1;
    double ww = 0, wb = 0, bb = 0;
    for (int j = 0; j < 7; ++j) {
      ww += w[static_cast<std::size_t>(j)] * w[static_cast<std::size_t>(j)];
      wb += w[static_cast<std::size_t>(j)] * b[static_cast<std::size_t>(j)];
      bb += b[static_cast<std::size_t>(j)] * b[static_cast<std::size_t>(j)];
    }
    const double det = ww * bb - wb * wb;
    const double r1 = 0.0, r2 = 2.0 / 3.0 - c0;
    const double l_w = (bb * r1 - wb * r2) / det, l_b = (ww * r2 - wb * r1) / det;
    Layer& out = c.network.layers.back();
    for (int j = 0; j < 7; ++j) {
      out.weight[static_cast<std::size_t>(j)] =
          l_w * w[static_cast<std::size_t>(j)] + l_b * b[static_cast<std::size_t>(j)];
    }
    out.bias = {c0};
    c.free = all_dense_params(c.network);
    c.theta_star = param_values(c.network, c.free);
    c.description = "S3: y = |x| at -1, 0, 1; one hidden ReLU layer of width 7 (seeded) at the "
                    "best affine fit";
  } else if (name == "linear-saddle") { // S4: F(u, v) = (u v - 1)^2 at the origin
    c = single_neuron(Activation::Identity);
    c.x = {1.0};
    c.y = {1.0};
    c.theta_star = {0.0, 0.0};
    c.theta_global = {1.0, 1.0};
    c.known_global_loss = 0.0;
    c.description = "S4: y = u v x, x = y = 1: the origin is a strict saddle";
  } else {
    std::string all;
    for (const std::string& n : landscape_case_names())
      all += (all.empty() ? "" : ", ") + n;
    throw InvalidParameter("case",
                           "unknown landscape case '" + name + "' (" + all + ", from-file)");
  }
  c.name = name;
  return c;
}

} // namespace spikemesh
