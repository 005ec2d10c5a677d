/// @file evaluator.hpp
/// @brief The one evaluation interface: a prepared problem, evaluated over any index range into
/// an Accumulator. Backends (CPU/OpenMP, CUDA) sit behind make_evaluator(). No CUDA type here.
#pragma once

#include "spikemesh/case.hpp"
#include "spikemesh/math/mesh.hpp"
#include "spikemesh/math/point_stats.hpp"

#include <deque>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

namespace spikemesh {

enum class Backend : std::uint8_t { Auto, Cpu, Cuda };
enum class Precision : std::uint8_t { Auto, Float, Double };

/// What an evaluator evaluates. The case must outlive the evaluator's use of it.
struct Problem {
  const Case* c = nullptr;
  MeshView mesh;
  StatsConfig stats;
  Precision precision = Precision::Float; ///< resolved: Float or Double
};

/// Evaluates mesh points of a prepared problem. Results are bit-identical for any thread count
/// (fixed chunks, merged in index order). Splitting a range (ranks, checkpoints) keeps counts
/// identical and changes double sums only in the last bits (compensated merge).
class Evaluator {
public:
  virtual ~Evaluator() = default;
  /// "cpu" or "cuda".
  virtual std::string name() const = 0;
  /// Human-readable device ("2-thread OpenMP CPU", "NVIDIA H100 80GB HBM3").
  virtual std::string device() const = 0;
  /// Packs (and uploads) the network once; call before evaluate().
  virtual void prepare(const Problem& problem) = 0;
  /// Reduces the statistics of every mesh point in @p range.
  virtual Accumulator evaluate(IndexRange range) = 0;
  /// Points per fixed work chunk; chunk c covers [c * size, (c + 1) * size) of the linear index.
  virtual index_t chunk_size() const = 0;

  /// Pipelined evaluation (run_mesh): submit() starts @p range; collect() returns the result
  /// of the oldest submitted range not yet collected (results come back in submission order,
  /// each exactly what evaluate() of its range gives); discard() waits for and drops every
  /// submitted range's result. At most pipeline_depth() ranges may be submitted and not yet
  /// collected; evaluate() is for when none is. The default evaluates in submit(): depth 1, the
  /// same evaluate() calls in the same order as without a pipeline. The CUDA evaluator has
  /// depth 2: the device computes range k + 1 while the host takes range k's result.
  virtual int pipeline_depth() const { return 1; }
  virtual void submit(IndexRange range) { m_results.push_back(evaluate(range)); }
  virtual Accumulator collect() {
    if (m_results.empty()) throw std::logic_error("Evaluator::collect without a submitted range");
    const Accumulator a = m_results.front();
    m_results.pop_front();
    return a;
  }
  virtual void discard() noexcept { m_results.clear(); }

private:
  std::deque<Accumulator> m_results; ///< the default pipeline's finished results
};

/// The CPU backend (OpenMP). @p threads = 0 uses OpenMP's default.
std::unique_ptr<Evaluator> make_cpu_evaluator(int threads = 0, index_t chunk_size = 1 << 14);

/// The CUDA backend's mesh kernel (math/eval_block.hpp) run on the host, one emulated thread at
/// a time, with at most @p grid blocks and the CUDA evaluator's block-order merge: checks the
/// kernel without a device (tests; slow). Named "cuda-emulated".
std::unique_ptr<Evaluator> make_emulated_cuda_evaluator(int grid = 7);

/// Picks a backend. Auto: CUDA when built with it and a device is present, else CPU with a
/// one-line @p notice. Cuda without a device throws std::runtime_error.
std::unique_ptr<Evaluator> make_evaluator(Backend backend, int threads, std::string* notice);

/// The GPU an MPI rank uses among @p count visible devices: its node-local rank (the first of
/// OMPI_COMM_WORLD_LOCAL_RANK, SLURM_LOCALID, MPI_LOCALRANKID that @p get_env finds) modulo
/// @p count; -1 (keep the current device) without such a variable, with a value that is not a
/// non-negative integer, or without devices.
int cuda_device_for_local_rank(int count, const std::function<const char*(const char*)>& get_env);

/// Whether this build has the CUDA backend and a usable device; @p why gets the reason if not.
bool cuda_available(std::string* why);

/// (--precision auto is decided by choose_precision(), include/spikemesh/rounding_bound.hpp.)

std::string backend_name(Backend b);
std::string precision_name(Precision p);

/// Default statistics settings of a case: f range +-1.25 max|y|, distance range d h / 2.
StatsConfig default_stats_config(const Case& c);

} // namespace spikemesh
