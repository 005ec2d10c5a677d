/// @file eval_mesh.hpp
/// @brief Host-side declaration of the mesh-evaluation launcher (no device code here, R6).
#pragma once

#include "spikemesh/math/eval_block.hpp"
#include "spikemesh/math/partials_merge.hpp"
#include "spikemesh/math/point_stats.hpp"

#include <cuda_runtime_api.h>

#include <cstddef>

namespace spikemesh::cuda {

/// Threads per block of the mesh kernel.
inline constexpr int kBlock = eval_block::kThreads;
/// Widths of the per-thread layer buffers the kernel is instantiated for.
inline constexpr int kNarrowWidth = eval_block::kNarrowWidth;
inline constexpr int kWideWidth = eval_block::kWideWidth;

/// Evaluates [range.begin, range.end) and writes one Accumulator per block to @p partials
/// (at least @p grid entries); launch_merge_partials() merges them in block order. @p width is
/// kNarrowWidth or kWideWidth and must be >= view.net.buffer_width. @p flush_tiles: the warps'
/// 32-bit counter flush period, 1 to eval_block::kFlushTiles (tests shorten it so that the
/// flush runs; the results do not depend on it). Checks the launch.
template <class T>
void launch_eval_mesh(const EvalView<T>& view, IndexRange range, int width, int grid,
                      Accumulator* partials, cudaStream_t stream,
                      int flush_tiles = eval_block::kFlushTiles);

/// Merges @p partials[0, count) in block order into @p out (device memory, one Accumulator):
/// one block of partials::kMergeThreads threads, thread s folding merge slot s
/// (math/partials_merge.hpp), so *out equals the host's block-order Accumulator::merge of the
/// same partials bit for bit. count = 0 writes the empty Accumulator. Checks the launch.
void launch_merge_partials(const Accumulator* partials, int count, Accumulator* out,
                           cudaStream_t stream);

/// Dynamic shared memory per block of the kernel of @p width for @p view: the wide path's warp
/// scratch (math/warp_forward.hpp), sized by the network's buffer width and the mesh's
/// dimension; 0 for the other widths.
template <class T>
std::size_t eval_mesh_smem(int width, const EvalView<T>& view) {
  return width == kWideWidth ? warp_forward::block_bytes<T>(eval_block::kWarps,
                                                            view.net.buffer_width, view.mesh.dim)
                             : 0;
}

/// Blocks that fill the device for the kernel of this precision and width with @p smem bytes
/// of dynamic shared memory per block (eval_mesh_smem()).
template <class T>
int eval_mesh_grid(int width, std::size_t smem, int device);

} // namespace spikemesh::cuda
