/// @file test_warp_forward.cpp
/// @brief The mesh kernel's warp-cooperative forward pass for wide networks
/// (math/warp_forward.hpp, eval_mesh_kernel<T, kWideWidth>) on the host's lockstep warp
/// emulator: every lane's f against forward() bit for bit (a plain per-point loop here), for
/// sparse and dense networks with buffer widths 33..256 and streamed layers wider than 256, mixed
/// activations; and the emulated grid's Accumulator against a plain per-point loop and the CPU
/// backend, in both emulation orders, from NaN-filled scratch, on meshes of 1, 2 and 5 axes with
/// axes shorter than a warp.
#include "spikemesh/constructions.hpp"
#include "spikemesh/evaluator.hpp"
#include "spikemesh/math/eval_block.hpp"
#include "spikemesh/math/forward.hpp"
#include "spikemesh/math/warp_forward.hpp"
#include "spikemesh/mesh_spec.hpp"

#include "../host/backends/eval_kernel.hpp"
#include "support/accumulator_checks.hpp"
#include "support/emulated_grid.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace spikemesh {
namespace {

using Warp = HostWarp;

/// A hidden layer of a test network: width, activation, share of nonzero weights (1: dense).
struct Spec {
  int width;
  Activation act;
  double density = 1.0;
  double alpha = 0.2;
};

/// Seeded network: weights ~ U(-1, 1)/sqrt(in) (the sparse layers' dropped weights exactly 0,
/// stored as CSR), biases ~ 0.3 U(-1, 1) - @p shift (a negative shift leaves many ReLU outputs
/// exactly 0, so the skips of exact-zero inputs run), a linear output neuron.
Network make_net(std::uint64_t seed, int in_dim, const std::vector<Spec>& hidden,
                 double shift = 0.0) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  Network net;
  net.in_dim = in_dim;
  int prev = in_dim;
  std::vector<Spec> all = hidden;
  all.push_back({1, Activation::Identity});
  for (const Spec& s : all) {
    Layer L = Layer::dense(prev, s.width, s.act, s.alpha);
    for (double& w : L.weight) {
      const bool keep = s.density >= 1.0 || (u(rng) + 1.0) / 2.0 < s.density;
      w = keep ? u(rng) / std::sqrt(static_cast<double>(prev)) : 0.0;
    }
    for (double& b : L.bias)
      b = 0.3 * u(rng) - (s.width == 1 ? 0.0 : shift);
    if (s.density < 1.0) L = Layer::to_sparse(L);
    net.layers.push_back(std::move(L));
    prev = s.width;
  }
  return net;
}

/// The test networks, all taken by eval_mesh_kernel<T, kWideWidth> (checked).
struct Named {
  std::string name;
  Network net;
};

std::vector<Named> wide_networks() {
  using A = Activation;
  std::vector<Named> n;
  // Sparse, buffered (no stream), buffer width 256: ReLU, PReLU, sigmoid.
  n.push_back(
      {"sparse-256",
       make_net(11, 1, {{200, A::ReLU, 0.5}, {256, A::PReLU, 0.1, 0.3}, {130, A::Sigmoid, 0.2}},
                0.1)});
  // Dense with a streamed layer of 300 (> 256), buffer width 64, depth 4.
  n.push_back(
      {"dense-stream",
       make_net(12, 2, {{64, A::ReLU}, {300, A::PReLU, 1.0, 0.25}, {48, A::Tanh}, {33, A::Sigmoid}},
                0.05)});
  // Sparse streamed (700 into 256) and dense streamed (520 into 33), buffer width 256, depth 5.
  n.push_back({"mixed-stream", make_net(13, 5,
                                        {{40, A::ReLU, 0.5},
                                         {700, A::ReLU, 0.05},
                                         {256, A::PReLU, 1.0, 0.1},
                                         {520, A::Sigmoid},
                                         {33, A::ReLU}},
                                        0.1)});
  // Buffer width 33 (the narrowest wide one), a streamed layer into it.
  n.push_back(
      {"width-33", make_net(14, 2, {{33, A::ReLU}, {257, A::ReLU, 0.3}, {33, A::PReLU}}, 0.2)});
  return n;
}

/// The ReLU spike construction with 40 x 40 = 1600 spike rows: too many for the separable path,
/// its spike layer streamed into the output.
Case spike_case_1600() {
  CaseParams p;
  p.dim = 2;
  p.train_per_axis = 40;
  p.bias = 1.5;
  return build_case(p);
}

template <class T>
bool same_bits(T a, T b) {
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}

/// points() for counts 32, 7 and 1 in both lane orders from NaN-filled scratch against
/// forward() at the same coordinates. Returns how many of the points had f != 0.
template <class T>
int expect_points_equal_forward(const Network& net, std::mt19937_64& rng,
                                const std::vector<double>* centres = nullptr) {
  const PackedNetwork<T> packed(net, eval_block::kWideWidth);
  const NetworkView<T> v = packed.view();
  EXPECT_GT(v.buffer_width, eval_block::kNarrowWidth);
  EXPECT_LE(v.buffer_width, eval_block::kWideWidth);
  const int dim = net.in_dim;
  std::vector<double> mem((warp_forward::warp_bytes<T>(v.buffer_width, dim) + 7) / 8);
  std::vector<T> ba(static_cast<std::size_t>(v.buffer_width)), bb(ba.size());
  std::uniform_real_distribution<double> u(-0.2, 1.2), small(-0.02, 0.02);
  std::uniform_int_distribution<int> pick(0, 1 << 20);
  int nonzero = 0;
  for (int count : {32, 7, 1}) {
    for (bool rev : {false, true}) {
      std::memset(mem.data(), 0xff, mem.size() * sizeof(double));
      const warp_forward::WarpScratch<T> s =
          warp_forward::warp_scratch<T>(mem.data(), 0, v.buffer_width, dim);
      for (int lane = 0; lane < count; ++lane) {
        const std::size_t c =
            centres ? static_cast<std::size_t>(pick(rng)) % (centres->size() / dim) : 0;
        for (int a = 0; a < dim; ++a) {
          double x = centres ? (*centres)[c * dim + a] + small(rng) : u(rng);
          if (lane == 3 && a == 0) x = 0.0; // an exact-zero input
          s.x[lane * s.pad + a] = static_cast<T>(x);
        }
      }
      Warp w;
      w.reversed = rev;
      Lanes<Warp, T> f;
      for (int lane = 0; lane < kWarpSize; ++lane)
        f[lane] = T(-12345);
      warp_forward::points(w, v, count, s, f);
      for (int lane = 0; lane < kWarpSize; ++lane) {
        if (lane >= count) {
          EXPECT_EQ(f[lane], T(-12345)) << "lane " << lane << " without a point was written";
          continue;
        }
        const T ref = forward(v, s.coords(lane), ba.data(), bb.data());
        EXPECT_TRUE(same_bits(f[lane], ref))
            << "lane " << lane << " of " << count << (rev ? " (reversed)" : "") << ": " << f[lane]
            << " != forward() " << ref;
        nonzero += f[lane] != T(0);
      }
    }
  }
  return nonzero;
}

TEST(WarpForward, EveryLaneEqualsForwardBitForBit) {
  std::mt19937_64 rng(5);
  for (const Named& n : wide_networks()) {
    SCOPED_TRACE(n.name);
    ASSERT_EQ(eval_kernel_width<float>(n.net), eval_block::kWideWidth);
    ASSERT_EQ(eval_kernel_width<double>(n.net), eval_block::kWideWidth);
    EXPECT_GT(expect_points_equal_forward<float>(n.net, rng), 0);
    EXPECT_GT(expect_points_equal_forward<double>(n.net, rng), 0);
  }
}

TEST(WarpForward, SpikeConstructionWithStreamedSpikesEqualsForward) {
  const Case c = spike_case_1600();
  ASSERT_EQ(eval_kernel_width<float>(c.network), eval_block::kWideWidth);
  ASSERT_TRUE(PackedNetwork<float>(c.network, eval_block::kWideWidth).layers()[1].stream);
  std::mt19937_64 rng(6);
  // Points near training points: spikes fire, so the streamed fold runs on nonzero rows.
  EXPECT_GT(expect_points_equal_forward<float>(c.network, rng, &c.training.x), 0);
  EXPECT_GT(expect_points_equal_forward<double>(c.network, rng, &c.training.x), 0);
}

/// The lockstep emulator cannot see a missing __syncwarp (its lanes never run apart), so the
/// syncs are counted: points() must sync once before reading the cursors' coordinates and once
/// after every layer (a streamed layer and the layer it folds into: one) of every point.
struct CountingWarp : HostWarp {
  mutable int syncs = 0;
  void sync(unsigned = kFullMask) const { ++syncs; }
};

TEST(WarpForward, SyncsOnceBeforeAndAfterEveryLayer) {
  std::mt19937_64 rng(8);
  for (const Named& n : wide_networks()) {
    SCOPED_TRACE(n.name);
    const PackedNetwork<float> packed(n.net, eval_block::kWideWidth);
    const NetworkView<float> v = packed.view();
    int steps = 0; // layer steps of one point
    for (int l = 0; l < v.n_layers; ++l, ++steps)
      if (v.layers[l].stream) ++l;
    if (n.name != "sparse-256") {
      EXPECT_LT(steps, v.n_layers); // streamed pairs are one step
    }
    std::vector<double> mem((warp_forward::warp_bytes<float>(v.buffer_width, n.net.in_dim) + 7) /
                            8);
    std::memset(mem.data(), 0, mem.size() * sizeof(double)); // coordinates 0
    const warp_forward::WarpScratch<float> s =
        warp_forward::warp_scratch<float>(mem.data(), 0, v.buffer_width, n.net.in_dim);
    for (int count : {32, 5}) {
      CountingWarp w;
      Lanes<CountingWarp, float> f;
      warp_forward::points(w, v, count, s, f);
      EXPECT_EQ(w.syncs, 1 + count * steps) << count << " points";
    }
  }
}

// ---- the whole emulated grid ---------------------------------------------------------------

MeshView mesh_of(std::vector<index_t> axes) {
  MeshSpec s;
  s.dim = static_cast<int>(axes.size());
  s.points_per_axis = std::move(axes);
  return make_mesh_view(s);
}

template <class T>
Accumulator emulate(const EvalView<T>& v, IndexRange r, int grid, eval_block::EmulationOrder o) {
  return test::emulated_grid<eval_block::kWideWidth>(v, r, grid, o);
}

/// The emulated kernel over @p r: identical bits in both orders; counts, extrema and bins equal
/// to a plain loop over mesh_point() and forward() and to the CPU backend's.
template <class T>
void expect_grid_matches(const Case& c, const MeshView& m, IndexRange r, int grid) {
  ASSERT_EQ(eval_kernel_width<T>(c.network), eval_block::kWideWidth);
  const PackedNetwork<T> packed(c.network, eval_block::kWideWidth);
  EvalView<T> v;
  v.net = packed.view();
  v.mesh = m;
  v.truth = truth_view(c);
  v.stats = default_stats_config(c);
  const Accumulator a = emulate(v, r, grid, eval_block::EmulationOrder::Forward);
  testing::expect_same_bits(a, emulate(v, r, grid, eval_block::EmulationOrder::Reversed),
                            "reversed order");
  Accumulator ref;
  const HistScales h(v.stats);
  std::vector<T> x(static_cast<std::size_t>(m.dim)),
      ba(static_cast<std::size_t>(v.net.buffer_width)), bb(ba.size());
  for (index_t i = r.begin; i < r.end; ++i) {
    mesh_point(m, i, x.data());
    const PointSample s = sample_at(v, x.data(), forward(v.net, x.data(), ba.data(), bb.data()));
    ref.scalar.add(s, v.stats.tau);
    ref.bins.add(s, h);
  }
  EXPECT_EQ(a.scalar.points, static_cast<std::uint64_t>(r.size()));
  testing::expect_same_counts(a, ref, "plain loop");
  auto cpu = make_cpu_evaluator(2);
  cpu->prepare(
      Problem{&c, m, v.stats, std::is_same_v<T, float> ? Precision::Float : Precision::Double});
  testing::expect_same_counts(a, cpu->evaluate(r), "cpu backend");
}

/// A case of dimension @p dim (its training set as truth) with network @p net.
Case case_with(int dim, Network net) {
  CaseParams p;
  p.dim = dim;
  p.train_per_axis = 3;
  Case c = build_case(p);
  c.network = std::move(net);
  return c;
}

TEST(WarpForward, GridEqualsPlainLoopAndCpuBackend) {
  const std::vector<Named> nets = wide_networks();
  // dim 1: a short axis (lanes past the end) and a long one, ragged.
  const Case c1 = case_with(1, nets[0].net);
  expect_grid_matches<float>(c1, mesh_of({25}), {0, 25}, 3);
  expect_grid_matches<double>(c1, mesh_of({5000}), {17, 5000}, 3);
  // dim 2: axis 0 shorter than a warp (lanes span rows).
  const Case c2 = case_with(2, nets[1].net);
  expect_grid_matches<float>(c2, mesh_of({13, 40}), {0, 13 * 40}, 2);
  expect_grid_matches<double>(c2, mesh_of({13, 40}), {5, 13 * 40 - 3}, 2);
  const Case c33 = case_with(2, nets[3].net);
  expect_grid_matches<float>(c33, mesh_of({7, 90}), {0, 7 * 90}, 2);
  // dim 5: every axis shorter than a warp (carries through several axes per step).
  const Case c5 = case_with(5, nets[2].net);
  expect_grid_matches<float>(c5, mesh_of({3, 4, 5, 6, 7}), {0, 2520}, 2);
  expect_grid_matches<double>(c5, mesh_of({3, 4, 5, 6, 7}), {100, 1900}, 2);
}

TEST(WarpForward, SpikeConstructionGridEqualsCpuBackend) {
  const Case c = spike_case_1600();
  expect_grid_matches<float>(c, mesh_of({121, 61}), {0, 121 * 61}, 3);
  expect_grid_matches<double>(c, mesh_of({19, 101}), {0, 19 * 101}, 2);
}

TEST(WarpForward, ScratchSizeFollowsWidthAndDimension) {
  // Per warp: dim * 32 positions (8 bytes), 32 * pad coordinates (pad odd >= dim) and two
  // buffers of buffer_width values, rounded up to 8 bytes.
  EXPECT_EQ(warp_forward::coord_pad(2), 3);
  EXPECT_EQ(warp_forward::coord_pad(5), 5);
  EXPECT_EQ(warp_forward::warp_bytes<float>(256, 2), 8u * 64 + 4u * (32 * 3 + 512));
  EXPECT_EQ(warp_forward::warp_bytes<float>(33, 1), (8u * 32 + 4u * (32 + 66) + 7) / 8 * 8);
  EXPECT_EQ(warp_forward::warp_bytes<double>(256, 32), 8u * 1024 + 8u * (32 * 33 + 512));
  EXPECT_EQ(warp_forward::block_bytes<double>(4, 256, 32),
            4 * warp_forward::warp_bytes<double>(256, 32));
}

} // namespace
} // namespace spikemesh
