// Builds the 1-D ReLU spike network (n = 6, b = 0.9) with the installed library, evaluates it
// on a midpoint mesh and checks the spike volume against rho_1(s) = 2 s = 0.2
// (docs/math.md 2.3) within the surface bound of a midpoint count (docs/math.md 7.5).
#include "spikemesh/case.hpp"
#include "spikemesh/driver.hpp"

#include <cmath>
#include <cstdio>

int main() {
  using namespace spikemesh;
  const Case c = build_case(CaseParams::relu_spike(1, 6, 0.9));
  MeshSpec mesh;
  mesh.dim = 1;
  const index_t m = 100003;
  mesh.points_per_axis = {m};
  const auto ev = make_cpu_evaluator(1);
  RunOptions opt;
  opt.precision = Precision::Double;
  const RunOutput out = run_mesh(c, mesh, *ev, opt);
  const double est = out.results.get("spike_volume");
  const double exact = out.results.get("spike_volume_exact");
  const double bound = 2.0 * 5.0 / static_cast<double>(m); // 2^d sqrt(d) s^(d-1) (n-1)/(d-1)! / M
  std::printf("spike_volume %.9g exact %.9g bound %.3g\n", est, exact, bound);
  if (std::fabs(exact - 0.2) > 1e-15 || !(std::fabs(est - exact) <= bound)) return 1;
  return 0;
}
