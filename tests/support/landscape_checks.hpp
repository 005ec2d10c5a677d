/// @file landscape_checks.hpp
/// @brief Checks shared by the GPU landscape tests and their host emulation: a landscape mesh
/// filled by another path against landscape_loss_cpu(), and a random regression case.
#pragma once

#include "spikemesh/landscape.hpp"

#include "random_network.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace spikemesh::testing {

/// @p fill (LandscapeCase, LandscapeMesh&, std::string* why) -> bool against the CPU mesh:
/// losses within 1e-12 relative (summation orders differ), the backend named @p backend.
template <class Fill>
void expect_landscape_parity(const LandscapeCase& c, Directions dirs, int points, Fill&& fill,
                             const std::string& backend) {
  LandscapeMesh cpu = landscape_directions(c, dirs, 1.5, points, 7);
  LandscapeMesh other = cpu;
  landscape_loss_cpu(c, cpu, 2);
  std::string why;
  ASSERT_TRUE(fill(c, other, &why)) << why;
  EXPECT_EQ(other.backend, backend);
  ASSERT_EQ(other.train_loss.size(), cpu.train_loss.size());
  for (std::size_t i = 0; i < cpu.train_loss.size(); ++i) {
    ASSERT_NEAR(other.train_loss[i], cpu.train_loss[i],
                1e-12 * (1.0 + std::fabs(cpu.train_loss[i])))
        << c.name << " " << directions_name(dirs) << " cell " << i;
  }
}

/// A 3-input tanh regression network of hidden @p widths with every dense parameter free and
/// 300 training points (more than a block's threads).
inline LandscapeCase random_landscape_case(const std::vector<int>& widths) {
  LandscapeCase c;
  c.name = "random";
  c.network = random_network(5, 3, widths, Activation::Tanh);
  c.in_dim = 3;
  std::mt19937_64 rng(9);
  for (int i = 0; i < 300; ++i) {
    const std::vector<double> x = random_point(rng, 3);
    c.x.insert(c.x.end(), x.begin(), x.end());
    c.y.push_back(std::sin(3 * x[0]) * x[1]);
  }
  c.free = all_dense_params(c.network);
  c.theta_star = param_values(c.network, c.free);
  return c;
}

} // namespace spikemesh::testing
