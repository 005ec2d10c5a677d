/// @file line_counts.cpp
/// @brief The static performance model's source-line profile: runs the mesh kernel's own
/// per-warp code (math/eval_block.hpp, the same header the CUDA kernel compiles) on the host's
/// lockstep warp emulator for one benchmark case, over a coarse mesh of the whole box, as one
/// block of eval_block::kThreads threads. Built with --coverage, so gcov then tells how often each
/// line of the shared headers ran; bench/perf_model/perf_model.py divides by the points evaluated
/// and weights the kernel's SASS with it. Prints one JSON object (case, precision, width,
/// points, FMAs the network executes per point).
///   spikemesh_perf_line_counts CASE float|double [POINTS]
///   CASE: c1-d2 (n = 4), c1-d6 (n = 3), c1-d10 (n = 2), dense-W (2-W-W-W-1 ReLU, W = 32..256)
#include "spikemesh/math/eval_block.hpp"

#include "bench_common.hpp"
#include "eval_kernel.hpp"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>

namespace {

using namespace spikemesh;

Case case_named(const std::string& name) {
  if (name == "c1-d2") return bench::relu_spike_case(2, 4);
  if (name == "c1-d6") return bench::relu_spike_case(6, 3);
  if (name == "c1-d10") return bench::relu_spike_case(10, 2);
  if (name.rfind("dense-", 0) == 0) return bench::dense_case(std::stoi(name.substr(6)));
  throw std::invalid_argument("unknown case '" + name + "' (c1-d2, c1-d6, c1-d10, dense-W)");
}

/// One block of the kernel over the whole range (grid 1): every warp walks its tiles.
template <class T, int Width>
void run_block(const EvalView<T>& v, IndexRange range) {
  Accumulator out;
  eval_block::emulate_eval_grid<T, Width>(v, range, 1, &out);
  if (out.scalar.points != static_cast<std::uint64_t>(range.size()))
    throw std::logic_error("points lost");
}

template <class T>
int run(const Case& c, double points, index_t* evaluated) {
  MeshSpec mesh;
  mesh.dim = c.network.in_dim;
  mesh.points_per_axis = {points_per_axis_for(points, mesh.dim)};
  const int width = eval_kernel_width<T>(c.network);
  PackedNetwork<T> packed(c.network, width);
  EvalView<T> v;
  v.net = packed.view();
  v.mesh = make_mesh_view(mesh);
  v.truth = truth_view(c);
  v.stats = default_stats_config(c);
  const IndexRange range{0, v.mesh.total};
  if (width == eval_block::kSeparableWidth) {
    run_block<T, eval_block::kSeparableWidth>(v, range);
  } else if (width == eval_block::kNarrowWidth) {
    run_block<T, eval_block::kNarrowWidth>(v, range);
  } else {
    run_block<T, eval_block::kWideWidth>(v, range);
  }
  *evaluated = v.mesh.total;
  return width;
}

} // namespace

int main(int argc, char** argv) {
  try {
    if (argc < 3) throw std::invalid_argument("usage: CASE float|double [POINTS]");
    const std::string name = argv[1], prec = argv[2];
    // About 2^17 points (2^15 for the dense MLPs, whose -O0 forward pass is slow): a thread
    // walks about 1000 (250) points, as on the device at 10^9 points over a few waves.
    const bool dense = name.rfind("dense-", 0) == 0;
    const double points = argc > 3 ? std::atof(argv[3]) : dense ? 3.3e4 : 1.3e5;
    const Case c = case_named(name);
    index_t evaluated = 0;
    int width = 0;
    if (prec == "float") {
      width = run<float>(c, points, &evaluated);
    } else if (prec == "double") {
      width = run<double>(c, points, &evaluated);
    } else {
      throw std::invalid_argument("precision must be float or double");
    }
    std::printf("{\"case\": \"%s\", \"precision\": \"%s\", \"width\": %d, \"points\": %llu, "
                "\"flops_per_point\": %.1f}\n",
                name.c_str(), prec.c_str(), width, static_cast<unsigned long long>(evaluated),
                c.network.flops_per_point());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "spikemesh_perf_line_counts: %s\n", e.what());
    return 2;
  }
}
