/// @file test_certify_cuda.cpp
/// @brief The GPU certify engine against the CPU (R14): the same bounds and split axes box by box
/// (piecewise-linear networks: bit for bit, the kernels round as the CPU does), the same hits on
/// the same sample streams, hence identical certify results; smooth activations within rounding.
#include "spikemesh/certify.hpp"
#include "spikemesh/constructions.hpp"

#include "support/cuda_fixture.hpp"
#include "support/random_network.hpp"

#include <cmath>

namespace spikemesh {
namespace {

using testing::CudaTest;

void expect_same_bounds(const Network& net, bool exact) {
  const BoxBounder bounder(net, BoundMethod::Interval);
  std::string why;
  const std::unique_ptr<BoxEngine> gpu = make_cuda_box_engine(net, bounder, &why);
  ASSERT_TRUE(gpu) << why;
  const std::size_t d = static_cast<std::size_t>(net.in_dim);
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> boxes;
  for (int b = 0; b < 700; ++b) { // more boxes than blocks
    const double width = std::pow(10.0, -2.0 * u(rng));
    std::vector<double> lo(d), hi(d);
    for (std::size_t k = 0; k < d; ++k) {
      lo[k] = u(rng) * (1 - width);
      hi[k] = lo[k] + width * (0.2 + 0.8 * u(rng));
    }
    boxes.insert(boxes.end(), lo.begin(), lo.end());
    boxes.insert(boxes.end(), hi.begin(), hi.end());
  }
  std::vector<BoxBound> out(700);
  gpu->bound(boxes.data(), out.size(), out.data());
  BoundScratch s;
  for (std::size_t b = 0; b < out.size(); ++b) {
    const double* lo = &boxes[b * 2 * d];
    const BoxBound cpu = bounder.bound(lo, lo + d, s);
    if (exact) {
      EXPECT_EQ(out[b].f.lo, cpu.f.lo) << "box " << b;
      EXPECT_EQ(out[b].f.hi, cpu.f.hi) << "box " << b;
      EXPECT_EQ(out[b].split_axis, cpu.split_axis) << "box " << b;
    } else {
      EXPECT_NEAR(out[b].f.lo, cpu.f.lo, 1e-12 * (1 + std::fabs(cpu.f.lo))) << "box " << b;
      EXPECT_NEAR(out[b].f.hi, cpu.f.hi, 1e-12 * (1 + std::fabs(cpu.f.hi))) << "box " << b;
    }
  }
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
    EXPECT_EQ(gpu.boxes_undecided, cpu.boxes_undecided);
    EXPECT_EQ(gpu.boxes_inside, cpu.boxes_inside);
    EXPECT_EQ(gpu.certified_volume_upper, cpu.certified_volume_upper);
    EXPECT_EQ(gpu.samples_used, cpu.samples_used);
    EXPECT_EQ(gpu.volume_estimate, cpu.volume_estimate);
    EXPECT_EQ(gpu.volume_ci_high, cpu.volume_ci_high);
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
