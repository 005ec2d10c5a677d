/// @file stratified.cpp
/// @brief Stratified sampling of the boxes certify and exact leave undecided: proportional
/// allocation (at least 2 points per box), rounds until the interval is narrow enough, per-box
/// variances shrunk towards the pooled proportion, or the exact binomial interval with few hits.
#include "spikemesh/math/compensated_sum.hpp"

#include "certify_internal.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

namespace spikemesh::detail {
namespace {

constexpr std::int64_t kStratifiedHits = 50; ///< below this, the conservative binomial interval
constexpr double kZ95 = 1.959963984540054;
constexpr double kShrink = 2.0; ///< pseudo-points at the pooled proportion per box

} // namespace

void sample_strata(BoxEngine& engine, const std::vector<double>& strata,
                   const std::vector<double>& volume, double undecided, const CertifyOptions& opt,
                   CertifyResult& res) {
  // Stratified sampling in rounds; each round draws about `round` points, n_i proportional to
  // the box volume and at least 2, from a stream per (seed, box, round).
  std::vector<std::int64_t> hits(volume.size(), 0), n(volume.size(), 0);
  std::int64_t round_size = opt.samples;
  if (opt.target_rel_ci > 0.0) {
    // A pilot: 4 points per box, at least 10^5; then what its variance projects.
    round_size = std::min(opt.samples, std::max<std::int64_t>(4 * res.boxes_undecided, 100000));
  }
  std::vector<std::int64_t> m(volume.size()), round_hits(volume.size());
  for (std::uint64_t round = 0;; ++round) {
    std::int64_t drawn = 0;
    for (std::size_t i = 0; i < volume.size(); ++i) {
      m[i] = std::max<std::int64_t>(
          2, std::llround(static_cast<double>(round_size) * volume[i] / undecided));
      drawn += m[i];
    }
    const std::int64_t before = res.samples_used;
    std::function<void(std::int64_t)> progress;
    if (opt.progress) {
      progress = [&](std::int64_t done) { opt.progress("samples", before + done, before + drawn); };
    }
    engine.sample(strata.data(), volume.size(), m.data(), opt.seed, round, 0, opt.tau,
                  round_hits.data(), progress);
    for (std::size_t i = 0; i < volume.size(); ++i)
      hits[i] += round_hits[i];
    for (std::size_t i = 0; i < volume.size(); ++i)
      n[i] += m[i];
    res.samples_used += drawn;
    ++res.sampling_rounds;
    if (opt.progress) opt.progress("samples", res.samples_used, res.samples_used);

    // Unbiased stratified estimate; its variance from the per-box sample variances.
    CompensatedSum estimate, variance;
    std::int64_t hits_total = 0;
    for (std::size_t i = 0; i < volume.size(); ++i) {
      hits_total += hits[i];
      estimate.add(volume[i] * static_cast<double>(hits[i]) / static_cast<double>(n[i]));
    }
    // Per-box variances from proportions shrunk towards the pooled one (a box with 2 points
    // and no hit does not prove p = 0): keeps the interval's coverage near 95 % with few points
    // per box.
    const double pooled = estimate.value() / undecided;
    for (std::size_t i = 0; i < volume.size(); ++i) {
      const double v = volume[i], ni = static_cast<double>(n[i]);
      const double p = (static_cast<double>(hits[i]) + kShrink * pooled) / (ni + kShrink);
      variance.add(v * v * p * (1.0 - p) / (ni - 1.0));
    }
    res.volume_estimate = res.certified_volume_lower + estimate.value();
    Interval ci;
    if (hits_total >= kStratifiedHits) {
      const double h = kZ95 * std::sqrt(variance.value());
      ci = {res.volume_estimate - h, res.volume_estimate + h};
      res.ci_method = "stratified";
    } else {
      // Few hits: the per-box variances are unreliable. Proportional allocation never has more
      // variance than sampling the undecided region as one stratum, so the exact binomial
      // (Clopper-Pearson) interval of the pooled proportion is a conservative one.
      const Interval cp = clopper_pearson_95(hits_total, res.samples_used);
      ci = {res.certified_volume_lower + undecided * cp.lo,
            res.certified_volume_lower + undecided * cp.hi};
      res.ci_method = "binomial (fewer than 50 hits)";
    }
    res.volume_ci_low = std::max(res.certified_volume_lower, ci.lo);
    res.volume_ci_high = std::min(res.certified_volume_upper, ci.hi);
    const double half_width = 0.5 * (ci.hi - ci.lo);
    const bool met = opt.target_rel_ci > 0.0 && res.volume_estimate > 0.0 &&
                     half_width <= opt.target_rel_ci * res.volume_estimate;
    if (opt.target_rel_ci <= 0.0 || met || res.samples_used >= opt.samples) break;
    // The variance falls as 1/samples: aim 10 % past the projected need, but grow at most 8x
    // per round (a pilot with few hits projects poorly); double without hits.
    double next = static_cast<double>(res.samples_used);
    if (res.volume_estimate > 0.0) {
      const double ratio = half_width / (opt.target_rel_ci * res.volume_estimate);
      next *= std::min(8.0, 1.1 * ratio * ratio - 1.0);
    }
    round_size = std::min<std::int64_t>(
        opt.samples - res.samples_used,
        std::max<std::int64_t>(2 * res.boxes_undecided, static_cast<std::int64_t>(next)));
  }
}

} // namespace spikemesh::detail
