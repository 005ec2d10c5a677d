/// @file test_certify_cuda.cpp
/// @brief The GPU certify engine against the CPU (R14): the same bounds and split axes box by box
/// (piecewise-linear networks: bit for bit, the kernels round as the CPU does), the same hits on
/// the same sample streams, hence identical certify results; smooth activations within rounding.
#include "spikemesh/certify.hpp"
#include "spikemesh/constructions.hpp"

#include "certify_boxes.hpp"
#include "device_buffer.hpp"
#include "support/certify_checks.hpp"
#include "support/cuda_fixture.hpp"
#include "support/random_network.hpp"

#include <cmath>
#include <vector>

namespace spikemesh {
namespace {

using testing::CudaTest;

void expect_same_bounds(const Network& net, bool exact) {
  const BoxBounder bounder(net, BoundMethod::Interval);
  std::string why;
  const std::unique_ptr<BoxEngine> gpu = make_cuda_box_engine(net, bounder, &why);
  ASSERT_TRUE(gpu) << why;
  testing::expect_engine_bounds(*gpu, bounder, exact);
}

// Boxes allotted no sample points still get their hit counts cleared: the engine downloads
// count hits after every call (a launcher that returned before the clear left the previous
// round's hits in place).
TEST_F(CudaTest, SampleBoxesClearsHitsWhenNothingIsSampled) {
  cuda::CudaStream stream;
  const std::vector<std::int64_t> poison(3, 12345), offsets(4, 0); // 3 boxes, 0 points each
  cuda::DeviceBuffer<std::int64_t> hits(poison, stream.get());
  cuda::DeviceBuffer<std::int64_t> offs(offsets, stream.get());
  cuda::SampleArgs a;
  a.count = 3;
  a.offsets = offs.data();
  a.hits = hits.data();
  cuda::launch_sample_boxes(a, 32, 0, 1, stream.get());
  const std::vector<std::int64_t> after = hits.download(stream.get(), 3);
  EXPECT_EQ(after, std::vector<std::int64_t>(3, 0));
}

TEST_F(CudaTest, CertifyBoundsMatchTheCpuBoxByBox) {
  for (const char* name : {"relu-spike", "prelu-spike"}) {
    CaseParams p;
    p.construction = name;
    p.dim = 4;
    p.train_per_axis = 3;
    p.bias = 3.5;
    expect_same_bounds(build_case(p).network, true); // separable path
  }
  expect_same_bounds(testing::random_network(2, 3, {16, 16}, Activation::ReLU), true);
  expect_same_bounds(testing::random_network(2, 5, {20, 12}, Activation::ReLU, 0.5), true);
  expect_same_bounds(testing::random_network(2, 3, {16, 16}, Activation::Tanh), false);
}

CertifyResult run(const Network& net, int d, Backend backend, std::int64_t budget,
                  std::int64_t samples, double tau) {
  CertifyOptions opt;
  opt.box_budget = budget;
  opt.samples = samples;
  opt.tau = tau;
  opt.bounds = BoundMethod::Interval;
  opt.backend = backend;
  return certify_volume(net, d, 0.0, 1.0, opt);
}

TEST_F(CudaTest, CertifyResultsMatchTheCpu) {
  const struct {
    int d, n;
    double b;
  } cases[] = {{2, 4, 1.9}, {6, 3, 5.5}, {10, 2, 9.1}}; // d = 10: a streamed 1024-wide layer
  for (const auto& k : cases) {
    const CaseParams p = CaseParams::relu_spike(k.d, k.n, k.b);
    const Case c = build_case(p);
    const CertifyResult cpu = run(c.network, k.d, Backend::Cpu, 20000, 300000, 0.0);
    const CertifyResult gpu = run(c.network, k.d, Backend::Cuda, 20000, 300000, 0.0);
    SCOPED_TRACE("d=" + std::to_string(k.d));
    EXPECT_EQ(gpu.engine, "cuda");
    testing::expect_same_certify(gpu, cpu);
  }
}

TEST_F(CudaTest, CertifyLinearBoundsStayOnTheCpu) {
  const Network net = testing::random_network(2, 3, {16, 16, 16}, Activation::ReLU);
  const BoxBounder bounder(net, BoundMethod::Linear);
  std::string why;
  EXPECT_FALSE(make_cuda_box_engine(net, bounder, &why));
  EXPECT_NE(why.find("linear"), std::string::npos);
}

} // namespace
} // namespace spikemesh
