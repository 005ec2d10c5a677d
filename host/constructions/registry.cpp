/// @file registry.cpp
/// @brief The construction registry: names, parameters, defaults, valid ranges, help.
#include "spikemesh/constructions.hpp"

namespace spikemesh {

const std::vector<ParamInfo>& common_params() {
  static const std::vector<ParamInfo> params = {
      {"task", "classify", "classify|approximate",
       "classify: labels +-1, truth = label of the nearest training point; approximate: y = g(x)"},
      {"labels", "random", "random|checkerboard|ones", "classification labels"},
      {"seed", "1", ">= 0", "seed of the random labels"},
      {"target", "one", "one|sin|gauss|poly", "approximation target g"},
      {"tau", "0; sigmoid 0.5; prelu 1e-4; extended 1e-5 max(1,c/eps)", ">= 0",
       "spike threshold: the spike region is |f| > tau; |f| <= tau is undecided"},
      {"extra-depth", "0", ">= 0", "depth extension (C4): extra hidden layers N"},
      {"extra-width", "1", ">= 1", "depth extension: width w of each extra layer"},
      {"extra-activation", "relu", "relu|sigmoid|tanh|softplus", "depth extension activation"},
      {"c", "1", "relu: > 0; sigmoid/tanh/softplus: any", "depth extension centre c"},
      {"epsilon", "0.5", "> 0", "depth extension scale epsilon"},
  };
  return params;
}

const std::vector<ConstructionInfo>& construction_registry() {
  const ParamInfo dim{"dim", "2", "1..32", "input dimension d"};
  const ParamInfo n{"train-per-axis", "4", ">= 2", "training points per axis n (n^d in all)"};
  const ParamInfo bias{"bias", "d - 0.1", "[d-1, d)",
                       "spike bias b; slack s = d - b sets the "
                       "spike radius h s"};
  static const std::vector<ConstructionInfo> registry = {
      {"relu-spike",
       "C1: ReLU spike network, zero training loss, f = 0 away from the data",
       {dim, n, bias}},
      {"prelu-spike",
       "C2: parametric-ReLU spike network, the same function as C1",
       {dim, n, bias, {"alpha", "0.25", "[0, 1)", "PReLU slope for negative inputs"}}},
      {"sigmoid-spike",
       "C3: sigmoid spike network with output weights from a linear solve",
       {dim,
        n,
        {"bias", "d - 0.1", "(d-1, d)", "spike bias b"},
        {"K", "50", "> 0", "first-layer sharpness"},
        {"a", "1", "> 0", "bump shape"},
        {"L", "50", "> 0", "second-layer sharpness"}}},
      {"from-file",
       "any MLP stored in the /network schema of an HDF5 file (e.g. tools/export_torch.py)",
       {{"network", "", "path", "HDF5 file with /network (and optionally /training)"}}},
  };
  return registry;
}

} // namespace spikemesh
