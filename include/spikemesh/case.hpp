/// @file case.hpp
/// @brief A case: network + training set + truth + threshold + analytic oracle, and the
/// parameters that build it.
#pragma once

#include "spikemesh/math/truth.hpp"
#include "spikemesh/network.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace spikemesh {

/// Labelling rules for classification (labels +-1).
enum class Labels : std::uint8_t { Random, Checkerboard, Ones };

/// Every parameter a case can have, named as on the command line (README.md, Options).
/// A construction reads the subset it declares in the registry.
struct CaseParams {
  std::string construction = "relu-spike";
  int dim = 2;                                            ///< --dim
  int train_per_axis = 4;                                 ///< --train-per-axis (n)
  double bias = std::numeric_limits<double>::quiet_NaN(); ///< --bias; NaN = d - 0.1
  double alpha = 0.25;                                    ///< --alpha (PReLU slope)
  double K = 50.0;                                        ///< --K (sigmoid input sharpness)
  double a = 1.0;                                         ///< --a (sigmoid bump shape)
  double L = 50.0;                                        ///< --L (sigmoid second-layer sharpness)
  Task task = Task::Classify;
  Labels labels = Labels::Random;
  std::uint64_t seed = 1;
  Target target = Target::One;
  double tau = std::numeric_limits<double>::quiet_NaN(); ///< --tau; NaN = construction default
  int extra_depth = 0; ///< depth extension: extra hidden layers (docs/math.md 5)
  int extra_width = 1;
  Activation extra_activation = Activation::ReLU;
  double c = 1.0;           ///< depth extension centre
  double epsilon = 0.5;     ///< depth extension scale
  std::string network_file; ///< from-file: HDF5 file in the /network schema

  /// The bias actually used (resolves the NaN default to d - 0.1).
  double resolved_bias() const { return std::isnan(bias) ? dim - 0.1 : bias; }
  /// The spike threshold actually used: 0 for relu-spike, whose f is exactly 0 away from the
  /// data in floating point too; 0.5 for sigmoid-spike (f is never exactly 0); 1e-4 for
  /// prelu-spike and 1e-5 max(1, c/epsilon) after a depth extension, whose zeros are zero only
  /// up to rounding (the two-PReLU cancellation, the extension's 1/w sums).
  /// The C1 ReLU spike network in @p dim dimensions, n = @p train_per_axis, bias @p bias.
  static CaseParams relu_spike(int dim, int train_per_axis, double bias) {
    CaseParams p;
    p.dim = dim;
    p.train_per_axis = train_per_axis;
    p.bias = bias;
    return p;
  }

  double resolved_tau() const {
    if (!std::isnan(tau)) return tau;
    if (construction == "sigmoid-spike") return 0.5;
    if (extra_depth > 0 && epsilon > 0.0 && std::isfinite(c / epsilon)) {
      return 1e-5 * std::max(1.0, std::fabs(c / epsilon));
    }
    if (construction == "prelu-spike") return 1e-4;
    return 0.0;
  }
};

/// Training set: points [count][dim] and labels / values [count].
struct TrainingSet {
  int dim = 0;
  bool grid = false; ///< the regular grid of docs/math.md section 1
  int n = 0;         ///< grid points per axis
  std::vector<double> x;
  std::vector<double> y;
  std::int64_t count() const { return static_cast<std::int64_t>(y.size()); }
};

/// Analytic values on [0,1]^d (docs/math.md 2.3, 4.3); NaN where none exists.
struct Oracle {
  static constexpr double kNone = std::numeric_limits<double>::quiet_NaN();
  double spike_volume = kNone;  ///< measure of {|f| > tau}
  double accuracy = kNone;      ///< classification accuracy (f = 0 counted wrong)
  double f_integral = kNone;    ///< integral of f
  double f_sq_integral = kNone; ///< integral of f^2
  double l1_error = kNone;
  double l2_error = kNone;
  double linf_error = kNone;
  double rel_l2_error = kNone; ///< l2_error / rms of the truth
  double train_loss = kNone;
  /// Which formula produced the values (e.g. "C1 closed form", "C3 semi-analytic").
  std::string source;
};

/// A fully built case.
struct Case {
  CaseParams params;
  Network network;
  TrainingSet training;
  Oracle oracle;
  double slack = std::numeric_limits<double>::quiet_NaN(); ///< s = d - b where defined
  /// Parameters as (name, value) for /config; strings for enums.
  std::vector<std::pair<std::string, std::string>> config;
};

/// Builds the case @p p describes. Throws std::invalid_argument naming the bad parameter.
Case build_case(const CaseParams& p);

/// Truth view of a case (pointers into @p c's training set).
TruthView truth_view(const Case& c);

/// Mean squared error and max abs error of the network at its training points, in precision T.
template <class T>
std::pair<double, double> training_error(const Case& c);

std::string task_name(Task t);
std::string labels_name(Labels l);
std::string target_name(Target t);

} // namespace spikemesh
