/// @file bench_eval_cuda.cpp
/// @brief CUDA backend throughput: points/s and achieved TFLOP/s (FLOPs from the stored nonzeros)
/// for C1 d = 2 (n = 4) at 1e9 points, d = 6 (n = 3), d = 10 (n = 2), and dense random MLPs of
/// widths 32..256. Each iteration is timed with CUDA events around evaluate(): launch, kernel,
/// download of the block partials and their merge (one warm-up iteration first).
#include "bench_common.hpp"
#include "cuda_check.hpp"

#include <cuda_runtime_api.h>

namespace {

using namespace spikemesh;

/// Times a call with two CUDA events on the legacy stream: the call returns only when the
/// evaluator's own stream is done, so the interval covers all of its device work.
class EventTimer {
public:
  EventTimer() {
    SM_CUDA_CHECK(cudaEventCreate(&m_start));
    SM_CUDA_CHECK(cudaEventCreate(&m_stop));
  }
  EventTimer(const EventTimer&) = delete;
  EventTimer& operator=(const EventTimer&) = delete;
  ~EventTimer() {
    static_cast<void>(cudaEventDestroy(m_start));
    static_cast<void>(cudaEventDestroy(m_stop));
  }
  template <class F>
  double operator()(F&& call) {
    SM_CUDA_CHECK(cudaEventRecord(m_start, nullptr));
    call();
    SM_CUDA_CHECK(cudaEventRecord(m_stop, nullptr));
    SM_CUDA_CHECK(cudaEventSynchronize(m_stop));
    float ms = 0.0f;
    SM_CUDA_CHECK(cudaEventElapsedTime(&ms, m_start, m_stop));
    return ms * 1e-3;
  }

private:
  cudaEvent_t m_start = nullptr, m_stop = nullptr;
};

/// The benchmark body with a warm-up evaluation and event timing.
void timed(benchmark::State& state, Evaluator& ev, const Case& c, double points) {
  EventTimer timer;
  bench::run_mesh_benchmark(state, ev, c, points, Precision::Float,
                            [&timer](auto&& call) { return timer(call); });
}

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
  timed(state, *ev, c, d == 2 ? 1e9 : 1e8);
  state.SetLabel(ev->device());
}
BENCHMARK(cuda_relu_spike)
    ->Args({2, 4})
    ->Args({6, 3})
    ->Args({10, 2})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

void cuda_dense_mlp(benchmark::State& state) {
  auto ev = gpu_or_skip(state);
  if (!ev) return;
  const Case c = bench::dense_case(static_cast<int>(state.range(0)));
  timed(state, *ev, c, 1e8);
  state.SetLabel(ev->device());
}
BENCHMARK(cuda_dense_mlp)
    ->Arg(32)
    ->Arg(64)
    ->Arg(128)
    ->Arg(256)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
