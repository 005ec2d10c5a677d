/// @file test_landscape.cpp
/// @brief The spurious-minimum cases against docs/math.md section 9: losses, verdicts,
/// Hessian eigenvalues, global minima, landscape symmetry.
#include "spikemesh/errors.hpp"
#include "spikemesh/landscape.hpp"

#include "support/landscape_checks.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace spikemesh {
namespace {

VerdictOptions fast() {
  VerdictOptions o;
  o.directions_per_radius = 5000;
  return o;
}

TEST(Landscape, ReluDeadNeuronIsSpurious) {
  const LandscapeCase c = make_landscape_case("relu-dead-neuron");
  const Verdict v = analyse_critical_point(c, fast());
  EXPECT_EQ(v.loss, 1.0);
  EXPECT_EQ(v.grad_norm, 0.0);
  EXPECT_GE(v.min_loss_change, -1e-12); // flat: F = 1 on the whole half-plane v < 0
  EXPECT_EQ(v.global_loss, 0.0);
  EXPECT_EQ(v.verdict, "spurious_local_minimum");
}

TEST(Landscape, SigmoidThreePointMatchesTable) {
  const LandscapeCase c = make_landscape_case("sigmoid-three-point");
  const Verdict v = analyse_critical_point(c, fast());
  EXPECT_NEAR(v.loss, 9.8665552677, 1e-9);
  EXPECT_NEAR(v.global_loss, 8.8362174986, 1e-9);
  EXPECT_LT(v.grad_norm, 1e-6);
  EXPECT_GT(v.min_loss_change, 0.0); // strict minimum: every sphere point is higher
  ASSERT_EQ(v.hessian_eigenvalues.size(), 2u);
  EXPECT_NEAR(v.hessian_eigenvalues[0], 0.284, 2e-3);
  EXPECT_NEAR(v.hessian_eigenvalues[1], 1.631, 2e-3);
  // independent check: min change +1.4e-9, 1.4e-7, 1.4e-5, 1.3e-3 at r = 1e-4 .. 1e-1
  EXPECT_NEAR(v.min_change_per_radius[0], 1.4e-9, 0.2e-9);
  EXPECT_NEAR(v.min_change_per_radius[3], 1.3e-3, 0.2e-3);
  EXPECT_EQ(v.verdict, "spurious_local_minimum");
  // The global minimiser is itself a (global) minimum with the stated Hessian.
  LandscapeCase g = c;
  g.theta_star = c.theta_global;
  const Verdict vg = analyse_critical_point(g, fast());
  EXPECT_EQ(vg.verdict, "global_minimum");
  EXPECT_NEAR(vg.hessian_eigenvalues[0], 0.311, 2e-3);
  EXPECT_NEAR(vg.hessian_eigenvalues[1], 3.440, 2e-3);
}

TEST(Landscape, AffineSegmentIsSpuriousAtEveryWidth) {
  for (const char* name : {"affine-segment", "affine-segment-deep", "affine-segment-wide"}) {
    const LandscapeCase c = make_landscape_case(name);
    const Verdict v = analyse_critical_point(c, fast());
    EXPECT_NEAR(v.loss, 2.0 / 3.0, 1e-12) << name;
    EXPECT_LT(v.grad_norm, 1e-6) << name;
    EXPECT_GE(v.min_loss_change, -1e-10) << name;
    EXPECT_EQ(v.verdict, "spurious_local_minimum") << name;
    if (!c.theta_global.empty()) {
      EXPECT_NEAR(v.global_loss, 0.0, 1e-15) << name;
    }
  }
}

TEST(Landscape, LinearSaddleIsASaddle) {
  const LandscapeCase c = make_landscape_case("linear-saddle");
  const Verdict v = analyse_critical_point(c, fast());
  EXPECT_EQ(v.loss, 1.0);
  EXPECT_LT(v.grad_norm, 1e-9);
  EXPECT_NEAR(v.min_change_per_radius[0], -1e-8, 1e-10);
  EXPECT_NEAR(v.min_change_per_radius[3], -9.97e-3, 1e-4);
  ASSERT_EQ(v.hessian_eigenvalues.size(), 2u);
  EXPECT_NEAR(v.hessian_eigenvalues[0], -2.0, 1e-4);
  EXPECT_NEAR(v.hessian_eigenvalues[1], 2.0, 1e-4);
  EXPECT_EQ(v.verdict, "saddle");
}

TEST(Landscape, NotCriticalAwayFromMinima) {
  LandscapeCase c = make_landscape_case("sigmoid-three-point");
  c.theta_star = {0.5, 0.5};
  EXPECT_EQ(analyse_critical_point(c, fast()).verdict, "not_critical");
}

TEST(Landscape, MeshIsSymmetricWhereTheCaseIs) {
  // F(u, v) = (uv - 1)^2 is symmetric under (u, v) -> (v, u) and (u, v) -> (-u, -v).
  const LandscapeCase c = make_landscape_case("linear-saddle");
  const LandscapeMesh m = landscape_mesh(c, Directions::Axes, 2.0, 41, 1, 2);
  const std::size_t n = 41;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      const double f = m.train_loss[i * n + j];
      EXPECT_DOUBLE_EQ(f, m.train_loss[j * n + i]);
      EXPECT_NEAR(f, m.train_loss[(n - 1 - i) * n + (n - 1 - j)], 1e-12); // coordinates +-t
      const double u = m.xcoordinates[i], v = m.ycoordinates[j];
      EXPECT_NEAR(f, (u * v - 1) * (u * v - 1), 1e-12);
    }
  }
  // S1 is flat (F = 1) on the whole half-plane v < 0 around its point.
  const LandscapeMesh s1 =
      landscape_mesh(make_landscape_case("relu-dead-neuron"), Directions::Axes, 0.5, 21, 1, 2);
  for (double f : s1.train_loss)
    EXPECT_EQ(f, 1.0);
}

TEST(Landscape, DirectionsAreNormalised) {
  const LandscapeCase c = make_landscape_case("affine-segment-wide");
  const LandscapeMesh r = landscape_mesh(c, Directions::Random, 1.0, 5, 3, 1);
  double uu = 0, uv = 0;
  for (std::size_t i = 0; i < r.u.size(); ++i) {
    uu += r.u[i] * r.u[i];
    uv += r.u[i] * r.v[i];
  }
  EXPECT_NEAR(uu, 1.0, 1e-12);
  EXPECT_NEAR(uv, 0.0, 1e-12);
  const LandscapeMesh f = landscape_mesh(c, Directions::FilterNormalized, 1.0, 5, 3, 1);
  for (std::size_t i = 0; i < c.free.size(); ++i) {
    if (c.free[i].bias) {
      EXPECT_EQ(f.u[i], 0.0);
    }
  }
  // The centre of the mesh is theta* itself.
  EXPECT_NEAR(f.train_loss[2 * 5 + 2], 2.0 / 3.0, 1e-12);
  EXPECT_THROW(make_landscape_case("no-such-case"), InvalidParameter);
}

} // namespace
} // namespace spikemesh

namespace spikemesh {
namespace {

// The GPU kernel's per-cell code (math/landscape_block.hpp) emulated on the host against the CPU
// mesh: the packed layout of theta* and the directions, the parameter and training-point
// partition across a block's threads. A GPU adds the launch and the block sum's order.
TEST(LandscapeEmulated, KernelMatchesCpuForEveryCase) {
  for (const std::string& name : landscape_case_names()) {
    const LandscapeCase c = make_landscape_case(name, 3);
    for (Directions d : {Directions::Axes, Directions::Random, Directions::FilterNormalized}) {
      if (d == Directions::Axes && c.theta_star.size() < 2) continue;
      for (int threads : {1, 3, 128}) {
        testing::expect_landscape_parity(
            c, d, 17,
            [threads](const LandscapeCase& k, LandscapeMesh& m, std::string* why) {
              return landscape_loss_emulated(k, m, threads, why);
            },
            "cuda-emulated");
      }
    }
  }
}

TEST(LandscapeEmulated, KernelMatchesCpuForAWideNetwork) {
  const LandscapeCase c = testing::random_landscape_case({128, 96});
  testing::expect_landscape_parity(
      c, Directions::FilterNormalized, 5,
      [](const LandscapeCase& k, LandscapeMesh& m, std::string* why) {
        return landscape_loss_emulated(k, m, 128, why);
      },
      "cuda-emulated");
}

} // namespace
} // namespace spikemesh
