/// @file accumulator_checks.hpp
/// @brief Accumulator comparisons of the kernels' emulation tests: every field bit for bit, or
/// the fields that do not depend on the order of summation.
#pragma once

#include "spikemesh/math/point_stats.hpp"

#include <gtest/gtest.h>

#include <string>

namespace spikemesh::testing {

/// Every field of @p a and @p b bit for bit (counts, compensated sums with their terms,
/// extrema, both histograms); @p what names the comparison in a failure.
inline void expect_same_bits(const Accumulator& a, const Accumulator& b,
                             const std::string& what = "") {
  SCOPED_TRACE(what);
  EXPECT_EQ(a.scalar.points, b.scalar.points);
  EXPECT_EQ(a.scalar.spike_count, b.scalar.spike_count);
  EXPECT_EQ(a.scalar.nonfinite_count, b.scalar.nonfinite_count);
  EXPECT_EQ(a.scalar.correct_count, b.scalar.correct_count);
  EXPECT_EQ(a.scalar.undecided_count, b.scalar.undecided_count);
  const auto eq = [](const CompensatedSum& x, const CompensatedSum& y) {
    EXPECT_EQ(x.sum, y.sum);
    EXPECT_EQ(x.comp, y.comp);
  };
  eq(a.scalar.sum_f, b.scalar.sum_f);
  eq(a.scalar.sum_f2, b.scalar.sum_f2);
  eq(a.scalar.sum_abs_err, b.scalar.sum_abs_err);
  eq(a.scalar.sum_sq_err, b.scalar.sum_sq_err);
  eq(a.scalar.sum_sq_truth, b.scalar.sum_sq_truth);
  EXPECT_EQ(a.scalar.f_min, b.scalar.f_min);
  EXPECT_EQ(a.scalar.f_max, b.scalar.f_max);
  EXPECT_EQ(a.scalar.max_abs_err, b.scalar.max_abs_err);
  for (int i = 0; i < kFBins; ++i)
    EXPECT_EQ(a.bins.f_counts[i], b.bins.f_counts[i]) << "f bin " << i;
  for (int i = 0; i < kDistBins; ++i) {
    EXPECT_EQ(a.bins.dist_counts[i], b.bins.dist_counts[i]) << "dist bin " << i;
    eq(a.bins.dist_err_sum[i], b.bins.dist_err_sum[i]);
    EXPECT_EQ(a.bins.dist_err_max[i], b.bins.dist_err_max[i]);
  }
}

/// Every field that does not depend on the order of summation (the CPU backend sums per chunk).
inline void expect_same_counts(const Accumulator& a, const Accumulator& b,
                               const std::string& what = "") {
  SCOPED_TRACE(what);
  EXPECT_EQ(a.scalar.points, b.scalar.points);
  EXPECT_EQ(a.scalar.spike_count, b.scalar.spike_count);
  EXPECT_EQ(a.scalar.nonfinite_count, b.scalar.nonfinite_count);
  EXPECT_EQ(a.scalar.correct_count, b.scalar.correct_count);
  EXPECT_EQ(a.scalar.undecided_count, b.scalar.undecided_count);
  EXPECT_EQ(a.scalar.f_min, b.scalar.f_min);
  EXPECT_EQ(a.scalar.f_max, b.scalar.f_max);
  EXPECT_EQ(a.scalar.max_abs_err, b.scalar.max_abs_err);
  for (int i = 0; i < kFBins; ++i)
    EXPECT_EQ(a.bins.f_counts[i], b.bins.f_counts[i]) << "f bin " << i;
  for (int i = 0; i < kDistBins; ++i) {
    EXPECT_EQ(a.bins.dist_counts[i], b.bins.dist_counts[i]) << "dist bin " << i;
    EXPECT_EQ(a.bins.dist_err_max[i], b.bins.dist_err_max[i]) << "dist bin " << i;
  }
}

} // namespace spikemesh::testing
