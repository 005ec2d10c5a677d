/// @file linear_relaxation.hpp
/// @brief Symbolic linear bounds in the style of CROWN / DeepPoly for networks whose hidden
/// layers are piecewise linear (ReLU, PReLU, identity): every neuron is bounded between two
/// lines over its pre-activation interval, and a layer's pre-activations are bounded by
/// substituting those lines backwards, layer by layer, down to the input box.
#pragma once

#include "spikemesh/certify.hpp"

#include <vector>

namespace spikemesh::detail {

/// lo_a z + lo_c <= act(z) <= up_a z + up_c for every z in [l, u].
struct Relaxation {
  double lo_a = 0.0, lo_c = 0.0, up_a = 0.0, up_c = 0.0;
};

/// The tightest-area lines of CROWN for ReLU, PReLU (either convexity) and the identity; exact
/// lines when the neuron is stable. Intercepts are nudged outward so the lines stay sound after
/// rounding.
Relaxation relax(Activation act, double alpha, double l, double u);

/// Every layer as dense row-major [out][in] weights, plus |W|, for the back-substitution.
struct DenseNetwork {
  struct DenseLayer {
    int in = 0, out = 0;
    Activation act = Activation::Identity;
    double alpha = 0.0;
    std::vector<double> w, abs_w, bias;
  };
  std::vector<DenseLayer> layers;
  int in_dim = 0;

  /// Multiply-adds of one box's back-substitution (all layers), or -1 when the relaxation does
  /// not apply (an activation that is not piecewise linear).
  static double cost_per_box(const Network& net);
  explicit DenseNetwork(const Network& net);
};

/// Reusable buffers of back_substitute() (one per thread).
struct BackSubScratch {
  std::vector<double> lam_up, lam_lo, mag_up, mag_lo, next, next_mag;
  std::vector<double> c_up, c_lo, m_up, m_lo;
  std::vector<Relaxation> rel;
};

/// Sound bounds of every pre-activation of layer @p i over the box [lo, hi], given sound bounds
/// @p z[j] of the pre-activations of every earlier layer j < i. Rounding is covered by tracking
/// the magnitude of every product along the way.
void back_substitute(const DenseNetwork& net, std::size_t i,
                     const std::vector<std::vector<Interval>>& z, const double* lo,
                     const double* hi, std::vector<Interval>& out, BackSubScratch& s);

} // namespace spikemesh::detail
