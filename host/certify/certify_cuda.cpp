/// @file certify_cuda.cpp
/// @brief The GPU BoxEngine: the bounds network (every layer as CSR plus the separable form) and
/// the packed network go to the device once; each batch of boxes is uploaded, bounded or sampled
/// by the kernels, and only three numbers per box (bounds and split axis) or one (hits) come
/// back, so the host keeps the deterministic best-first queue and the classification of boxes
/// (no device-side compaction: 20 bytes a box come back, and the CPU and GPU engines process the
/// same boxes in the same order).
#include "bounds_image.hpp"
#include "certify_boxes.hpp"
#include "cuda_check.hpp"
#include "device_buffer.hpp"

#include <algorithm>
#include <memory>
#include <type_traits>

namespace spikemesh::cuda {
namespace {

class CudaBoxEngine final : public BoxEngine {
public:
  CudaBoxEngine(const Network& net, const BoxBounder& bounder)
      : m_packed(net, kBoxKernelWidth), m_d(static_cast<std::size_t>(net.in_dim)) {
    const BoundsImage image = make_bounds_image(bounder);
    m_view = image.bind([this](const auto& host) {
      using T = typename std::decay_t<decltype(host)>::value_type;
      auto copy = std::make_shared<DeviceBuffer<T>>(host, m_stream.get());
      m_arrays.push_back(copy);
      return static_cast<const T*>(copy->data());
    });
    m_net_layers = DeviceBuffer<LayerDesc>(m_packed.layers(), m_stream.get());
    m_net_params = DeviceBuffer<double>(m_packed.params(), m_stream.get());
    m_net_indices = DeviceBuffer<std::int32_t>(m_packed.indices(), m_stream.get());
    int device = 0;
    SM_CUDA_CHECK(cudaGetDevice(&device));
    SM_CUDA_CHECK(cudaDeviceGetAttribute(&m_sms, cudaDevAttrMultiProcessorCount, device));
  }

  std::string name() const override { return "cuda"; }

  void bound(const double* boxes, std::size_t count, BoxBound* out) override {
    if (count == 0) return; // a grid of 0 blocks is an invalid launch
    const cudaStream_t s = m_stream.get();
    m_boxes.upload(boxes, count * 2 * m_d, s);
    m_f_lo.reserve(count);
    m_f_hi.reserve(count);
    m_axis.reserve(count);
    const int grid =
        static_cast<int>(std::min<std::size_t>(count, 16 * static_cast<std::size_t>(m_sms)));
    m_scratch.reserve(static_cast<std::size_t>(grid) *
                      static_cast<std::size_t>(m_view.scratch_per_block));
    launch_bound_boxes(m_view, m_boxes.data(), static_cast<int>(count), m_scratch.data(), grid,
                       m_f_lo.data(), m_f_hi.data(), m_axis.data(), s);
    m_host_lo.resize(count);
    m_host_hi.resize(count);
    m_host_axis.resize(count);
    m_f_lo.download_to(m_host_lo.data(), count, s);
    m_f_hi.download_to(m_host_hi.data(), count, s);
    m_axis.download_to(m_host_axis.data(), count, s);
    SM_CUDA_CHECK(cudaStreamSynchronize(s));
    for (std::size_t c = 0; c < count; ++c)
      out[c] = {{m_host_lo[c], m_host_hi[c]}, m_host_axis[c]};
  }

  void sample(const double* boxes, std::size_t count, const std::int64_t* m, std::uint64_t seed,
              std::uint64_t round, std::size_t first, double tau, std::int64_t* hits,
              const std::function<void(std::int64_t)>& progress) override {
    if (count == 0) return;
    const cudaStream_t s = m_stream.get();
    m_boxes.upload(boxes, count * 2 * m_d, s);
    const std::vector<std::int64_t> offsets = sample_offsets(m, count);
    m_offsets.upload(offsets.data(), count + 1, s);
    m_hits.reserve(count);
    SampleArgs a;
    a.net = m_packed.view();
    a.net.layers = m_net_layers.data();
    a.net.params = m_net_params.data();
    a.net.indices = m_net_indices.data();
    a.boxes = m_boxes.data();
    a.offsets = m_offsets.data();
    a.count = static_cast<int>(count);
    a.seed = seed;
    a.round = round;
    a.first = first;
    a.tau = tau;
    a.hits = m_hits.data();
    launch_sample_boxes(a, m_packed.buffer_width(), offsets[count], 32 * m_sms, s);
    m_hits.download_to(hits, count, s);
    SM_CUDA_CHECK(cudaStreamSynchronize(s));
    report_sampled(progress, m, count);
  }

private:
  PackedNetwork<double> m_packed;
  std::size_t m_d;
  int m_sms = 1;
  CudaStream m_stream;
  BoundsView m_view;
  std::vector<std::shared_ptr<void>> m_arrays; ///< the device copies m_view points into
  DeviceBuffer<LayerDesc> m_net_layers;
  DeviceBuffer<double> m_net_params;
  DeviceBuffer<std::int32_t> m_net_indices;
  DeviceBuffer<double> m_boxes, m_f_lo, m_f_hi, m_scratch;
  DeviceBuffer<int> m_axis;
  DeviceBuffer<std::int64_t> m_offsets, m_hits;
  std::vector<double> m_host_lo, m_host_hi;
  std::vector<int> m_host_axis;
};

} // namespace

std::unique_ptr<BoxEngine> make_box_engine(const Network& net, const BoxBounder& bounder,
                                           std::string* why) {
  if (!box_kernels_support(net, bounder, why)) return nullptr;
  return std::make_unique<CudaBoxEngine>(net, bounder);
}

} // namespace spikemesh::cuda
