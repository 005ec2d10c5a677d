/// @file test_landscape_cuda.cpp
/// @brief The GPU landscape mesh against the CPU one (R14): every case, every direction kind,
/// losses within 1e-12 relative (FMA contraction and the block reduction's order differ); a
/// network whose parameters exceed shared memory takes the global-scratch path.
#include "spikemesh/landscape.hpp"

#include "support/cuda_fixture.hpp"
#include "support/landscape_checks.hpp"

namespace spikemesh {
namespace {

using testing::CudaTest;

void expect_parity(const LandscapeCase& c, Directions dirs, int points) {
  testing::expect_landscape_parity(c, dirs, points, landscape_loss_cuda, "cuda");
}

TEST_F(CudaTest, LandscapeMatchesCpuForEveryCase) {
  for (const std::string& name : landscape_case_names()) {
    const LandscapeCase c = make_landscape_case(name, 3);
    for (Directions d : {Directions::Axes, Directions::Random, Directions::FilterNormalized}) {
      if (d == Directions::Axes && c.theta_star.size() < 2) continue;
      expect_parity(c, d, 33); // 33^2 cells: more cells than blocks, ragged last wave
    }
  }
}

TEST_F(CudaTest, LandscapeOfAWideNetworkUsesGlobalScratch) {
  // 3-64-64-1: 4481 parameters = 35 KB, shared; 3-128-96-1: 12.9k parameters = 103 KB, global.
  for (const std::vector<int>& widths : {std::vector<int>{64, 64}, std::vector<int>{128, 96}})
    expect_parity(testing::random_landscape_case(widths), Directions::FilterNormalized, 9);
}

} // namespace
} // namespace spikemesh
