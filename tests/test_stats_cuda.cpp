/// @file test_stats_cuda.cpp
/// @brief The mesh kernel's statistics plumbing on a device (skipped without one): the merge
/// kernel against the host's block-order merge of the same partials, bit for bit; the warps'
/// 32-bit counter flush (period 1 tile against the default) leaving every partial's bits
/// unchanged; the device's per-block histograms against the host emulation of the same grid;
/// the CUDA evaluator's two-deep pipeline against evaluate(). test_warp.cpp and
/// test_stats_plumbing.cpp check the same code on the host in every build.
#include "spikemesh/constructions.hpp"
#include "spikemesh/evaluator.hpp"
#include "spikemesh/math/eval_block.hpp"
#include "spikemesh/math/partials_merge.hpp"
#include "spikemesh/mesh_spec.hpp"
#include "spikemesh/network.hpp"

#include "launch_trace.hpp"
#include "support/cuda_fixture.hpp"
#include "support/random_partials.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace spikemesh {
namespace {

using testing::CudaTest;
using testing::host_merge;
using testing::same_bytes;

class DeviceStats : public CudaTest {};

MeshView mesh_of(index_t m) {
  MeshSpec s;
  s.dim = 2;
  s.points_per_axis = {m, m};
  return make_mesh_view(s);
}

Case spike_case() {
  CaseParams cp;
  cp.bias = 1.6;
  return build_case(cp);
}

TEST_F(DeviceStats, MergeKernelEqualsHostMergeOfRandomPartialsBitForBit) {
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    const std::vector<Accumulator> parts = testing::random_partials(seed, 2500);
    EXPECT_TRUE(same_bytes(cuda::merge_on_device(parts), host_merge(parts, 2500)))
        << "seed " << seed;
  }
  EXPECT_TRUE(same_bytes(cuda::merge_on_device({}), Accumulator{}));
}

TEST_F(DeviceStats, MergeKernelEqualsHostMergeOfTheLaunchPartialsBitForBit) {
  const Case c = spike_case();
  const MeshView m = mesh_of(1501);
  for (Precision prec : {Precision::Float, Precision::Double}) {
    const Problem p{&c, m, default_stats_config(c), prec};
    const cuda::LaunchTrace t = cuda::trace_eval_launch(p, {0, m.total});
    const int grid = static_cast<int>(t.partials.size());
    ASSERT_GT(grid, 1);
    EXPECT_TRUE(same_bytes(t.merged, host_merge(t.partials, grid)));
    Accumulator shared;
    partials::merge_in_block_order(t.partials.data(), grid, &shared);
    EXPECT_TRUE(same_bytes(t.merged, shared));
    EXPECT_EQ(t.merged.scalar.points, static_cast<std::uint64_t>(m.total));
  }
}

TEST_F(DeviceStats, FlushEveryTileLeavesEveryPartialUnchanged) {
  const Case c = spike_case();
  const MeshView m = mesh_of(1501);
  const Problem p{&c, m, default_stats_config(c), Precision::Float};
  const cuda::LaunchTrace once = cuda::trace_eval_launch(p, {5, m.total});
  const cuda::LaunchTrace every = cuda::trace_eval_launch(p, {5, m.total}, 1);
  ASSERT_EQ(once.partials.size(), every.partials.size());
  for (std::size_t b = 0; b < once.partials.size(); ++b)
    EXPECT_TRUE(same_bytes(once.partials[b], every.partials[b])) << "block " << b;
  EXPECT_TRUE(same_bytes(once.merged, every.merged));
  EXPECT_THROW(cuda::trace_eval_launch(p, {0, 100}, 0), std::invalid_argument);
}

TEST_F(DeviceStats, BlockHistogramsEqualTheEmulationOfTheSameGrid) {
  // A ReLU construction (no libm on either side, no FMA contraction): the device's per-block
  // histograms and the scalar counts and extrema equal the host emulation's bit for bit; the
  // scalar sums differ (CUB's tree against thread order) and are not compared here.
  const Case c = spike_case();
  const MeshView m = mesh_of(301);
  const Problem p{&c, m, default_stats_config(c), Precision::Float};
  const cuda::LaunchTrace t = cuda::trace_eval_launch(p, {0, m.total});
  ASSERT_EQ(t.width, eval_block::kNarrowWidth);
  const PackedNetwork<float> packed(c.network, t.width);
  EvalView<float> v;
  v.net = packed.view();
  v.mesh = m;
  v.truth = truth_view(c);
  v.stats = p.stats;
  const int grid = static_cast<int>(t.partials.size());
  std::vector<Accumulator> emulated(t.partials.size());
  eval_block::emulate_eval_grid<float, eval_block::kNarrowWidth>(v, {0, m.total}, grid,
                                                                 emulated.data());
  for (int b = 0; b < grid; ++b) {
    const Accumulator& d = t.partials[static_cast<std::size_t>(b)];
    const Accumulator& e = emulated[static_cast<std::size_t>(b)];
    EXPECT_EQ(std::memcmp(&d.bins, &e.bins, sizeof d.bins), 0) << "block " << b;
    EXPECT_EQ(d.scalar.points, e.scalar.points);
    EXPECT_EQ(d.scalar.spike_count, e.scalar.spike_count);
    EXPECT_EQ(d.scalar.correct_count, e.scalar.correct_count);
    EXPECT_EQ(d.scalar.f_min, e.scalar.f_min);
    EXPECT_EQ(d.scalar.f_max, e.scalar.f_max);
    EXPECT_EQ(d.scalar.max_abs_err, e.scalar.max_abs_err);
  }
}

TEST_F(DeviceStats, PipelinedRangesEqualEvaluate) {
  const Case c = spike_case();
  const MeshView m = mesh_of(2001);
  std::string notice;
  auto ev = make_evaluator(Backend::Cuda, 0, &notice);
  ASSERT_EQ(ev->pipeline_depth(), 2);
  ev->prepare(Problem{&c, m, default_stats_config(c), Precision::Float});
  const std::vector<IndexRange> ranges = {
      {0, 1000000}, {1000000, 1000000}, {1000000, 3000001}, {3000001, m.total}, {17, 4113}};
  std::vector<Accumulator> want;
  for (const IndexRange& r : ranges)
    want.push_back(ev->evaluate(r));
  // Two ahead, collected in submission order.
  ev->submit(ranges[0]);
  ev->submit(ranges[1]);
  EXPECT_THROW(ev->submit(ranges[2]), std::logic_error); // depth 2
  EXPECT_THROW(ev->evaluate(ranges[2]), std::logic_error);
  std::vector<Accumulator> got;
  got.push_back(ev->collect());
  ev->submit(ranges[2]);
  got.push_back(ev->collect());
  ev->submit(ranges[3]);
  ev->submit(ranges[4]);
  got.push_back(ev->collect());
  got.push_back(ev->collect());
  got.push_back(ev->collect());
  EXPECT_THROW(ev->collect(), std::logic_error);
  for (std::size_t k = 0; k < ranges.size(); ++k)
    EXPECT_TRUE(same_bytes(got[k], want[k])) << "range " << k;
  // A dropped range leaves the evaluator usable.
  ev->submit(ranges[2]);
  ev->discard();
  EXPECT_TRUE(same_bytes(ev->evaluate(ranges[3]), want[3]));
}

} // namespace
} // namespace spikemesh
