/// @file landscape_image.hpp
/// @brief The arrays a LandscapeView points into, built once on the host: the packed network,
/// theta* and the two directions scattered to the packed layout, the mesh coordinates and the
/// training set. Used in place (host emulation of the kernel) or copied to the device.
#pragma once

#include "spikemesh/landscape.hpp"
#include "spikemesh/math/landscape_block.hpp"

#include <memory>
#include <string>
#include <vector>

namespace spikemesh {

/// Widest layer the kernel's per-thread buffers hold (wider hidden layers are streamed).
inline constexpr int kLandscapeWidth = 256;

struct LandscapeImage {
  PackedNetwork<double> packed;
  std::vector<double> base, du, dv, xs, ys, train_x, train_y;

  /// The view with each array replaced by put(array): its address (host) or that of its device
  /// copy.
  template <class Put>
  LandscapeView bind(Put&& put) const {
    LandscapeView a;
    a.layers = put(packed.layers());
    a.indices = put(packed.indices());
    a.n_layers = static_cast<int>(packed.layers().size());
    a.in_dim = packed.in_dim();
    a.buffer_width = packed.buffer_width();
    a.base = put(base);
    a.du = put(du);
    a.dv = put(dv);
    a.n_params = static_cast<std::int64_t>(base.size());
    a.xs = put(xs);
    a.ys = put(ys);
    a.points = static_cast<int>(xs.size());
    a.train_x = put(train_x);
    a.train_y = put(train_y);
    a.n_train = static_cast<int>(train_y.size());
    return a;
  }
  LandscapeView host_view() const {
    return bind([](const auto& v) { return v.data(); });
  }
};

/// The image of case @p c over mesh @p m; nullptr, with the reason in @p why, when a layer is
/// wider than the kernel's buffers.
std::unique_ptr<LandscapeImage> make_landscape_image(const LandscapeCase& c, const LandscapeMesh& m,
                                                     std::string* why);

} // namespace spikemesh
