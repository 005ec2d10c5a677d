/// @file prelu_fold.hpp
/// @brief Folding of PReLU pairs: a last hidden layer whose PReLU rows come in exactly negated
/// pairs (C2: v P(z) + v' P(-z)) is the same function as eps z + kappa ReLU(z) with
/// eps = alpha v - v', kappa = (1 - alpha)(v + v'). Dropping the (rounding-sized) eps z terms
/// leaves a ReLU layer whose silent rows the bounder's trie skips; the dropped part is bounded.
#pragma once

#include "spikemesh/network.hpp"

namespace spikemesh {

struct FoldedNetwork {
  bool folded = false; ///< false: net is a copy of the input (no pairing applies)
  Network net;
  /// |sum over pairs of eps z(x)| <= leak_error for every x in the box: when the folded layer is
  /// the second, sum_r eps_r z_r = c + sum_j lambda_j act_0j(x) is bounded through the first
  /// layer's ranges (the eps_r have random signs: far below sum |eps_r| max|z_r|, the bound used
  /// for deeper layers).
  double leak_error = 0.0;
  /// |kappa_r - fl(kappa_r)| per folded row: the output weights' rounding, charged per box on
  /// the rows not silent there (kappa_error[r] z_r^+).
  std::vector<double> kappa_error;
  /// leak_error + sum_r kappa_error[r] max z_r^+: a bound of |f - folded f| over the whole box.
  double error = 0.0;
  int pairs = 0;
};

/// Folds @p net over [lo, hi]^d where it has one PReLU hidden layer before the output (after any
/// first layer) whose rows pair up as exact negations; otherwise returns it unchanged.
FoldedNetwork fold_prelu_pairs(const Network& net, double lo, double hi);

} // namespace spikemesh
