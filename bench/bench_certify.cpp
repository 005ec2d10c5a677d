/// @file bench_certify.cpp
/// @brief Certified estimation against plain Monte Carlo with the same number of network
/// evaluations (box bounds + samples): relative 95 % half-width reached, per budget, for C1
/// in d = 6 (b = 5.5) and d = 10 (b = 9.1); and the certified upper bound over the exact volume.
///   build/cpu/bench/spikemesh_bench_certify
#include "spikemesh/certify.hpp"
#include "spikemesh/constructions.hpp"
#include "spikemesh/math/forward.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>

using namespace spikemesh;

namespace {

/// Plain Monte Carlo on [0,1]^d with @p n points: relative 95 % half-width of the estimate.
double plain_mc_rel_half_width(const Network& net, int d, std::int64_t n, double exact) {
  const PackedNetwork<double> packed(net);
  const NetworkView<double> v = packed.view();
  std::vector<double> x(static_cast<std::size_t>(d)), a(static_cast<std::size_t>(v.buffer_width)),
      b(a.size());
  std::mt19937_64 rng(99);
  std::int64_t hits = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    for (double& c : x)
      c = static_cast<double>(rng() >> 11) * 0x1.0p-53;
    hits += forward(v, x.data(), a.data(), b.data()) != 0.0 ? 1 : 0;
  }
  const double p = (static_cast<double>(hits) + 2.0) / (static_cast<double>(n) + 4.0);
  return 1.96 * std::sqrt(p * (1 - p) / (static_cast<double>(n) + 4.0)) / exact;
}

} // namespace

int main() {
  std::printf("| case | box budget | samples | evaluations | time (s) | certified [lower, upper] | "
              "upper / exact | estimate | rel. half-width (certify) | rel. half-width (plain MC, "
              "same evaluations) |\n|---|---|---|---|---|---|---|---|---|---|\n");
  const struct {
    int d, n;
    double b;
  } cases[] = {{6, 3, 5.5}, {10, 2, 9.1}};
  for (const auto& k : cases) {
    CaseParams p;
    p.dim = k.d;
    p.train_per_axis = k.n;
    p.bias = k.b;
    const Case c = build_case(p);
    const double exact = c.oracle.spike_volume;
    for (std::int64_t budget : {std::int64_t(10000), std::int64_t(100000), std::int64_t(1000000)}) {
      CertifyOptions opt;
      opt.box_budget = budget;
      opt.samples = 200000;
      const CertifyResult r = certify_volume(c.network, k.d, 0.0, 1.0, opt);
      const double rel = 0.5 * (r.volume_ci_high - r.volume_ci_low) / exact;
      const double mc = plain_mc_rel_half_width(c.network, k.d, r.network_evaluations, exact);
      std::printf("| C1 d=%d n=%d b=%g | %lld | %lld | %lld | %.2f | [%.4g, %.4g] | %.3g | %.5g "
                  "(exact %.5g) "
                  "| %.3g | %.3g |\n",
                  k.d, k.n, k.b, static_cast<long long>(budget),
                  static_cast<long long>(r.samples_used),
                  static_cast<long long>(r.network_evaluations), r.wall_seconds,
                  r.certified_volume_lower, r.certified_volume_upper,
                  r.certified_volume_upper / exact, r.volume_estimate, exact, rel, mc);
      std::fflush(stdout);
    }
  }
  return 0;
}
