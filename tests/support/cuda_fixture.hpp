/// @file cuda_fixture.hpp
/// @brief GPU test fixture: skips (never fails) when no CUDA device is usable (R13).
#pragma once

#include "spikemesh/evaluator.hpp"

#include <gtest/gtest.h>

namespace spikemesh::testing {

class CudaTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string why;
    if (!cuda_available(&why)) GTEST_SKIP() << "no CUDA device: " << why;
  }
};

} // namespace spikemesh::testing
