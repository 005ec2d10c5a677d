/// @file test_certify_emulated.cpp
/// @brief The certify kernels' per-box code (math/box_block.hpp) emulated on the host against
/// the CPU engine, without a device: bounds and split axes bit for bit for every activation and
/// block size (the kernels' data layout, row partition and phases), sample hits on the same
/// streams, hence identical certify results. A GPU adds only the launch and the device's own
/// rounding of tanh/exp (test_certify_cuda.cpp).
#include "spikemesh/certify.hpp"
#include "spikemesh/constructions.hpp"

#include "support/certify_checks.hpp"
#include "support/random_network.hpp"

#include <gtest/gtest.h>

namespace spikemesh {
namespace {

TEST(CertifyEmulated, StreamCoordinatesAreTheSequentialStream) {
  const std::uint64_t start = box_math::box_stream(7, 12, 3);
  std::uint64_t state = start;
  for (std::uint64_t draw = 0; draw < 1000; ++draw) {
    const double expected = 0.25 + 0.5 * box_math::unit_double(box_math::splitmix64(state));
    ASSERT_EQ(box_math::stream_coordinate(start, draw, 0.25, 0.75), expected) << draw;
  }
}

void expect_emulated_bounds(const Network& net) {
  const BoxBounder bounder(net, BoundMethod::Interval);
  for (int threads : {1, 3, 128}) { // one thread, a ragged partition, the kernel's block
    std::string why;
    const std::unique_ptr<BoxEngine> engine = make_emulated_box_engine(net, bounder, threads, &why);
    ASSERT_TRUE(engine) << why;
    SCOPED_TRACE("block threads " + std::to_string(threads));
    testing::expect_engine_bounds(*engine, bounder, true);
  }
}

TEST(CertifyEmulated, KernelBoundsEqualTheCpuBitForBit) {
  for (const char* name : {"relu-spike", "prelu-spike", "sigmoid-spike"}) {
    SCOPED_TRACE(name);
    CaseParams p;
    p.construction = name;
    p.dim = name[0] == 's' ? 2 : 4;
    p.train_per_axis = 3;
    p.bias = p.dim - 0.5;
    const Network net = build_case(p).network;
    ASSERT_TRUE(BoxBounder(net, BoundMethod::Interval).separable());
    expect_emulated_bounds(net);
  }
  for (Activation act : {Activation::ReLU, Activation::PReLU, Activation::Tanh, Activation::Sigmoid,
                         Activation::Softplus}) {
    SCOPED_TRACE(activation_name(act));
    expect_emulated_bounds(testing::random_network(2, 3, {16, 16}, act));
    expect_emulated_bounds(testing::random_network(4, 5, {20, 150, 12}, act, 0.5)); // sparse
  }
}

TEST(CertifyEmulated, KernelCertifyResultsEqualTheCpu) {
  const struct {
    int d, n;
    double b;
    std::int64_t samples;
  } cases[] = {{2, 4, 1.9, 300000}, {6, 3, 5.5, 300000}, {10, 2, 9.1, 30000}};
  for (const auto& k : cases) {
    SCOPED_TRACE("d=" + std::to_string(k.d)); // d = 10: a streamed 1024-wide layer
    const Case c = build_case(CaseParams::relu_spike(k.d, k.n, k.b));
    CertifyOptions opt;
    opt.box_budget = 20000;
    opt.samples = k.samples;
    opt.bounds = BoundMethod::Interval;
    const CertifyResult cpu = certify_volume(c.network, k.d, 0.0, 1.0, opt);
    opt.engine = [](const Network& net, const BoxBounder& bounder) {
      return make_emulated_box_engine(net, bounder, 64, nullptr);
    };
    const CertifyResult emulated = certify_volume(c.network, k.d, 0.0, 1.0, opt);
    ASSERT_EQ(emulated.engine, "cuda-emulated");
    EXPECT_GT(cpu.boxes_undecided, 0); // the sampling path is exercised
    testing::expect_same_certify(emulated, cpu);
  }
}

TEST(CertifyEmulated, RefusesWhatTheKernelsRefuse) {
  const Network net = testing::random_network(2, 3, {16, 16, 16}, Activation::ReLU);
  const BoxBounder linear(net, BoundMethod::Linear);
  std::string why;
  EXPECT_FALSE(make_emulated_box_engine(net, linear, 128, &why));
  EXPECT_NE(why.find("linear"), std::string::npos);
}

} // namespace
} // namespace spikemesh
