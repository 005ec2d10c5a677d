/// @file backend_cuda.cpp
/// @brief CudaEvaluator: uploads the packed network and training labels once, launches the mesh
/// kernel per range, and merges the per-block partials on the host in block order (R8).
/// Networks whose layers are all dense with hidden widths 32 to 256 run on the fused dense
/// kernel instead (dense_block::rows_for; same Accumulator bit for bit).
/// Compiled by g++; device code lives in kernels/eval_mesh.cu and kernels/eval_dense.cu.
#include "spikemesh/evaluator.hpp"

#include "cuda_check.hpp"
#include "device_buffer.hpp"
#include "eval_dense.hpp"
#include "eval_kernel.hpp"
#include "eval_mesh.hpp"

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

class CudaEvaluator final : public Evaluator {
public:
  CudaEvaluator() : m_device(m_current.index), m_name(m_current.name) {}

  std::string name() const override { return "cuda"; }
  std::string device() const override { return m_name; }
  /// The kernel spreads a range over the whole grid; the driver's blocks are 2^22 * 64 points.
  index_t chunk_size() const override { return index_t(1) << 22; }

  void prepare(const Problem& p) override {
    m_float.reset();
    m_double.reset();
    if (p.precision == Precision::Double) {
      prepare_as(p, m_double);
    } else {
      prepare_as(p, m_float);
    }
  }

  Accumulator evaluate(IndexRange range) override {
    if (m_double) return run(*m_double, range);
    if (m_float) return run(*m_float, range);
    throw std::logic_error("CudaEvaluator::evaluate before prepare");
  }

private:
  template <class T>
  void prepare_as(const Problem& p, std::unique_ptr<DeviceProblem<T>>& slot) {
    m_width = eval_kernel_width<T>(p.c->network);
    slot = std::make_unique<DeviceProblem<T>>(p, m_width, m_stream.get());
    m_dense_rows = dense_block::rows_for(slot->packed.view()); // host view: 0 = mesh kernel
    if (m_dense_rows != 0) {
      m_dense_smem = dense_block::smem_bytes(slot->packed.view(), m_dense_rows);
      m_grid = cuda::eval_dense_grid<T>(m_dense_rows, m_dense_smem, m_device);
    } else {
      m_grid = cuda::eval_mesh_grid<T>(m_width, m_device);
    }
    m_partials = cuda::DeviceBuffer<Accumulator>(static_cast<std::size_t>(m_grid));
  }

  template <class T>
  Accumulator run(const DeviceProblem<T>& dp, IndexRange range) {
    Accumulator total;
    if (range.size() == 0) return total;
    const int grid = eval_block::grid_for_range(range.size(), m_grid);
    if (m_dense_rows != 0) {
      cuda::launch_eval_dense(dp.view, range, m_dense_rows, m_dense_smem, grid, m_partials.data(),
                              m_stream.get());
    } else {
      cuda::launch_eval_mesh(dp.view, range, m_width, grid, m_partials.data(), m_stream.get());
    }
    const std::vector<Accumulator> partials =
        m_partials.download(m_stream.get(), static_cast<std::size_t>(grid));
    for (const Accumulator& p : partials)
      total.merge(p); // block order, every run
    return total;
  }

  CurrentDevice m_current; // first: the members below live on its device
  int m_device = 0;
  std::string m_name;
  int m_width = cuda::kNarrowWidth;
  int m_grid = 1;
  int m_dense_rows = 0;         ///< dense_block::rows_for() of the network; 0: the mesh kernel
  std::size_t m_dense_smem = 0; ///< its dynamic shared memory per block
  cuda::CudaStream m_stream;
  cuda::DeviceBuffer<Accumulator> m_partials;
  std::unique_ptr<DeviceProblem<float>> m_float;
  std::unique_ptr<DeviceProblem<double>> m_double;
};

} // namespace

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
