/// @file commands.cpp
/// @brief list, run and info: build the case, pick the backend, evaluate, write, report.
#include "commands.hpp"

#include "spikemesh/certify.hpp"
#include "spikemesh/checkpoint.hpp"
#include "spikemesh/constructions.hpp"
#include "spikemesh/errors.hpp"
#include "spikemesh/exact.hpp"
#include "spikemesh/io/file_json.hpp"
#include "spikemesh/io/results_h5.hpp"
#include "spikemesh/math/forward.hpp"
#include "spikemesh/parallel.hpp"
#include "spikemesh/rounding_bound.hpp"

#include "progress.hpp"
#include "report.hpp"
#include "run/mesh_run.hpp"
#include "run/output_file.hpp"
#include "run/run_control.hpp"

#include <omp.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <iostream>
#include <memory>
#include <numeric>
#include <sys/stat.h>
#include <tuple>
#include <unistd.h>

namespace spikemesh::cli {
namespace {

/// f on the plane of axes 0 and 1 through the box centre, cell-centred, in precision T.
template <class T>
io::Slice compute_slice_as(const Case& c, const MeshSpec& mesh, int points) {
  io::Slice s;
  s.points = points;
  s.lo = mesh.lo;
  s.hi = mesh.hi;
  const PackedNetwork<T> packed(c.network);
  const NetworkView<T> v = packed.view();
  std::vector<T> x(static_cast<std::size_t>(mesh.dim), static_cast<T>(0.5 * (mesh.lo + mesh.hi)));
  std::vector<T> a(static_cast<std::size_t>(v.buffer_width)), b(a.size());
  const double step = (mesh.hi - mesh.lo) / points;
  s.values.resize(static_cast<std::size_t>(points) * static_cast<std::size_t>(points));
  for (int r = 0; r < points; ++r) {
    x[1] = static_cast<T>(mesh.lo + (r + 0.5) * step);
    for (int q = 0; q < points; ++q) {
      x[0] = static_cast<T>(mesh.lo + (q + 0.5) * step);
      s.values[static_cast<std::size_t>(r) * points + q] =
          static_cast<double>(forward(v, x.data(), a.data(), b.data()));
    }
  }
  return s;
}

std::string default_out(const Invocation& inv) {
  return inv.demo ? "spikemesh-demo.h5" : "spikemesh-run.h5";
}

} // namespace

io::Slice compute_slice(const Case& c, const MeshSpec& mesh, int points, Precision p) {
  return p == Precision::Double ? compute_slice_as<double>(c, mesh, points)
                                : compute_slice_as<float>(c, mesh, points);
}

bool output_exists(const std::string& path) {
  return run::check_output(path, "out");
}

std::string xdmf_sidecar(const std::string& path) {
  const bool h5 = path.size() > 3 && path.compare(path.size() - 3, 3, ".h5") == 0;
  return (h5 ? path.substr(0, path.size() - 3) : path) + ".xdmf";
}

void note_replaced(bool existed, const std::string& path, bool quiet) {
  if (existed && !quiet)
    std::fprintf(stderr, "spikemesh: note: replaced the existing %s\n", path.c_str());
}

Case make_case(const Options& o) {
  if (o.cp.construction != "from-file") return build_case(o.cp);
  Case c = io::load_case_from_file(o.cp);
  if (o.cp.extra_depth > 0) {
    const DepthExtension ext{o.cp.extra_depth, o.cp.extra_width, o.cp.extra_activation, o.cp.c,
                             o.cp.epsilon};
    apply_depth_extension(c.network, ext);
    c.config.emplace_back("extra-depth", std::to_string(o.cp.extra_depth));
  }
  return c;
}

MeshSpec resolve_mesh(const Options& o, const Case& c, double target_points) {
  if (o.box.size() != 2) throw InvalidParameter("box", "give LO,HI");
  MeshSpec m;
  m.dim = c.network.in_dim;
  m.lo = o.box[0];
  m.hi = o.box[1];
  m.centring = o.centring;
  if (!o.points_per_axis.empty()) {
    m.points_per_axis = o.points_per_axis;
    return m;
  }
  index_t M = std::max<index_t>(2, points_per_axis_for(target_points, m.dim));
  // Odd and coprime to the training spacing: cell centres never land on spike boundaries.
  const index_t spacing = c.training.grid ? c.training.n - 1 : 1;
  while (M % 2 == 0 || std::gcd(M, spacing) != 1)
    ++M;
  m.points_per_axis = {M};
  return m;
}

int list_command() {
  std::printf("Constructions (--construction NAME), docs/math.md sections 2-6:\n\n");
  for (const ConstructionInfo& ci : construction_registry()) {
    std::printf("  %-14s %s\n", ci.name.c_str(), ci.summary.c_str());
    for (const ParamInfo& p : ci.params) {
      std::printf("      --%-16s default %-10s range %-12s %s\n", p.name.c_str(),
                  p.fallback.c_str(), p.range.c_str(), p.help.c_str());
    }
    std::printf("\n");
  }
  std::printf("Options of every case:\n");
  for (const ParamInfo& p : common_params()) {
    std::printf("      --%-16s default %-10s range %-12s %s\n", p.name.c_str(), p.fallback.c_str(),
                p.range.c_str(), p.help.c_str());
  }
  return 0;
}

namespace {

/// Everything a run checks before any collective call or evaluation.
struct Prepared {
  Case c;
  MeshSpec mesh;
  std::unique_ptr<Evaluator> ev;
  std::string notice;
};

Prepared prepare_run(const Options& o) {
  parse_shard(o.shard); // validated before any work
  Prepared p{make_case(o), {}, nullptr, {}};
  make_mesh_view(resolve_mesh(o, p.c, 1e8)); // every input error before any notice or work
  if (parallel::size() > 1 && (o.resume || o.time_limit > 0)) {
    throw InvalidParameter(o.resume ? "resume" : "time-limit",
                           "checkpointing needs a single process (run without mpirun)");
  }
  int threads = o.threads;
  if (threads == 0 && parallel::size() > 1) {
    threads = std::max(1, omp_get_num_procs() / parallel::size()); // no oversubscription
  }
  p.ev = make_evaluator(o.backend, threads, &p.notice);
  p.mesh = resolve_mesh(o, p.c, p.ev->name() == "cuda" ? 1e9 : 1e8);
  return p;
}

} // namespace

/// --method certify: certified bounds and a sampled estimate instead of a mesh.
int certify_command(const Options& o, const Invocation& inv) {
  if (parallel::rank() != 0) return 0;
  run::arm_time_limit(o.time_limit);
  const std::string out = o.out.empty() ? default_out(inv) : o.out;
  const bool replacing = output_exists(out);
  const run::ImmediateStop setup("case set-up");
  const Case c = make_case(o);
  if (o.box.size() != 2 || !(o.box[0] < o.box[1])) throw InvalidParameter("box", "needs LO < HI");
  check_box(o.box[0], o.box[1], c.network.in_dim); // volumes that over- or underflow
  io::CertifyRecord rec;
  rec.c = &c;
  rec.lo = o.box[0];
  rec.hi = o.box[1];
  rec.options.box_budget = o.box_budget;
  rec.options.samples = o.samples;
  rec.options.seed = o.cp.seed;
  rec.options.tau = c.params.resolved_tau();
  rec.options.target_rel_ci = o.target_rel_ci;
  rec.options.bounds = parse_bound_method(o.bounds);
  rec.options.threads = o.threads;
  rec.options.backend = o.backend;
  std::unique_ptr<ProgressLine> progress;
  std::string phase;
  rec.options.progress = [&](const char* unit, std::int64_t done, std::int64_t total) {
    if (phase != unit) { // a new phase: boxes, then samples
      progress = std::make_unique<ProgressLine>(
          stderr, progress_mode(o.quiet, o.progress_interval, true), unit);
      progress->total_is_a_budget(); // --box-budget, --samples: caps, not the work
      phase = unit;
    }
    (*progress)(done, total);
    run::block_done(); // a test stop point per batch of boxes or samples
  };
  const ProgressMode mode = progress_mode(o.quiet, o.progress_interval, true);
  const bool exact_method = o.method == "exact";
  if (mode.enabled && mode.plain) {
    std::fprintf(stderr,
                 "spikemesh: plan: %s [%g,%g]^%d: up to %lld boxes (%s bounds), then up to "
                 "%lld samples; backend %s, %d CPU threads\n",
                 o.method.c_str(), rec.lo, rec.hi, c.network.in_dim,
                 static_cast<long long>(o.box_budget), o.bounds.c_str(),
                 static_cast<long long>(o.samples), backend_name(o.backend).c_str(),
                 o.threads > 0 ? o.threads : omp_get_max_threads());
  }
  if (exact_method) { // --method exact: the same options, plus a gap target and a time limit
    rec.options.target_rel_gap = o.target_rel_gap;
    rec.options.time_limit = o.time_limit;
    rec.options.stop = [] { return run::stop_requested(); };
    // A stop ends the subdivision early: the bracket is written, valid but wider.
    const run::CooperativeStop subdividing("the exact subdivision");
    rec.result = exact_volume(c.network, c.network.in_dim, rec.lo, rec.hi, rec.options);
  } else {
    const run::ImmediateStop certifying("certify");
    rec.result = certify_volume(c.network, c.network.in_dim, rec.lo, rec.hi, rec.options);
  }
  const run::CooperativeStop writing("writing the result"); // a file is never left half
  rec.method = o.method;
  progress.reset(); // ends the progress line before the summary
  if (!rec.result.notice.empty() && !o.quiet && !o.json)
    std::fprintf(stderr, "spikemesh: %s\n", rec.result.notice.c_str());
  if (rec.result.stopped_early && !o.quiet && !o.json)
    std::fprintf(stderr, "spikemesh: exact: subdivision stopped early (time limit or signal); "
                         "the bracket is valid but wider\n");
  std::string device = rec.result.device;
  if (rec.result.engine == "cuda") {
    try { // the GPU's name, as a mesh run records it
      device = make_evaluator(Backend::Cuda, 0, nullptr)->device();
    } catch (const std::exception&) {
      device = "CUDA GPU";
    }
  }
  rec.prov = {inv.command_line, rec.result.engine, device, "double", 1};
  io::write_certify(out, rec);
  note_replaced(replacing, out, o.quiet);
  const CertifyResult& r = rec.result;
  const bool unit = rec.lo == 0.0 && rec.hi == 1.0;
  const double exact = unit ? c.oracle.spike_volume : std::nan("");
  if (o.json) {
    std::printf("{\"certified_volume_lower\": %s, \"certified_volume_upper\": %s, "
                "\"volume_estimate\": %s, \"volume_ci_low\": %s, \"volume_ci_high\": %s, "
                "\"boxes_processed\": %lld, \"boxes_undecided\": %lld, \"samples_used\": %lld, "
                "\"sampling_rounds\": %lld, \"bound_method\": %s, \"ci_method\": %s, "
                "\"spike_volume_exact\": %s, \"tau\": %s, \"wall_seconds\": %s, \"out\": %s, "
                "\"method\": %s, \"exact_volume_fraction\": %s, \"boxes_exact\": %lld, "
                "\"boxes_inside\": %lld, \"stopped_early\": %s}\n",
                json_number(r.certified_volume_lower).c_str(),
                json_number(r.certified_volume_upper).c_str(),
                json_number(r.volume_estimate).c_str(), json_number(r.volume_ci_low).c_str(),
                json_number(r.volume_ci_high).c_str(), static_cast<long long>(r.boxes_processed),
                static_cast<long long>(r.boxes_undecided), static_cast<long long>(r.samples_used),
                static_cast<long long>(r.sampling_rounds), json_string(r.bound_method).c_str(),
                json_string(r.ci_method).c_str(), json_number(exact).c_str(),
                json_number(rec.options.tau).c_str(), json_number(r.wall_seconds).c_str(),
                json_string(out).c_str(), json_string(rec.method).c_str(),
                json_number(r.exact_volume_fraction).c_str(), static_cast<long long>(r.boxes_exact),
                static_cast<long long>(r.boxes_inside), r.stopped_early ? "true" : "false");
  } else if (!o.quiet) {
    std::printf(exact_method ? "certified  %.12g <= volume{|f| > %g} <= %.12g\n"
                             : "certified  %.6g <= volume{|f| > %g} <= %.6g\n",
                r.certified_volume_lower, rec.options.tau, r.certified_volume_upper);
    std::printf("estimate   %.6g, 95%% interval [%.6g, %.6g] (%s)  (exact %.6g)\n",
                r.volume_estimate, r.volume_ci_low, r.volume_ci_high, r.ci_method.c_str(), exact);
    std::printf("boxes      %lld bounded by %s (%lld inside, %lld outside, %lld undecided), %lld "
                "samples in %lld round(s), %.2f s\nwrote      %s\n",
                static_cast<long long>(r.boxes_processed), r.bound_method.c_str(),
                static_cast<long long>(r.boxes_inside), static_cast<long long>(r.boxes_outside),
                static_cast<long long>(r.boxes_undecided), static_cast<long long>(r.samples_used),
                static_cast<long long>(r.sampling_rounds), r.wall_seconds, out.c_str());
    if (exact_method) {
      std::printf("exact      %lld boxes in closed form, %.6g of the domain decided exactly, "
                  "(upper - lower) / lower = %.3g\n",
                  static_cast<long long>(r.boxes_exact), r.exact_volume_fraction,
                  r.certified_volume_lower > 0.0
                      ? (r.certified_volume_upper - r.certified_volume_lower) /
                            r.certified_volume_lower
                      : std::nan(""));
    }
  }
  return 0;
}

int run_command(const Options& o, const Invocation& inv) {
  const bool root = parallel::rank() == 0;
  if (inv.app && root) {
    for (const std::string& note : unused_option_notes(*inv.app, o)) {
      std::fprintf(stderr, "spikemesh: note: %s\n", note.c_str());
    }
  }
  if (o.method == "certify" || o.method == "exact") return certify_command(o, inv);
  run::arm_time_limit(o.time_limit);
  // Agree on input errors across ranks before the first collective (no deadlocks).
  const std::string out_path = o.out.empty() ? default_out(inv) : o.out;
  Prepared prep;
  bool replacing = false;
  {
    const run::ImmediateStop phase("case set-up");
    agree_on_errors([&] {
      prep = prepare_run(o);
      replacing = output_exists(out_path);
      output_exists(out_path + ".partial"); // where checkpoints go
      if (o.slice && prep.mesh.dim >= 2) output_exists(xdmf_sidecar(out_path));
    });
  }
  const Case& c = prep.c;
  const MeshSpec& mesh = prep.mesh;
  Evaluator& ev = *prep.ev;
  if (!prep.notice.empty() && !o.quiet && root)
    std::fprintf(stderr, "spikemesh: %s\n", prep.notice.c_str());
  const bool broken_extension = o.cp.extra_depth > 0 && o.cp.extra_activation == Activation::ReLU &&
                                c.oracle.source.find("not exact") != std::string::npos;
  if (broken_extension && !o.quiet && root) {
    std::fprintf(stderr, "spikemesh: note: c - epsilon*max|y| <= 0: this relu extension does not "
                         "reproduce the base network (docs/math.md 5)\n");
  }

  // The run's range (this shard's share), precision and fingerprint; then resume, the
  // training-error pass, the checkpointing evaluation and the MPI merge (host/run/mesh_run).
  run::MeshRunSpec spec;
  spec.c = &c;
  spec.mesh = &mesh;
  spec.ev = &ev;
  spec.precision = o.precision;
  std::tie(spec.shard_index, spec.shard_count) = parse_shard(o.shard);
  spec.out = out_path;
  spec.resume = o.resume;
  spec.checkpoint_interval = o.checkpoint_interval;
  spec.quiet = o.quiet;
  const run::MeshRunPlan plan = run::plan_mesh_run(spec);
  agree_on_fingerprint(plan.fingerprint + "out=" + out_path + ";shard=" + o.shard + ";");
  const ProgressMode mode = progress_mode(o.quiet, o.progress_interval, root);
  if (mode.enabled && mode.plain) {
    const MeshView mv = make_mesh_view(mesh);
    std::fprintf(stderr, "spikemesh: plan: %.6g points (%lld^%d mesh%s), backend %s (%s), %s\n",
                 static_cast<double>(plan.whole.size()),
                 static_cast<long long>(mv.points_per_axis[0]), mesh.dim,
                 o.shard.empty() ? "" : (", shard " + o.shard).c_str(), ev.name().c_str(),
                 ev.device().c_str(), precision_name(plan.precision).c_str());
  }
  ProgressLine progress(stderr, mode);
  const run::CooperativeStop phase("the mesh evaluation"); // and writing: never half a file
  const run::MeshRunOutcome outcome = run::run_planned(
      spec, plan, [&progress](index_t done, index_t total) { progress(done, total); });
  progress.finish();
  const RunOutput& r = outcome.out;
  switch (outcome.status) {
  case run::MeshRunStatus::AlreadyComplete:
    return 0;
  case run::MeshRunStatus::Stopped:
    std::fprintf(stderr, "spikemesh: stopped by %s at index %lld of %lld; nothing was written\n",
                 run::stop_cause().c_str(), static_cast<long long>(r.next),
                 static_cast<long long>(plan.whole.end));
    return run::kExitStopped;
  case run::MeshRunStatus::Checkpointed:
    std::fprintf(stderr,
                 "spikemesh: stopped by %s at index %lld of %lld; checkpoint in %s.partial; "
                 "continue with --resume\n",
                 run::stop_cause().c_str(), static_cast<long long>(r.next),
                 static_cast<long long>(plan.whole.end), out_path.c_str());
    return run::kExitCheckpoint;
  case run::MeshRunStatus::Complete:
    break;
  }
  if (!root) return 0; // rank 0 writes

  io::RunRecord rec;
  rec.c = &c;
  rec.mesh = mesh;
  rec.out = r;
  rec.fingerprint = plan.fingerprint;
  io::ShardInfo shard;
  if (!o.shard.empty()) {
    shard.index = spec.shard_index;
    shard.count = spec.shard_count;
    shard.fingerprint =
        run_fingerprint(c, mesh, {0, plan.mesh_points}, precision_name(r.precision), "any", 0);
    shard.parts.push_back({plan.whole, plan.mesh_points, r.total,
                           finalize_inputs(c, mesh, r.stats, outcome.train), r.wall_seconds});
    rec.shard = &shard;
  }
  rec.prov = {inv.command_line, ev.name(), ev.device(), precision_name(r.precision),
              parallel::size()};
  if (o.slice && mesh.dim < 2 && o.cp.construction == "from-file")
    std::fprintf(stderr, "spikemesh: note: --slice is not used with a 1-D network (a slice is the "
                         "plane of axes 0 and 1)\n");
  if (o.slice && mesh.dim >= 2)
    rec.slices.push_back(compute_slice(c, mesh, o.slice_points, r.precision));
  io::write_run(out_path, rec);
  note_replaced(replacing, out_path, o.quiet);

  if (o.json) {
    std::printf("%s\n", json_summary(r, {{"backend", json_string(ev.name())},
                                         {"device", json_string(ev.device())},
                                         {"precision", json_string(rec.prov.precision)},
                                         {"mpi_ranks", std::to_string(parallel::size())},
                                         {"out", json_string(out_path)}})
                            .c_str());
  } else if (!o.quiet) {
    std::printf("%s", table_summary(c, mesh, r, ev.name(), ev.device()).c_str());
    if (parallel::size() > 1) std::printf("ranks    %d MPI ranks\n", parallel::size());
    std::printf("wrote    %s\n", out_path.c_str());
  }
  return 0;
}

int merge_command(const Options& o, const Invocation& inv) {
  if (parallel::rank() != 0) return 0;
  const std::string out = o.merge_files.front();
  const std::vector<std::string> shards(o.merge_files.begin() + 1, o.merge_files.end());
  const bool replacing = output_exists(out);
  for (const std::string& in : shards) {
    if (run::same_file(in, out))
      throw InvalidParameter("merge", "the output " + out + " is also an input (" + in +
                                          "); merge into a new file");
  }
  const run::ImmediateStop phase("merge", "nothing was written");
  const Results r = [&] {
    const run::CooperativeStop writing("merge"); // reading and writing take moments
    return io::merge_shards(out, shards, {inv.command_line, "", "", "", 1});
  }();
  note_replaced(replacing, out, o.quiet);
  if (o.json) {
    RunOutput ro;
    ro.results = r;
    std::printf("%s\n", json_summary(ro, {{"out", json_string(out)}}).c_str());
  } else if (!o.quiet) {
    std::printf("merged %zu shards: %.0f points, spike_volume %.10g (exact %.10g)\nwrote  %s\n",
                shards.size(), r.get("points"), r.get("spike_volume"), r.get("spike_volume_exact"),
                out.c_str());
  }
  return 0;
}

int info_command(const Options& o) {
  run::check_input(o.info_file, "info: the file"); // a FIFO or a device would hang or never end
  if (o.json) {
    std::printf("%s", io::describe_file_json(o.info_file).c_str());
    return 0;
  }
  std::printf("%s", io::describe_file(o.info_file).c_str());
  return 0;
}

} // namespace spikemesh::cli
