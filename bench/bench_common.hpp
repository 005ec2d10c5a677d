/// @file bench_common.hpp
/// @brief Benchmark cases shared by the CPU and CUDA benchmarks: the paper's C1 networks and
/// dense random MLPs, and the throughput counters.
#pragma once

#include "spikemesh/constructions.hpp"
#include "spikemesh/evaluator.hpp"
#include "spikemesh/mesh_spec.hpp"

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstddef>
#include <random>
#include <type_traits>

namespace spikemesh::bench {

/// C1 with b = d - 0.5 on its training grid.
inline Case relu_spike_case(int d, int n) {
  CaseParams p;
  p.dim = d;
  p.train_per_axis = n;
  p.bias = d - 0.5;
  return build_case(p);
}

/// 2 -> W -> W -> W -> 1 ReLU MLP with seeded weights (the C1 training set stays as truth);
/// @p sparse: its hidden layers stored sparse (CSR) with about half of their weights zero.
inline Case mlp_case(int width, bool sparse) {
  Case c = build_case(CaseParams{});
  std::mt19937_64 rng(sparse ? 43 : 42);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  Network net;
  net.in_dim = 2;
  int prev = 2;
  for (int w : {width, width, width, 1}) {
    Layer L = Layer::dense(prev, w, w == 1 ? Activation::Identity : Activation::ReLU);
    for (double& x : L.weight) {
      if (!sparse) {
        x = u(rng) / std::sqrt(static_cast<double>(prev));
      } else {
        x = w == 1 || u(rng) > 0.0 ? u(rng) / std::sqrt(0.5 * prev) : 0.0;
      }
    }
    for (double& x : L.bias)
      x = 0.1 * u(rng);
    net.layers.push_back(sparse && w != 1 ? Layer::to_sparse(L) : std::move(L));
    prev = w;
  }
  c.network = std::move(net);
  return c;
}

/// The dense MLP: all layers dense, so the CUDA evaluator runs it on the fused dense kernel.
inline Case dense_case(int width) {
  return mlp_case(width, false);
}

/// The same shape with sparse hidden layers: not dense-eligible, so the CUDA evaluator runs it
/// on the generic mesh kernel (its narrow path, eval_mesh_kernel<T, 32>, for W <= 32).
inline Case sparse_case(int width) {
  return mlp_case(width, true);
}

/// Evaluates @p c over about @p points mesh points per iteration with @p ev; reports points/s
/// and GFLOP/s (FLOPs counted from the stored nonzeros: 2 per weight). With @p timer (a callable
/// that runs its argument and returns seconds, for a benchmark registered with UseManualTime)
/// each iteration's time is the timer's, e.g. CUDA events.
template <class Timer = std::nullptr_t>
inline void run_mesh_benchmark(benchmark::State& state, Evaluator& ev, const Case& c, double points,
                               Precision prec = Precision::Float, Timer timer = nullptr) {
  MeshSpec mesh;
  mesh.dim = c.network.in_dim;
  mesh.points_per_axis = {points_per_axis_for(points, mesh.dim)};
  const MeshView view = make_mesh_view(mesh);
  ev.prepare(Problem{&c, view, default_stats_config(c), prec});
  std::uint64_t spikes = 0;
  if constexpr (!std::is_same_v<Timer, std::nullptr_t>)
    spikes += ev.evaluate({0, view.total}).scalar.spike_count; // warm-up: first launch, caches
  for (auto _ : state) {
    if constexpr (std::is_same_v<Timer, std::nullptr_t>) {
      spikes += ev.evaluate({0, view.total}).scalar.spike_count;
    } else {
      state.SetIterationTime(timer([&] {
        spikes += ev.evaluate({0, view.total}).scalar.spike_count;
      }));
    }
  }
  benchmark::DoNotOptimize(spikes);
  const double n = static_cast<double>(view.total);
  state.counters["points/s"] = benchmark::Counter(n, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["GFLOP/s"] = benchmark::Counter(n * c.network.flops_per_point() * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
  state.counters["FLOP/point"] = c.network.flops_per_point();
  state.counters["points"] = n;
}

} // namespace spikemesh::bench
