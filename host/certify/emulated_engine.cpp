/// @file emulated_engine.cpp
/// @brief The GPU BoxEngine's kernels on the host (box_block.hpp over a BoundsImage and a
/// PackedNetwork, as certify_cuda.cpp uploads them): bounds one emulated block per box, sampling
/// an emulated grid striding over all the points.
#include "bounds_image.hpp"

#include <omp.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace spikemesh {
namespace {

/// Emulated threads of the sampling grid (7 blocks of 128: a stride that is no power of two),
/// handed to OpenMP in tasks of 64.
constexpr std::int64_t kGridThreads = 7 * 128;
constexpr std::int64_t kThreadsPerTask = 64;

class EmulatedBoxEngine final : public BoxEngine {
public:
  EmulatedBoxEngine(const Network& net, const BoxBounder& bounder, int block_threads)
      : m_image(make_bounds_image(bounder)), m_view(m_image.host_view()),
        m_packed(net, kBoxKernelWidth), m_d(static_cast<std::size_t>(net.in_dim)),
        m_block_threads(block_threads) {}

  std::string name() const override { return "cuda-emulated"; }

  /// Bounds every box twice, threads in ascending and in descending order; throws
  /// std::logic_error when the two differ (a phase reads what the same phase writes).
  void bound(const double* boxes, std::size_t count, BoxBound* out) override {
    bool order_dependent = false;
#pragma omp parallel reduction(|| : order_dependent)
    {
      std::vector<double> scratch(static_cast<std::size_t>(m_view.scratch_per_block));
#pragma omp for schedule(dynamic, 16)
      for (std::size_t b = 0; b < count; ++b) {
        const double* lo = boxes + b * 2 * m_d;
        out[b].f = box_block::emulate_bound_block(m_view, lo, lo + m_d, scratch.data(),
                                                  m_block_threads, false, &out[b].split_axis);
        int axis = 0;
        const Interval f = box_block::emulate_bound_block(m_view, lo, lo + m_d, scratch.data(),
                                                          m_block_threads, true, &axis);
        if (std::memcmp(&f, &out[b].f, sizeof f) != 0 || axis != out[b].split_axis)
          order_dependent = true;
      }
    }
    if (order_dependent)
      throw std::logic_error("emulated certify kernel: a box's bounds depend on the order of the "
                             "block's threads (a missing barrier)");
  }

  void sample(const double* boxes, std::size_t count, const std::int64_t* m, std::uint64_t seed,
              std::uint64_t round, std::size_t first, double tau, std::int64_t* hits,
              const std::function<void(std::int64_t)>& progress) override {
    const NetworkView<double> net = m_packed.view();
    const std::size_t width = static_cast<std::size_t>(m_packed.buffer_width());
    const std::vector<std::int64_t> offsets = sample_offsets(m, count);
    std::fill(hits, hits + count, 0);
#pragma omp parallel
    {
      std::vector<double> x(m_d), buf_a(width), buf_b(width);
      std::vector<std::int64_t> mine(count, 0);
#pragma omp for schedule(dynamic, 1)
      for (std::int64_t t = 0; t < kGridThreads; t += kThreadsPerTask) {
        box_block::emulate_sample_threads(net, boxes, offsets.data(), static_cast<int>(count), seed,
                                          round, first, tau, t,
                                          std::min(t + kThreadsPerTask, kGridThreads), kGridThreads,
                                          x.data(), buf_a.data(), buf_b.data(), mine.data());
      }
#pragma omp critical
      for (std::size_t i = 0; i < count; ++i)
        hits[i] += mine[i];
    }
    report_sampled(progress, m, count);
  }

private:
  BoundsImage m_image;
  BoundsView m_view;
  PackedNetwork<double> m_packed;
  std::size_t m_d;
  int m_block_threads;
};

} // namespace

std::unique_ptr<BoxEngine> make_emulated_box_engine(const Network& net, const BoxBounder& bounder,
                                                    int block_threads, std::string* why) {
  if (block_threads < 1) {
    if (why) *why = "an emulated block needs at least one thread";
    return nullptr;
  }
  if (!box_kernels_support(net, bounder, why)) return nullptr;
  return std::make_unique<EmulatedBoxEngine>(net, bounder, block_threads);
}

} // namespace spikemesh
