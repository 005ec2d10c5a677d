/// @file fuzz_config.cpp
/// @brief libFuzzer target: arbitrary TOML through CLI11's config reader (allow_config_extras
/// false) into option validation and case construction. Any crash or sanitizer report is a bug;
/// exceptions are the expected answer to bad input.
#include "spikemesh/constructions.hpp"
#include "spikemesh/mesh_spec.hpp"

#include "../../host/cli/options.hpp"
#include "fuzz_input.hpp"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string& path = spikemesh::fuzz::input_file("config", data, size);
  spikemesh::cli::Options o;
  CLI::App app{"fuzz"};
  spikemesh::cli::add_options(app, o);
  const char* argv[] = {"spikemesh", "--config", path.c_str(), "run"};
  try {
    app.parse(4, const_cast<char**>(argv));
  } catch (const CLI::Error&) {
    return 0;
  }
  if (o.cp.construction == "from-file") return 0; // no reads of arbitrary paths
  // Case construction is validated for any size; building is skipped past 4096 training points
  // (a fuzz input must not trade the search for a multi-GB allocation the CLI would allow).
  const double points = std::pow(static_cast<double>(o.cp.train_per_axis), o.cp.dim);
  try {
    if (points <= 4096.0) {
      const spikemesh::Case c = spikemesh::build_case(o.cp);
      spikemesh::MeshSpec m;
      m.dim = c.network.in_dim;
      if (!o.points_per_axis.empty()) m.points_per_axis = o.points_per_axis;
      if (o.box.size() == 2) {
        m.lo = o.box[0];
        m.hi = o.box[1];
      }
      spikemesh::make_mesh_view(m);
    }
  } catch (const std::exception&) {
  }
  return 0;
}
