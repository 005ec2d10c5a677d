/// @file backend_emulated.cpp
/// @brief The CUDA evaluator's kernels (math/eval_block.hpp, and math/dense_block.hpp for the
/// dense MLPs backend_cuda.cpp sends to the fused dense kernel) run on the host: the same buffer
/// width, kernel choice, grid rule and per-block partials merged in block order by the merge
/// kernel's code (math/partials_merge.hpp) as backend_cuda.cpp, so CPU tests check the kernels'
/// arithmetic, index partition and bins without a device. Slow (one emulated thread at a time):
/// for tests.
#include "spikemesh/evaluator.hpp"
#include "spikemesh/math/dense_block.hpp"
#include "spikemesh/math/eval_block.hpp"
#include "spikemesh/math/partials_merge.hpp"

#include "eval_kernel.hpp"

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace spikemesh {
namespace {

/// A packed network and the training set as the kernel reads them (host memory).
template <class T>
struct HostProblem {
  HostProblem(const Problem& p, int width) : packed(p.c->network, width) {
    view.net = packed.view();
    view.mesh = p.mesh;
    view.truth = truth_view(*p.c);
    view.stats = p.stats;
  }
  PackedNetwork<T> packed;
  EvalView<T> view;
};

class EmulatedCudaEvaluator final : public Evaluator {
public:
  explicit EmulatedCudaEvaluator(int grid) : m_full_grid(grid) {}
  std::string name() const override { return "cuda-emulated"; }
  std::string device() const override {
    return "the CUDA mesh kernel emulated on the host (" + std::to_string(m_full_grid) +
           " blocks of " + std::to_string(eval_block::kThreads) + " threads)";
  }
  index_t chunk_size() const override { return index_t(1) << 22; } // as the CUDA evaluator

  void prepare(const Problem& p) override {
    m_float.reset();
    m_double.reset();
    if (p.precision == Precision::Double) {
      m_width = eval_kernel_width<double>(p.c->network);
      m_double = std::make_unique<HostProblem<double>>(p, m_width);
    } else {
      m_width = eval_kernel_width<float>(p.c->network);
      m_float = std::make_unique<HostProblem<float>>(p, m_width);
    }
  }

  Accumulator evaluate(IndexRange range) override {
    if (m_double) return run(m_double->view, range);
    if (m_float) return run(m_float->view, range);
    throw std::logic_error("EmulatedCudaEvaluator::evaluate before prepare");
  }

private:
  template <class T>
  Accumulator run(const EvalView<T>& v, IndexRange range) const {
    Accumulator total;
    if (range.size() == 0) return total;
    const int grid = eval_block::grid_for_range(range.size(), m_full_grid);
    std::vector<Accumulator> partials(static_cast<std::size_t>(grid));
    const int rows = dense_block::rows_for(v.net); // as backend_cuda.cpp chooses
    if (rows == dense_block::kRowsWide) {
      dense_block::emulate_dense_grid<T, dense_block::kRowsWide>(v, range, grid, partials.data());
    } else if (rows == dense_block::kRowsNarrow) {
      dense_block::emulate_dense_grid<T, dense_block::kRowsNarrow>(v, range, grid, partials.data());
    } else if (m_width == eval_block::kSeparableWidth) {
      eval_block::emulate_eval_grid<T, eval_block::kSeparableWidth>(v, range, grid,
                                                                    partials.data());
    } else if (m_width == eval_block::kNarrowWidth) {
      eval_block::emulate_eval_grid<T, eval_block::kNarrowWidth>(v, range, grid, partials.data());
    } else {
      eval_block::emulate_eval_grid<T, eval_block::kWideWidth>(v, range, grid, partials.data());
    }
    // The CUDA evaluator's device merge, on the host: block order (math/partials_merge.hpp).
    partials::merge_in_block_order(partials.data(), grid, &total);
    return total;
  }

  int m_full_grid;
  int m_width = eval_block::kNarrowWidth;
  std::unique_ptr<HostProblem<float>> m_float;
  std::unique_ptr<HostProblem<double>> m_double;
};

} // namespace

std::unique_ptr<Evaluator> make_emulated_cuda_evaluator(int grid) {
  if (grid < 1) throw std::invalid_argument("emulated CUDA evaluator: grid must be >= 1");
  return std::make_unique<EmulatedCudaEvaluator>(grid);
}

} // namespace spikemesh
