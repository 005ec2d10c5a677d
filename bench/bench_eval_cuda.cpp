/// @file bench_eval_cuda.cpp
/// @brief CUDA backend throughput: points/s and achieved TFLOP/s (FLOPs from the stored nonzeros)
/// for C1 d = 2 (n = 4) at 1e9 points, d = 6 (n = 3), d = 10 (n = 2), and dense random MLPs of
/// widths 32..256. Wall time of evaluate(): launch + kernel + download of the block partials.
#include "bench_common.hpp"

namespace {

using namespace spikemesh;

std::unique_ptr<Evaluator> gpu_or_skip(benchmark::State& state) {
  std::string why;
  if (!cuda_available(&why)) {
    state.SkipWithError(("no CUDA device: " + why).c_str());
    return nullptr;
  }
  std::string notice;
  return make_evaluator(Backend::Cuda, 0, &notice);
}

void cuda_relu_spike(benchmark::State& state) {
  auto ev = gpu_or_skip(state);
  if (!ev) return;
  const int d = static_cast<int>(state.range(0));
  const Case c = bench::relu_spike_case(d, static_cast<int>(state.range(1)));
  bench::run_mesh_benchmark(state, *ev, c, d == 2 ? 1e9 : 1e8);
  state.SetLabel(ev->device());
}
BENCHMARK(cuda_relu_spike)
    ->Args({2, 4})
    ->Args({6, 3})
    ->Args({10, 2})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

void cuda_dense_mlp(benchmark::State& state) {
  auto ev = gpu_or_skip(state);
  if (!ev) return;
  const Case c = bench::dense_case(static_cast<int>(state.range(0)));
  bench::run_mesh_benchmark(state, *ev, c, 1e8);
  state.SetLabel(ev->device());
}
BENCHMARK(cuda_dense_mlp)
    ->Arg(32)
    ->Arg(64)
    ->Arg(128)
    ->Arg(256)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
