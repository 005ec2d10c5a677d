/// @file certify.hpp
/// @brief Certified and adaptive spike-volume estimation (`--method certify`): sound bounds of f
/// over axis-aligned boxes, best-first subdivision, and stratified sampling of the boxes left
/// undecided, for spikes far smaller than any mesh cell.
#pragma once

#include "spikemesh/case.hpp"

#include <cstdint>
#include <vector>

namespace spikemesh {

/// A closed interval [lo, hi].
struct Interval {
  double lo = 0.0;
  double hi = 0.0;
};

/// Sound bounds of f over boxes. Layers are propagated as intervals (exact images through the
/// monotone activations); a first layer whose neurons each read one input is exploited: every
/// second-layer pre-activation is a sum of one-dimensional functions of single coordinates, and
/// each is bounded exactly over its edge (piecewise-linear activations: at the ends and kinks;
/// smooth ones: interval bounds on 16 sub-edges).
class BoxBounder {
public:
  explicit BoxBounder(const Network& net);
  /// Bounds of f over the box [lo, hi] (arrays of in_dim coordinates).
  Interval bound(const double* lo, const double* hi) const;
  bool separable() const { return m_separable; }

private:
  struct AxisTerm { ///< sum_e w_e act0(a_e x_k + c_e) over one second-layer row's entries on axis k
    int axis = 0;
    std::vector<double> w, a, c;
  };
  Interval axis_term_range(const AxisTerm& t, double lo, double hi) const;

  const Network* m_net;
  bool m_separable = false;
  std::vector<AxisTerm> m_terms;             ///< unique (axis, weights) groups
  std::vector<std::vector<int>> m_row_terms; ///< [layer-1 row] -> indices into m_terms
};

struct CertifyOptions {
  std::int64_t box_budget = 1000000; ///< boxes bounded before sampling
  std::int64_t samples = 100000;     ///< points sampled in the undecided boxes (at least 2 each)
  std::uint64_t seed = 1;
  double tau = 0.0;
};

struct CertifyResult {
  double certified_volume_lower = 0.0; ///< boxes proven inside {|f| > tau}
  double certified_volume_upper = 0.0; ///< lower + every undecided box
  double volume_estimate = 0.0;        ///< lower + stratified estimate over the undecided boxes
  double volume_ci_low = 0.0;          ///< 95 % confidence interval
  double volume_ci_high = 0.0;
  std::int64_t boxes_processed = 0;
  std::int64_t boxes_inside = 0;
  std::int64_t boxes_outside = 0;
  std::int64_t boxes_undecided = 0;
  std::int64_t samples_used = 0;
  std::int64_t network_evaluations = 0; ///< box bounds + sampled points
  double wall_seconds = 0.0;
};

/// Certifies the measure of {x in [lo, hi]^d : |f(x)| > tau} for the case's network.
CertifyResult certify_volume(const Network& net, int dim, double lo, double hi,
                             const CertifyOptions& opt);

} // namespace spikemesh
