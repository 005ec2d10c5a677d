/// @file eval_dense.hpp
/// @brief Host-side declaration of the fused dense-MLP kernel's launcher (no device code here).
#pragma once

#include "spikemesh/math/dense_block.hpp"
#include "spikemesh/math/point_stats.hpp"

#include <cuda_runtime_api.h>

#include <cstddef>

namespace spikemesh::cuda {

/// Evaluates [range.begin, range.end) with the fused dense kernel (math/dense_block.hpp) and
/// writes one Accumulator per block to @p partials (at least @p grid entries), the same values
/// as launch_eval_mesh() would. @p rows is dense_block::rows_for() of the network (not 0),
/// @p smem its dense_block::smem_bytes(). Checks the launch.
template <class T>
void launch_eval_dense(const EvalView<T>& view, IndexRange range, int rows, std::size_t smem,
                       int grid, Accumulator* partials, cudaStream_t stream);

/// Opts the kernel of this precision and @p rows in to @p smem bytes of dynamic shared memory
/// (checked against the device's per-block limit: throws when the network needs more) and
/// returns the blocks that fill the device.
template <class T>
int eval_dense_grid(int rows, std::size_t smem, int device);

} // namespace spikemesh::cuda
