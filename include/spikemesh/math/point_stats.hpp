/// @file point_stats.hpp
/// @brief Per-point sample (network value, truth, distance) and the Accumulator monoid that both
/// backends reduce: exact uint64 counts, compensated double sums, min/max, histograms.
#pragma once

#include "spikemesh/config.hpp"
#include "spikemesh/math/compensated_sum.hpp"
#include "spikemesh/math/forward.hpp"
#include "spikemesh/math/mesh.hpp"
#include "spikemesh/math/truth.hpp"

#include <cmath>
#include <cstdint>
#include <type_traits>

namespace spikemesh {

inline constexpr int kFBins = 64;    ///< bins of the f histogram
inline constexpr int kDistBins = 32; ///< bins of error versus distance to the training set

/// Binning and threshold of a run.
struct StatsConfig {
  double tau = 0.0;   ///< spike threshold: a point is in the spike region when |f| > tau
  double f_lo = -1.0; ///< f histogram range; values outside fall into the end bins
  double f_hi = 1.0;
  double dist_max = 1.0; ///< distance histogram range [0, dist_max]; larger values: last bin
};

/// Everything a backend needs to evaluate one mesh point.
template <class T>
struct EvalView {
  NetworkView<T> net;
  MeshView mesh;
  TruthView truth;
  StatsConfig stats;
};
static_assert(std::is_trivially_copyable_v<EvalView<float>>);

/// One evaluated mesh point.
struct PointSample {
  double f = 0.0;        ///< network output, widened to double
  double truth = 0.0;    ///< label of the nearest training point, or g(x)
  double distance = 0.0; ///< l1 distance to the nearest training point
};

/// The sample of a point @p x whose network value is @p f: truth and distance to the training set
/// (@p x: a pointer to the coordinates, or coordinates with operator[]).
template <class T, class X>
SM_HOST_DEVICE PointSample sample_at(const EvalView<T>& v, const X& x, T f) {
  PointSample s;
  s.f = static_cast<double>(f);
  const Nearest near = nearest_training_point(v.truth, x);
  s.distance = near.distance;
  s.truth = v.truth.task == Task::Classify ? v.truth.y[near.index]
                                           : target_value(v.truth.target, x, v.mesh.dim);
  return s;
}

/// Evaluates mesh point @p i. @p x has room for mesh.dim values, @p a and @p b for
/// net.buffer_width values each.
template <class T>
SM_HOST_DEVICE PointSample sample_point(const EvalView<T>& v, index_t i, T* x, T* a, T* b) {
  mesh_point(v.mesh, i, x);
  return sample_at(v, x, forward(v.net, x, a, b));
}

/// Bin of @p value in [lo, hi) split into @p bins, clamped to the end bins (NaN: bin 0). The
/// scale bins / (hi - lo) is computed once, so a point costs a subtraction, a multiplication and
/// a floor, no division; both backends bin through this, so their bins agree point for point.
struct BinScales {
  double lo = 0.0;
  double scale = 1.0;
  int bins = 1;

  BinScales() = default;
  SM_HOST_DEVICE BinScales(double lo_, double hi_, int bins_)
      : lo(lo_), scale(static_cast<double>(bins_) / (hi_ - lo_)), bins(bins_) {}

  SM_HOST_DEVICE int scaled_bin(double value) const {
    const double t = std::floor((value - lo) * scale);
    if (!(t >= 0.0)) return 0;
    return t >= bins ? bins - 1 : static_cast<int>(t);
  }
};

/// The two histograms' scales of a run.
struct HistScales {
  BinScales f, dist;
  HistScales() = default;
  SM_HOST_DEVICE explicit HistScales(const StatsConfig& c)
      : f(c.f_lo, c.f_hi, kFBins), dist(0.0, c.dist_max, kDistBins) {}
};

/// The scalar part of the statistics (what a GPU block reduces with one collective).
struct ScalarStats {
  std::uint64_t points = 0;
  std::uint64_t spike_count = 0;     ///< |f| > tau
  std::uint64_t nonfinite_count = 0; ///< f is NaN or Inf: excluded from everything else
  std::uint64_t correct_count = 0;   ///< |f| > tau and sign(f) == sign(truth)
  std::uint64_t undecided_count = 0; ///< |f| <= tau (no decision; counted wrong)
  CompensatedSum sum_f, sum_f2, sum_abs_err, sum_sq_err, sum_sq_truth;
  double f_min = INFINITY;
  double f_max = -INFINITY;
  double max_abs_err = 0.0;

  /// Adds @p n samples: plain double partial sums over the block (n is small, e.g. 16), then
  /// one compensated addition per statistic (RunSums). Counts and extrema as in add().
  SM_HOST_DEVICE void add_block(const PointSample* s, int n, double tau);

  SM_HOST_DEVICE void add(const PointSample& s, double tau) {
    ++points;
    if (!std::isfinite(s.f)) {
      ++nonfinite_count;
      return;
    }
    const double af = std::fabs(s.f);
    spike_count += af > tau ? 1u : 0u;
    undecided_count += af <= tau ? 1u : 0u;
    correct_count += (s.f > tau && s.truth > 0.0) || (s.f < -tau && s.truth < 0.0) ? 1u : 0u;
    const double e = std::fabs(s.f - s.truth);
    sum_f.add(s.f);
    sum_f2.add(s.f * s.f);
    sum_abs_err.add(e);
    sum_sq_err.add(e * e);
    sum_sq_truth.add(s.truth * s.truth);
    f_min = s.f < f_min ? s.f : f_min;
    f_max = s.f > f_max ? s.f : f_max;
    max_abs_err = e > max_abs_err ? e : max_abs_err;
  }

  SM_HOST_DEVICE void merge(const ScalarStats& o) {
    points += o.points;
    spike_count += o.spike_count;
    nonfinite_count += o.nonfinite_count;
    correct_count += o.correct_count;
    undecided_count += o.undecided_count;
    sum_f.merge(o.sum_f);
    sum_f2.merge(o.sum_f2);
    sum_abs_err.merge(o.sum_abs_err);
    sum_sq_err.merge(o.sum_sq_err);
    sum_sq_truth.merge(o.sum_sq_truth);
    f_min = o.f_min < f_min ? o.f_min : f_min;
    f_max = o.f_max > f_max ? o.f_max : f_max;
    max_abs_err = o.max_abs_err > max_abs_err ? o.max_abs_err : max_abs_err;
  }
};

/// A short run of points (no per-point arrays): add() counts a sample and adds its sums and
/// extrema here, in registers; flush() adds the run to @p to: its counts (exact), its extrema
/// (the same values and the same choice among equal ones, e.g. -0 and +0, as adding the points
/// to @p to one by one: the earlier is kept), and its plain double sums with one compensated
/// addition per statistic. Between flushes a run holds fewer than 2^32 points (the kernels
/// flush every tile, at most kSteps points per lane; add_block() takes an int count).
struct RunSums {
  double f = 0.0, f2 = 0.0, ae = 0.0, se = 0.0, st = 0.0;
  double f_min = INFINITY, f_max = -INFINITY, max_abs_err = 0.0;
  unsigned points = 0, nonfinite = 0, spikes = 0, correct = 0;

  SM_HOST_DEVICE void add(const PointSample& s, double tau) {
    ++points;
    const double v = s.f;
    if (!std::isfinite(v)) {
      ++nonfinite;
      return;
    }
    const double af = std::fabs(v);
    spikes += af > tau ? 1u : 0u; // |f| <= tau: undecided, counted by flush()
    correct += (v > tau && s.truth > 0.0) || (v < -tau && s.truth < 0.0) ? 1u : 0u;
    const double e = std::fabs(v - s.truth);
    f += v;
    f2 += v * v;
    ae += e;
    se += e * e;
    st += s.truth * s.truth;
    f_min = v < f_min ? v : f_min;
    f_max = v > f_max ? v : f_max;
    max_abs_err = e > max_abs_err ? e : max_abs_err;
  }

  SM_HOST_DEVICE void flush(ScalarStats& to) {
    to.points += points;
    to.nonfinite_count += nonfinite;
    to.spike_count += spikes;
    to.correct_count += correct;
    to.undecided_count += points - nonfinite - spikes; // finite, not spikes
    if (points != nonfinite) {                         // a finite point
      to.sum_f.add(f);
      to.sum_f2.add(f2);
      to.sum_abs_err.add(ae);
      to.sum_sq_err.add(se);
      to.sum_sq_truth.add(st);
      to.f_min = f_min < to.f_min ? f_min : to.f_min;
      to.f_max = f_max > to.f_max ? f_max : to.f_max;
      to.max_abs_err = max_abs_err > to.max_abs_err ? max_abs_err : to.max_abs_err;
    }
    *this = RunSums();
  }
};

SM_HOST_DEVICE void ScalarStats::add_block(const PointSample* s, int n, double tau) {
  RunSums run;
  for (int i = 0; i < n; ++i)
    run.add(s[i], tau);
  run.flush(*this);
}

/// Histograms: f values, and error versus distance to the training set.
struct BinStats {
  std::uint64_t f_counts[kFBins] = {};
  std::uint64_t dist_counts[kDistBins] = {};
  CompensatedSum dist_err_sum[kDistBins] = {};
  double dist_err_max[kDistBins] = {};

  SM_HOST_DEVICE void add(const PointSample& s, const HistScales& h) {
    if (!std::isfinite(s.f)) return;
    ++f_counts[h.f.scaled_bin(s.f)];
    const int b = h.dist.scaled_bin(s.distance);
    const double e = std::fabs(s.f - s.truth);
    ++dist_counts[b];
    dist_err_sum[b].add(e);
    dist_err_max[b] = e > dist_err_max[b] ? e : dist_err_max[b];
  }

  SM_HOST_DEVICE void merge(const BinStats& o) {
    for (int i = 0; i < kFBins; ++i)
      f_counts[i] += o.f_counts[i];
    for (int i = 0; i < kDistBins; ++i) {
      dist_counts[i] += o.dist_counts[i];
      dist_err_sum[i].merge(o.dist_err_sum[i]);
      dist_err_max[i] = o.dist_err_max[i] > dist_err_max[i] ? o.dist_err_max[i] : dist_err_max[i];
    }
  }
};

/// Everything reduced over a range of mesh points. merge() in index order is deterministic.
struct Accumulator {
  ScalarStats scalar;
  BinStats bins;

  SM_HOST_DEVICE void add(const PointSample& s, const StatsConfig& c) {
    scalar.add(s, c.tau);
    bins.add(s, HistScales(c));
  }
  SM_HOST_DEVICE void merge(const Accumulator& o) {
    scalar.merge(o.scalar);
    bins.merge(o.bins);
  }
};
static_assert(std::is_trivially_copyable_v<Accumulator>);

/// ScalarStats::merge as a binary operator (the kernels' CUB block reductions).
struct MergeScalarStats {
  SM_HOST_DEVICE ScalarStats operator()(const ScalarStats& a, const ScalarStats& b) const {
    ScalarStats r = a;
    r.merge(b);
    return r;
  }
};

} // namespace spikemesh
