/// @file bench_eval_cpu.cpp
/// @brief CPU backend throughput: points/s and achieved GFLOP/s (FLOPs counted from the
/// network's stored nonzeros) for the paper's C1 cases and dense random MLPs.
#include "spikemesh/constructions.hpp"
#include "spikemesh/evaluator.hpp"
#include "spikemesh/mesh_spec.hpp"

#include <benchmark/benchmark.h>

#include <random>

namespace {

using namespace spikemesh;

/// Runs @p c over a mesh of about @p points points; reports points/s and GFLOP/s.
void run(benchmark::State& state, const Case& c, double points) {
  MeshSpec mesh;
  mesh.dim = c.network.in_dim;
  mesh.points_per_axis = {points_per_axis_for(points, mesh.dim)};
  const MeshView view = make_mesh_view(mesh);
  auto ev = make_cpu_evaluator(0);
  Problem p{&c, view, default_stats_config(c), Precision::Float};
  ev->prepare(p);
  std::uint64_t spikes = 0;
  for (auto _ : state) {
    const Accumulator acc = ev->evaluate({0, view.total});
    spikes += acc.scalar.spike_count;
  }
  benchmark::DoNotOptimize(spikes);
  const double n = static_cast<double>(view.total);
  state.counters["points/s"] = benchmark::Counter(n, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["GFLOP/s"] = benchmark::Counter(n * c.network.flops_per_point() * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
  state.counters["FLOP/point"] = c.network.flops_per_point();
}

/// C1, the ReLU spike network: (d, n) = (2, 4), (6, 3), (10, 2); b = d - 0.5.
void relu_spike(benchmark::State& state) {
  CaseParams p;
  p.dim = static_cast<int>(state.range(0));
  p.train_per_axis = static_cast<int>(state.range(1));
  p.bias = p.dim - 0.5;
  const Case c = build_case(p);
  run(state, c, p.dim == 2 ? 2e7 : 1e6);
}
BENCHMARK(relu_spike)
    ->Args({2, 4})
    ->Args({6, 3})
    ->Args({10, 2})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

/// Dense random MLP 2 -> W -> W -> W -> 1 (ReLU), W = 32, 64, 128.
void dense_mlp(benchmark::State& state) {
  const int w = static_cast<int>(state.range(0));
  Case c = build_case(CaseParams{});
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  Network net;
  net.in_dim = 2;
  int prev = 2;
  for (int width : {w, w, w, 1}) {
    Layer L = Layer::dense(prev, width, width == 1 ? Activation::Identity : Activation::ReLU);
    for (double& x : L.weight)
      x = u(rng) / std::sqrt(static_cast<double>(prev));
    for (double& x : L.bias)
      x = 0.1 * u(rng);
    net.layers.push_back(std::move(L));
    prev = width;
  }
  c.network = std::move(net);
  run(state, c, 1e6);
}
BENCHMARK(dense_mlp)->Arg(32)->Arg(64)->Arg(128)->UseRealTime()->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
