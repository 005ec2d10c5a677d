/// @file spike_cases.hpp
/// @brief Test helpers shared by the separable-path tests: a mesh of the given axes over
/// [lo, hi]^d, and a spike construction built from its CLI parameters.
#pragma once

#include "spikemesh/constructions.hpp"
#include "spikemesh/mesh_spec.hpp"

#include <string>
#include <utility>
#include <vector>

namespace spikemesh::test {

inline MeshView mesh_of(std::vector<index_t> axes, double lo = 0.0, double hi = 1.0,
                        Centring centring = Centring::Cell) {
  MeshSpec s;
  s.dim = static_cast<int>(axes.size());
  s.points_per_axis = std::move(axes);
  s.lo = lo;
  s.hi = hi;
  s.centring = centring;
  return make_mesh_view(s);
}

inline Case spike_case(const std::string& construction, int d, int n, double bias) {
  CaseParams p;
  p.construction = construction;
  p.dim = d;
  p.train_per_axis = n;
  p.bias = bias;
  return build_case(p);
}

} // namespace spikemesh::test
