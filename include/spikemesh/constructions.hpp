/// @file constructions.hpp
/// @brief The paper's networks (docs/math.md sections 2-5) as data builders, their registry, and
/// the analytic ground truth. Builders never evaluate (R4).
#pragma once

#include "spikemesh/case.hpp"
#include "spikemesh/errors.hpp"
#include "spikemesh/network.hpp"

#include <string>
#include <vector>

namespace spikemesh {

/// One entry of the construction registry (what `spikemesh list` prints).
struct ParamInfo {
  std::string name;     ///< CLI option name without dashes
  std::string fallback; ///< default, as text
  std::string range;    ///< valid range, as text
  std::string help;
};
struct ConstructionInfo {
  std::string name;
  std::string summary;
  std::vector<ParamInfo> params; ///< parameters this construction reads
};

/// All constructions, in the order `spikemesh list` shows them.
const std::vector<ConstructionInfo>& construction_registry();
/// Parameters every case has (task, labels, tau, depth extension, ...).
const std::vector<ParamInfo>& common_params();

// ---- training grids (docs/math.md section 1) ----------------------------------------------

/// Grid x_i = h i, n points per axis, row-major with the first axis slowest.
TrainingSet make_training_grid(int d, int n);
/// Labels +-1 (random with @p seed, checkerboard, ones), or y_p = g(x_p) for approximation.
void assign_training_values(TrainingSet& t, Task task, Labels labels, std::uint64_t seed,
                            Target target);

// ---- networks ---------------------------------------------------------------------------------

/// C1: ReLU spike network, layers d -> d(n+2) -> n^d -> 1, valid for d - 1 <= b < d.
Network make_relu_spike(int d, int n, double b, const std::vector<double>& y);
/// C2: PReLU spike network (same function as C1), layers d -> d(n+2) -> 2 n^d -> 1.
Network make_prelu_spike(int d, int n, double b, double alpha, const std::vector<double>& y);
/// C3: sigmoid spike network with output weights from the linear solve A c = y.
Network make_sigmoid_spike(int d, int n, double b, double K, double a, double L,
                           const std::vector<double>& y);

/// C4 depth extension parameters.
struct DepthExtension {
  int depth = 1; ///< N extra hidden layers
  int width = 1; ///< w neurons in each
  Activation act = Activation::ReLU;
  double c = 1.0;
  double epsilon = 0.5;
};
/// Appends the extra layers to @p net in place (docs/math.md section 5).
void apply_depth_extension(Network& net, const DepthExtension& ext);
/// Bound on sup|f_N - g| from docs/math.md section 5, for sup|g| <= M; 0 when exact (ReLU
/// with c - eps M > 0); +Inf where the bound's hypothesis fails.
double depth_extension_error_bound(const DepthExtension& ext, double M);

// ---- analytic ground truth --------------------------------------------------------------------

/// rho_d(s) = [(2s)^d - d (2s-1)_+^d] / d!: measure of {f != 0} for C1/C2 on [0,1]^d.
double relu_spike_volume(int d, double s);
/// V_tau(s): measure of {f > tau} for C1/C2 with y = 1, 0 < tau < 1.
double relu_superlevel_volume(int d, double s, double tau);
/// Integrals of f and f^2 over [0,1]^d for C1/C2 on the grid training set @p t (values t.y).
double relu_spike_integral(const TrainingSet& t, double s);
double relu_spike_sq_integral(const TrainingSet& t, double s);
/// Oracle of C1/C2 for threshold tau and task.
Oracle relu_spike_oracle(const TrainingSet& t, double s, double tau, Task task, Target target);

/// Sigmoid bump psi_a(u) = (1 + cosh a)/(cosh a + cosh u) and its level-set half-width u*(beta).
double sigmoid_bump(double u, double a);
double sigmoid_bump_halfwidth(double beta, double a);
/// V_d(beta): volume of {u in R^d : sum_k psi_a(u_k) > beta}, beta > d - 1 (Gauss-Legendre).
double sigmoid_bump_volume(int d, double beta, double a);

} // namespace spikemesh
