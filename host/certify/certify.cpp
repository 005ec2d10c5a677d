/// @file certify.cpp
/// @brief certify_volume(): best-first subdivision of the box in batches (bounded in parallel)
/// until the budget is spent, then stratified sampling of the undecided boxes (proportional
/// allocation, at least 2 points each), in rounds until the interval is narrow enough. Samples
/// cost little: each box is bounded once more and only its non-silent neurons are evaluated.
#include "spikemesh/certify.hpp"

#include "spikemesh/errors.hpp"
#include "spikemesh/math/compensated_sum.hpp"

#include "certify_internal.hpp"

#include <omp.h>

#if defined(SPIKEMESH_HAS_CUDA)
#include "certify_boxes.hpp"
#endif

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <queue>
#include <stdexcept>

namespace spikemesh {
namespace {

constexpr std::size_t kBatch = 4096; ///< parents split per subdivision round

/// Undecided boxes: corners ([2 d] per slot: lower, then upper), volume and split axis; the
/// slots of split boxes are reused.
class BoxStore {
public:
  explicit BoxStore(std::size_t d) : m_d(d) {}
  /// Room for @p slots boxes at once: one allocation instead of a doubling series (glibc serves
  /// a regrown 100 MB vector from the heap with a copy once a process has freed large blocks).
  void reserve(std::size_t slots) {
    m_corners.reserve(slots * 2 * m_d);
    m_volume.reserve(slots);
    m_axis.reserve(slots);
  }
  std::size_t add(const double* lo, const double* hi, double vol, int axis) {
    std::size_t id;
    if (!m_free.empty()) {
      id = m_free.back();
      m_free.pop_back();
    } else {
      id = m_volume.size();
      m_corners.resize(m_corners.size() + 2 * m_d);
      m_volume.push_back(0.0);
      m_axis.push_back(0);
    }
    std::copy(lo, lo + m_d, &m_corners[2 * m_d * id]);
    std::copy(hi, hi + m_d, &m_corners[2 * m_d * id + m_d]);
    m_volume[id] = vol;
    m_axis[id] = axis;
    return id;
  }
  void release(std::size_t id) { m_free.push_back(id); }
  const double* lo(std::size_t id) const { return &m_corners[2 * m_d * id]; }
  const double* hi(std::size_t id) const { return &m_corners[2 * m_d * id + m_d]; }
  double volume(std::size_t id) const { return m_volume[id]; }
  int axis(std::size_t id) const { return m_axis[id]; }

private:
  std::size_t m_d;
  std::vector<double> m_corners, m_volume;
  std::vector<int> m_axis;
  std::vector<std::size_t> m_free;
};

/// Evaluates f in double at points of one box, visiting only the neurons the box's bounds do
/// not prove silent (in the paper's constructions all but a few spike neurons are silent over a
/// small box, so a sample costs a few hundred operations instead of the whole network).
class BoxEvaluator {
public:
  explicit BoxEvaluator(const Network& net) : m_net(&net) {
    // A dense first layer's nonzero weights by row, in column order: the constructions' first
    // neurons each read one coordinate, so this is d times fewer products than the dense row.
    const Layer& L0 = net.layers[0];
    if (L0.is_sparse()) return;
    m_l0_ptr.push_back(0);
    for (int r = 0; r < L0.out; ++r) {
      for (int j = 0; j < L0.in; ++j) {
        const double w = L0.weight[static_cast<std::size_t>(r) * static_cast<std::size_t>(L0.in) +
                                   static_cast<std::size_t>(j)];
        if (w == 0.0) continue; // w x = +-0 adds nothing: the sum is the same to the bit
        m_l0_cols.push_back(j);
        m_l0_vals.push_back(w);
      }
      m_l0_ptr.push_back(static_cast<int>(m_l0_cols.size()));
    }
  }

  /// Prepares the active lists from the pre-activation bounds @p z of one box.
  void prepare(const std::vector<std::vector<Interval>>& z) {
    const std::size_t n_layers = m_net->layers.size();
    m_active.resize(n_layers);
    m_out.resize(n_layers);
    for (std::size_t l = 0; l < n_layers; ++l) {
      const Layer& L = m_net->layers[l];
      m_active[l].clear();
      m_out[l].assign(static_cast<std::size_t>(L.out), 0.0); // silent neurons stay 0
      for (int r = 0; r < L.out; ++r) {
        if (!(L.act == Activation::ReLU && z[l][static_cast<std::size_t>(r)].hi <= 0.0))
          m_active[l].push_back(r);
      }
    }
  }

  double operator()(const double* x) {
    const double* in = x;
    for (std::size_t l = 0; l < m_net->layers.size(); ++l) {
      const Layer& L = m_net->layers[l];
      double* out = m_out[l].data();
      for (int r : m_active[l]) {
        const std::size_t ur = static_cast<std::size_t>(r);
        double t = L.bias[ur];
        if (L.is_sparse()) {
          for (std::int32_t e = L.row_ptr[ur]; e < L.row_ptr[ur + 1]; ++e)
            t += L.values[static_cast<std::size_t>(e)] * in[L.cols[static_cast<std::size_t>(e)]];
        } else if (l == 0) {
          for (int e = m_l0_ptr[ur]; e < m_l0_ptr[ur + 1]; ++e)
            t +=
                m_l0_vals[static_cast<std::size_t>(e)] * in[m_l0_cols[static_cast<std::size_t>(e)]];
        } else { // only the inputs that are not silent
          const double* w = &L.weight[ur * static_cast<std::size_t>(L.in)];
          for (int j : m_active[l - 1])
            t += w[j] * in[j];
        }
        out[ur] = activate(L.act, t, L.alpha);
      }
      in = out;
    }
    return m_out.back()[0];
  }

private:
  const Network* m_net;
  std::vector<int> m_l0_ptr, m_l0_cols; ///< dense first layer: nonzero weights by row
  std::vector<double> m_l0_vals;
  std::vector<std::vector<int>> m_active;
  std::vector<std::vector<double>> m_out;
};

/// Hits among @p n uniform points of the box, coordinates drawn in order from the stream that
/// starts at @p start (box_math::box_stream).
std::int64_t sample_box(const BoxBounder& bounder, BoxEvaluator& eval, const double* lo,
                        const double* hi, std::size_t d, std::int64_t n, double tau,
                        std::uint64_t start, BoundScratch& s, std::vector<double>& x) {
  bounder.bound_layers(lo, hi, s);
  eval.prepare(s.z);
  x.resize(d);
  std::int64_t hits = 0;
  std::uint64_t draw = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::size_t k = 0; k < d; ++k)
      x[k] = box_math::stream_coordinate(start, draw++, lo[k], hi[k]);
    hits += std::fabs(eval(x.data())) > tau ? 1 : 0;
  }
  return hits;
}

/// The OpenMP engine: BoxBounder per box, box-local sampling with BoxEvaluator.
class CpuBoxEngine final : public BoxEngine {
public:
  CpuBoxEngine(const Network& net, const BoxBounder& bounder, int threads)
      : m_bounder(&bounder), m_threads(threads), m_scratch(static_cast<std::size_t>(threads)),
        m_evals(static_cast<std::size_t>(threads), BoxEvaluator(net)),
        m_x(static_cast<std::size_t>(threads)), m_d(static_cast<std::size_t>(net.in_dim)) {}
  std::string name() const override { return "cpu"; }
  std::string device() const override { return std::to_string(m_threads) + "-thread OpenMP CPU"; }

  void bound(const double* boxes, std::size_t count, BoxBound* out) override {
#pragma omp parallel for schedule(dynamic, 16) num_threads(m_threads) if (count >= 512)
    for (std::size_t c = 0; c < count; ++c) {
      const double* lo = boxes + c * 2 * m_d;
      out[c] =
          m_bounder->bound(lo, lo + m_d, m_scratch[static_cast<std::size_t>(omp_get_thread_num())]);
    }
  }

  void sample(const double* boxes, std::size_t count, const std::int64_t* m, std::uint64_t seed,
              std::uint64_t round, std::size_t first, double tau, std::int64_t* hits,
              const std::function<void(std::int64_t)>& progress) override {
    std::int64_t total = 0;
    for (std::size_t i = 0; i < count; ++i)
      total += m[i];
    std::atomic<std::int64_t> done{0};
#pragma omp parallel for schedule(dynamic, 64) num_threads(m_threads) if (total >= 100000)
    for (std::size_t i = 0; i < count; ++i) {
      const std::size_t t = static_cast<std::size_t>(omp_get_thread_num());
      const double* lo = boxes + i * 2 * m_d;
      hits[i] = sample_box(*m_bounder, m_evals[t], lo, lo + m_d, m_d, m[i], tau,
                           box_math::box_stream(seed, first + i, round), m_scratch[t], m_x[t]);
      const std::int64_t now = done.fetch_add(m[i], std::memory_order_relaxed) + m[i];
      if (t == 0 && progress && i % 1024 == 0) progress(now);
    }
  }

private:
  const BoxBounder* m_bounder;
  int m_threads;
  std::vector<BoundScratch> m_scratch;
  std::vector<BoxEvaluator> m_evals;
  std::vector<std::vector<double>> m_x;
  std::size_t m_d;
};

/// log P(X <= x) for X ~ Binomial(n, p), by summing the terms in log space (x is small).
double log_binomial_cdf(std::int64_t x, std::int64_t n, double p) {
  if (p <= 0.0) return 0.0;
  if (p >= 1.0) return x >= n ? 0.0 : -INFINITY;
  const double dn = static_cast<double>(n), lp = std::log(p), lq = std::log1p(-p);
  double best = -INFINITY;
  std::vector<double> terms;
  for (std::int64_t k = 0; k <= std::min(x, n); ++k) {
    const double dk = static_cast<double>(k);
    const double t = std::lgamma(dn + 1.0) - std::lgamma(dk + 1.0) - std::lgamma(dn - dk + 1.0) +
                     dk * lp + (dn - dk) * lq;
    terms.push_back(t);
    best = std::max(best, t);
  }
  double sum = 0.0;
  for (double t : terms)
    sum += std::exp(t - best);
  return best + std::log(sum);
}

} // namespace

std::unique_ptr<BoxEngine> detail::make_cpu_box_engine(const Network& net,
                                                       const BoxBounder& bounder, int threads) {
  return std::make_unique<CpuBoxEngine>(net, bounder, threads);
}

std::unique_ptr<BoxEngine> make_cuda_box_engine([[maybe_unused]] const Network& net,
                                                [[maybe_unused]] const BoxBounder& bounder,
                                                std::string* why) {
#if defined(SPIKEMESH_HAS_CUDA)
  if (!cuda_available(why)) return nullptr;
  return cuda::make_box_engine(net, bounder, why);
#else
  if (why) *why = "this build has no CUDA backend";
  return nullptr;
#endif
}

Interval clopper_pearson_95(std::int64_t x, std::int64_t n) {
  const double alpha = 0.025;
  auto solve = [&](auto&& below) { // the p where below(p) turns false, by bisection
    double a = 0.0, b = 1.0;
    for (int it = 0; it < 200; ++it) {
      const double m = 0.5 * (a + b);
      (below(m) ? a : b) = m;
    }
    return 0.5 * (a + b);
  };
  // Upper: largest p with P(X <= x) >= alpha. Lower: smallest p with P(X >= x) >= alpha.
  const double hi =
      x >= n ? 1.0 : solve([&](double p) { return log_binomial_cdf(x, n, p) >= std::log(alpha); });
  const double lo =
      x == 0 ? 0.0
             : solve([&](double p) { return -std::expm1(log_binomial_cdf(x - 1, n, p)) < alpha; });
  return {lo, hi};
}

CertifyResult certify_volume(const Network& net, int dim, double lo, double hi,
                             const CertifyOptions& opt) {
  const auto t0 = std::chrono::steady_clock::now();
  if (opt.box_budget < 1) throw InvalidParameter("box-budget", "must be >= 1");
  if (opt.samples < 0) throw InvalidParameter("samples", "must be >= 0");
  if (!(opt.target_rel_ci >= 0.0)) throw InvalidParameter("target-rel-ci", "must be >= 0");
  const BoxBounder bounder(net, opt.bounds);
  const std::size_t d = static_cast<std::size_t>(dim);
  const int threads = opt.threads > 0 ? opt.threads : omp_get_max_threads();
  CertifyResult res;
  res.bound_method = bounder.description();
  std::unique_ptr<BoxEngine> engine;
  if (opt.engine) {
    engine = opt.engine(net, bounder);
  } else if (opt.backend != Backend::Cpu) {
    std::string why;
    engine = make_cuda_box_engine(net, bounder, &why);
    if (!engine && opt.backend == Backend::Cuda) throw std::runtime_error("--backend cuda: " + why);
    if (!engine) res.notice = "certify on the CPU: " + why;
  }
  if (!engine) engine = detail::make_cpu_box_engine(net, bounder, threads);
  res.engine = engine->name();
  res.device = engine->device();
  CompensatedSum inside;
  // At most budget / 2 + 1 boxes are open at once (each split adds one); reserve up to 2^21.
  const std::size_t most_open = static_cast<std::size_t>(
      std::min<std::int64_t>(opt.box_budget / 2 + 2, std::int64_t(1) << 21));
  BoxStore store(d);
  store.reserve(most_open);
  using Entry = std::pair<double, std::size_t>; // (volume, slot): largest undecided first
  std::vector<Entry> queue_storage;
  queue_storage.reserve(most_open);
  std::priority_queue<Entry> open(std::less<Entry>(), std::move(queue_storage));
  auto classify = [&](const double* blo, const double* bhi, double vol, const BoxBound& b) {
    ++res.boxes_processed;
    if (b.f.lo >= -opt.tau && b.f.hi <= opt.tau) {
      ++res.boxes_outside;
    } else if (b.f.lo > opt.tau || b.f.hi < -opt.tau) {
      ++res.boxes_inside;
      inside.add(vol);
    } else {
      open.emplace(vol, store.add(blo, bhi, vol, b.split_axis));
    }
  };
  {
    std::vector<double> root(d, lo);
    root.resize(2 * d, hi);
    BoxBound b;
    engine->bound(root.data(), 1, &b);
    classify(root.data(), root.data() + d, std::pow(hi - lo, dim), b);
  }

  // Subdivision in rounds: the kBatch largest undecided boxes are halved along their split axis
  // and the children bounded in parallel, then classified in order (the result does not depend
  // on the thread count).
  std::vector<double> child; // [2 * batch][2 d]
  std::vector<double> child_volume;
  std::vector<BoxBound> bounds;
  while (!open.empty() && res.boxes_processed + 2 <= opt.box_budget) {
    const std::size_t batch = std::min<std::size_t>(
        {kBatch, open.size(),
         static_cast<std::size_t>((opt.box_budget - res.boxes_processed) / 2)});
    child.resize(2 * batch * 2 * d);
    child_volume.resize(2 * batch);
    for (std::size_t p = 0; p < batch; ++p) {
      const std::size_t id = open.top().second;
      open.pop();
      const std::size_t axis = static_cast<std::size_t>(store.axis(id));
      const double mid = 0.5 * (store.lo(id)[axis] + store.hi(id)[axis]);
      for (std::size_t c = 0; c < 2; ++c) {
        double* clo = &child[(2 * p + c) * 2 * d];
        std::copy(store.lo(id), store.lo(id) + d, clo);
        std::copy(store.hi(id), store.hi(id) + d, clo + d);
        (c == 0 ? clo[d + axis] : clo[axis]) = mid;
        child_volume[2 * p + c] = 0.5 * store.volume(id);
      }
      store.release(id);
    }
    bounds.resize(2 * batch);
    engine->bound(child.data(), 2 * batch, bounds.data());
    for (std::size_t c = 0; c < 2 * batch; ++c)
      classify(&child[c * 2 * d], &child[c * 2 * d + d], child_volume[c], bounds[c]);
    if (opt.progress) opt.progress("boxes", res.boxes_processed, opt.box_budget);
  }
  res.certified_volume_lower = inside.value();

  // The undecided boxes, largest first (ties by slot): the strata.
  std::vector<std::size_t> left;
  CompensatedSum undecided_sum;
  while (!open.empty()) {
    left.push_back(open.top().second);
    undecided_sum.add(store.volume(open.top().second));
    open.pop();
  }
  const double undecided = undecided_sum.value();
  res.boxes_undecided = static_cast<std::int64_t>(left.size());
  res.certified_volume_upper = res.certified_volume_lower + undecided;
  res.exact_volume_fraction = 1.0 - undecided / std::pow(hi - lo, dim);
  res.volume_estimate = res.certified_volume_lower;
  res.volume_ci_low = res.certified_volume_lower;
  res.volume_ci_high = res.certified_volume_upper;
  if (left.empty() || opt.samples == 0) {
    res.ci_method = left.empty() ? "exact" : "bounds";
    res.network_evaluations = res.boxes_processed;
    res.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return res;
  }

  std::vector<double> strata(left.size() * 2 * d), volume(left.size()); // contiguous strata
  for (std::size_t i = 0; i < left.size(); ++i) {
    std::copy(store.lo(left[i]), store.lo(left[i]) + d, &strata[i * 2 * d]);
    std::copy(store.hi(left[i]), store.hi(left[i]) + d, &strata[i * 2 * d + d]);
    volume[i] = store.volume(left[i]);
  }
  detail::sample_strata(*engine, strata, volume, undecided, opt, res);
  res.network_evaluations = res.boxes_processed + res.samples_used;
  res.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return res;
}

} // namespace spikemesh
