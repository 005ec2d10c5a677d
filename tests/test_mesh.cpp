/// @file test_mesh.cpp
/// @brief Mesh decode is a bijection, points sit where the centring says, bad options are named.
#include "spikemesh/errors.hpp"
#include "spikemesh/math/truth.hpp"
#include "spikemesh/mesh_spec.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>
#include <vector>

namespace spikemesh {
namespace {

TEST(Mesh, DecodeIsBijection) {
  MeshSpec s;
  s.dim = 3;
  s.points_per_axis = {3, 5, 7};
  const MeshView m = make_mesh_view(s);
  ASSERT_EQ(m.total, 105);
  std::set<std::vector<index_t>> seen;
  for (index_t i = 0; i < m.total; ++i) {
    index_t k[kMaxDim];
    mesh_decode(m, i, k);
    EXPECT_LT(k[0], 3);
    EXPECT_LT(k[1], 5);
    EXPECT_LT(k[2], 7);
    EXPECT_EQ(k[0] + 3 * (k[1] + 5 * k[2]), i); // axis 0 fastest
    seen.insert({k[0], k[1], k[2]});
  }
  EXPECT_EQ(seen.size(), 105u);
}

TEST(Mesh, CellCentresAndVertices) {
  MeshSpec s;
  s.dim = 2;
  s.points_per_axis = {4};
  s.lo = -1.0;
  s.hi = 1.0;
  const MeshView cell = make_mesh_view(s);
  double x[2];
  mesh_point(cell, 0, x);
  EXPECT_DOUBLE_EQ(x[0], -0.75);
  EXPECT_DOUBLE_EQ(x[1], -0.75);
  mesh_point(cell, 15, x);
  EXPECT_DOUBLE_EQ(x[0], 0.75);
  EXPECT_DOUBLE_EQ(x[1], 0.75);
  s.centring = Centring::Vertex;
  const MeshView vert = make_mesh_view(s);
  mesh_point(vert, 0, x);
  EXPECT_EQ(x[0], -1.0);
  mesh_point(vert, 15, x);
  EXPECT_EQ(x[0], 1.0);
  EXPECT_EQ(x[1], 1.0);
  // Cell volumes sum to the box volume.
  EXPECT_DOUBLE_EQ(cell.step[0] * cell.step[1] * static_cast<double>(cell.total), box_volume(s));
}

TEST(Mesh, HugeMeshIndexAbove2To32) {
  MeshSpec s;
  s.dim = 3;
  s.points_per_axis = {100000}; // 10^15 points: never materialised
  const MeshView m = make_mesh_view(s);
  EXPECT_EQ(m.total, index_t(1000000000000000));
  index_t k[kMaxDim];
  const index_t i = index_t(123456789012345);
  mesh_decode(m, i, k);
  EXPECT_EQ(k[0] + 100000 * (k[1] + 100000 * k[2]), i);
}

TEST(Mesh, InvalidOptionsAreNamed) {
  MeshSpec s;
  s.points_per_axis = {0};
  try {
    make_mesh_view(s);
    FAIL() << "accepted 0 points per axis";
  } catch (const InvalidParameter& e) {
    EXPECT_EQ(e.field(), "points-per-axis");
  }
  s.points_per_axis = {10};
  s.lo = 1.0;
  s.hi = 0.0;
  EXPECT_THROW(make_mesh_view(s), InvalidParameter);
  s.lo = 0.0;
  s.hi = 1.0;
  s.dim = 40;
  EXPECT_THROW(make_mesh_view(s), InvalidParameter);
  s.dim = 8;
  s.points_per_axis = {1000000}; // 10^48 > 2^63
  try {
    make_mesh_view(s);
    FAIL() << "accepted an overflowing mesh";
  } catch (const InvalidParameter& e) {
    EXPECT_EQ(e.field(), "points-per-axis");
  }
  s.points_per_axis = {4, 4};
  EXPECT_THROW(make_mesh_view(s), InvalidParameter); // 2 values for dim 8
  s.dim = 2;
  s.centring = Centring::Vertex;
  s.points_per_axis = {1};
  EXPECT_THROW(make_mesh_view(s), InvalidParameter);
}

// ---- the regression target's sin(pi x) ---------------------------------------------------------

// sin_pi() against long double sin(pi x) (x86 extended: pi and the product within 2^-64, an
// absolute error of about 2e-19 near the zeros): within 2 ulp of the result (the rounded pi r
// and the library's sin) plus 2^-60 for the reference's own error. Near the zeros of sin(pi x)
// the plain sin(pi * x) in double is off by up to ulp(pi) / 2 = 2.2e-16, far outside this.
TEST(SinPi, ExactAtIntegersAndHalvesCloseElsewhere) {
  for (int k = -6; k <= 6; ++k) {
    EXPECT_EQ(sin_pi(k), 0.0) << k;
    EXPECT_EQ(sin_pi(k + 0.5), (k % 2 == 0) ? 1.0 : -1.0) << k;
  }
  EXPECT_EQ(sin_pi(0x1p60 + 0x1p8), 0.0); // even integers beyond 2^53
  std::vector<double> xs;
  for (int k = -3; k <= 3; ++k)
    for (int j = 1; j <= 50; j += 7) {
      xs.push_back(k + std::ldexp(1.0, -j));
      xs.push_back(k - std::ldexp(1.0, -j));
    }
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(-3.0, 3.0);
  for (int i = 0; i < 2000; ++i)
    xs.push_back(u(rng));
  const long double pi = 3.141592653589793238462643383279502884L;
  for (double x : xs) {
    const long double ref = std::sin(pi * static_cast<long double>(x));
    const long double tol = std::ldexp(std::fabs(ref), -52) + std::ldexp(1.0L, -60);
    EXPECT_LE(std::fabs(static_cast<long double>(sin_pi(x)) - ref), tol) << std::hexfloat << x;
  }
  // The target multiplies the axes' factors: prod_k sin(pi x_k).
  const double x[3] = {0.25, 1.0 / 3.0, 1.0};
  EXPECT_EQ(target_value(Target::Sin, x, 3), 0.0);
  EXPECT_EQ(target_value(Target::Sin, x, 2), sin_pi(0.25) * sin_pi(1.0 / 3.0));
}

} // namespace
} // namespace spikemesh
