/// @file compensated_sum.hpp
/// @brief Kahan-Babuska (Neumaier) compensated summation in double.
#pragma once

#include "spikemesh/config.hpp"

#include <cmath>

namespace spikemesh {

/// Running sum with a compensation term; merging two sums in a fixed order is deterministic.
struct CompensatedSum {
  double sum = 0.0;
  double comp = 0.0;

  SM_HOST_DEVICE void add(double v) {
    const double t = sum + v;
    if (std::fabs(sum) >= std::fabs(v)) {
      comp += (sum - t) + v;
    } else {
      comp += (v - t) + sum;
    }
    sum = t;
  }
  SM_HOST_DEVICE void merge(const CompensatedSum& o) {
    add(o.sum);
    comp += o.comp;
  }
  SM_HOST_DEVICE double value() const { return sum + comp; }
};

} // namespace spikemesh
