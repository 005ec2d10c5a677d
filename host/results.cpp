/// @file results.cpp
/// @brief finalize(): named statistics from an Accumulator, with NaN policy and oracle values.
#include "spikemesh/results.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace spikemesh {

double Results::get(const std::string& name) const {
  for (const Statistic& s : scalars) {
    if (s.name == name) return s.value;
  }
  throw std::out_of_range("no statistic '" + name + "'");
}

FinalizeInputs finalize_inputs(const Case& c, const MeshSpec& mesh, const StatsConfig& stats,
                               std::pair<double, double> train) {
  FinalizeInputs in;
  in.task = c.params.task;
  in.oracle = c.oracle;
  in.unit_box = mesh.lo == 0.0 && mesh.hi == 1.0;
  in.box_volume = box_volume(mesh);
  in.stats = stats;
  in.train = train;
  return in;
}

Results finalize(const Accumulator& acc, const Case& c, const MeshSpec& mesh,
                 const StatsConfig& stats, std::pair<double, double> train) {
  return finalize(acc, finalize_inputs(c, mesh, stats, train));
}

Results finalize(const Accumulator& acc, const FinalizeInputs& in) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  const ScalarStats& s = acc.scalar;
  const double volume = in.box_volume;
  const double n = static_cast<double>(s.points);
  const double finite = static_cast<double>(s.points - s.nonfinite_count);
  const Oracle& o = in.oracle;
  const StatsConfig& stats = in.stats;
  const std::pair<double, double>& train = in.train;
  auto exact = [&](double v) { return in.unit_box ? v : kNaN; };
  const bool classify = in.task == Task::Classify;

  Results r;
  r.acc = acc;
  auto add = [&](const std::string& name, double v, bool count = false) {
    r.scalars.push_back({name, v, count});
  };
  // Every non-finite point makes the sums meaningless for that point; they are excluded from the
  // sums and means, and the Linf error is NaN (a max over NaN has no order-free value).
  const double mean_div = finite > 0 ? finite : kNaN;
  add("points", n, true);
  add("spike_count", static_cast<double>(s.spike_count), true);
  add("spike_fraction", n > 0 ? static_cast<double>(s.spike_count) / n : kNaN);
  add("spike_volume", n > 0 ? static_cast<double>(s.spike_count) / n * volume : kNaN);
  add("spike_volume_exact", exact(o.spike_volume));
  add("train_loss", train.first);
  add("train_max_abs_error", train.second);
  add("train_loss_exact", o.train_loss);
  add("accuracy", classify && n > 0 ? static_cast<double>(s.correct_count) / n : kNaN);
  add("accuracy_exact", classify ? exact(o.accuracy) : kNaN);
  add("undecided_fraction", classify && n > 0 ? static_cast<double>(s.undecided_count) / n : kNaN);
  add("l1_error", s.sum_abs_err.value() / mean_div);
  add("l1_error_exact", exact(o.l1_error));
  const double l2 = std::sqrt(s.sum_sq_err.value() / mean_div);
  add("l2_error", l2);
  add("l2_error_exact", exact(o.l2_error));
  add("linf_error", s.nonfinite_count > 0 || finite == 0 ? kNaN : s.max_abs_err);
  add("linf_error_exact", exact(o.linf_error));
  add("rel_l2_error", l2 / std::sqrt(s.sum_sq_truth.value() / mean_div));
  add("rel_l2_error_exact", exact(o.rel_l2_error));
  add("f_integral", s.sum_f.value() / mean_div * volume);
  add("f_integral_exact", exact(o.f_integral));
  add("f_sq_integral", s.sum_f2.value() / mean_div * volume);
  add("f_sq_integral_exact", exact(o.f_sq_integral));
  add("nonfinite_count", static_cast<double>(s.nonfinite_count), true);
  add("f_min", finite > 0 ? s.f_min : kNaN);
  add("f_max", finite > 0 ? s.f_max : kNaN);
  add("tau", stats.tau);

  r.f_edges.resize(kFBins + 1);
  for (int i = 0; i <= kFBins; ++i) {
    r.f_edges[static_cast<std::size_t>(i)] = stats.f_lo + (stats.f_hi - stats.f_lo) * i / kFBins;
  }
  r.dist_edges.resize(kDistBins + 1);
  for (int i = 0; i <= kDistBins; ++i) {
    r.dist_edges[static_cast<std::size_t>(i)] = stats.dist_max * i / kDistBins;
  }
  return r;
}

} // namespace spikemesh
