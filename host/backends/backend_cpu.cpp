/// @file backend_cpu.cpp
/// @brief CpuEvaluator: OpenMP over fixed chunks with per-chunk Accumulators merged in index
/// order, so results are bit-identical for any thread count (R8). Inside a chunk, points go
/// through forward_tile() in tiles of kTile, or kLongTile on long rows (vectorised across
/// points; AVX2 + FMA clone when the CPU has it; sparse ReLU layers test silence through their
/// SilencePlan), mesh points come from a MeshCursor instead of per-point divisions, and the
/// statistics are added in blocks of cpu::kStatBlock points by add_stats_block()
/// (stats_block.hpp), bit for bit the per-point sample_at / BinStats::add / add_block.
#include "spikemesh/evaluator.hpp"
#include "spikemesh/math/point_stats.hpp"

#include "forward_batch.hpp"
#include "stats_block.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace spikemesh {
namespace {

constexpr int kTile = 32;           ///< forward tile when axis 0 is short (rows wrap inside a tile)
constexpr int kLongTile = 128;      ///< forward tile when axis 0 is long: per-tile work (ranges,
                                    ///< silence tests) spread over 4x more points
constexpr index_t kLongAxis = 1024; ///< axis-0 length from which kLongTile is used

template <class T>
struct CpuState {
  explicit CpuState(const Problem& p) : packed(p.c->network), truth(truth_view(*p.c)) {
    view.net = packed.view();
    view.mesh = p.mesh;
    view.truth = truth;
    view.stats = p.stats;
    for (int l = 0; l < view.net.n_layers; ++l) {
      plans.push_back(cpu::make_silence_plan(view.net, l));
      work = std::max(work, cpu::silence_work_size(plans.back()));
      rows = std::max(rows, static_cast<std::size_t>(plans.back().rows));
    }
  }
  PackedNetwork<T> packed;
  TruthView truth;
  EvalView<T> view;
  std::vector<cpu::SilencePlan<T>> plans; ///< per layer (rows = 0: tested row by row)
  std::size_t work = 0, rows = 0;         ///< work space the plans' tests need per thread
};

/// Per-thread scratch: a tile of points and the two ping-pong tile buffers.
template <class T>
struct Scratch {
  Scratch(const CpuState<T>& st)
      : x(static_cast<std::size_t>(kMaxDim) * kLongTile),
        a(static_cast<std::size_t>(st.view.net.buffer_width) * kLongTile), b(a.size()),
        ranges(3 * static_cast<std::size_t>(std::max(st.view.net.buffer_width, kMaxDim))),
        work(st.work), active(st.rows) {
    plans.layer = st.plans.data();
    plans.work = work.data();
    plans.active = active.data();
  }
  std::vector<T> x, a, b;
  std::vector<T> ranges; ///< per-input min/max/magnitude over a tile (silent-row skipping)
  std::vector<T> work;   ///< the silence plans' work space
  std::vector<std::int32_t> active;
  cpu::TilePlans<T> plans;
  cpu::LocalBins bins;
};

/// Fills the tile x[a][b] (stride B) with the points from the cursor's and advances it by @p n.
/// When the whole tile lies in one row of axis 0, axis 0 is written directly and the other axes
/// broadcast (returns true: axes >= 1 are constant over the tile); otherwise point by point
/// (padding lanes hold the point after the last). Either way every coordinate is
/// mesh_coordinate()'s, bit for bit.
template <class T, int B>
__attribute__((always_inline)) inline bool fill_tile(const MeshView& m, MeshCursor<T>& cur, int n,
                                                     T* x) {
  const int d = m.dim;
  const index_t k0 = cur.k[0];
  if (n == B && k0 + B <= m.points_per_axis[0]) {
    for (int b = 0; b < B; ++b)
      x[b] = static_cast<T>(mesh_coordinate(m, 0, k0 + b));
    for (int a = 1; a < d; ++a) {
      const T xa = cur.x[a];
      for (int b = 0; b < B; ++b)
        x[a * B + b] = xa;
    }
    cur.k[0] = k0 + B - 1;
    cur.x[0] = x[B - 1];
    cur.next(m);
    return true;
  }
  for (int b = 0; b < B; ++b) {
    for (int a = 0; a < d; ++a)
      x[a * B + b] = cur.x[a];
    if (b < n) cur.next(m); // padding lanes hold the next point; ignored
  }
  return false;
}

/// Reduces [first, last) into @p acc, in index order: forward tiles of B points, statistics in
/// blocks of kStatBlock points (the same blocks for every B, so B changes no bit of @p acc).
template <class T, int B>
__attribute__((always_inline)) inline void evaluate_chunk_impl(const EvalView<T>& v, index_t first,
                                                               index_t last, Accumulator& acc,
                                                               Scratch<T>& s) {
  static_assert(B % cpu::kStatBlock == 0);
  MeshCursor<T> cur;
  cur.start(v.mesh, first);
  T f[B];
  const HistScales scales(v.stats); // bin scales once per chunk: no division per point
  cpu::LocalBins& lb = s.bins;
  lb.clear();
  for (index_t i0 = first; i0 < last; i0 += B) {
    const int n = static_cast<int>(std::min<index_t>(B, last - i0));
    const bool row_const = fill_tile<T, B>(v.mesh, cur, n, s.x.data());
    cpu::forward_tile<T, B>(v.net, s.x.data(), s.a.data(), s.b.data(), s.ranges.data(), f, s.plans);
    for (int b0 = 0; b0 < n; b0 += cpu::kStatBlock)
      cpu::add_stats_block<T, B>(v, s.x.data(), f, b0, std::min(cpu::kStatBlock, n - b0), scales,
                                 acc, lb, row_const);
  }
  lb.merge_into(acc.bins);
}

template <class T>
__attribute__((always_inline)) inline void evaluate_chunk_any(const EvalView<T>& v, index_t first,
                                                              index_t last, Accumulator& acc,
                                                              Scratch<T>& s) {
  // Long tiles only while a layer buffer of them stays small (16 KiB: two fit in L1 with x).
  const bool small = static_cast<std::size_t>(v.net.buffer_width) * kLongTile * sizeof(T) <= 16384;
  if (v.mesh.points_per_axis[0] >= kLongAxis && small) {
    evaluate_chunk_impl<T, kLongTile>(v, first, last, acc, s);
  } else {
    evaluate_chunk_impl<T, kTile>(v, first, last, acc, s);
  }
}

// One clone per instruction set; identical arithmetic (-ffp-contract=off: no FMA contraction;
// the dense layers' explicit std::fma is the FMA instruction in the x86-64-v3 clone, which is
// AVX2 + FMA, and glibc's correctly rounded fma in the default one: the same bits).
__attribute__((target_clones("arch=x86-64-v3", "default"))) void
evaluate_chunk(const EvalView<float>& v, index_t first, index_t last, Accumulator& acc,
               Scratch<float>& s) {
  evaluate_chunk_any(v, first, last, acc, s);
}

__attribute__((target_clones("arch=x86-64-v3", "default"))) void
evaluate_chunk(const EvalView<double>& v, index_t first, index_t last, Accumulator& acc,
               Scratch<double>& s) {
  evaluate_chunk_any(v, first, last, acc, s);
}

class CpuEvaluator final : public Evaluator {
public:
  CpuEvaluator(int threads, index_t chunk) : m_threads(threads), m_chunk(chunk) {
    if (m_chunk < 1) throw std::invalid_argument("chunk size must be >= 1");
  }

  std::string name() const override { return "cpu"; }
  std::string device() const override {
    return std::to_string(thread_count()) + "-thread OpenMP CPU";
  }
  index_t chunk_size() const override { return m_chunk; }

  void prepare(const Problem& p) override {
    m_float.reset();
    m_double.reset();
    if (p.precision == Precision::Double) {
      m_double = std::make_unique<CpuState<double>>(p);
    } else {
      m_float = std::make_unique<CpuState<float>>(p);
    }
  }

  Accumulator evaluate(IndexRange range) override {
    if (m_double) return run(*m_double, range);
    if (m_float) return run(*m_float, range);
    throw std::logic_error("CpuEvaluator::evaluate before prepare");
  }

private:
  int thread_count() const { return m_threads > 0 ? m_threads : omp_get_max_threads(); }

  template <class T>
  Accumulator run(const CpuState<T>& st, IndexRange range) const {
    const EvalView<T>& v = st.view;
    Accumulator total;
    if (range.size() == 0) return total;
    // Chunks are aligned to absolute multiples of m_chunk, so any split of a range at chunk
    // boundaries (ranks, checkpoints) reproduces the same per-chunk partials.
    const index_t c0 = range.begin / m_chunk;
    const index_t c1 = (range.end - 1) / m_chunk + 1;
    const index_t n_chunks = c1 - c0;
    // Bounded memory: at most this many partials are alive; merged in index order per batch.
    const index_t batch = std::max<index_t>(1, 64 * thread_count());
    std::vector<Accumulator> partials(static_cast<std::size_t>(std::min(batch, n_chunks)));
    for (index_t b0 = 0; b0 < n_chunks; b0 += batch) {
      const index_t nb = std::min(batch, n_chunks - b0);
#pragma omp parallel num_threads(thread_count())
      {
        Scratch<T> scratch(st);
#pragma omp for schedule(dynamic, 1)
        for (index_t j = 0; j < nb; ++j) {
          const index_t c = c0 + b0 + j;
          const index_t first = std::max(range.begin, c * m_chunk);
          const index_t last = std::min(range.end, (c + 1) * m_chunk);
          Accumulator acc;
          evaluate_chunk(v, first, last, acc, scratch);
          partials[static_cast<std::size_t>(j)] = acc;
        }
      }
      for (index_t j = 0; j < nb; ++j)
        total.merge(partials[static_cast<std::size_t>(j)]);
    }
    return total;
  }

  int m_threads;
  index_t m_chunk;
  std::unique_ptr<CpuState<float>> m_float;
  std::unique_ptr<CpuState<double>> m_double;
};

} // namespace

std::unique_ptr<Evaluator> make_cpu_evaluator(int threads, index_t chunk_size) {
  return std::make_unique<CpuEvaluator>(threads, chunk_size);
}

} // namespace spikemesh
