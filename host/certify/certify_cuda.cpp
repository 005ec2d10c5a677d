/// @file certify_cuda.cpp
/// @brief The GPU BoxEngine: the bounds network (every layer as CSR plus the separable form) and
/// the packed network go to the device once; each batch of boxes is uploaded, bounded or sampled
/// by the kernels, and only three numbers per box (bounds and split axis) or one (hits) come
/// back, so the host keeps the deterministic best-first queue.
#include "certify_boxes.hpp"
#include "cuda_check.hpp"
#include "device_buffer.hpp"

#include <algorithm>

namespace spikemesh::cuda {
namespace {

class CudaBoxEngine final : public BoxEngine {
public:
  CudaBoxEngine(const Network& net, const BoxBounder& bounder)
      : m_packed(net, 256), m_d(static_cast<std::size_t>(net.in_dim)) {
    // Every layer as CSR without zero weights, in column order (BoxBounder's visiting order).
    std::vector<BoundLayer> layers;
    std::vector<std::int64_t> row_ptr;
    std::vector<std::int32_t> cols;
    std::vector<double> vals, bias;
    std::int64_t z_off = 0;
    int max_width = net.in_dim;
    for (const Layer& L : net.layers) {
      BoundLayer B;
      B.in = L.in;
      B.out = L.out;
      B.act = L.act;
      B.alpha = L.alpha;
      B.ptr_off = static_cast<std::int64_t>(row_ptr.size());
      B.ent_off = static_cast<std::int64_t>(cols.size());
      B.bias_off = static_cast<std::int64_t>(bias.size());
      B.z_off = z_off;
      const std::vector<double> w = L.dense_weight();
      std::int64_t entries = 0;
      for (int r = 0; r < L.out; ++r) {
        row_ptr.push_back(entries);
        for (int j = 0; j < L.in; ++j) {
          const double x = w[static_cast<std::size_t>(r) * static_cast<std::size_t>(L.in) +
                             static_cast<std::size_t>(j)];
          if (x == 0.0) continue;
          cols.push_back(j);
          vals.push_back(x);
          ++entries;
        }
      }
      row_ptr.push_back(entries);
      bias.insert(bias.end(), L.bias.begin(), L.bias.end());
      z_off += L.out;
      max_width = std::max({max_width, L.in, L.out});
      layers.push_back(B);
    }
    m_layers = DeviceBuffer<BoundLayer>(layers);
    m_row_ptr = DeviceBuffer<std::int64_t>(row_ptr);
    m_cols = DeviceBuffer<std::int32_t>(cols);
    m_vals = DeviceBuffer<double>(vals);
    m_bias = DeviceBuffer<double>(bias);
    BoundsView& v = m_view;
    v.layers = m_layers.data();
    v.n_layers = static_cast<int>(layers.size());
    v.in_dim = net.in_dim;
    v.max_width = max_width;
    v.row_ptr = m_row_ptr.data();
    v.cols = m_cols.data();
    v.vals = m_vals.data();
    v.bias = m_bias.data();
    v.separable = bounder.separable();
    if (v.separable) {
      std::vector<int> term_axis, term_ptr{0};
      std::vector<double> tw, ta, tc;
      for (const BoxBounder::AxisTerm& t : bounder.terms()) {
        term_axis.push_back(t.axis);
        tw.insert(tw.end(), t.w.begin(), t.w.end());
        ta.insert(ta.end(), t.a.begin(), t.a.end());
        tc.insert(tc.end(), t.c.begin(), t.c.end());
        term_ptr.push_back(static_cast<int>(tw.size()));
      }
      m_axis0 = DeviceBuffer<int>(bounder.first_layer_axis());
      m_a0 = DeviceBuffer<double>(bounder.first_layer_weight());
      m_term_axis = DeviceBuffer<int>(term_axis);
      m_term_ptr = DeviceBuffer<int>(term_ptr);
      m_term_w = DeviceBuffer<double>(tw);
      m_term_a = DeviceBuffer<double>(ta);
      m_term_c = DeviceBuffer<double>(tc);
      m_row_term_ptr = DeviceBuffer<int>(bounder.row_term_ptr());
      m_row_term_idx = DeviceBuffer<int>(bounder.row_term_index());
      v.axis0 = m_axis0.data();
      v.a0 = m_a0.data();
      v.n_terms = static_cast<int>(term_axis.size());
      v.term_axis = m_term_axis.data();
      v.term_ptr = m_term_ptr.data();
      v.term_w = m_term_w.data();
      v.term_a = m_term_a.data();
      v.term_c = m_term_c.data();
      v.row_term_ptr = m_row_term_ptr.data();
      v.row_term_idx = m_row_term_idx.data();
    }
    // Scratch per block: intervals of every layer, the terms and their magnitudes, two
    // sensitivity vectors and the axis scores.
    v.term_off = 2 * z_off;
    v.mag_off = v.term_off + 2 * static_cast<std::int64_t>(v.n_terms);
    v.sens_off = v.mag_off + v.n_terms;
    v.score_off = v.sens_off + 2 * static_cast<std::int64_t>(max_width);
    v.scratch_per_block = v.score_off + net.in_dim;

    m_net_layers = DeviceBuffer<LayerDesc>(m_packed.layers());
    m_net_params = DeviceBuffer<double>(m_packed.params());
    m_net_indices = DeviceBuffer<std::int32_t>(m_packed.indices());
    int device = 0;
    SM_CUDA_CHECK(cudaGetDevice(&device));
    SM_CUDA_CHECK(cudaDeviceGetAttribute(&m_sms, cudaDevAttrMultiProcessorCount, device));
  }

  std::string name() const override { return "cuda"; }

  void bound(const double* boxes, std::size_t count, BoxBound* out) override {
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
    const cudaStream_t s = m_stream.get();
    m_boxes.upload(boxes, count * 2 * m_d, s);
    m_counts.upload(m, count, s);
    m_hits.reserve(count);
    SampleArgs a;
    a.net = m_packed.view();
    a.net.layers = m_net_layers.data();
    a.net.params = m_net_params.data();
    a.net.indices = m_net_indices.data();
    a.boxes = m_boxes.data();
    a.counts = m_counts.data();
    a.count = static_cast<int>(count);
    a.seed = seed;
    a.round = round;
    a.first = first;
    a.tau = tau;
    a.hits = m_hits.data();
    const int grid =
        static_cast<int>(std::min<std::size_t>(count, 64 * static_cast<std::size_t>(m_sms)));
    launch_sample_boxes(a, m_packed.buffer_width(), grid, s);
    m_hits.download_to(hits, count, s);
    SM_CUDA_CHECK(cudaStreamSynchronize(s));
    if (progress) {
      std::int64_t total = 0;
      for (std::size_t i = 0; i < count; ++i)
        total += m[i];
      progress(total);
    }
  }

private:
  PackedNetwork<double> m_packed;
  std::size_t m_d;
  int m_sms = 1;
  CudaStream m_stream;
  BoundsView m_view;
  DeviceBuffer<BoundLayer> m_layers;
  DeviceBuffer<std::int64_t> m_row_ptr;
  DeviceBuffer<std::int32_t> m_cols;
  DeviceBuffer<double> m_vals, m_bias;
  DeviceBuffer<int> m_axis0, m_term_axis, m_term_ptr, m_row_term_ptr, m_row_term_idx;
  DeviceBuffer<double> m_a0, m_term_w, m_term_a, m_term_c;
  DeviceBuffer<LayerDesc> m_net_layers;
  DeviceBuffer<double> m_net_params;
  DeviceBuffer<std::int32_t> m_net_indices;
  DeviceBuffer<double> m_boxes, m_f_lo, m_f_hi, m_scratch;
  DeviceBuffer<int> m_axis;
  DeviceBuffer<std::int64_t> m_counts, m_hits;
  std::vector<double> m_host_lo, m_host_hi;
  std::vector<int> m_host_axis;
};

} // namespace

std::unique_ptr<BoxEngine> make_box_engine(const Network& net, const BoxBounder& bounder,
                                           std::string* why) {
  if (bounder.linear()) {
    if (why) *why = "the linear relaxation runs on the CPU only (use --bounds interval)";
    return nullptr;
  }
  if (net.in_dim > kMaxDim) {
    if (why) *why = "more inputs than the kernels' coordinate buffers hold";
    return nullptr;
  }
  const PackedNetwork<double> packed(net, 256);
  if (packed.buffer_width() > 256) {
    if (why) *why = "a layer is wider than the sampling kernel's buffers (256)";
    return nullptr;
  }
  return std::make_unique<CudaBoxEngine>(net, bounder);
}

} // namespace spikemesh::cuda
