/// @file backend_cuda.cpp
/// @brief CudaEvaluator: uploads the packed network and training labels once; per range it
/// launches the mesh kernel (or, for networks whose layers are all dense with hidden widths 32 to
/// 256, the fused dense kernel: dense_block::rows_for, same Accumulator bit for bit), then the
/// merge kernel, which folds the per-block partials in block order on the device
/// (math/partials_merge.hpp: bit for bit the host's block-order merge), and copies the one merged
/// Accumulator into pinned host memory (R8). Two ranges can be in flight (pipeline_depth() 2):
/// the evaluation kernels run on one stream back to back, each range's merge and copy on a
/// second, high-priority stream, so the merge of range k and the host's collect overlap the
/// kernel of range k + 1. Compiled by g++; device code in kernels/eval_mesh.cu and
/// kernels/eval_dense.cu.
#include "spikemesh/evaluator.hpp"

#include "cuda_check.hpp"
#include "device_buffer.hpp"
#include "eval_dense.hpp"
#include "eval_kernel.hpp"
#include "eval_mesh.hpp"
#include "launch_trace.hpp"

#include <cstdlib>
#include <memory>
#include <stdexcept>

namespace spikemesh {
namespace {

/// A packed network and the training set, resident on the device.
template <class T>
struct DeviceProblem {
  DeviceProblem(const Problem& p, int max_width, cudaStream_t s)
      : packed(p.c->network, max_width), layers(packed.layers(), s), params(packed.params(), s),
        indices(packed.indices(), s), train_x(p.c->training.x, s), train_y(p.c->training.y, s) {
    view.net = packed.view();
    view.net.layers = layers.data();
    view.net.params = params.data();
    view.net.indices = indices.data();
    view.mesh = p.mesh;
    view.truth = truth_view(*p.c);
    view.truth.x = train_x.data();
    view.truth.y = train_y.data();
    view.stats = p.stats;
  }
  PackedNetwork<T> packed;
  cuda::DeviceBuffer<LayerDesc> layers;
  cuda::DeviceBuffer<T> params;
  cuda::DeviceBuffer<std::int32_t> indices;
  cuda::DeviceBuffer<double> train_x, train_y;
  EvalView<T> view; ///< device pointers
};

/// Makes this rank's GPU current. A member constructed before any other CUDA member, so the
/// evaluator's stream and buffers belong to that device (a stream created first would belong to
/// device 0, and every rank would launch there).
struct CurrentDevice {
  CurrentDevice() {
    int count = 0;
    SM_CUDA_CHECK(cudaGetDeviceCount(&count));
    const int chosen =
        cuda_device_for_local_rank(count, [](const char* v) { return std::getenv(v); });
    if (chosen >= 0) SM_CUDA_CHECK(cudaSetDevice(chosen));
    SM_CUDA_CHECK(cudaGetDevice(&index));
    cudaDeviceProp prop{};
    SM_CUDA_CHECK(cudaGetDeviceProperties(&prop, index));
    name = prop.name;
  }
  int index = 0;
  std::string name;
};

/// What one range in flight owns: its blocks' partials, the merged result on the device, and
/// events marking the end of its mesh kernel and of its result's copy to the host.
struct RangeSlot {
  cuda::DeviceBuffer<Accumulator> partials; ///< one per block of the full grid
  cuda::DeviceBuffer<Accumulator> merged{1};
  cuda::CudaEvent evaluated; ///< mesh kernel done: the merge may read the partials
  cuda::CudaEvent done;      ///< merge and copy done: partials reusable, host result complete
  bool empty = false;        ///< an empty range: nothing launched, the result is Accumulator{}
};

class CudaEvaluator final : public Evaluator {
public:
  CudaEvaluator() : m_device(m_current.index), m_name(m_current.name) {}
  ~CudaEvaluator() override { discard(); } // no kernel may outlive the buffers it writes

  std::string name() const override { return "cuda"; }
  std::string device() const override { return m_name; }
  /// The kernel spreads a range over the whole grid; the driver's blocks are 2^22 * 64 points.
  index_t chunk_size() const override { return index_t(1) << 22; }

  void prepare(const Problem& p) override {
    discard();
    m_float.reset();
    m_double.reset();
    if (p.precision == Precision::Double) {
      prepare_as(p, m_double);
    } else {
      prepare_as(p, m_float);
    }
  }

  Accumulator evaluate(IndexRange range) override {
    if (m_in_flight != 0)
      throw std::logic_error("CudaEvaluator::evaluate while submitted ranges are not collected");
    submit(range);
    return collect();
  }

  int pipeline_depth() const override { return kSlots; }

  void submit(IndexRange range) override {
    if (m_in_flight == kSlots)
      throw std::logic_error("CudaEvaluator::submit: pipeline full (collect first)");
    if (m_double) {
      enqueue(*m_double, range);
    } else if (m_float) {
      enqueue(*m_float, range);
    } else {
      throw std::logic_error("CudaEvaluator::submit before prepare");
    }
    m_submit = (m_submit + 1) % kSlots;
    ++m_in_flight;
  }

  Accumulator collect() override {
    if (m_in_flight == 0) throw std::logic_error("CudaEvaluator::collect without a range");
    const int k = m_collect;
    m_collect = (m_collect + 1) % kSlots;
    --m_in_flight;
    if (m_slots[k].empty) return Accumulator{};
    m_slots[k].done.synchronize(); // throws on a failed kernel
    return m_host[static_cast<std::size_t>(k)];
  }

  void discard() noexcept override {
    for (; m_in_flight > 0; --m_in_flight) {
      const RangeSlot& slot = m_slots[m_collect];
      m_collect = (m_collect + 1) % kSlots;
      if (slot.empty) continue;
      if (cudaEventSynchronize(slot.done.get()) != cudaSuccess)
        static_cast<void>(cudaGetLastError()); // dropped anyway; the next call reports it
    }
  }

private:
  static constexpr int kSlots = 2;

  template <class T>
  void prepare_as(const Problem& p, std::unique_ptr<DeviceProblem<T>>& problem) {
    m_width = eval_kernel_width<T>(p.c->network);
    problem = std::make_unique<DeviceProblem<T>>(p, m_width, m_stream.get());
    m_dense_rows = dense_block::rows_for(problem->packed.view()); // host view: 0 = mesh kernel
    if (m_dense_rows != 0) {
      m_dense_smem = dense_block::smem_bytes(problem->packed.view(), m_dense_rows);
      m_grid = cuda::eval_dense_grid<T>(m_dense_rows, m_dense_smem, m_device);
    } else {
      m_grid =
          cuda::eval_mesh_grid<T>(m_width, cuda::eval_mesh_smem(m_width, problem->view), m_device);
    }
    for (RangeSlot& slot : m_slots)
      slot.partials = cuda::DeviceBuffer<Accumulator>(static_cast<std::size_t>(m_grid));
  }

  /// Enqueues range @p range into slot m_submit: mesh kernel (after the slot's previous merge
  /// has read its partials), then on the merge stream, after the mesh kernel, the merge and the
  /// copy of the merged result into the slot's pinned host Accumulator.
  template <class T>
  void enqueue(const DeviceProblem<T>& dp, IndexRange range) {
    RangeSlot& slot = m_slots[m_submit];
    slot.empty = range.size() == 0;
    if (slot.empty) return;
    const int grid = eval_block::grid_for_range(range.size(), m_grid);
    slot.done.enqueue_wait(m_stream.get()); // the slot's last merge has read the partials
    if (m_dense_rows != 0) {
      cuda::launch_eval_dense(dp.view, range, m_dense_rows, m_dense_smem, grid,
                              slot.partials.data(), m_stream.get());
    } else {
      cuda::launch_eval_mesh(dp.view, range, m_width, grid, slot.partials.data(), m_stream.get());
    }
    slot.evaluated.record(m_stream.get());
    slot.evaluated.enqueue_wait(m_merge_stream.get());
    cuda::launch_merge_partials(slot.partials.data(), grid, slot.merged.data(),
                                m_merge_stream.get());
    slot.merged.download_to(&m_host[static_cast<std::size_t>(m_submit)], 1, m_merge_stream.get());
    slot.done.record(m_merge_stream.get());
  }

  CurrentDevice m_current; // first: the members below live on its device
  int m_device = 0;
  std::string m_name;
  int m_width = cuda::kNarrowWidth;
  int m_grid = 1;
  int m_dense_rows = 0;         ///< dense_block::rows_for() of the network; 0: the mesh kernel
  std::size_t m_dense_smem = 0; ///< its dynamic shared memory per block
  cuda::CudaStream m_stream;    ///< evaluation kernels
  cuda::CudaStream m_merge_stream{cuda::CudaStream::HighPriority{}}; ///< merges, copies
  RangeSlot m_slots[kSlots];
  cuda::PinnedBuffer<Accumulator> m_host{static_cast<std::size_t>(kSlots)}; ///< merged results
  int m_submit = 0, m_collect = 0, m_in_flight = 0;
  std::unique_ptr<DeviceProblem<float>> m_float;
  std::unique_ptr<DeviceProblem<double>> m_double;
};

} // namespace

namespace cuda {

LaunchTrace trace_eval_launch(const Problem& p, IndexRange range, int flush_tiles) {
  const CurrentDevice dev;
  const CudaStream stream;
  LaunchTrace trace;
  const auto run = [&](auto precision) {
    using T = decltype(precision);
    trace.width = eval_kernel_width<T>(p.c->network);
    const DeviceProblem<T> dp(p, trace.width, stream.get());
    const int grid = eval_block::grid_for_range(
        range.size(),
        eval_mesh_grid<T>(trace.width, eval_mesh_smem(trace.width, dp.view), dev.index));
    DeviceBuffer<Accumulator> parts(static_cast<std::size_t>(grid)), merged(1);
    launch_eval_mesh(dp.view, range, trace.width, grid, parts.data(), stream.get(), flush_tiles);
    launch_merge_partials(parts.data(), grid, merged.data(), stream.get());
    trace.partials = parts.download(stream.get(), static_cast<std::size_t>(grid));
    trace.merged = merged.download(stream.get(), 1)[0];
  };
  if (p.precision == Precision::Double) {
    run(double{});
  } else {
    run(float{});
  }
  return trace;
}

Accumulator merge_on_device(const std::vector<Accumulator>& partials) {
  const CurrentDevice dev;
  const CudaStream stream;
  const DeviceBuffer<Accumulator> parts(partials, stream.get());
  DeviceBuffer<Accumulator> merged(1);
  launch_merge_partials(parts.data(), static_cast<int>(partials.size()), merged.data(),
                        stream.get());
  return merged.download(stream.get(), 1)[0];
}

} // namespace cuda

/// Declared in host/backends/evaluator_factory.cpp.
std::unique_ptr<Evaluator> make_cuda_evaluator() {
  return std::make_unique<CudaEvaluator>();
}

/// True when the runtime sees at least one device; any error counts as "no GPU".
bool cuda_device_present(std::string* why) {
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    static_cast<void>(cudaGetLastError());
    if (why) *why = std::string(cudaGetErrorName(err)) + ": " + cudaGetErrorString(err);
    return false;
  }
  if (count == 0) {
    if (why) *why = "no CUDA device visible";
    return false;
  }
  return true;
}

} // namespace spikemesh
