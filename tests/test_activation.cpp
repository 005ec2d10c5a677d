/// @file test_activation.cpp
/// @brief Activation values at known points and derivatives against central differences.
#include "spikemesh/math/activation.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace spikemesh {
namespace {

TEST(Activation, KnownValues) {
  EXPECT_EQ(activate(Activation::Identity, -2.5, 0.0), -2.5);
  EXPECT_EQ(activate(Activation::ReLU, -2.5, 0.0), 0.0);
  EXPECT_EQ(activate(Activation::ReLU, 2.5, 0.0), 2.5);
  EXPECT_EQ(activate(Activation::PReLU, -2.0, 0.25), -0.5);
  EXPECT_EQ(activate(Activation::PReLU, 3.0, 0.25), 3.0);
  EXPECT_DOUBLE_EQ(activate(Activation::Sigmoid, 0.0, 0.0), 0.5);
  EXPECT_DOUBLE_EQ(activate(Activation::Sigmoid, 2.0, 0.0), 1.0 / (1.0 + std::exp(-2.0)));
  EXPECT_DOUBLE_EQ(activate(Activation::Tanh, 0.7, 0.0), std::tanh(0.7));
  EXPECT_DOUBLE_EQ(activate(Activation::Softplus, 0.3, 0.0), std::log1p(std::exp(0.3)));
}

TEST(Activation, NoOverflowAtExtremes) {
  EXPECT_EQ(activate(Activation::Sigmoid, -1000.0, 0.0), 0.0);
  EXPECT_EQ(activate(Activation::Sigmoid, 1000.0, 0.0), 1.0);
  EXPECT_EQ(activate(Activation::Softplus, 1000.0, 0.0), 1000.0);
  EXPECT_TRUE(std::isfinite(activate(Activation::Softplus, -1000.0, 0.0)));
  EXPECT_EQ(activate(Activation::Sigmoid, -200.0f, 0.0f), 0.0f);
}

TEST(Activation, DerivativeMatchesCentralDifference) {
  const double h = 1e-6;
  for (Activation a :
       {Activation::Sigmoid, Activation::Tanh, Activation::Softplus, Activation::Identity}) {
    for (double t : {-3.0, -0.4, 0.0, 0.9, 2.5}) {
      const double fd = (activate(a, t + h, 0.0) - activate(a, t - h, 0.0)) / (2 * h);
      EXPECT_NEAR(activate_derivative(a, t, 0.0), fd, 1e-8) << static_cast<int>(a) << " at " << t;
    }
  }
  EXPECT_EQ(activate_derivative(Activation::ReLU, 1.0, 0.0), 1.0);
  EXPECT_EQ(activate_derivative(Activation::PReLU, -1.0, 0.3), 0.3);
}

} // namespace
} // namespace spikemesh
