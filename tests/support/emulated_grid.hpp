/// @file emulated_grid.hpp
/// @brief The mesh kernel of one width emulated on the host over a range, its blocks' partials
/// merged: the tests' one way to run eval_block::emulate_eval_grid().
#pragma once

#include "spikemesh/case.hpp"
#include "spikemesh/evaluator.hpp"
#include "spikemesh/math/eval_block.hpp"
#include "spikemesh/network.hpp"

#include <cstddef>
#include <vector>

namespace spikemesh::test {

/// A case's network packed at buffer width @p width, with the view the kernels take of it on
/// mesh @p m (the case's truth and default statistics).
template <class T>
struct PackedProblem {
  PackedProblem(const Case& c, const MeshView& m, int width) : packed(c.network, width) {
    v.net = packed.view();
    v.mesh = m;
    v.truth = truth_view(c);
    v.stats = default_stats_config(c);
  }
  PackedNetwork<T> packed;
  EvalView<T> v;
};

/// eval_block::emulate_eval_grid<T, Width> over @p r on at most @p grid blocks (fewer for small
/// ranges, as the evaluators launch), in @p order, with the warps' counter flush period
/// @p flush_tiles; the partials merged in block order.
template <int Width, class T>
Accumulator emulated_grid(const EvalView<T>& v, IndexRange r, int grid,
                          eval_block::EmulationOrder order,
                          int flush_tiles = eval_block::kFlushTiles) {
  const int g = eval_block::grid_for_range(r.size(), grid);
  std::vector<Accumulator> parts(static_cast<std::size_t>(g));
  eval_block::emulate_eval_grid<T, Width>(v, r, g, parts.data(), order, flush_tiles);
  Accumulator total;
  for (const Accumulator& p : parts)
    total.merge(p);
  return total;
}

} // namespace spikemesh::test
