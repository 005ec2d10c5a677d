/// @file bench_eval_cpu.cpp
/// @brief CPU backend throughput: points/s and achieved GFLOP/s for the paper's C1 cases and
/// dense random MLPs (OpenMP, all cores; wall time).
#include "bench_common.hpp"

namespace {

using namespace spikemesh;

/// C1, the ReLU spike network: (d, n) = (2, 4), (6, 3), (10, 2).
void relu_spike(benchmark::State& state) {
  const int d = static_cast<int>(state.range(0));
  const Case c = bench::relu_spike_case(d, static_cast<int>(state.range(1)));
  auto ev = make_cpu_evaluator(0);
  bench::run_mesh_benchmark(state, *ev, c, d == 2 ? 2e7 : 1e6);
}
BENCHMARK(relu_spike)
    ->Args({2, 4})
    ->Args({6, 3})
    ->Args({10, 2})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

/// Dense random MLP 2 -> W -> W -> W -> 1 (ReLU), W = 32, 64, 128.
void dense_mlp(benchmark::State& state) {
  const Case c = bench::dense_case(static_cast<int>(state.range(0)));
  auto ev = make_cpu_evaluator(0);
  bench::run_mesh_benchmark(state, *ev, c, 1e6);
}
BENCHMARK(dense_mlp)->Arg(32)->Arg(64)->Arg(128)->UseRealTime()->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
