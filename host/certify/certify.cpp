/// @file certify.cpp
/// @brief certify_volume(): best-first subdivision of the box until the budget is spent, then
/// stratified sampling of the undecided boxes (proportional allocation, at least 2 points each).
#include "spikemesh/certify.hpp"

#include "spikemesh/math/forward.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <queue>
#include <random>

namespace spikemesh {

CertifyResult certify_volume(const Network& net, int dim, double lo, double hi,
                             const CertifyOptions& opt) {
  const auto t0 = std::chrono::steady_clock::now();
  const BoxBounder bounder(net);
  const std::size_t d = static_cast<std::size_t>(dim);
  CertifyResult res;
  // Boxes live in one flat array ([2 d] per box: lower corner, then upper corner).
  std::vector<double> store;
  std::vector<double> volume;
  std::priority_queue<std::pair<double, std::size_t>> open; // largest undecided volume first
  auto classify = [&](const double* blo, const double* bhi, double vol) {
    const Interval f = bounder.bound(blo, bhi);
    ++res.boxes_processed;
    if (f.lo >= -opt.tau && f.hi <= opt.tau) {
      ++res.boxes_outside;
    } else if (f.lo > opt.tau || f.hi < -opt.tau) {
      ++res.boxes_inside;
      res.certified_volume_lower += vol;
    } else {
      const std::size_t id = volume.size();
      store.insert(store.end(), blo, blo + d);
      store.insert(store.end(), bhi, bhi + d);
      volume.push_back(vol);
      open.emplace(vol, id);
    }
  };
  std::vector<double> blo(d, lo), bhi(d, hi);
  classify(blo.data(), bhi.data(), std::pow(hi - lo, dim));
  std::vector<char> split(volume.size(), 0);
  while (!open.empty() && res.boxes_processed + 2 <= opt.box_budget) {
    const std::size_t id = open.top().second;
    open.pop();
    split.resize(volume.size(), 0);
    split[id] = 1;
    const double* plo = &store[2 * d * id];
    const double* phi = plo + d;
    std::size_t axis = 0; // the longest edge
    for (std::size_t k = 1; k < d; ++k) {
      if (phi[k] - plo[k] > phi[axis] - plo[axis]) axis = k;
    }
    const double mid = 0.5 * (plo[axis] + phi[axis]);
    blo.assign(plo, plo + d);
    bhi.assign(phi, phi + d);
    const double half = 0.5 * volume[id];
    bhi[axis] = mid;
    classify(blo.data(), bhi.data(), half);
    blo[axis] = mid;
    bhi[axis] = store[2 * d * id + d + axis];
    classify(blo.data(), bhi.data(), half);
  }
  split.resize(volume.size(), 0);

  // Stratified sampling of what is left: n_i proportional to the box volume, at least 2.
  double undecided = 0.0;
  std::vector<std::size_t> left;
  while (!open.empty()) {
    left.push_back(open.top().second);
    undecided += volume[open.top().second];
    open.pop();
  }
  res.boxes_undecided = static_cast<std::int64_t>(left.size());
  res.certified_volume_upper = res.certified_volume_lower + undecided;
  const PackedNetwork<double> packed(net);
  const NetworkView<double> view = packed.view();
  std::vector<double> x(d), a(static_cast<std::size_t>(view.buffer_width)), b(a.size());
  std::mt19937_64 rng(opt.seed);
  const auto uniform = [&rng] { return static_cast<double>(rng() >> 11) * 0x1.0p-53; };
  double estimate = 0.0;
  std::int64_t hits_total = 0;
  for (std::size_t id : left) {
    const double* plo = &store[2 * d * id];
    const double* phi = plo + d;
    const auto n =
        std::max<std::int64_t>(2, std::llround(static_cast<double>(opt.samples) * volume[id] /
                                               std::max(undecided, 1e-300)));
    std::int64_t hits = 0;
    for (std::int64_t s = 0; s < n; ++s) {
      for (std::size_t k = 0; k < d; ++k)
        x[k] = plo[k] + (phi[k] - plo[k]) * uniform();
      const double f = forward(view, x.data(), a.data(), b.data());
      hits += std::fabs(f) > opt.tau ? 1 : 0;
    }
    res.samples_used += n;
    hits_total += hits;
    estimate += volume[id] * static_cast<double>(hits) / static_cast<double>(n); // unbiased
  }
  // Proportional allocation never has more variance than sampling the undecided region as one
  // stratum, so that binomial variance (Agresti-Coull proportion, sound when hits are rare)
  // gives a conservative 95 % interval.
  const double N = static_cast<double>(std::max<std::int64_t>(res.samples_used, 1));
  const double pac = (static_cast<double>(hits_total) + 2.0) / (N + 4.0);
  const double half_width =
      1.959963984540054 * undecided * std::sqrt(pac * (1.0 - pac) / (N + 4.0));
  res.volume_estimate = res.certified_volume_lower + estimate;
  res.volume_ci_low = std::max(res.certified_volume_lower, res.volume_estimate - half_width);
  res.volume_ci_high = std::min(res.certified_volume_upper, res.volume_estimate + half_width);
  res.network_evaluations = res.boxes_processed + res.samples_used;
  res.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return res;
}

} // namespace spikemesh
