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
  /// |f(x) - folded f(x)| <= error for every x in the box: sum over pairs of
  /// |eps| max|z| + |kappa - fl(kappa)| max z_+ (z ranges from sound interval bounds).
  double error = 0.0;
  int pairs = 0;
};

/// Folds @p net over [lo, hi]^d where it has one PReLU hidden layer before the output (after any
/// first layer) whose rows pair up as exact negations; otherwise returns it unchanged.
FoldedNetwork fold_prelu_pairs(const Network& net, double lo, double hi);

} // namespace spikemesh
