/// @file reference.hpp
/// @brief The naive reference: per-layer double evaluation of an owning Network with dense
/// matrices and the simplest possible code, for tests of the fused evaluators (R14).
#pragma once

#include "spikemesh/network.hpp"

#include <vector>

namespace spikemesh {

/// f(x) in double, layer by layer through the dense weight matrices.
double reference_forward(const Network& net, const std::vector<double>& x);

} // namespace spikemesh
