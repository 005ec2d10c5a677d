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
/// flush runs; the results do not depend on it). The kernel takes
/// eval_block::dynamic_smem_bytes(view, width) of dynamic shared memory (the narrow width's
/// lane buffers and cursors), opted in above 48 KB. Checks the launch.
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

/// Blocks that fill the device for the kernel of this precision and width, given the dynamic
/// shared memory it takes for @p view (eval_block::dynamic_smem_bytes(): the narrow width's
/// lane storage, by the mesh's dimension and the network's buffer width; only those two fields
/// of the view are read, so a host view serves). Opts the kernel in above 48 KB; throws when the
/// device allows a block less shared memory than it needs.
template <class T>
int eval_mesh_grid(const EvalView<T>& view, int width, int device);

} // namespace spikemesh::cuda
