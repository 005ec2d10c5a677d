/// @file landscape.hpp
/// @brief Loss landscapes of small networks (docs/math.md section 9): the spurious-minimum
/// cases S1-S4, the training loss as a function of the free parameters, the critical-point
/// verdict (gradient, Hessian, perturbation spheres, best loss elsewhere), and 2-D loss meshes
/// theta* + alpha u + beta v.
#pragma once

#include "spikemesh/network.hpp"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace spikemesh {

/// One free parameter of a network: a dense weight W[row][col] or a bias b[row] of a layer.
struct ParamRef {
  int layer = 0;
  bool bias = false;
  int row = 0;
  int col = 0;
};

/// A loss-landscape case: network, data, which parameters move, and the point to judge.
struct LandscapeCase {
  std::string name;
  std::string description;
  Network network; ///< its parameters at theta* (the fixed ones stay as they are)
  int in_dim = 1;
  std::vector<double> x; ///< [N][in_dim]
  std::vector<double> y; ///< [N]
  std::vector<ParamRef> free;
  std::vector<double> theta_star;   ///< the point to judge, [free.size()]
  std::vector<double> theta_global; ///< a known global minimiser, or empty
  double known_global_loss = std::numeric_limits<double>::quiet_NaN();
};

/// Names accepted by make_landscape_case().
const std::vector<std::string>& landscape_case_names();

/// S1 relu-dead-neuron, S2 sigmoid-three-point, S3 affine-segment (width 2),
/// affine-segment-deep (two hidden layers), affine-segment-wide (width 7, seeded),
/// S4 linear-saddle. Throws InvalidParameter("case") for other names.
LandscapeCase make_landscape_case(const std::string& name, std::uint64_t seed = 1);

/// Every dense weight and bias of @p net free, theta* = its current values.
std::vector<ParamRef> all_dense_params(const Network& net);
/// The current values of the parameters @p free of @p net (a case's theta*).
std::vector<double> param_values(const Network& net, const std::vector<ParamRef>& free);

/// Where each free parameter sits in the packed parameters of @p packed.
std::vector<std::int64_t> packed_offsets(const PackedNetwork<double>& packed,
                                         const std::vector<ParamRef>& free);

/// Evaluates the sum-of-squares training loss F(theta) = sum_i (y_i - f_theta(x_i))^2 in double.
class LossFunction {
public:
  explicit LossFunction(const LandscapeCase& c);
  double operator()(const std::vector<double>& theta) const;
  std::size_t dim() const { return m_offsets.size(); }

private:
  const LandscapeCase* m_case;
  PackedNetwork<double> m_packed;
  std::vector<std::int64_t> m_offsets; ///< where each free parameter sits in the packed params
};

/// What the critical-point analysis found at theta*.
struct Verdict {
  std::string verdict; ///< spurious_local_minimum | global_minimum | saddle | not_critical
  double loss = 0.0;
  double global_loss = 0.0;     ///< known global minimum, else the best loss seen anywhere
  std::string global_source;    ///< "known" or "best found"
  double grad_norm = 0.0;       ///< central differences, step 1e-6
  double min_loss_change = 0.0; ///< min over all perturbation spheres of F(theta*+r u)-F(theta*)
  std::vector<double> radii;
  std::vector<double> min_change_per_radius;
  std::vector<double> hessian_eigenvalues; ///< ascending; empty when > 64 parameters
  /// Smallest one-sided directional derivative along the axes +-e_i (forward and backward
  /// differences at steps 1e-6 and 1e-7, Richardson-extrapolated to remove the O(h) term); only
  /// computed when the central-difference gradient is above grad_tol. >= -tol: no first-order
  /// descent along any axis, i.e. the point is critical in the nonsmooth (Dini) sense.
  double min_one_sided_derivative = 0.0;
  /// What decided criticality: "sum of squares at 0" (F >= 0 everywhere and F(theta*) = 0 to
  /// rounding, N (1e-12 max(1, max|y|))^2: a global minimum whatever the derivatives say), "central
  /// gradient", or "one-sided differences (nonsmooth point)"; "" for not_critical.
  std::string criterion;
};

struct VerdictOptions {
  int directions_per_radius = 20000; ///< random unit directions per radius (plus all +-e_i)
  std::uint64_t seed = 1;
  int threads = 0;
  double grad_tol = 1e-6;      ///< |grad F| below this: critical
  double decrease_tol = 1e-10; ///< a loss change below -this: the point can be left downhill
};

Verdict analyse_critical_point(const LandscapeCase& c, const VerdictOptions& opt);

enum class Directions : std::uint8_t { Axes, Random, FilterNormalized };

/// The 2-D loss mesh: train_loss[i][j] = F(theta* + x_i u + y_j v).
struct LandscapeMesh {
  Directions directions = Directions::Random;
  std::vector<double> u, v; ///< unit-free direction vectors, [free.size()]
  std::vector<double> xcoordinates, ycoordinates;
  std::vector<double> train_loss; ///< [x.size()][y.size()], row-major
  std::string backend;            ///< where train_loss was computed: "cpu" or "cuda"
};

/// The mesh's directions and coordinates (train_loss left empty).
LandscapeMesh landscape_directions(const LandscapeCase& c, Directions dirs, double range,
                                   int points, std::uint64_t seed);
/// Fills m.train_loss on the CPU (OpenMP over mesh points).
void landscape_loss_cpu(const LandscapeCase& c, LandscapeMesh& m, int threads);
/// Fills m.train_loss on the GPU: one thread block per mesh point, the block's threads share the
/// training points. Returns false, with the reason in @p why, when the CUDA backend is not
/// built, no device is usable, or a layer is wider than the kernel's buffers (256).
bool landscape_loss_cuda(const LandscapeCase& c, LandscapeMesh& m, std::string* why);
/// Fills m.train_loss with the GPU kernel's per-cell code (math/landscape_block.hpp over the
/// arrays the GPU path uploads) run on the host, @p block_threads emulated threads per cell:
/// checks the kernel without a device. False, with the reason in @p why, where the kernel
/// refuses the network.
bool landscape_loss_emulated(const LandscapeCase& c, LandscapeMesh& m, int block_threads,
                             std::string* why);
/// landscape_directions() then landscape_loss_cpu().
LandscapeMesh landscape_mesh(const LandscapeCase& c, Directions dirs, double range, int points,
                             std::uint64_t seed, int threads);

std::string directions_name(Directions d);

} // namespace spikemesh
