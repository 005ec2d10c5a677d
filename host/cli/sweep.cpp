/// @file sweep.cpp
/// @brief sweep: the Cartesian product of --sweep NAME=V1,V2,... lists, one run per row, one
/// /sweep column per parameter and statistic.
#include "spikemesh/checkpoint.hpp"
#include "spikemesh/errors.hpp"
#include "spikemesh/io/results_h5.hpp"
#include "spikemesh/parallel.hpp"
#include "spikemesh/rounding_bound.hpp"

#include "commands.hpp"
#include "progress.hpp"
#include "report.hpp"
#include "run/mesh_job.hpp"
#include "run/run_control.hpp"

#include <omp.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <unistd.h>

namespace spikemesh::cli {
namespace {

struct Axis {
  std::string name;
  std::vector<std::string> values;
};

std::vector<Axis> parse_sweeps(const std::vector<std::string>& specs) {
  if (specs.empty()) throw InvalidParameter("sweep", "give at least one --sweep NAME=V1,V2,...");
  std::vector<Axis> axes;
  for (const std::string& spec : specs) {
    const std::size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) {
      throw InvalidParameter("sweep", "'" + spec + "' is not NAME=V1,V2,...");
    }
    Axis a{spec.substr(0, eq), {}};
    std::size_t start = eq + 1;
    while (start <= spec.size()) {
      const std::size_t comma = spec.find(',', start);
      const std::string v =
          spec.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (v.empty()) throw InvalidParameter("sweep", "empty value in '" + spec + "'");
      a.values.push_back(v);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    for (const Axis& b : axes) {
      if (b.name == a.name) throw InvalidParameter("sweep", "'" + a.name + "' is swept twice");
    }
    axes.push_back(std::move(a));
  }
  return axes;
}

} // namespace

int sweep_command(const Options& o, const Invocation& inv) {
  const std::vector<Axis> axes = parse_sweeps(o.sweeps);
  if (inv.app && parallel::rank() == 0) {
    std::vector<std::string> swept;
    for (const Axis& a : axes)
      swept.push_back(a.name);
    for (const std::string& note : unused_option_notes(*inv.app, o, swept))
      std::fprintf(stderr, "spikemesh: note: %s\n", note.c_str());
  }
  parse_shard(o.shard);
  std::size_t rows = 1;
  for (const Axis& a : axes)
    rows *= a.values.size();

  // Build and validate every row's options and case before any evaluation.
  std::vector<Options> row_opts;
  std::vector<Case> cases;
  std::vector<MeshSpec> meshes;
  std::unique_ptr<Evaluator> ev;
  std::string notice;
  const std::string out_path = o.out.empty() ? "spikemesh-sweep.h5" : o.out;
  bool replacing = false;
  run::arm_time_limit(o.time_limit);
  std::optional<run::ImmediateStop> setup(std::in_place, "case set-up");
  agree_on_errors([&] {
    replacing = output_exists(out_path);
    output_exists(out_path + ".partial"); // where checkpoints go
    if (parallel::size() > 1 && (o.resume || o.time_limit > 0)) {
      throw InvalidParameter(o.resume ? "resume" : "time-limit",
                             "checkpointing needs a single process (run without mpirun)");
    }
    for (std::size_t r = 0; r < rows; ++r) {
      Options ro = o;
      std::size_t rest = r;
      for (std::size_t k = axes.size(); k-- > 0;) { // last axis fastest
        set_option(ro, axes[k].name, axes[k].values[rest % axes[k].values.size()]);
        rest /= axes[k].values.size();
      }
      cases.push_back(make_case(ro));
      make_mesh_view(resolve_mesh(ro, cases.back(), 1e8));
      row_opts.push_back(std::move(ro));
    }
    int threads = o.threads;
    if (threads == 0 && parallel::size() > 1)
      threads = std::max(1, omp_get_num_procs() / parallel::size());
    ev = make_evaluator(o.backend, threads, &notice);
    const double target = ev->name() == "cuda" ? 1e9 : 1e8;
    for (std::size_t r = 0; r < rows; ++r) {
      meshes.push_back(resolve_mesh(row_opts[r], cases[r], target / static_cast<double>(rows)));
      make_mesh_view(meshes.back());
    }
  });
  {
    std::string rows_fingerprint = "out=" + out_path + ";shard=" + o.shard + ";";
    for (std::size_t r = 0; r < rows; ++r)
      rows_fingerprint += run_fingerprint(cases[r], meshes[r], {0, make_mesh_view(meshes[r]).total},
                                          precision_name(o.precision), ev->name(), 0);
    agree_on_fingerprint(rows_fingerprint); // every rank sweeps the same rows
  }
  const bool root = parallel::rank() == 0;
  if (!notice.empty() && !o.quiet && root) std::fprintf(stderr, "spikemesh: %s\n", notice.c_str());

  const auto [shard_i, shard_n] = parse_shard(o.shard);
  const ProgressMode mode = progress_mode(o.quiet, o.progress_interval, root);
  if (mode.enabled && mode.plain) {
    double points = 0;
    for (const MeshSpec& m : meshes)
      points += static_cast<double>(make_mesh_view(m).total);
    std::fprintf(stderr, "spikemesh: plan: %zu rows, %.6g points in all, backend %s (%s)\n", rows,
                 points / shard_n, ev->name().c_str(), ev->device().c_str());
  }
  // Every row's range and fingerprint; a checkpoint of row r names the whole sweep too.
  const index_t block = driver_block_size(*ev);
  std::vector<IndexRange> wholes;
  std::vector<Precision> precisions_used;
  std::vector<std::string> fingerprints;
  std::uint64_t sweep_hash = 14695981039346656037ull;
  for (std::size_t r = 0; r < rows; ++r) {
    const index_t mesh_points = make_mesh_view(meshes[r]).total;
    wholes.push_back(parallel::share({0, mesh_points}, parallel::kShardBlock, shard_i, shard_n));
    // docs/math.md 7.6 (exit 2 before any work when the rule refuses); the driver applies the
    // same rule to the row's requested precision and records it.
    const PrecisionChoice choice = choose_precision(row_opts[r].precision, cases[r], meshes[r],
                                                    cases[r].params.resolved_tau());
    if (!choice.warning.empty() && root && !o.quiet)
      std::fprintf(stderr, "spikemesh: warning: row %zu: %s\n", r, choice.warning.c_str());
    precisions_used.push_back(choice.precision);
    fingerprints.push_back(run_fingerprint(cases[r], meshes[r], wholes[r],
                                           precision_name(precisions_used[r]), ev->name(), block));
    sweep_hash = fnv1a64(fingerprints[r].data(), fingerprints[r].size(), sweep_hash);
  }
  for (std::size_t r = 0; r < rows; ++r) {
    fingerprints[r] += "sweep_rows=" + std::to_string(rows) +
                       ";sweep_hash=" + std::to_string(sweep_hash) + ";row=" + std::to_string(r) +
                       ";";
  }
  // The training errors (quadratic in the training set): before any row, nothing written yet.
  std::vector<std::pair<double, double>> trains;
  {
    const run::ImmediateStop phase("the training-error pass");
    for (std::size_t r = 0; r < rows; ++r)
      trains.push_back(training_error_in(cases[r], precisions_used[r]));
  }
  run::ResumePoint resume;
  if (o.resume) {
    resume = run::find_resume(out_path, "", o.quiet); // a complete sweep partial: unverifiable
    if (resume.checkpoint) {
      if (resume.rows.size() >= rows)
        throw InvalidFile(out_path + ".partial: more finished rows than this sweep has");
      for (std::size_t r = 0; r < resume.rows.size(); ++r)
        run::check_fingerprint(out_path, resume.rows[r].fingerprint, fingerprints[r]);
      run::check_fingerprint(out_path, resume.state.fingerprint, fingerprints[resume.rows.size()]);
      if (!o.quiet) {
        std::fprintf(stderr, "spikemesh: resuming the sweep at row %zu of %zu (index %lld)\n",
                     resume.rows.size() + 1, rows, static_cast<long long>(resume.state.next));
      }
    }
  }
  setup.reset();
  const run::CooperativeStop phase("the sweep"); // stops at a block with a checkpoint
  std::vector<Checkpoint> finished = resume.rows;

  io::ShardInfo shard;
  shard.index = shard_i;
  shard.count = shard_n;
  std::uint64_t rows_hash = 14695981039346656037ull;
  io::SweepRecord rec;
  rec.first = &cases.front();
  rec.mesh = meshes.front();
  std::vector<std::string> precisions;
  std::vector<std::string> json_rows;
  for (std::size_t r = 0; r < rows; ++r) {
    const index_t mesh_points = make_mesh_view(meshes[r]).total;
    const IndexRange whole = wholes[r];
    run::MeshJob job;
    job.c = &cases[r];
    job.mesh = &meshes[r];
    job.ev = ev.get();
    job.options.precision = row_opts[r].precision; // resolved by the driver as above
    job.options.range = parallel::share(whole, block, parallel::rank(), parallel::size());
    job.options.train = &trains[r];
    job.whole = whole;
    job.fingerprint = fingerprints[r];
    job.checkpointing = parallel::size() == 1;
    job.checkpoint_interval = o.checkpoint_interval;
    if (r < resume.rows.size()) {
      job.resume = &resume.rows[r]; // finished: only finalized again
    } else if (resume.checkpoint && r == resume.rows.size()) {
      job.resume = &resume.state;
    }
    job.save = [&](const Checkpoint& cp) { io::write_checkpoint(out_path, cp, finished); };
    ProgressLine progress(stderr, mode);
    job.options.progress = [&progress](index_t done, index_t total) { progress(done, total); };
    RunOutput out = run::run_job(job);
    progress.finish();
    if (!out.complete) {
      if (!root) return job.checkpointing ? run::kExitCheckpoint : run::kExitStopped;
      if (!job.checkpointing) {
        std::fprintf(stderr,
                     "spikemesh: sweep stopped by %s in row %zu of %zu; nothing was "
                     "written\n",
                     run::stop_cause().c_str(), r + 1, rows);
        return run::kExitStopped;
      }
      std::fprintf(stderr,
                   "spikemesh: sweep stopped by %s in row %zu of %zu (%zu rows finished); "
                   "checkpoint in %s.partial; continue with --resume\n",
                   run::stop_cause().c_str(), r + 1, rows, finished.size(), out_path.c_str());
      return run::kExitCheckpoint;
    }
    if (r >= finished.size())
      finished.push_back({fingerprints[r], whole, whole.end, out.total, out.wall_seconds});
    merge_ranks(out, cases[r], meshes[r], whole,
                trains[r]); // every rank's rows; rank 0 keeps the merge
    if (!o.shard.empty() && root) {
      const std::string fp = run_fingerprint(cases[r], meshes[r], {0, mesh_points},
                                             precision_name(out.precision), "any", 0);
      if (r == 0) shard.fingerprint = fp;
      rows_hash = fnv1a64(fp.data(), fp.size(), rows_hash);
      shard.parts.push_back({whole, mesh_points, out.total,
                             finalize_inputs(cases[r], meshes[r], out.stats, trains[r]),
                             out.wall_seconds});
    }
    if (!root) continue;
    // A swept parameter that is also a statistic (tau) has one column: the statistic's, which
    // is the value the row used.
    const auto is_statistic = [&out](const std::string& name) {
      for (const Statistic& s : out.results.scalars) {
        if (s.name == name) return true;
      }
      return false;
    };
    if (r == 0) {
      for (const Axis& a : axes) {
        if (!is_statistic(a.name)) rec.numeric_names.push_back(a.name);
      }
      for (const Statistic& s : out.results.scalars)
        rec.numeric_names.push_back(s.name);
      rec.numeric_names.insert(rec.numeric_names.end(),
                               {"points_per_axis", "wall_seconds", "points_per_second"});
      rec.numeric_columns.resize(rec.numeric_names.size());
    }
    std::size_t col = 0;
    std::size_t rest = r;
    std::vector<double> swept(axes.size());
    for (std::size_t k = axes.size(); k-- > 0;) {
      swept[k] = std::stod(axes[k].values[rest % axes[k].values.size()]);
      rest /= axes[k].values.size();
    }
    for (std::size_t k = 0; k < axes.size(); ++k) {
      if (!is_statistic(axes[k].name)) rec.numeric_columns[col++].push_back(swept[k]);
    }
    for (const Statistic& s : out.results.scalars)
      rec.numeric_columns[col++].push_back(s.value);
    rec.numeric_columns[col++].push_back(static_cast<double>(meshes[r].points_per_axis[0]));
    rec.numeric_columns[col++].push_back(out.wall_seconds);
    rec.numeric_columns[col++].push_back(out.points_per_second);
    const std::string prec = out.precision == Precision::Double ? "double" : "float";
    precisions.push_back(prec);
    JsonExtras extras;
    for (std::size_t k = 0; k < axes.size(); ++k) {
      extras.emplace_back(axes[k].name, json_number(swept[k]));
    }
    extras.emplace_back("precision", json_string(prec));
    json_rows.push_back(json_summary(out, extras));
    if (!o.quiet && !o.json) {
      std::printf("row %zu/%zu:", r + 1, rows);
      for (std::size_t k = 0; k < axes.size(); ++k)
        std::printf(" %s=%g", axes[k].name.c_str(), swept[k]);
      std::printf("  spike_volume %.6g (exact %.6g)  accuracy %.6g  %.2f s\n",
                  out.results.get("spike_volume"), out.results.get("spike_volume_exact"),
                  out.results.get("accuracy"), out.wall_seconds);
    }
  }
  if (!root) return 0;
  rec.text_names = {"precision"};
  rec.text_columns = {precisions};
  rec.prov = {inv.command_line, ev->name(), ev->device(), precisions.front(), parallel::size()};
  if (!o.shard.empty()) {
    shard.fingerprint +=
        "rows=" + std::to_string(rows) + ";rows_hash=" + std::to_string(rows_hash) + ";";
    rec.shard = &shard;
  }
  io::write_sweep(out_path, rec);
  note_replaced(replacing, out_path, o.quiet);
  if (o.json) {
    std::printf("{\"rows\": [");
    for (std::size_t r = 0; r < json_rows.size(); ++r)
      std::printf("%s%s", r ? ", " : "", json_rows[r].c_str());
    std::printf("], \"backend\": %s, \"out\": %s}\n", json_string(ev->name()).c_str(),
                json_string(out_path).c_str());
  } else if (!o.quiet) {
    std::printf("wrote %s (%zu rows)\n", out_path.c_str(), rows);
  }
  return 0;
}

} // namespace spikemesh::cli
