/// @file bench_exact.cpp
/// @brief The exact method (exact_volume) against today's certify and plain Monte Carlo on C1
/// spikes for d = 6 .. 20: time and certified gap. Also the share decided exactly on a random
/// ReLU network 4-24-24-24-1. Prints Markdown tables (bench/RESULTS.md). The timings come from
/// running the binary by hand; ctest runs only `--quick` as a smoke test.
#include "spikemesh/case.hpp"
#include "spikemesh/certify.hpp"
#include "spikemesh/constructions.hpp"
#include "spikemesh/exact.hpp"
#include "spikemesh/math/forward.hpp"

#include "random_relu_case.hpp"
#include "support/random_network.hpp"

#include <CLI/CLI.hpp>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <random>
#include <vector>

using namespace spikemesh;

namespace {

constexpr double kZ95 = 1.959963984540054;

/// Seconds plain Monte Carlo needs for a 95 % half-width of 1 % at volume @p v, projected from
/// the measured cost of @p n evaluations.
double plain_mc_seconds(const Network& net, int d, double v, std::int64_t n, double tau) {
  const PackedNetwork<double> packed(net);
  const NetworkView<double> view = packed.view();
  const auto t0 = std::chrono::steady_clock::now();
  std::int64_t hits = 0;
#pragma omp parallel reduction(+ : hits)
  {
    std::vector<double> x(static_cast<std::size_t>(d)),
        a(static_cast<std::size_t>(view.buffer_width)), b(a.size());
    std::mt19937_64 rng(7 + static_cast<std::uint64_t>(omp_get_thread_num()));
#pragma omp for schedule(static)
    for (std::int64_t i = 0; i < n; ++i) {
      for (double& c : x)
        c = static_cast<double>(rng() >> 11) * 0x1.0p-53;
      hits += std::fabs(forward(view, x.data(), a.data(), b.data())) > tau ? 1 : 0;
    }
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double need = kZ95 * kZ95 * (1 - v) / (1e-4 * v);
  return s * need / static_cast<double>(n);
}

void c1_table(bool quick) {
  std::printf("### C1 (relu-spike) and C2 (prelu-spike, tau = 1e-4): exact against certify and "
              "plain MC\n\n"
              "| case | exact volume | exact: bracket | exact: (upper-lower)/exact | exact: boxes "
              "| exact: wall (CPU) s | certify: [lower, upper] at 10^6 boxes | certify: time (s) | "
              "plain MC to 1 %% (s, projected) |\n|---|---|---|---|---|---|---|---|---|\n");
  struct K {
    int d, n;
    double b;
    bool prelu = false;
  };
  std::vector<K> cases = {{6, 3, 5.6},   {10, 2, 9.9},        {10, 2, 9.1}, {12, 2, 11.6},
                          {16, 2, 15.6}, {16, 2, 15.6, true}, {20, 2, 19.6}};
  if (quick) cases = {{6, 3, 5.6}, {10, 2, 9.9}};
  for (const K& k : cases) {
    CaseParams cp = CaseParams::relu_spike(k.d, k.n, k.b);
    if (k.prelu) cp.construction = "prelu-spike";
    const Case c = build_case(cp);
    const double exact = c.oracle.spike_volume;
    CertifyOptions o;
    o.samples = 0; // the default box budget (10^6) and gap target (1e-12)
    o.tau = c.params.resolved_tau();
    const std::clock_t c0 = std::clock();
    const CertifyResult e = exact_volume(c.network, k.d, 0.0, 1.0, o);
    const double cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
    CertifyOptions co;
    co.samples = 0;
    co.box_budget = quick ? 100000 : 1000000;
    co.tau = o.tau;
    std::string cert = "-", cert_time = "-";
    if (k.d <= 16) {
      const CertifyResult r = certify_volume(c.network, k.d, 0.0, 1.0, co);
      char buf[96];
      std::snprintf(buf, sizeof buf, "[%.3g, %.3g]", r.certified_volume_lower,
                    r.certified_volume_upper);
      cert = buf;
      std::snprintf(buf, sizeof buf, "%.2f", r.wall_seconds);
      cert_time = buf;
    }
    // Plain MC's cost per evaluation grows with the 2^d spike rows: fewer evaluations to time.
    const double per_eval = std::pow(static_cast<double>(k.n), k.d) * 3.0 * k.d;
    const std::int64_t mc_n = std::max<std::int64_t>(
        200, static_cast<std::int64_t>(std::min(quick ? 2e4 : 2e5, 4e9 / per_eval)));
    const double mc = plain_mc_seconds(c.network, k.d, exact, mc_n, o.tau);
    std::printf(
        "| %s d=%d n=%d b=%g (s=%g) | %.6g | [%.12g, %.12g] | %.2g | %lld (%lld "
        "undecided) | %.2f (%.2f) | %s | %s | %.3g |\n",
        k.prelu ? "C2" : "C1", k.d, k.n, k.b, k.d - k.b, exact, e.certified_volume_lower,
        e.certified_volume_upper, (e.certified_volume_upper - e.certified_volume_lower) / exact,
        static_cast<long long>(e.boxes_processed), static_cast<long long>(e.boxes_undecided),
        e.wall_seconds, cpu, cert.c_str(), cert_time.c_str(), mc);
    std::fflush(stdout);
  }
}

void random_network_table(bool quick) {
  std::printf("\n### Random ReLU network 4-24-24-24-1 (weights x 3, tau = median |f|, as in "
              "bench_certify): the share decided\n\n"
              "| box budget | exact: exact_volume_fraction | exact: boxes in closed form | exact: "
              "certified gap | certify (linear): undecided volume | exact: time (s) |\n"
              "|---|---|---|---|---|---|\n");
  const bench::RandomReluCase rc = bench::random_relu_case();
  const Network& net = rc.net;
  for (std::int64_t budget : {std::int64_t(10000), std::int64_t(100000), std::int64_t(1000000)}) {
    if (quick && budget > 10000) continue;
    CertifyOptions o;
    o.box_budget = budget;
    o.samples = 0;
    o.tau = rc.tau;
    const CertifyResult e = exact_volume(net, 4, 0.0, 1.0, o);
    o.bounds = BoundMethod::Linear;
    const CertifyResult r = certify_volume(net, 4, 0.0, 1.0, o);
    std::printf("| %lld | %.4g | %lld | %.4g | %.4g | %.2f |\n", static_cast<long long>(budget),
                e.exact_volume_fraction, static_cast<long long>(e.boxes_exact),
                e.certified_volume_upper - e.certified_volume_lower,
                r.certified_volume_upper - r.certified_volume_lower, e.wall_seconds);
    std::fflush(stdout);
  }
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"The exact method against certify and plain Monte Carlo (bench/RESULTS.md)."};
  bool quick = false, network_only = false;
  app.add_flag("--quick", quick, "two small cases, budgets / 10, the network at 10^4 boxes");
  app.add_flag("--network-only", network_only, "only the random-network table");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    if (!network_only) c1_table(quick);
    random_network_table(quick);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "spikemesh_bench_exact: %s\n", e.what());
    return 2;
  }
  return 0;
}
