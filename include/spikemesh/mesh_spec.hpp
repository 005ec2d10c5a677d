/// @file mesh_spec.hpp
/// @brief MeshSpec: the user's description of the mesh, validated into a MeshView.
#pragma once

#include "spikemesh/math/mesh.hpp"

#include <string>
#include <vector>

namespace spikemesh {

/// Mesh as given on the command line: --points-per-axis, --centring, --box.
struct MeshSpec {
  int dim = 2;
  std::vector<index_t> points_per_axis{10000}; ///< one value for all axes, or one per axis
  double lo = 0.0;                             ///< box [lo, hi]^d
  double hi = 1.0;
  Centring centring = Centring::Cell;
};

/// Most points a mesh may have: 2^63 - 2^20, so that block ends past the last index stay within
/// 64-bit indices.
inline constexpr index_t kMaxMeshPoints = index_t(0x7fffffffffffffff) - (index_t(1) << 20) + 1;

/// Throws InvalidParameter("box") unless LO < HI are finite and the volume (HI - LO)^dim is a
/// finite, normal double (no overflow to Inf, no underflow to 0 or a subnormal).
void check_box(double lo, double hi, int dim);

/// Validates @p spec (throws InvalidParameter naming the option) and builds the view: the box
/// (check_box), at most kMaxMeshPoints points, and mesh steps that separate points in double.
MeshView make_mesh_view(const MeshSpec& spec);

/// Volume of the box, (hi - lo)^d.
double box_volume(const MeshSpec& spec);

/// "cell" / "vertex".
std::string centring_name(Centring c);

/// Points per axis that make a mesh of about @p total points in dimension @p dim.
index_t points_per_axis_for(double total, int dim);

} // namespace spikemesh
