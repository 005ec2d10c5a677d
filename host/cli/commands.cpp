/// @file commands.cpp
/// @brief list, run and info: build the case, pick the backend, evaluate, write, report.
#include "commands.hpp"

#include "spikemesh/constructions.hpp"
#include "spikemesh/io/results_h5.hpp"
#include "spikemesh/math/forward.hpp"

#include "progress.hpp"
#include "report.hpp"

#include <cmath>
#include <cstdio>
#include <iostream>
#include <numeric>
#include <unistd.h>

namespace spikemesh::cli {
namespace {

/// f on the plane of axes 0 and 1 through the box centre, cell-centred, in precision T.
template <class T>
io::Slice compute_slice(const Case& c, const MeshSpec& mesh, int points) {
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
  std::printf("Constructions (--construction NAME), constructions.md C1-C3:\n\n");
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

int run_command(const Options& o, const Invocation& inv) {
  if (inv.app) {
    for (const std::string& note : unused_option_notes(*inv.app, o)) {
      std::fprintf(stderr, "spikemesh: note: %s\n", note.c_str());
    }
  }
  const Case c = make_case(o);
  make_mesh_view(resolve_mesh(o, c, 1e8)); // every input error before any notice or work
  std::string notice;
  const auto ev = make_evaluator(o.backend, o.threads, &notice);
  if (!notice.empty() && !o.quiet) std::fprintf(stderr, "spikemesh: %s\n", notice.c_str());
  const MeshSpec mesh = resolve_mesh(o, c, ev->name() == "cuda" ? 1e9 : 1e8);
  const std::string out_path = o.out.empty() ? default_out(inv) : o.out;
  const bool broken_extension = o.cp.extra_depth > 0 && o.cp.extra_activation == Activation::ReLU &&
                                c.oracle.source.find("not exact") != std::string::npos;
  if (broken_extension && !o.quiet) {
    std::fprintf(stderr, "spikemesh: note: c - epsilon*max|y| <= 0: this relu extension does not "
                         "reproduce the base network (constructions.md C4)\n");
  }

  RunOptions ro;
  ro.precision = o.precision;
  ProgressLine progress(stderr, !o.quiet && isatty(STDERR_FILENO) != 0);
  ro.progress = [&progress](index_t done, index_t total) { progress(done, total); };
  RunOutput r = run_mesh(c, mesh, *ev, ro);
  progress.finish();

  io::RunRecord rec;
  rec.c = &c;
  rec.mesh = mesh;
  rec.out = r;
  rec.prov = {inv.command_line, ev->name(), ev->device(),
              r.precision == Precision::Double ? "double" : "float", 1};
  if (o.slice && mesh.dim >= 2) {
    rec.slices.push_back(r.precision == Precision::Double
                             ? compute_slice<double>(c, mesh, o.slice_points)
                             : compute_slice<float>(c, mesh, o.slice_points));
  }
  io::write_run(out_path, rec);

  if (o.json) {
    std::printf("%s\n", json_summary(r, {{"backend", ev->name()},
                                         {"device", ev->device()},
                                         {"precision", rec.prov.precision},
                                         {"out", out_path}})
                            .c_str());
  } else if (!o.quiet) {
    std::printf("%s", table_summary(c, mesh, r, ev->name(), ev->device()).c_str());
    std::printf("wrote    %s\n", out_path.c_str());
  }
  return 0;
}

int info_command(const Options& o) {
  std::printf("%s", io::describe_file(o.info_file).c_str());
  return 0;
}

} // namespace spikemesh::cli
