/// @file test_landscape_cuda.cpp
/// @brief The GPU landscape mesh against the CPU one (R14): every case, every direction kind,
/// losses within 1e-12 relative (FMA contraction and the block reduction's order differ); a
/// network whose parameters exceed shared memory takes the global-scratch path.
#include "spikemesh/landscape.hpp"

#include "support/cuda_fixture.hpp"
#include "support/random_network.hpp"

#include <algorithm>
#include <cmath>

namespace spikemesh {
namespace {

using testing::CudaTest;

void expect_parity(const LandscapeCase& c, Directions dirs, int points) {
  LandscapeMesh cpu = landscape_directions(c, dirs, 1.5, points, 7);
  LandscapeMesh gpu = cpu;
  landscape_loss_cpu(c, cpu, 2);
  std::string why;
  ASSERT_TRUE(landscape_loss_cuda(c, gpu, &why)) << why;
  EXPECT_EQ(gpu.backend, "cuda");
  ASSERT_EQ(gpu.train_loss.size(), cpu.train_loss.size());
  for (std::size_t i = 0; i < cpu.train_loss.size(); ++i) {
    EXPECT_NEAR(gpu.train_loss[i], cpu.train_loss[i], 1e-12 * (1.0 + std::fabs(cpu.train_loss[i])))
        << c.name << " " << directions_name(dirs) << " cell " << i;
  }
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
  for (const std::vector<int>& widths : {std::vector<int>{64, 64}, std::vector<int>{128, 96}}) {
    LandscapeCase c;
    c.name = "random";
    c.network = testing::random_network(5, 3, widths, Activation::Tanh);
    c.in_dim = 3;
    std::mt19937_64 rng(9);
    for (int i = 0; i < 300; ++i) { // more training points than threads per block
      const std::vector<double> x = testing::random_point(rng, 3);
      c.x.insert(c.x.end(), x.begin(), x.end());
      c.y.push_back(std::sin(3 * x[0]) * x[1]);
    }
    c.free = all_dense_params(c.network);
    for (const ParamRef& p : c.free) {
      const Layer& L = c.network.layers[static_cast<std::size_t>(p.layer)];
      c.theta_star.push_back(p.bias ? L.bias[static_cast<std::size_t>(p.row)]
                                    : L.weight[static_cast<std::size_t>(p.row) * L.in + p.col]);
    }
    expect_parity(c, Directions::FilterNormalized, 9);
  }
}

} // namespace
} // namespace spikemesh
