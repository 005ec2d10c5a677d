/// @file compensated_sum.hpp
/// @brief Compensated summation in double: the error of every addition is captured exactly by
/// Knuth's branch-free TwoSum and accumulated in a second term.
#pragma once

#include "spikemesh/config.hpp"

namespace spikemesh {

/// Running sum with a compensation term; merging two sums in a fixed order is deterministic.
struct CompensatedSum {
  double sum = 0.0;
  double comp = 0.0;

  SM_HOST_DEVICE void add(double v) {
    const double t = sum + v;
    const double bp = t - sum;
    comp += (sum - (t - bp)) + (v - bp); // exact rounding error of sum + v (TwoSum)
    sum = t;
  }
  SM_HOST_DEVICE void merge(const CompensatedSum& o) {
    add(o.sum);
    comp += o.comp;
  }
  SM_HOST_DEVICE double value() const { return sum + comp; }
};

} // namespace spikemesh
