/// @file exact.cpp
/// @brief exact_volume(): best-first subdivision like certify_volume(), splitting at first-layer
/// kinks where the box holds one, with each box decided by bounds (inside / outside) or exactly
/// (AffinePieces: closed-form half-space volumes); the sums of the enclosures' ends are rounded
/// outwards (MPFR), the undecided boxes sampled as certify does.
#include "spikemesh/exact.hpp"

#include "spikemesh/errors.hpp"

#include "affine_piece.hpp"
#include "certify_internal.hpp"
#include "prelu_fold.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <mpfr.h>
#include <queue>

namespace spikemesh {
namespace {

constexpr std::size_t kBatch = 4096; ///< parents split per subdivision round

/// A sum of doubles rounded in one direction (512-bit MPFR: the order does not matter to the
/// bound, and it is fixed anyway).
class DirectedSum {
public:
  explicit DirectedSum(mpfr_rnd_t rnd) : m_rnd(rnd) {
    mpfr_init2(m_sum, 512);
    mpfr_set_zero(m_sum, 1);
  }
  ~DirectedSum() { mpfr_clear(m_sum); }
  DirectedSum(const DirectedSum&) = delete;
  DirectedSum& operator=(const DirectedSum&) = delete;
  void add(double x) { mpfr_add_d(m_sum, m_sum, x, m_rnd); }
  double value() const { return mpfr_get_d(m_sum, m_rnd); }

private:
  mpfr_t m_sum;
  mpfr_rnd_t m_rnd;
};

enum class Verdict : std::uint8_t { Outside, Inside, Exact, Undecided };

struct Classified {
  Verdict verdict = Verdict::Undecided;
  double lo = 0.0, hi = 0.0; ///< enclosure of the box's contribution (undecided: its volume)
  double volume = 0.0;       ///< the box's volume (double, for the queue and the strata)
  int split_axis = 0;
  double split_at = NAN; ///< NaN: the kink nearest the middle, else the middle
  std::int64_t terms = 0;
};

struct Open {
  double volume;
  std::size_t slot;
  bool operator<(const Open& o) const {
    return volume < o.volume || (volume == o.volume && slot > o.slot);
  }
};

double round_down(double x) {
  return std::nextafter(x, -INFINITY);
}
double round_up(double x) {
  return std::nextafter(x, INFINITY);
}

} // namespace

CertifyResult exact_volume(const Network& net, int dim, double lo, double hi,
                           const CertifyOptions& opt) {
  const auto t0 = std::chrono::steady_clock::now();
  if (opt.box_budget < 1) throw InvalidParameter("box-budget", "must be >= 1");
  if (opt.samples < 0) throw InvalidParameter("samples", "must be >= 0");
  if (!(opt.target_rel_ci >= 0.0)) throw InvalidParameter("target-rel-ci", "must be >= 0");
  if (!(opt.tau >= 0.0) || !std::isfinite(opt.tau)) throw InvalidParameter("tau", "must be >= 0");
  const std::size_t d = static_cast<std::size_t>(dim);
  const int threads = opt.threads > 0 ? opt.threads : omp_get_max_threads();

  // PReLU pairs folded into ReLU rows; what that drops widens the two thresholds.
  const FoldedNetwork fold = fold_prelu_pairs(net, lo, hi);
  const Network& work = fold.net;
  // The bounds' shortcuts (inside / outside) widen by the whole folding error; the exact pieces
  // by the leak only (the output weights' rounding is charged per box).
  const double tau_in = fold.error > 0.0 ? round_up(opt.tau + fold.error) : opt.tau;
  const double tau_out = fold.error > 0.0 ? round_down(opt.tau - fold.error) : opt.tau;
  const double piece_in = fold.leak_error > 0.0 ? round_up(opt.tau + fold.leak_error) : opt.tau;
  const double piece_out = fold.leak_error > 0.0 ? round_down(opt.tau - fold.leak_error) : opt.tau;
  const BoxBounder bounder(work, opt.bounds);
  AffinePieces pieces(work, bounder);
  if (fold.folded) pieces.set_output_weight_errors(&fold.kappa_error);

  CertifyResult res;
  res.bound_method = bounder.description() + (fold.folded ? "+folded-prelu" : "") + "+exact";
  res.engine = "cpu";
  res.device = std::to_string(threads) + "-thread OpenMP CPU (exact)";
  res.fold_error = fold.error;

  // First-layer kinks by axis (neurons that read one coordinate), sorted.
  std::vector<std::vector<double>> kinks(d);
  if (bounder.separable() && work.layers[0].act != Activation::Identity) {
    const auto& axis = bounder.first_layer_axis();
    const auto& a0 = bounder.first_layer_weight();
    for (std::size_t j = 0; j < axis.size(); ++j) {
      const double x = -work.layers[0].bias[j] / a0[j];
      if (x > lo && x < hi) kinks[static_cast<std::size_t>(axis[j])].push_back(x);
    }
    for (auto& k : kinks) {
      std::sort(k.begin(), k.end());
      k.erase(std::unique(k.begin(), k.end()), k.end());
    }
  }

  // Wide trie-pruned second layers (C1/C2 with thousands of spikes): the widest edge as the
  // split axis, whose bisections reach the one-spike boxes just as well.
  const bool cheap_axis = bounder.separable() && work.layers.size() == 3 &&
                          work.layers[1].act == Activation::ReLU && work.layers[1].out > 2048;
  std::vector<BoundScratch> bscratch(static_cast<std::size_t>(threads));
  std::vector<PieceScratch> pscratch(static_cast<std::size_t>(threads));
  auto classify = [&](const double* blo, const double* bhi, int t) {
    Classified c;
    BoundScratch& s = bscratch[static_cast<std::size_t>(t)];
    PieceScratch& ps = pscratch[static_cast<std::size_t>(t)];
    BoxBound b;
    if (cheap_axis) { // the bounder's split axis costs O(width) per box: the widest edge instead
      bounder.bound_layers(blo, bhi, s);
      b.f = s.z.back()[0];
      b.split_axis = 0;
      for (std::size_t k = 1; k < d; ++k)
        if (bhi[k] - blo[k] > bhi[b.split_axis] - blo[b.split_axis])
          b.split_axis = static_cast<int>(k);
    } else {
      b = bounder.bound(blo, bhi, s);
    }
    c.split_axis = b.split_axis;
    c.volume = 1.0;
    for (std::size_t k = 0; k < d; ++k)
      c.volume *= bhi[k] - blo[k];
    if (b.f.lo >= -tau_out && b.f.hi <= tau_out) {
      c.verdict = Verdict::Outside;
      return c;
    }
    const VolumeEnclosure box = box_volume(dim, blo, bhi, ps.ws);
    if (b.f.lo > tau_in || b.f.hi < -tau_in) {
      c.verdict = Verdict::Inside;
      c.lo = box.lo;
      c.hi = box.hi;
      return c;
    }
    const PieceOutcome p = pieces.decide(blo, bhi, s, piece_in, piece_out, ps);
    if (p.exact) {
      c.verdict = Verdict::Exact;
      c.lo = p.lo;
      c.hi = std::min(p.hi, box.hi);
      c.terms = p.terms;
      return c;
    }
    c.lo = 0.0;
    c.hi = box.hi;
    if (p.split_axis >= 0) {
      c.split_axis = p.split_axis;
      c.split_at = p.split_at;
    }
    return c;
  };

  DirectedSum lower(MPFR_RNDD), upper(MPFR_RNDU);
  std::vector<double> corners; // [slot][2 d]
  std::vector<Classified> info;
  std::vector<std::size_t> free_slots;
  std::priority_queue<Open> open;
  // Running (approximate) certified gap and lower bound, for the stopping rule only.
  double gap_decided = 0.0, gap_open = 0.0, lower_approx = 0.0;
  auto record = [&](const double* blo, const double* bhi, const Classified& c) {
    ++res.boxes_processed;
    if (c.verdict == Verdict::Inside || c.verdict == Verdict::Exact) {
      gap_decided += c.hi - c.lo;
      lower_approx += c.lo;
    } else if (c.verdict == Verdict::Undecided) {
      gap_open += c.volume;
    }
    switch (c.verdict) {
    case Verdict::Outside:
      ++res.boxes_outside;
      return;
    case Verdict::Inside:
      ++res.boxes_inside;
      lower.add(c.lo);
      upper.add(c.hi);
      return;
    case Verdict::Exact:
      ++res.boxes_exact;
      lower.add(c.lo);
      upper.add(c.hi);
      return;
    case Verdict::Undecided:
      break;
    }
    std::size_t slot;
    if (!free_slots.empty()) {
      slot = free_slots.back();
      free_slots.pop_back();
    } else {
      slot = info.size();
      info.emplace_back();
      corners.resize(corners.size() + 2 * d);
    }
    std::copy(blo, blo + d, &corners[slot * 2 * d]);
    std::copy(bhi, bhi + d, &corners[slot * 2 * d + d]);
    info[slot] = c;
    open.push({c.volume, slot});
  };
  {
    std::vector<double> root(d, lo);
    root.resize(2 * d, hi);
    const Classified c = classify(root.data(), root.data() + d, 0);
    record(root.data(), root.data() + d, c);
  }

  std::vector<double> child;
  std::vector<Classified> verdicts;
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  while (!open.empty() && res.boxes_processed + 2 <= opt.box_budget) {
    if (lower_approx > 0.0 && gap_decided + gap_open <= opt.target_rel_gap * lower_approx) break;
    if ((opt.time_limit > 0.0 && elapsed() >= opt.time_limit) || (opt.stop && opt.stop())) {
      res.stopped_early = true;
      break;
    }
    const std::size_t batch = std::min<std::size_t>(
        {kBatch, open.size(),
         static_cast<std::size_t>((opt.box_budget - res.boxes_processed) / 2)});
    child.resize(2 * batch * 2 * d);
    for (std::size_t p = 0; p < batch; ++p) {
      const std::size_t slot = open.top().slot;
      open.pop();
      const double* plo = &corners[slot * 2 * d];
      const double* phi = plo + d;
      const Classified& c = info[slot];
      const std::size_t axis = static_cast<std::size_t>(c.split_axis);
      const double a = plo[axis], b = phi[axis], mid = 0.5 * (a + b);
      double at = mid;
      if (!std::isnan(c.split_at) && c.split_at > a && c.split_at < b) {
        at = c.split_at;
      } else {
        const std::vector<double>& k = kinks[axis]; // the interior kink nearest the middle
        auto it = std::upper_bound(k.begin(), k.end(), a);
        double best = INFINITY;
        for (; it != k.end() && *it < b; ++it) {
          if (std::fabs(*it - mid) < best) {
            best = std::fabs(*it - mid);
            at = *it;
          }
        }
      }
      for (std::size_t h = 0; h < 2; ++h) {
        double* clo = &child[(2 * p + h) * 2 * d];
        std::copy(plo, plo + 2 * d, clo);
        (h == 0 ? clo[d + axis] : clo[axis]) = at;
      }
      free_slots.push_back(slot);
      gap_open -= c.volume;
    }
    verdicts.resize(2 * batch);
#pragma omp parallel for schedule(dynamic, 8) num_threads(threads) if (batch >= 16)
    for (std::size_t c = 0; c < 2 * batch; ++c) {
      const double* clo = &child[c * 2 * d];
      verdicts[c] = classify(clo, clo + d, omp_get_thread_num());
    }
    for (std::size_t c = 0; c < 2 * batch; ++c) {
      record(&child[c * 2 * d], &child[c * 2 * d + d], verdicts[c]);
    }
    if (opt.progress) opt.progress("boxes", res.boxes_processed, opt.box_budget);
  }

  // The undecided boxes, largest first: the strata.
  std::vector<double> strata, volume;
  DirectedSum undecided_up(MPFR_RNDU);
  double undecided = 0.0;
  while (!open.empty()) {
    const std::size_t slot = open.top().slot;
    open.pop();
    strata.insert(strata.end(), &corners[slot * 2 * d], &corners[slot * 2 * d] + 2 * d);
    volume.push_back(info[slot].volume);
    undecided_up.add(info[slot].hi);
    undecided += info[slot].volume;
  }
  res.boxes_undecided = static_cast<std::int64_t>(volume.size());
  res.certified_volume_lower = lower.value();
  {
    DirectedSum total(MPFR_RNDU);
    total.add(upper.value());
    total.add(undecided_up.value());
    res.certified_volume_upper = total.value();
  }
  res.exact_volume_fraction = std::max(0.0, 1.0 - undecided / std::pow(hi - lo, dim));
  res.volume_estimate = 0.5 * (res.certified_volume_lower + upper.value());
  res.volume_ci_low = res.certified_volume_lower;
  res.volume_ci_high = res.certified_volume_upper;
  if (volume.empty() || opt.samples == 0) {
    res.ci_method = volume.empty() ? "exact" : "bounds";
    if (!volume.empty()) res.volume_estimate = res.certified_volume_lower;
  } else {
    const std::unique_ptr<BoxEngine> engine = detail::make_cpu_box_engine(work, bounder, threads);
    CertifyOptions so = opt;
    so.tau = opt.tau;
    detail::sample_strata(*engine, strata, volume, undecided, so, res);
  }
  res.network_evaluations = res.boxes_processed + res.samples_used;
  res.wall_seconds = elapsed();
  return res;
}

} // namespace spikemesh
