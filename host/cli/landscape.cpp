/// @file landscape.cpp
/// @brief landscape: the verdict on a case's point and its 2-D loss mesh, written to HDF5.
#include "spikemesh/errors.hpp"
#include "spikemesh/evaluator.hpp"
#include "spikemesh/io/results_h5.hpp"
#include "spikemesh/parallel.hpp"

#include "commands.hpp"
#include "report.hpp"
#include "run/run_control.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <stdexcept>

namespace spikemesh::cli {
namespace {

/// Any network + training set from a file, judged at its stored parameters (all dense free).
LandscapeCase case_from_file(const Options& o) {
  CaseParams p = o.cp;
  p.construction = "from-file";
  p.task = Task::Approximate; // the training set is read; no labels are needed beyond /training
  const Case c = io::load_case_from_file(p);
  if (c.training.y.empty()) {
    throw InvalidParameter("network", o.cp.network_file + " has no /training group: a landscape "
                                                          "needs the training set");
  }
  LandscapeCase lc;
  lc.name = "from-file";
  lc.description = "network and training set from " + o.cp.network_file;
  lc.network = c.network;
  lc.in_dim = c.network.in_dim;
  lc.x = c.training.x;
  lc.y = c.training.y;
  lc.free = all_dense_params(lc.network);
  lc.theta_star = param_values(lc.network, lc.free);
  return lc;
}

Directions parse_directions(const std::string& s, std::size_t params) {
  if (s == "axes") return Directions::Axes;
  if (s == "random") return Directions::Random;
  if (s == "filter-normalized") return Directions::FilterNormalized;
  return params == 2 ? Directions::Axes : Directions::FilterNormalized; // auto
}

/// Least-squares coordinates of theta_global - theta_star in the plane (u, v).
void project_global(io::LandscapeRecord& rec) {
  const LandscapeCase& c = *rec.c;
  if (c.theta_global.empty()) return;
  const auto& u = rec.mesh.u;
  const auto& v = rec.mesh.v;
  double uu = 0, uv = 0, vv = 0, du = 0, dv = 0, dd = 0;
  for (std::size_t i = 0; i < u.size(); ++i) {
    const double d = c.theta_global[i] - c.theta_star[i];
    uu += u[i] * u[i];
    uv += u[i] * v[i];
    vv += v[i] * v[i];
    du += d * u[i];
    dv += d * v[i];
    dd += d * d;
  }
  const double det = uu * vv - uv * uv;
  if (!(std::fabs(det) > 1e-300)) return;
  rec.global_alpha = (vv * du - uv * dv) / det;
  rec.global_beta = (uu * dv - uv * du) / det;
  rec.global_plane_distance =
      std::sqrt(std::max(0.0, dd - (rec.global_alpha * du + rec.global_beta * dv)));
  rec.has_global = true;
}

} // namespace

int landscape_command(const Options& o, const Invocation& inv) {
  if (parallel::rank() != 0) return 0; // landscapes are small: rank 0 alone computes and writes
  run::arm_time_limit(o.time_limit);
  const std::string out = o.out.empty() ? "spikemesh-landscape.h5" : o.out;
  const bool replacing = output_exists(out);
  // Nothing in a landscape can be resumed: a stop ends it at once with nothing written.
  std::optional<run::ImmediateStop> computing(std::in_place, "landscape");
  const LandscapeCase c = o.landscape_case == "from-file"
                              ? case_from_file(o)
                              : make_landscape_case(o.landscape_case, o.cp.seed);
  const int points = o.points_per_axis.empty() ? kDefaultLandscapePoints
                                               : static_cast<int>(o.points_per_axis.front());
  const Directions dirs = parse_directions(o.directions, c.theta_star.size());
  io::LandscapeRecord rec;
  rec.c = &c;
  rec.mesh = landscape_directions(c, dirs, o.range, points, o.cp.seed);
  std::string why;
  if (o.backend == Backend::Cpu || !landscape_loss_cuda(c, rec.mesh, &why)) {
    if (o.backend == Backend::Cuda) throw std::runtime_error("--backend cuda: " + why);
    if (o.backend == Backend::Auto && !o.quiet && !o.json)
      std::fprintf(stderr, "spikemesh: no CUDA landscape (%s); using the CPU\n", why.c_str());
    landscape_loss_cpu(c, rec.mesh, o.threads);
  }
  VerdictOptions vo;
  vo.directions_per_radius = o.perturbations;
  vo.seed = o.cp.seed;
  vo.threads = o.threads;
  rec.verdict = analyse_critical_point(c, vo);
  if (rec.verdict.global_source.rfind("best", 0) == 0) {
    // No known global minimum: the best loss anywhere we looked, the mesh included.
    const double mesh_min =
        *std::min_element(rec.mesh.train_loss.begin(), rec.mesh.train_loss.end());
    if (mesh_min < rec.verdict.global_loss) {
      rec.verdict.global_loss = mesh_min;
      rec.verdict.global_source = "best loss found on the landscape mesh";
      if (rec.verdict.verdict == "global_minimum" && mesh_min < rec.verdict.loss - 1e-9) {
        rec.verdict.verdict = "spurious_local_minimum";
      }
    }
  }
  project_global(rec);
  // Root provenance: where the loss mesh was computed (/landscape@backend); the verdict's
  // checks always run on the CPU.
  std::string device =
      std::to_string(o.threads > 0 ? o.threads : omp_get_max_threads()) + "-thread OpenMP CPU";
  if (rec.mesh.backend == "cuda") {
    try {
      device = make_evaluator(Backend::Cuda, 0, nullptr)->device();
    } catch (const std::exception&) {
      device = "CUDA GPU";
    }
  }
  rec.prov = {inv.command_line, rec.mesh.backend, device, "double", 1};
  rec.config = {{"case", c.name},
                {"directions", directions_name(dirs)},
                {"range", std::to_string(o.range)},
                {"points-per-axis", std::to_string(points)},
                {"seed", std::to_string(o.cp.seed)},
                {"perturbations", std::to_string(o.perturbations)},
                {"parameters", std::to_string(c.theta_star.size())}};
  if (c.name == "from-file") rec.config.emplace_back("network", o.cp.network_file);
  computing.reset();
  const run::CooperativeStop writing("writing the result"); // a file is never left half
  io::write_landscape(out, rec);
  note_replaced(replacing, out, o.quiet);

  const Verdict& v = rec.verdict;
  if (o.json) {
    std::string eig = "[";
    for (std::size_t i = 0; i < v.hessian_eigenvalues.size(); ++i) {
      eig += (i ? ", " : "") + json_number(v.hessian_eigenvalues[i]);
    }
    eig += "]";
    std::printf("{\"case\": %s, \"verdict\": %s, \"loss\": %s, \"global_loss\": %s, "
                "\"global_source\": %s, \"criterion\": %s, \"grad_norm\": %s, "
                "\"min_one_sided_derivative\": %s, \"min_loss_change\": %s, "
                "\"hessian_eigenvalues\": %s, \"parameters\": %zu, \"backend\": %s, "
                "\"out\": %s}\n",
                json_string(c.name).c_str(), json_string(v.verdict).c_str(),
                json_number(v.loss).c_str(), json_number(v.global_loss).c_str(),
                json_string(v.global_source).c_str(), json_string(v.criterion).c_str(),
                json_number(v.grad_norm).c_str(),
                json_number(v.grad_norm > vo.grad_tol ? v.min_one_sided_derivative : NAN).c_str(),
                json_number(v.min_loss_change).c_str(), eig.c_str(), c.theta_star.size(),
                json_string(rec.mesh.backend).c_str(), json_string(out).c_str());
  } else if (!o.quiet) {
    std::printf("case     %s: %s (%zu free parameters)\n", c.name.c_str(), c.description.c_str(),
                c.theta_star.size());
    std::printf("verdict  %s\n", v.verdict.c_str());
    std::printf("loss     %.10g   global %.10g (%s)\n", v.loss, v.global_loss,
                v.global_source.c_str());
    std::printf("|grad|   %.3g (central differences, step 1e-6)\n", v.grad_norm);
    if (v.grad_norm > vo.grad_tol) {
      std::printf("one-sided min directional derivative along the axes %+.3g (steps 1e-6, "
                  "1e-7, extrapolated)\n",
                  v.min_one_sided_derivative);
    }
    std::printf("decided  by %s\n", v.criterion.empty() ? "a nonzero gradient (central and "
                                                          "one-sided differences)"
                                                        : v.criterion.c_str());
    for (std::size_t i = 0; i < v.radii.size(); ++i) {
      std::printf("r=%-6g min F(theta*+r u) - F(theta*) = %+.3g\n", v.radii[i],
                  v.min_change_per_radius[i]);
    }
    if (!v.hessian_eigenvalues.empty()) {
      std::printf("Hessian eigenvalues:");
      for (double e : v.hessian_eigenvalues)
        std::printf(" %.4g", e);
      std::printf("\n");
    }
    std::printf("wrote    %s (%dx%d %s landscape, losses on the %s)\n", out.c_str(), points, points,
                directions_name(dirs).c_str(), rec.mesh.backend.c_str());
  }
  return 0;
}

} // namespace spikemesh::cli
