/// @file affine_piece.hpp
/// @brief The exact decision of one box: where every hidden neuron of a ReLU/PReLU network is
/// stable over the box (at most one unstable neuron in the last hidden layer), f is affine or
/// L + kappa ReLU(g) there, and {f > tau}, {f < -tau} are each empty, the box, or the box cut by
/// one half-space; the volumes come from halfspace_volume().
#pragma once

#include "spikemesh/certify.hpp"
#include "spikemesh/exact.hpp"

#include <cstdint>
#include <vector>

namespace spikemesh {

/// An affine function c + g . x on a box and a bound of its error there: the true function
/// differs from c + g . x by at most err at every point of the box (rounding of the double
/// coefficients included).
struct AffineForm {
  std::vector<double> g;
  double c = 0.0;
  double err = 0.0;
};

/// What decide() found for one box.
struct PieceOutcome {
  bool exact = false; ///< the enclosure [lo, hi] holds vol({|f| > tau} within the box)
  double lo = 0.0, hi = 0.0;
  int split_axis = -1; ///< >= 0: an unstable first-layer neuron's kink to split at
  double split_at = 0.0;
  std::int64_t terms = 0;      ///< clipped vertices summed
  bool two_halfspaces = false; ///< decided through the union of two half-spaces
};

/// Per-thread buffers of AffinePieces::decide().
struct PieceScratch {
  std::vector<AffineForm> prev, next; ///< post-activation forms of a layer (nonzero ones)
  std::vector<int> prev_index;        ///< their neuron indices
  AffineForm L, g, A, A2, row;
  std::vector<AffineForm> gs; ///< the unstable last-layer neurons' forms
  std::vector<double> ks;     ///< and their output weights
  std::vector<char> apart;    ///< [i m + j]: the active sets of neurons i, j provably disjoint
  HalfspaceWorkspace ws;
  TwoHalfspaceWorkspace ws2;
};

class AffinePieces {
public:
  AffinePieces(const Network& net, const BoxBounder& bounder);
  /// Whether every hidden activation is ReLU, PReLU or Identity (otherwise decide() never
  /// succeeds).
  bool applicable() const { return m_applicable; }
  /// Decides box [lo, hi] exactly where it can. @p s: the bounder's scratch after bounding this
  /// box (pre-activation bounds, reached rows). The lower end uses threshold @p tau_in, the upper
  /// end @p tau_out (tau_in >= tau_out: they differ by twice a folding error).
  /// Bounds of the output weights' errors (per last-hidden neuron; the folded PReLU pairs'
  /// kappa rounding), charged as kappa_error[j] max z_j^+ on the neurons not silent in a box.
  void set_output_weight_errors(const std::vector<double>* kappa_error) { m_kerr = kappa_error; }
  PieceOutcome decide(const double* lo, const double* hi, const BoundScratch& s, double tau_in,
                      double tau_out, PieceScratch& ps) const;

private:
  PieceOutcome disjoint_pieces(const double* lo, const double* hi, double tau_in, double tau_out,
                               PieceScratch& ps) const;
  PieceOutcome union_of(const double* lo, const double* hi, double tau_in, double tau_out,
                        PieceScratch& ps) const;
  bool first_layer(const double* lo, const double* hi, PieceScratch& ps, PieceOutcome& out) const;
  bool separable_second_layer(const double* lo, const double* hi, const BoundScratch& s,
                              PieceScratch& ps, PieceOutcome& out) const;
  const Network* m_net;
  const BoxBounder* m_bounder;
  bool m_applicable = true;
  const std::vector<double>* m_kerr = nullptr;
  bool m_trie = false; ///< the bounder skips silent second-layer rows (s.reached lists the rest)
  std::vector<double> m_vout; ///< the output row, dense (where the output layer is sparse)
  std::vector<double> m_w0;   ///< the first layer, dense (where the bounder is not separable)
};

} // namespace spikemesh
