/// @file loss_cuda.cpp
/// @brief The landscape mesh on the GPU: the arrays of the landscape image (packed network,
/// theta*, the directions scattered to the packed layout, mesh coordinates, training set) go to
/// the device once; one launch fills the mesh.
#include "cuda_check.hpp"
#include "device_buffer.hpp"
#include "landscape_image.hpp"
#include "landscape_loss.hpp"

#include <algorithm>
#include <memory>
#include <type_traits>

namespace spikemesh::cuda {

bool landscape_loss(const LandscapeCase& c, LandscapeMesh& m, std::string* why) {
  const std::unique_ptr<LandscapeImage> img = make_landscape_image(c, m, why);
  if (!img) return false;
  CudaStream stream;                         // uploads, the kernel and the download, in this order
  std::vector<std::shared_ptr<void>> arrays; // the device copies a.v points into
  LandscapeArgs a;
  a.v = img->bind([&arrays, &stream](const auto& host) {
    using T = typename std::decay_t<decltype(host)>::value_type;
    auto copy = std::make_shared<DeviceBuffer<T>>(host, stream.get());
    arrays.push_back(copy);
    return static_cast<const T*>(copy->data());
  });
  const std::int64_t cells = static_cast<std::int64_t>(a.v.points) * a.v.points;
  int device = 0, sms = 0;
  SM_CUDA_CHECK(cudaGetDevice(&device));
  SM_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  const int grid = static_cast<int>(std::min<std::int64_t>(cells, 8LL * sms));
  // Parameters in shared memory up to 40 KB (with the reduction's storage under the 48 KB
  // default); beyond, each block works in its own slice of a global scratch buffer.
  const std::size_t param_bytes = img->base.size() * sizeof(double);
  const bool in_shared = param_bytes <= 40 * 1024;

  DeviceBuffer<double> scratch(in_shared ? 0 : static_cast<std::size_t>(grid) * img->base.size());
  DeviceBuffer<double> loss(static_cast<std::size_t>(cells));
  a.scratch = in_shared ? nullptr : scratch.data();
  a.loss = loss.data();
  launch_landscape_loss(a, a.v.buffer_width, grid, in_shared ? param_bytes : 0, stream.get());
  m.train_loss = loss.download(stream.get(), static_cast<std::size_t>(cells));
  return true;
}

} // namespace spikemesh::cuda
