/// @file test_backend_cuda.cpp
/// @brief CUDA backend against the CPU backend (R14), with the checks of backend_parity.hpp
/// (test_backend_emulated.cpp runs the same checks on the kernel's code emulated on the host).
#include "spikemesh/evaluator.hpp"

#include "support/backend_parity.hpp"
#include "support/cuda_fixture.hpp"

namespace spikemesh {
namespace {

using testing::CudaTest;

std::unique_ptr<Evaluator> make_cuda() {
  std::string notice;
  return make_evaluator(Backend::Cuda, 0, &notice);
}

class CudaParity : public CudaTest {};

SM_BACKEND_PARITY_TESTS(CudaParity, make_cuda)

TEST(CudaBackend, CudaWithoutDeviceIsAClearError) {
  std::string why;
  if (cuda_available(&why)) GTEST_SKIP() << "a device is present";
  std::string notice;
  EXPECT_THROW(make_evaluator(Backend::Cuda, 0, &notice), std::runtime_error);
  auto ev = make_evaluator(Backend::Auto, 0, &notice);
  EXPECT_EQ(ev->name(), "cpu");
  EXPECT_NE(notice.find("CPU"), std::string::npos);
}

} // namespace
} // namespace spikemesh
