/// @file line_counts.cpp
/// @brief The static performance model's source-line profile: runs the kernel's own per-warp or
/// per-block code (math/eval_block.hpp and separable.hpp for the mesh kernel; math/dense_block.hpp
/// for the fused dense kernel, which the CUDA evaluator takes for the dense-W cases; the headers
/// the CUDA kernels compile) on the host's lockstep warp and block emulators for one benchmark
/// case, as blocks of eval_block::kThreads threads. The mesh is the benchmarks' 10^9-point mesh
/// (bench_common.hpp), so that warp tiles see the geometry they see on the device (C1 d = 2:
/// 31,623 points per axis, a 512-point tile spans 1.6 % of axis 0 and one mesh row); a sample of
/// POINTS of it is evaluated: evenly spread runs of kSampleRounds block rounds (kBlockPoints
/// points each), starting at multiples of the tile size as the kernel's tiles do. Built with
/// --coverage, so gcov then tells how often each line of the shared headers ran;
/// bench/perf_model/perf_model.py divides by the points evaluated and weights the kernel's SASS
/// with it. Prints one JSON object (case, precision, kernel instantiation profiled, points, FMAs
/// the network executes per point).
///   spikemesh_perf_line_counts CASE float|double [POINTS [MESH_POINTS [generic]]]
///   CASE: c1-d2 (n = 4), c1-d6 (n = 3), c1-d10 (n = 2), c1-wide (d = 2, n = 40: the generic
///   wide kernel), dense-W (2-W-W-W-1 ReLU, W = 32..256), sparse-W (the same shape, hidden
///   layers sparse: the generic mesh kernel; W <= 32 narrow)
///   generic: the generic per-thread forward pass even where the separable path applies (the
///   kernel before it, for before/after tables). POINTS 0: the default. MESH_POINTS: the mesh the
///   sample is taken from (default 1e9; POINTS or less: the whole mesh, the model's profile before
///   2026-12-01's separable path)
#include "spikemesh/math/dense_block.hpp"
#include "spikemesh/math/eval_block.hpp"

#include "bench_common.hpp"
#include "eval_kernel.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace {

using namespace spikemesh;

Case case_named(const std::string& name) {
  if (name == "c1-d2") return bench::relu_spike_case(2, 4);
  if (name == "c1-d6") return bench::relu_spike_case(6, 3);
  if (name == "c1-d10") return bench::relu_spike_case(10, 2);
  // 40 x 40 = 1600 spike rows: past the separable path's 1024, so the generic wide kernel
  // (eval_mesh_kernel<T, 256>) runs it, the spike layer streamed into the output.
  if (name == "c1-wide") return bench::relu_spike_case(2, 40);
  if (name.rfind("dense-", 0) == 0) return bench::dense_case(std::stoi(name.substr(6)));
  if (name.rfind("sparse-", 0) == 0) return bench::sparse_case(std::stoi(name.substr(7)));
  throw std::invalid_argument("unknown case '" + name +
                              "' (c1-d2, c1-d6, c1-d10, c1-wide, dense-W, sparse-W)");
}

/// Block rounds (kBlockPoints consecutive points each) per sampled run: each warp walks
/// several tiles, as a device thread does (per-thread setup amortised as there, roughly).
constexpr int kSampleRounds = 4;

/// One block of the kernel over @p range (grid 1): every warp walks its tiles.
template <class T, int Width>
void run_block(const EvalView<T>& v, IndexRange range) {
  Accumulator out;
  eval_block::emulate_eval_grid<T, Width>(v, range, 1, &out);
  if (out.scalar.points != static_cast<std::uint64_t>(range.size()))
    throw std::logic_error("points lost");
}

/// One block of the fused dense kernel over the whole range.
template <class T, int MO>
void run_dense_block(const EvalView<T>& v, IndexRange range) {
  Accumulator out;
  dense_block::emulate_dense_grid<T, MO>(v, range, 1, &out);
  if (out.scalar.points != static_cast<std::uint64_t>(range.size()))
    throw std::logic_error("points lost");
}

/// Profiles the kernel the CUDA evaluator runs the case with; returns its name.
template <class T>
std::string run(const Case& c, double points, double mesh_points, bool generic,
                index_t* evaluated) {
  MeshSpec mesh;
  mesh.dim = c.network.in_dim;
  mesh.points_per_axis = {points_per_axis_for(std::max(points, mesh_points), mesh.dim)};
  int width = eval_kernel_width<T>(c.network);
  if (generic && width == eval_block::kSeparableWidth) { // the rule before the separable path
    width = eval_block::kWideWidth;
    try {
      if (PackedNetwork<T>(c.network, eval_block::kNarrowWidth).buffer_width() <=
          eval_block::kNarrowWidth)
        width = eval_block::kNarrowWidth;
    } catch (const std::invalid_argument&) { // a wide layer that must be streamed
    }
  }
  PackedNetwork<T> packed(c.network, width);
  EvalView<T> v;
  v.net = packed.view();
  v.mesh = make_mesh_view(mesh);
  v.truth = truth_view(c);
  v.stats = default_stats_config(c);
  std::vector<IndexRange> ranges;
  const index_t run_points = static_cast<index_t>(kSampleRounds) * eval_block::kBlockPoints;
  if (mesh_points <= points || v.mesh.total <= static_cast<index_t>(points)) {
    ranges.push_back({0, v.mesh.total}); // the whole mesh
  } else {
    const index_t runs = std::max<index_t>(1, static_cast<index_t>(points) / run_points);
    for (index_t k = 0; k < runs; ++k) {
      const long double at = static_cast<long double>(k) / runs * (v.mesh.total - run_points);
      index_t begin = static_cast<index_t>(at);
      begin -= begin % eval_block::kTilePoints;
      ranges.push_back({begin, begin + run_points});
    }
  }
  *evaluated = 0;
  const int rows = dense_block::rows_for(v.net); // as backend_cuda.cpp chooses
  for (const IndexRange& range : ranges) {
    if (rows == dense_block::kRowsWide) {
      run_dense_block<T, dense_block::kRowsWide>(v, range);
    } else if (rows == dense_block::kRowsNarrow) {
      run_dense_block<T, dense_block::kRowsNarrow>(v, range);
    } else if (width == eval_block::kSeparableWidth) {
      run_block<T, eval_block::kSeparableWidth>(v, range);
    } else if (width == eval_block::kNarrowWidth) {
      run_block<T, eval_block::kNarrowWidth>(v, range);
    } else {
      run_block<T, eval_block::kWideWidth>(v, range);
    }
    *evaluated += range.size();
  }
  const std::string t = std::is_same_v<T, float> ? "float" : "double";
  if (rows != 0) return "eval_dense_kernel<" + t + ", " + std::to_string(rows) + ">";
  return "eval_mesh_kernel<" + t + ", " + std::to_string(width) + ">";
}

} // namespace

int main(int argc, char** argv) {
  try {
    if (argc < 3) throw std::invalid_argument("usage: CASE float|double [POINTS [MESH_POINTS]]");
    const std::string name = argv[1], prec = argv[2];
    // About 2^17 points (2^15 for the dense and sparse MLPs, whose -O0 forward pass is slow)
    // of the 10^9-point mesh.
    const bool dense = name.rfind("dense-", 0) == 0 || name.rfind("sparse-", 0) == 0;
    const double asked = argc > 3 ? std::atof(argv[3]) : 0.0; // 0: the default
    const double points = asked > 0 ? asked : dense ? 3.3e4 : 1.3e5;
    const double mesh_points = argc > 4 ? std::atof(argv[4]) : 1e9;
    const bool generic = argc > 5 && std::string(argv[5]) == "generic";
    const Case c = case_named(name);
    index_t evaluated = 0;
    std::string kernel;
    if (prec == "float") {
      kernel = run<float>(c, points, mesh_points, generic, &evaluated);
    } else if (prec == "double") {
      kernel = run<double>(c, points, mesh_points, generic, &evaluated);
    } else {
      throw std::invalid_argument("precision must be float or double");
    }
    std::printf("{\"case\": \"%s\", \"precision\": \"%s\", \"kernel\": \"%s\", "
                "\"points\": %llu, \"flops_per_point\": %.1f}\n",
                name.c_str(), prec.c_str(), kernel.c_str(),
                static_cast<unsigned long long>(evaluated), c.network.flops_per_point());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "spikemesh_perf_line_counts: %s\n", e.what());
    return 2;
  }
}
