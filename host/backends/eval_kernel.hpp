/// @file eval_kernel.hpp
/// @brief Host-side choices the CUDA evaluator and its host emulation share: the per-thread
/// buffer width the mesh kernel is instantiated with for a network.
#pragma once

#include "spikemesh/math/eval_block.hpp"
#include "spikemesh/network.hpp"

#include <stdexcept>

namespace spikemesh {

/// eval_block::kSeparableWidth for the axis-separable spike networks (NetworkView::sep, the
/// kernel's specialised path), else kNarrowWidth when every buffered layer of @p net fits in it,
/// else kWideWidth (hidden layers wider than that are streamed).
template <class T>
int eval_kernel_width(const Network& net) {
  try {
    if (PackedNetwork<T>(net, eval_block::kSeparableWidth).separable().on)
      return eval_block::kSeparableWidth;
  } catch (const std::invalid_argument&) {
  }
  try {
    if (PackedNetwork<T>(net, eval_block::kNarrowWidth).buffer_width() <= eval_block::kNarrowWidth)
      return eval_block::kNarrowWidth;
  } catch (const std::invalid_argument&) { // a wide layer that must be streamed
  }
  return eval_block::kWideWidth;
}

} // namespace spikemesh
