/// @file certify_checks.hpp
/// @brief Checks shared by the GPU certify tests and their host emulation: an engine's bounds
/// box by box against BoxBounder, and two certify results field by field.
#pragma once

#include "spikemesh/certify.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace spikemesh::testing {

/// @p count random boxes in [0, 1]^d, edges from 1e-2 to 1 ([2 d] doubles each).
inline std::vector<double> random_boxes(int d, int count, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> boxes;
  const std::size_t ud = static_cast<std::size_t>(d);
  for (int b = 0; b < count; ++b) {
    const double width = std::pow(10.0, -2.0 * u(rng));
    std::vector<double> lo(ud), hi(ud);
    for (std::size_t k = 0; k < ud; ++k) {
      lo[k] = u(rng) * (1 - width);
      hi[k] = lo[k] + width * (0.2 + 0.8 * u(rng));
    }
    boxes.insert(boxes.end(), lo.begin(), lo.end());
    boxes.insert(boxes.end(), hi.begin(), hi.end());
  }
  return boxes;
}

/// @p engine's bounds and split axes of 700 random boxes (more than a GPU grid's blocks) against
/// BoxBounder's: identical when @p exact, else within 1e-12 (the device's own tanh/exp).
inline void expect_engine_bounds(BoxEngine& engine, const BoxBounder& bounder, bool exact) {
  const Network& net = bounder.network();
  const std::size_t d = static_cast<std::size_t>(net.in_dim);
  const std::vector<double> boxes = random_boxes(net.in_dim, 700, 3);
  std::vector<BoxBound> out(boxes.size() / (2 * d));
  engine.bound(boxes.data(), out.size(), out.data());
  BoundScratch s;
  for (std::size_t b = 0; b < out.size(); ++b) {
    const double* lo = &boxes[b * 2 * d];
    const BoxBound cpu = bounder.bound(lo, lo + d, s);
    if (exact) {
      ASSERT_EQ(out[b].f.lo, cpu.f.lo) << "box " << b;
      ASSERT_EQ(out[b].f.hi, cpu.f.hi) << "box " << b;
      ASSERT_EQ(out[b].split_axis, cpu.split_axis) << "box " << b;
    } else {
      ASSERT_NEAR(out[b].f.lo, cpu.f.lo, 1e-12 * (1 + std::fabs(cpu.f.lo))) << "box " << b;
      ASSERT_NEAR(out[b].f.hi, cpu.f.hi, 1e-12 * (1 + std::fabs(cpu.f.hi))) << "box " << b;
    }
  }
}

/// Two certify runs that must agree exactly: same boxes, samples, hits and intervals.
inline void expect_same_certify(const CertifyResult& a, const CertifyResult& b) {
  EXPECT_EQ(a.boxes_processed, b.boxes_processed);
  EXPECT_EQ(a.boxes_undecided, b.boxes_undecided);
  EXPECT_EQ(a.boxes_inside, b.boxes_inside);
  EXPECT_EQ(a.certified_volume_lower, b.certified_volume_lower);
  EXPECT_EQ(a.certified_volume_upper, b.certified_volume_upper);
  EXPECT_EQ(a.samples_used, b.samples_used);
  EXPECT_EQ(a.volume_estimate, b.volume_estimate);
  EXPECT_EQ(a.volume_ci_low, b.volume_ci_low);
  EXPECT_EQ(a.volume_ci_high, b.volume_ci_high);
}

} // namespace spikemesh::testing
