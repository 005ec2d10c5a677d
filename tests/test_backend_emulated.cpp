/// @file test_backend_emulated.cpp
/// @brief The CUDA mesh kernel's code (math/eval_block.hpp) emulated on the host against the CPU
/// backend, with the same checks as the GPU tests (backend_parity.hpp): the kernel's index
/// partition into runs, ragged tails, grid-stride loop, shared bins and block-order merge run
/// in every CPU build. A GPU adds the launch, the transfers, FMA contraction and CUB's order.
#include "spikemesh/evaluator.hpp"

#include "support/backend_parity.hpp"

#include <string>

namespace spikemesh {
namespace {

std::unique_ptr<Evaluator> make_emulated() {
  return make_emulated_cuda_evaluator(7);
}

class CudaKernelEmulated : public ::testing::Test {};

SM_BACKEND_PARITY_TESTS(CudaKernelEmulated, make_emulated)

// The parity checks excuse only the points where rounding may flip a count: for the ReLU
// construction at tau = 0 its exactly-zero region is not among them (it once was, and every
// count check then passed whatever the kernel returned), so the spike count is checked.
TEST(ParityCheck, ExcusesOnlyPointsNearAKinkOrTau) {
  CaseParams p;
  p.bias = 1.6;
  const Case c = build_case(p);
  const MeshView m = testing::mesh(2, 301);
  const double tau = default_stats_config(c).tau;
  ASSERT_EQ(tau, 0.0);
  const index_t amb = testing::ambiguous_points(c, m, {0, m.total}, tau, 1e-5);
  auto cpu = make_cpu_evaluator(2);
  cpu->prepare(Problem{&c, m, default_stats_config(c), Precision::Float});
  const Accumulator a = cpu->evaluate({0, m.total});
  EXPECT_LT(amb, m.total / 100); // the zero region (most of the box) is checked
  EXPECT_GT(static_cast<index_t>(a.scalar.spike_count), 10 * amb);
  // Directly: the centre of a spike is not ambiguous, nor is a point far from every spike; a
  // point on a first-layer kink is.
  const double centre[2] = {c.training.x[0], c.training.x[1]};
  const double far[2] = {0.5 * (c.training.x[0] + c.training.x[2]) + 1e-3, 0.123456};
  EXPECT_FALSE(testing::ambiguous_at(c.network, centre, tau, 1e-5));
  EXPECT_FALSE(testing::ambiguous_at(c.network, far, tau, 1e-5));
}

TEST(CudaDevice, LocalRankPicksTheDevice) {
  const auto env = [](const char* name, const char* value) {
    return [name, value](const char* v) { return std::string(v) == name ? value : nullptr; };
  };
  EXPECT_EQ(cuda_device_for_local_rank(4, env("OMPI_COMM_WORLD_LOCAL_RANK", "6")), 2);
  EXPECT_EQ(cuda_device_for_local_rank(2, env("SLURM_LOCALID", "1")), 1);
  EXPECT_EQ(cuda_device_for_local_rank(3, env("MPI_LOCALRANKID", "3")), 0);
  EXPECT_EQ(cuda_device_for_local_rank(4, env("OTHER", "1")), -1);         // not under a launcher
  EXPECT_EQ(cuda_device_for_local_rank(4, env("SLURM_LOCALID", "x")), -1); // not a rank
  EXPECT_EQ(cuda_device_for_local_rank(4, env("SLURM_LOCALID", "-1")), -1);
  EXPECT_EQ(cuda_device_for_local_rank(0, env("SLURM_LOCALID", "1")), -1); // no device
}

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
