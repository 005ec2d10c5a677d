/// @file rounding_bound.hpp
/// @brief A rigorous forward bound of the rounding error of the forward pass (docs/math.md 7.6)
/// over a mesh box, per precision, and the precision rule it drives: `--precision auto` picks
/// float only when float's bound leaves the threshold tau a safe margin.
#pragma once

#include "spikemesh/case.hpp"
#include "spikemesh/evaluator.hpp"
#include "spikemesh/mesh_spec.hpp"

#include <string>

namespace spikemesh {

/// The bound of one precision over a box.
struct RoundingBound {
  /// sup over the box of |f computed in this precision - f in exact arithmetic|; +inf when a
  /// weight or an intermediate value may overflow (then `overflow` or `may_overflow` says
  /// where).
  double bound = 0.0;
  /// The largest error bound of a pre-activation of the last hidden layer among the neurons that
  /// may be active somewhere in the box, over the largest such pre-activation (the relative
  /// width of the band around a spike boundary that rounding can move; docs/math.md 7.6).
  double relative_band = 0.0;
  /// Empty, or the parameter beyond the precision's range ("layer 1 weight 1e+39 exceeds ...").
  std::string overflow;
  /// Empty, or where the bounds of the values exceed half the precision's range.
  std::string may_overflow;
};

/// Unit round-off u, largest finite value and smallest positive (subnormal) value of @p p.
struct PrecisionLimits {
  double u, max, tiny;
};
PrecisionLimits precision_limits(Precision p);

/// The bound for precision @p p (Float or Double) of @p net over [lo, hi]^dim, as the maximum
/// of the bounds over @p cells_per_axis^dim equal cells (0: as many as about 1e7 operations
/// allow, at most 16 per axis). Layer ranges come from the certify interval bounds.
RoundingBound rounding_bound(const Network& net, double lo, double hi, Precision p,
                             int cells_per_axis = 0);

/// Margin of the precision rule: float (or double) is safe for tau > 0 when its bound is at most
/// tau / kTauMargin.
inline constexpr double kTauMargin = 4.0;
/// For tau = 0 (exact zeros): the largest dim * relative_band accepted (0.1 % of a spike volume).
inline constexpr double kMaxBandShift = 1e-3;

/// What the precision rule decided for a run.
struct PrecisionChoice {
  Precision precision = Precision::Double; ///< resolved: Float or Double
  RoundingBound float_bound, double_bound;
  std::string rule;    ///< why this precision (recorded in /results/precision_rule)
  std::string warning; ///< empty, or why an explicit --precision float is unsafe
};

/// Whether precision @p p separates rounding noise from @p tau for @p net (docs/math.md 7.6);
/// @p why gets the reason when not.
bool precision_is_safe(const Network& net, const RoundingBound& b, double tau, std::string* why);

/// The rule of docs/math.md 7.6 for case @p c over @p mesh's box with threshold @p tau.
/// Throws InvalidParameter("tau") naming the smallest safe value when not even double
/// separates noise from tau, and InvalidParameter("precision") for an explicit float that
/// overflows.
PrecisionChoice choose_precision(Precision requested, const Case& c, const MeshSpec& mesh,
                                 double tau);

} // namespace spikemesh
