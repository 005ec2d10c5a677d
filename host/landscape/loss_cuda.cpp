/// @file loss_cuda.cpp
/// @brief The landscape mesh on the GPU: the packed network, theta*, the directions scattered to
/// the packed layout and the training set go to the device once; one launch fills the mesh.
#include "cuda_check.hpp"
#include "device_buffer.hpp"
#include "landscape_loss.hpp"

#include <algorithm>

namespace spikemesh::cuda {

bool landscape_loss(const LandscapeCase& c, LandscapeMesh& m, std::string* why) {
  const PackedNetwork<double> packed(c.network, kLandscapeWidth);
  if (packed.buffer_width() > kLandscapeWidth) {
    if (why) *why = "a layer is wider than the kernel's buffers (256)";
    return false;
  }
  const std::vector<std::int64_t> offsets = packed_offsets(packed, c.free);
  std::vector<double> base = packed.params(), du(base.size(), 0.0), dv(base.size(), 0.0);
  for (std::size_t i = 0; i < offsets.size(); ++i) {
    const std::size_t k = static_cast<std::size_t>(offsets[i]);
    base[k] = c.theta_star[i];
    du[k] = m.u[i];
    dv[k] = m.v[i];
  }
  const int points = static_cast<int>(m.xcoordinates.size());
  const std::int64_t cells = static_cast<std::int64_t>(points) * points;
  int device = 0, sms = 0;
  SM_CUDA_CHECK(cudaGetDevice(&device));
  SM_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  const int grid = static_cast<int>(std::min<std::int64_t>(cells, 8LL * sms));
  // Parameters in shared memory up to 40 KB (with the reduction's storage under the 48 KB
  // default); beyond, each block works in its own slice of a global scratch buffer.
  const std::size_t param_bytes = base.size() * sizeof(double);
  const bool in_shared = param_bytes <= 40 * 1024;

  CudaStream stream;
  const DeviceBuffer<LayerDesc> layers(packed.layers());
  const DeviceBuffer<std::int32_t> indices(packed.indices());
  const DeviceBuffer<double> d_base(base), d_du(du), d_dv(dv);
  const DeviceBuffer<double> xs(m.xcoordinates), ys(m.ycoordinates), tx(c.x), ty(c.y);
  DeviceBuffer<double> scratch(in_shared ? 0 : static_cast<std::size_t>(grid) * base.size());
  DeviceBuffer<double> loss(static_cast<std::size_t>(cells));
  LandscapeArgs a;
  a.layers = layers.data();
  a.indices = indices.data();
  a.n_layers = static_cast<int>(packed.layers().size());
  a.in_dim = packed.in_dim();
  a.buffer_width = packed.buffer_width();
  a.base = d_base.data();
  a.du = d_du.data();
  a.dv = d_dv.data();
  a.n_params = static_cast<std::int64_t>(base.size());
  a.xs = xs.data();
  a.ys = ys.data();
  a.points = points;
  a.train_x = tx.data();
  a.train_y = ty.data();
  a.n_train = static_cast<int>(c.y.size());
  a.scratch = in_shared ? nullptr : scratch.data();
  a.loss = loss.data();
  launch_landscape_loss(a, grid, in_shared ? param_bytes : 0, stream.get());
  m.train_loss = loss.download(stream.get(), static_cast<std::size_t>(cells));
  return true;
}

} // namespace spikemesh::cuda
