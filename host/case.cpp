/// @file case.cpp
/// @brief build_case(): validates parameters, builds the construction, its training set, the
/// depth extension and the oracle.
#include "spikemesh/case.hpp"

#include "spikemesh/constructions.hpp"
#include "spikemesh/math/forward.hpp"
#include "spikemesh/resources.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

namespace spikemesh {
namespace {

/// Shortest decimal text that reads back as exactly @p v.
std::string fmt(double v) {
  for (int prec = 6; prec <= 17; ++prec) {
    std::ostringstream s;
    s.precision(prec);
    s << v;
    if (std::strtod(s.str().c_str(), nullptr) == v) return s.str(); // stod throws on subnormals
  }
  return std::to_string(v);
}

constexpr std::int64_t kMaxTrainingPoints = std::int64_t(1) << 22;

void require(bool ok, const std::string& field, const std::string& message) {
  if (!ok) throw InvalidParameter(field, message);
}

void validate_common(const CaseParams& p) {
  require(p.dim >= 1 && p.dim <= kMaxDim, "dim", std::to_string(p.dim) + " is outside [1, 32]");
  require(p.train_per_axis >= 2, "train-per-axis",
          std::to_string(p.train_per_axis) + " must be >= 2");
  double count = std::pow(static_cast<double>(p.train_per_axis), p.dim);
  require(count <= static_cast<double>(kMaxTrainingPoints), "train-per-axis",
          "n^d = " + fmt(count) + " training points exceeds " + std::to_string(kMaxTrainingPoints));
  const double tau = p.resolved_tau();
  require(std::isfinite(tau) && tau >= 0.0, "tau", fmt(tau) + " must be finite and >= 0");
  require(p.extra_depth >= 0 && p.extra_depth <= kMaxExtraDepth, "extra-depth",
          std::to_string(p.extra_depth) + " is outside [0, " + std::to_string(kMaxExtraDepth) +
              "] (each extra layer costs memory and a dataset in the result file)");
  require(p.extra_width >= 1, "extra-width", std::to_string(p.extra_width) + " must be >= 1");
  if (p.construction != "from-file") {
    // Name the option that makes the case large: the depth extension or the training grid.
    const double w = p.extra_width;
    const double extra = p.extra_depth > 0 ? p.extra_depth * (w * w * 32.0 + 8192.0) : 0.0;
    const bool by_extension = extra > 0.5 * case_memory_bytes(p);
    const std::string field =
        !by_extension ? "train-per-axis" : (w * w > p.extra_depth ? "extra-width" : "extra-depth");
    require_memory(case_memory_bytes(p), field,
                   "--dim " + std::to_string(p.dim) + " --train-per-axis " +
                       std::to_string(p.train_per_axis) +
                       (p.extra_depth > 0 ? " --extra-depth " + std::to_string(p.extra_depth) +
                                                " --extra-width " + std::to_string(p.extra_width)
                                          : ""));
  }
  const Activation ea = p.extra_activation;
  require(ea == Activation::ReLU || ea == Activation::Sigmoid || ea == Activation::Tanh ||
              ea == Activation::Softplus,
          "extra-activation", "must be relu, sigmoid, tanh or softplus");
  require(std::isfinite(p.epsilon) && p.epsilon > 0.0, "epsilon", fmt(p.epsilon) + " must be > 0");
  require(std::isfinite(p.c), "c", "must be finite");
  if (p.extra_depth > 0 && ea == Activation::ReLU) {
    require(p.c > 0.0, "c", fmt(p.c) + " must be > 0 for a relu extension (sigma'(c) != 0)");
  }
}

void validate_bias(const CaseParams& p, bool closed_low) {
  const double b = p.resolved_bias();
  const int d = p.dim;
  const bool ok = std::isfinite(b) && (closed_low ? b >= d - 1 : b > d - 1) && b < d;
  require(ok, "bias",
          fmt(b) + " is outside " + (closed_low ? "[" : "(") + std::to_string(d - 1) + ", " +
              std::to_string(d) + ") for --dim " + std::to_string(d) +
              " (the spike construction needs d-1 " + (closed_low ? "<=" : "<") + " b < d)");
}

/// Whether every weight and bias of @p net is finite.
bool all_finite(const Network& net) {
  auto finite = [](const std::vector<double>& v) {
    return std::all_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); });
  };
  return std::all_of(net.layers.begin(), net.layers.end(), [&](const Layer& L) {
    return finite(L.weight) && finite(L.values) && finite(L.bias);
  });
}

double max_abs(const std::vector<double>& v) {
  double m = 0.0;
  for (double x : v)
    m = std::max(m, std::fabs(x));
  return m;
}

Oracle sigmoid_oracle(const CaseParams& p, const Case& c) {
  Oracle o;
  o.source = "C3 semi-analytic (docs/math.md 4.3)";
  o.train_loss = 0.0;
  const double tau = p.resolved_tau();
  const bool all_one =
      std::all_of(c.training.y.begin(), c.training.y.end(), [](double v) { return v == 1.0; });
  if (!all_one || tau <= 0.0) return o;
  // beta_tau = b + logit(tau / c + sigma(-L b)) / L, c = mean output weight.
  const Layer& out = c.network.layers.back();
  double cmean = 0.0;
  for (double w : out.weight)
    cmean += w;
  cmean /= static_cast<double>(out.weight.size());
  const double b = p.resolved_bias();
  const double q = tau / cmean + logistic(-p.L * b);
  if (!(q > 0.0 && q < 1.0)) return o;
  const double beta = b + std::log(q / (1.0 - q)) / p.L;
  const int d = p.dim;
  const double h = 1.0 / (p.train_per_axis - 1);
  if (!(beta > d - 1 && beta < d)) return o;
  // Valid while spikes are disjoint and well inside a cell: half-width in x below h/2.
  if (sigmoid_bump_halfwidth(beta - d + 1, p.a) / p.K >= h / 2.0) return o;
  o.spike_volume = sigmoid_bump_volume(d, beta, p.a) / std::pow(p.K * h, d);
  return o;
}

} // namespace

std::string task_name(Task t) {
  return t == Task::Classify ? "classify" : "approximate";
}

std::string labels_name(Labels l) {
  switch (l) {
  case Labels::Random:
    return "random";
  case Labels::Checkerboard:
    return "checkerboard";
  case Labels::Ones:
    return "ones";
  }
  return "random";
}

std::string target_name(Target t) {
  switch (t) {
  case Target::One:
    return "one";
  case Target::Sin:
    return "sin";
  case Target::Gauss:
    return "gauss";
  case Target::Poly:
    return "poly";
  }
  return "one";
}

Case build_case(const CaseParams& p) {
  const auto& reg = construction_registry();
  const auto it = std::find_if(reg.begin(), reg.end(), [&](const ConstructionInfo& ci) {
    return ci.name == p.construction;
  });
  require(it != reg.end(), "construction", "unknown construction '" + p.construction + "'");
  require(p.construction != "from-file", "construction",
          "from-file is loaded by the HDF5 module (load_case_from_file)");
  validate_common(p);

  Case c;
  c.params = p;
  const int d = p.dim;
  const int n = p.train_per_axis;
  const double b = p.resolved_bias();
  const double tau = p.resolved_tau();
  c.training = make_training_grid(d, n);
  assign_training_values(c.training, p.task, p.labels, p.seed, p.target);
  c.slack = d - b;
  c.config = {{"construction", p.construction},
              {"dim", std::to_string(d)},
              {"train-per-axis", std::to_string(n)},
              {"bias", fmt(b)},
              {"task", task_name(p.task)}};
  if (p.task == Task::Classify) {
    c.config.emplace_back("labels", labels_name(p.labels));
    c.config.emplace_back("seed", std::to_string(p.seed));
  } else {
    c.config.emplace_back("target", target_name(p.target));
  }
  c.config.emplace_back("tau", fmt(tau));

  if (p.construction == "relu-spike" || p.construction == "prelu-spike") {
    validate_bias(p, true);
    if (p.construction == "relu-spike") {
      c.network = make_relu_spike(d, n, b, c.training.y);
    } else {
      require(std::isfinite(p.alpha) && p.alpha >= 0.0 && p.alpha < 1.0, "alpha",
              fmt(p.alpha) + " is outside [0, 1)");
      c.network = make_prelu_spike(d, n, b, p.alpha, c.training.y);
      c.config.emplace_back("alpha", fmt(p.alpha));
    }
    c.oracle = relu_spike_oracle(c.training, c.slack, tau, p.task, p.target);
  } else { // sigmoid-spike
    validate_bias(p, false);
    require(std::isfinite(p.K) && p.K > 0.0, "K", fmt(p.K) + " must be > 0");
    require(std::isfinite(p.a) && p.a > 0.0, "a", fmt(p.a) + " must be > 0");
    require(std::isfinite(p.L) && p.L > 0.0, "L", fmt(p.L) + " must be > 0");
    try {
      c.network = make_sigmoid_spike(d, n, b, p.K, p.a, p.L, c.training.y);
    } catch (const std::runtime_error& e) { // e.g. a singular system for the output weights
      throw InvalidParameter(p.L > p.K ? "L" : "K", "--K " + fmt(p.K) + ", --a " + fmt(p.a) +
                                                        " and --L " + fmt(p.L) + ": " + e.what());
    }
    require(all_finite(c.network), std::isfinite(4.0 * p.L * p.K) || p.L < p.K ? "K" : "L",
            "--K " + fmt(p.K) + ", --a " + fmt(p.a) + " and --L " + fmt(p.L) +
                " make weights (K, L K, L b) that overflow a double");
    c.config.emplace_back("K", fmt(p.K));
    c.config.emplace_back("a", fmt(p.a));
    c.config.emplace_back("L", fmt(p.L));
    c.oracle = sigmoid_oracle(p, c);
  }

  if (p.extra_depth > 0) {
    DepthExtension ext{p.extra_depth, p.extra_width, p.extra_activation, p.c, p.epsilon};
    apply_depth_extension(c.network, ext);
    require(all_finite(c.network), "epsilon",
            fmt(p.epsilon) + " with --c " + fmt(p.c) +
                " makes depth-extension weights (1/epsilon, c/epsilon) that overflow a double");
    // The default threshold follows the extension's cancellation noise (about u c / epsilon,
    // docs/math.md 5): where it reaches the spikes' height nothing can be resolved, and every
    // point would silently read as "undecided".
    const double ymax = max_abs(c.training.y);
    const double default_tau = 1e-5 * std::max(1.0, std::fabs(p.c / p.epsilon));
    require(!std::isnan(p.tau) || !(ymax > 0.0) || default_tau < 0.5 * ymax, "epsilon",
            fmt(p.epsilon) + " with --c " + fmt(p.c) +
                " makes the depth extension's rounding noise (default tau = 1e-5 |c / epsilon| = " +
                fmt(default_tau) + ") reach the spikes' height " + fmt(ymax) +
                ": use --epsilon >= " + fmt(4e-5 * std::fabs(p.c) / ymax));
    const double bound = depth_extension_error_bound(ext, ymax);
    if (bound != 0.0) {
      // Smooth extension or a violated ReLU condition: the closed forms no longer hold exactly.
      const std::string source = c.oracle.source;
      c.oracle = Oracle{};
      c.oracle.source = source + "; not exact after this depth extension";
    }
    c.config.emplace_back("extra-depth", std::to_string(p.extra_depth));
    c.config.emplace_back("extra-width", std::to_string(p.extra_width));
    c.config.emplace_back("extra-activation", activation_name(p.extra_activation));
    c.config.emplace_back("c", fmt(p.c));
    c.config.emplace_back("epsilon", fmt(p.epsilon));
  }
  c.network.validate();
  return c;
}

TruthView truth_view(const Case& c) {
  TruthView t;
  t.task = c.params.task;
  t.target = c.params.target;
  t.grid = c.training.grid;
  t.dim = c.training.dim;
  t.n = c.training.n;
  t.h = c.training.grid ? 1.0 / (c.training.n - 1) : 0.0;
  t.inv_h = c.training.grid ? static_cast<double>(c.training.n - 1) : 0.0;
  t.count = c.training.count();
  t.x = c.training.x.data();
  t.y = c.training.y.data();
  return t;
}

template <class T>
std::pair<double, double> training_error(const Case& c) {
  const PackedNetwork<T> packed(c.network);
  const NetworkView<T> v = packed.view();
  std::vector<T> a(static_cast<std::size_t>(v.buffer_width)), b(a.size());
  std::vector<T> x(static_cast<std::size_t>(c.training.dim));
  double sq = 0.0, mx = 0.0;
  for (std::int64_t p = 0; p < c.training.count(); ++p) {
    for (int k = 0; k < c.training.dim; ++k) {
      x[static_cast<std::size_t>(k)] =
          static_cast<T>(c.training.x[static_cast<std::size_t>(p * c.training.dim + k)]);
    }
    const double e = static_cast<double>(forward(v, x.data(), a.data(), b.data())) -
                     c.training.y[static_cast<std::size_t>(p)];
    sq += e * e;
    mx = std::max(mx, std::fabs(e));
  }
  return {sq / static_cast<double>(c.training.count()), mx};
}

template std::pair<double, double> training_error<float>(const Case&);
template std::pair<double, double> training_error<double>(const Case&);

} // namespace spikemesh
