/// @file landscape_image.cpp
/// @brief packed_offsets() (where each free parameter sits in the packed layout) and the arrays
/// the landscape kernel reads.
#include "landscape_image.hpp"

#include <stdexcept>

namespace spikemesh {

std::vector<std::int64_t> packed_offsets(const PackedNetwork<double>& packed,
                                         const std::vector<ParamRef>& free) {
  // Packed dense layers are stored transposed: W[row][col] sits at w_off + col * out + row.
  std::vector<std::int64_t> offsets;
  for (const ParamRef& p : free) {
    const LayerDesc& L = packed.layers().at(static_cast<std::size_t>(p.layer));
    if (L.sparse)
      throw std::invalid_argument("landscape: sparse layers cannot have free parameters");
    offsets.push_back(p.bias ? L.b_off + p.row
                             : L.w_off + static_cast<std::int64_t>(p.col) * L.out + p.row);
  }
  return offsets;
}

std::unique_ptr<LandscapeImage> make_landscape_image(const LandscapeCase& c, const LandscapeMesh& m,
                                                     std::string* why) {
  std::unique_ptr<LandscapeImage> img;
  try {
    img.reset(new LandscapeImage{PackedNetwork<double>(c.network, kLandscapeWidth),
                                 {},
                                 {},
                                 {},
                                 m.xcoordinates,
                                 m.ycoordinates,
                                 c.x,
                                 c.y});
  } catch (const std::invalid_argument& e) { // widths the streamed forward pass cannot take
    if (why) *why = e.what();
    return nullptr;
  }
  if (img->packed.buffer_width() > kLandscapeWidth) {
    if (why) *why = "a layer is wider than the kernel's buffers (256)";
    return nullptr;
  }
  const std::vector<std::int64_t> offsets = packed_offsets(img->packed, c.free);
  img->base = img->packed.params();
  img->du.assign(img->base.size(), 0.0);
  img->dv.assign(img->base.size(), 0.0);
  for (std::size_t i = 0; i < offsets.size(); ++i) {
    const std::size_t k = static_cast<std::size_t>(offsets[i]);
    img->base[k] = c.theta_star[i];
    img->du[k] = m.u[i];
    img->dv[k] = m.v[i];
  }
  return img;
}

} // namespace spikemesh
