/// @file exact.hpp
/// @brief Exact certified volumes (`--method exact`): on boxes where a ReLU/PReLU network is
/// affine (or has one unstable last-layer neuron that leaves one affine piece to decide) the
/// level sets are the box cut by a half-space, whose volume has a closed form evaluated in
/// outward-rounded interval arithmetic (MPFI). The rest is bounded and sampled as certify does.
#pragma once

#include "spikemesh/certify.hpp"

#include <cstdint>
#include <memory>

namespace spikemesh {

/// A rigorous enclosure of a volume: the true value lies in [lo, hi]. ok = false: the closed
/// form was not attempted (more than the term cap of clipped vertices); lo = 0, hi = the box.
struct VolumeEnclosure {
  double lo = 0.0;
  double hi = 0.0;
  bool ok = true;
  std::int64_t terms = 0; ///< clipped vertices summed (both ends together)
  int precision = 0;      ///< the last MPFR precision used (bits)
};

/// Per-thread MPFI workspace of halfspace_volume() (reused to avoid allocations).
class HalfspaceWorkspace {
public:
  HalfspaceWorkspace();
  ~HalfspaceWorkspace();
  HalfspaceWorkspace(const HalfspaceWorkspace&) = delete;
  HalfspaceWorkspace& operator=(const HalfspaceWorkspace&) = delete;
  struct Impl;
  Impl& impl() { return *m_impl; }

private:
  std::unique_ptr<Impl> m_impl;
};

/// Encloses vol{x in [lo, hi] : a . x + c > 0} for every c in [c_lo, c_hi] (the volume is
/// increasing in c, so the result is [lower end at c_lo, upper end at c_hi]). d <= 64.
///
/// The closed form: coordinates with a_i = 0 factor out; those with a_i > 0 are reflected so
/// that every coefficient p_i is positive and the set is {p . u < T} over [0, w]; then
///   vol = sum over S with sum_{i in S} p_i w_i < T of (-1)^|S| (T - sum_S p_i w_i)^k / (k! prod
///   p_i)
/// (k coordinates; only the vertices the hyperplane clips contribute; T > half the range is
/// taken through the complement, so a corner simplex is one term). Every operation is an
/// outward-rounded MPFI one; the precision starts at 128 bits and doubles (up to 4096) until the
/// enclosure's relative width is below 2^-80. @p max_terms caps the clipped vertices per end.
VolumeEnclosure halfspace_volume(int d, const double* a, double c_lo, double c_hi, const double* lo,
                                 const double* hi, HalfspaceWorkspace& ws,
                                 std::int64_t max_terms = std::int64_t(1) << 22);

/// Per-thread MPFI workspace of two_halfspace_volume().
class TwoHalfspaceWorkspace {
public:
  TwoHalfspaceWorkspace();
  ~TwoHalfspaceWorkspace();
  TwoHalfspaceWorkspace(const TwoHalfspaceWorkspace&) = delete;
  TwoHalfspaceWorkspace& operator=(const TwoHalfspaceWorkspace&) = delete;
  struct Impl;
  Impl& impl() { return *m_impl; }

private:
  std::unique_ptr<Impl> m_impl;
};

/// Encloses vol{x in [lo, hi] : a . x + ca > 0 and b . x + cb > 0}. The box is the signed sum of
/// the orthants at its vertices (reflected so that one half-space's coefficients are positive);
/// each orthant cut by that half-space is a corner simplex, and the share of a simplex where the
/// other affine function is positive is the divided difference of x_+^k at its vertex values
/// (Hermite-Genocchi), with equal values (equal coefficient ratios, detected exactly) as
/// confluent nodes (Taylor series). The first half-space is taken past the middle through the
/// complement. ok = false where each half-space has a zero coefficient where the other has not,
/// or past @p max_terms clipped vertices.
VolumeEnclosure two_halfspace_volume(int d, const double* a, double ca, const double* b, double cb,
                                     const double* lo, const double* hi, TwoHalfspaceWorkspace& ws,
                                     std::int64_t max_terms = std::int64_t(1) << 20);

/// Rigorous enclosure of prod (hi_i - lo_i).
VolumeEnclosure box_volume(int d, const double* lo, const double* hi, HalfspaceWorkspace& ws);

/// The exact method on [lo, hi]^dim: best-first subdivision (split at first-layer kinks where one
/// lies in the box, else at the middle) until the box budget is spent; boxes are decided by
/// bounds (inside / outside), or exactly where the network is affine on them (with at most one
/// unstable neuron in the last hidden layer, resolved where it leaves one affine piece). The
/// result's certified_volume_lower/upper are rigorous for the network's double weights evaluated
/// in exact arithmetic; undecided boxes are sampled as certify_volume() does. The GPU engine is
/// not used (opt.backend and opt.engine are ignored).
CertifyResult exact_volume(const Network& net, int dim, double lo, double hi,
                           const CertifyOptions& opt);

} // namespace spikemesh
