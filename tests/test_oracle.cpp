/// @file test_oracle.cpp
/// @brief The analytic ground truth against independently computed values (6 significant
/// digits) of the closed forms of docs/math.md sections 2.3 and 4.3.
#include "spikemesh/constructions.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace spikemesh {
namespace {

struct Row {
  int d, n;
  double b, rho, v_half, int_f, int_f2;
};

// Closed forms of docs/math.md 2.3 (6 significant digits; compared to 2e-5 relative).
const Row kTable[] = {
    {1, 6, 0.1, 1, 1, 0.9, 0.8107},
    {1, 6, 0.9, 0.2, 0.1, 0.1, 0.0666667},
    {2, 4, 1.1, 0.98, 0.5975, 0.54, 0.35428},
    {2, 4, 1.5, 0.5, 0.125, 0.166667, 0.0833333},
    {2, 4, 1.99, 0.0002, 5e-05, 6.66667e-05, 3.33333e-05},
    {3, 4, 2.1, 0.716, 0.18275, 0.243, 0.117427},
    {3, 4, 2.9, 0.00133333, 0.000166667, 0.000333333, 0.000133333},
    {6, 3, 5.1, 0.0450547, 0.000840968, 0.00674846, 0.00174876},
    {6, 3, 5.9, 8.88889e-08, 1.38889e-09, 1.26984e-08, 3.1746e-09},
    {10, 2, 9.1, 9.80966e-05, 9.69878e-08, 8.94477e-06, 1.49434e-06},
    {10, 2, 9.9, 2.82187e-14, 2.75573e-17, 2.56534e-15, 4.27556e-16},
};

TEST(ReluOracle, MatchesTable) {
  for (const Row& r : kTable) {
    const double s = r.d - r.b;
    TrainingSet t = make_training_grid(r.d, r.n); // y = 1
    EXPECT_NEAR(relu_spike_volume(r.d, s), r.rho, 2e-5 * r.rho) << "d=" << r.d << " b=" << r.b;
    EXPECT_NEAR(relu_superlevel_volume(r.d, s, 0.5), r.v_half, 2e-5 * r.v_half) << r.d;
    EXPECT_NEAR(relu_spike_integral(t, s), r.int_f, 2e-5 * r.int_f) << r.d;
    EXPECT_NEAR(relu_spike_sq_integral(t, s), r.int_f2, 2e-5 * r.int_f2) << r.d;
  }
}

TEST(ReluOracle, SuperlevelOverlapRegime) {
  // V_tau(s) of docs/math.md 2.3, evaluated independently.
  EXPECT_NEAR(relu_superlevel_volume(2, 0.9, 0.1), 0.93590, 1e-5);
  EXPECT_NEAR(relu_superlevel_volume(2, 0.9, 0.8), 0.17360, 1e-5);
  EXPECT_NEAR(relu_superlevel_volume(3, 0.7, 0.25), 0.200531, 1e-6);
  EXPECT_NEAR(relu_superlevel_volume(3, 0.95, 0.5), 0.23321, 1e-5);
  EXPECT_NEAR(relu_superlevel_volume(1, 0.7, 0.8), 0.28, 1e-12);
}

TEST(ReluOracle, MixedLabelsIntegralUsesSignedBalls) {
  // Two-point 1-D grid with y = (1, -1): the half balls cancel exactly.
  TrainingSet t = make_training_grid(1, 2);
  t.y = {1.0, -1.0};
  EXPECT_NEAR(relu_spike_integral(t, 0.4), 0.0, 1e-15);
  // f^2 for s <= 1/2: two half balls of 2/((d+1)(d+2)) * (2r)^d/d! each.
  EXPECT_NEAR(relu_spike_sq_integral(t, 0.4), 0.8 / 3.0, 1e-15);
}

TEST(SigmoidOracle, HalfWidthAndVolumeTable) {
  EXPECT_NEAR(sigmoid_bump_halfwidth(0.5, 1.0), 1.937606, 1e-6);
  EXPECT_NEAR(sigmoid_bump_halfwidth(0.9, 1.0), 0.735088, 1e-6);
  EXPECT_NEAR(sigmoid_bump_halfwidth(0.99, 2.0), 0.308941, 1e-6);
  EXPECT_NEAR(sigmoid_bump(0.0, 1.0), 1.0, 1e-15);
  EXPECT_NEAR(sigmoid_bump(sigmoid_bump_halfwidth(0.7, 1.0), 1.0), 0.7, 1e-12);
  const struct {
    int d;
    double beta, v;
  } table[] = {{1, 0.5, 3.87521},   {1, 0.99, 0.452358}, {2, 1.5, 10.4756}, {2, 1.9, 1.67125},
               {2, 1.99, 0.160481}, {3, 2.5, 23.1795},   {3, 2.9, 1.60293}, {3, 2.99, 0.0482984}};
  for (const auto& r : table) {
    EXPECT_NEAR(sigmoid_bump_volume(r.d, r.beta, 1.0), r.v, 1e-5 * r.v) << r.d << " " << r.beta;
  }
}

TEST(SigmoidOracle, CaseVolumeMatchesTable) {
  // docs/math.md 4.3 and 10: d=2, n=4, a=1, K=30, L=60, b=1.9: vol{f > 0.5} analytic 0.016727.
  CaseParams p;
  p.construction = "sigmoid-spike";
  p.dim = 2;
  p.bias = 1.9;
  p.K = 30;
  p.L = 60;
  p.task = Task::Approximate;
  p.tau = 0.5;
  EXPECT_NEAR(build_case(p).oracle.spike_volume, 0.016727, 2e-6);
  p.tau = 0.01;
  EXPECT_NEAR(build_case(p).oracle.spike_volume, 0.030629, 2e-6);
}

} // namespace
} // namespace spikemesh
