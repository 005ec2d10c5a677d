/// @file test_backend_emulated.cpp
/// @brief The CUDA mesh kernel's code (math/eval_block.hpp) emulated on the host against the CPU
/// backend, with the same checks as the GPU tests (backend_parity.hpp): the kernel's index
/// partition into runs, ragged tails, grid-stride loop, shared bins and block-order merge run
/// in every CPU build. A GPU adds the launch, the transfers, FMA contraction and CUB's order.
#include "spikemesh/evaluator.hpp"

#include "support/backend_parity.hpp"

namespace spikemesh {
namespace {

std::unique_ptr<Evaluator> make_emulated() {
  return make_emulated_cuda_evaluator(7);
}

class CudaKernelEmulated : public ::testing::Test {};

SM_BACKEND_PARITY_TESTS(CudaKernelEmulated, make_emulated)

TEST_F(CudaKernelEmulated, GridSizeDoesNotChangeCounts) {
  const Case c = build_case(CaseParams{});
  const MeshView m = testing::mesh(2, 401);
  Problem p{&c, m, default_stats_config(c), Precision::Double};
  Accumulator first;
  for (int grid : {1, 2, 7, 64}) {
    auto ev = make_emulated_cuda_evaluator(grid);
    ev->prepare(p);
    const Accumulator a = ev->evaluate({0, m.total});
    if (grid == 1) {
      first = a;
      continue;
    }
    EXPECT_EQ(a.scalar.points, first.scalar.points);
    EXPECT_EQ(a.scalar.spike_count, first.scalar.spike_count);
    for (int b = 0; b < kDistBins; ++b) {
      EXPECT_EQ(a.bins.dist_counts[b], first.bins.dist_counts[b]);
      EXPECT_EQ(a.bins.dist_err_max[b], first.bins.dist_err_max[b]);
    }
    EXPECT_NEAR(a.scalar.sum_f.value(), first.scalar.sum_f.value(),
                1e-13 * std::fabs(first.scalar.sum_f.value()));
  }
}

} // namespace
} // namespace spikemesh
