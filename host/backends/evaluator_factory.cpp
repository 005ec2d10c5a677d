/// @file evaluator_factory.cpp
/// @brief Backend selection, precision resolution and default statistics settings.
#include "spikemesh/evaluator.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

namespace spikemesh {

#if defined(SPIKEMESH_HAS_CUDA)
// Defined in host/backends/backend_cuda.cpp (built only with SPIKEMESH_ENABLE_CUDA).
std::unique_ptr<Evaluator> make_cuda_evaluator();
bool cuda_device_present(std::string* why);
#endif

int cuda_device_for_local_rank(int count, const std::function<const char*(const char*)>& get_env) {
  if (count <= 0) return -1;
  // One GPU per MPI rank on a node: local rank mod device count (OpenMPI, Slurm, MPICH).
  for (const char* var : {"OMPI_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID", "MPI_LOCALRANKID"}) {
    if (const char* v = get_env(var)) {
      char* end = nullptr;
      const long rank = std::strtol(v, &end, 10);
      if (end == v || *end != '\0' || rank < 0) return -1; // not a rank: leave the default
      return static_cast<int>(rank % count);
    }
  }
  return -1;
}

bool cuda_available(std::string* why) {
#if defined(SPIKEMESH_HAS_CUDA)
  return cuda_device_present(why);
#else
  if (why) *why = "this build has no CUDA backend (SPIKEMESH_ENABLE_CUDA=OFF)";
  return false;
#endif
}

std::unique_ptr<Evaluator> make_evaluator(Backend backend, int threads, std::string* notice) {
  std::string why;
  switch (backend) {
  case Backend::Cpu:
    return make_cpu_evaluator(threads);
  case Backend::Cuda:
    if (!cuda_available(&why)) throw std::runtime_error("--backend cuda: " + why);
#if defined(SPIKEMESH_HAS_CUDA)
    return make_cuda_evaluator();
#else
    break;
#endif
  case Backend::Auto:
    if (cuda_available(&why)) {
#if defined(SPIKEMESH_HAS_CUDA)
      return make_cuda_evaluator();
#endif
    }
    if (notice) *notice = "no CUDA device (" + why + "); using the CPU backend";
    return make_cpu_evaluator(threads);
  }
  return make_cpu_evaluator(threads);
}

std::string backend_name(Backend b) {
  switch (b) {
  case Backend::Auto:
    return "auto";
  case Backend::Cpu:
    return "cpu";
  case Backend::Cuda:
    return "cuda";
  }
  return "auto";
}

std::string precision_name(Precision p) {
  switch (p) {
  case Precision::Auto:
    return "auto";
  case Precision::Float:
    return "float";
  case Precision::Double:
    return "double";
  }
  return "auto";
}

StatsConfig default_stats_config(const Case& c) {
  StatsConfig s;
  s.tau = c.params.resolved_tau();
  double ymax = 0.0;
  for (double y : c.training.y)
    ymax = std::max(ymax, std::fabs(y));
  if (!(ymax > 0.0)) ymax = 1.0;
  s.f_lo = -1.25 * ymax;
  s.f_hi = 1.25 * ymax;
  // The l1 distance to the nearest grid point is at most d h / 2 inside the cube.
  s.dist_max = c.training.grid ? 0.5 * c.training.dim / (c.training.n - 1) : c.training.dim;
  return s;
}

} // namespace spikemesh
