/// @file landscape_block.hpp
/// @brief What a thread block of the loss-landscape kernel does for one mesh cell: the packed
/// parameters theta* + x u + y v (threads over parameters), then each thread's share of the
/// squared residuals over the training points. The CUDA kernel calls these with
/// threadIdx/blockDim (a CUB block sum of the shares); emulate_cell() runs them thread after
/// thread on the host, so CPU tests check the kernel's parameter layout and partition.
#pragma once

#include "spikemesh/config.hpp"
#include "spikemesh/math/forward.hpp"
#include "spikemesh/math/network_view.hpp"

#include <cstdint>

namespace spikemesh {

/// The arrays one landscape evaluation reads (host or device pointers); trivially copyable.
struct LandscapeView {
  const LayerDesc* layers = nullptr;
  const std::int32_t* indices = nullptr;
  int n_layers = 0, in_dim = 0, buffer_width = 0;
  const double* base = nullptr; ///< packed parameters at theta*
  const double* du = nullptr;   ///< direction u scattered to the packed layout (0 elsewhere)
  const double* dv = nullptr;
  std::int64_t n_params = 0;
  const double* xs = nullptr; ///< [points] mesh coordinates along u
  const double* ys = nullptr; ///< [points] along v
  int points = 0;
  const double* train_x = nullptr; ///< [n_train][in_dim]
  const double* train_y = nullptr;
  int n_train = 0;
};

namespace landscape_block {

/// Phase 1 of cell @p cell (row-major over xs, ys): thread @p tid of @p threads writes its
/// parameters of theta* + x u + y v into @p p.
SM_HOST_DEVICE void set_params(const LandscapeView& a, std::int64_t cell, double* p, int tid,
                               int threads) {
  const double x = a.xs[cell / a.points], y = a.ys[cell % a.points];
  for (std::int64_t k = tid; k < a.n_params; k += threads)
    p[k] = a.base[k] + (x * a.du[k] + y * a.dv[k]);
}

/// The network at the parameters @p p.
SM_HOST_DEVICE NetworkView<double> network(const LandscapeView& a, const double* p) {
  NetworkView<double> v;
  v.layers = a.layers;
  v.params = p;
  v.indices = a.indices;
  v.n_layers = a.n_layers;
  v.in_dim = a.in_dim;
  v.buffer_width = a.buffer_width;
  return v;
}

/// Phase 2: thread @p tid's sum of squared residuals over training points tid, tid + threads, ...
SM_HOST_DEVICE double partial_loss(const LandscapeView& a, const double* p, int tid, int threads,
                                   double* buf_a, double* buf_b) {
  const NetworkView<double> net = network(a, p);
  double sum = 0.0;
  for (int t = tid; t < a.n_train; t += threads) {
    const double r =
        a.train_y[t] -
        forward(net, a.train_x + static_cast<std::int64_t>(t) * a.in_dim, buf_a, buf_b);
    sum += r * r;
  }
  return sum;
}

/// The kernel's work for one cell on the host: the phases thread after thread, the shares summed
/// in thread order (the kernel's block sum adds them in a tree).
inline double emulate_cell(const LandscapeView& a, std::int64_t cell, double* p, int threads,
                           double* buf_a, double* buf_b) {
  for (int t = 0; t < threads; ++t)
    set_params(a, cell, p, t, threads);
  double total = 0.0;
  for (int t = 0; t < threads; ++t)
    total += partial_loss(a, p, t, threads, buf_a, buf_b);
  return total;
}

} // namespace landscape_block
} // namespace spikemesh
