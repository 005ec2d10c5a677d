/// @file certify_boxes.hpp
/// @brief Host-side declarations of the certified-volume kernels (R6: no device code here):
/// interval bounds and split axes of a batch of boxes, one thread block per box, mirroring
/// BoxBounder's interval method operation for operation (compiled without FMA contraction, so
/// verdicts and axes match the CPU's); and box-local uniform sampling on the same streams as the
/// CPU engine.
#pragma once

#include "spikemesh/certify.hpp"
#include "spikemesh/math/network_view.hpp"

#include <cuda_runtime_api.h>

#include <cstdint>
#include <memory>
#include <string>

namespace spikemesh::cuda {

/// One layer of the bounds network: rows as CSR (dense layers without their zero weights, in
/// column order, as BoxBounder visits them).
struct BoundLayer {
  int in = 0, out = 0;
  Activation act = Activation::Identity;
  double alpha = 0.0;
  std::int64_t ptr_off = 0;  ///< row_ptr[out + 1] (entry indices relative to ent_off)
  std::int64_t ent_off = 0;  ///< cols / vals
  std::int64_t bias_off = 0; ///< bias[out]
  std::int64_t z_off = 0;    ///< this layer's pre-activation intervals in a block's scratch
};

/// Device view of everything the interval method reads; trivially copyable.
struct BoundsView {
  const BoundLayer* layers = nullptr;
  int n_layers = 0, in_dim = 0, max_width = 0;
  const std::int64_t* row_ptr = nullptr;
  const std::int32_t* cols = nullptr;
  const double* vals = nullptr;
  const double* bias = nullptr;
  bool separable = false; ///< the separable form below is valid
  const int* axis0 = nullptr;
  const double* a0 = nullptr;
  int n_terms = 0;
  const int* term_axis = nullptr;
  const int* term_ptr = nullptr; ///< [n_terms + 1] into term_w/a/c
  const double* term_w = nullptr;
  const double* term_a = nullptr;
  const double* term_c = nullptr;
  const int* row_term_ptr = nullptr; ///< second-layer rows -> terms (CSR)
  const int* row_term_idx = nullptr;
  std::int64_t term_off = 0, mag_off = 0, sens_off = 0, score_off = 0; ///< scratch layout
  std::int64_t scratch_per_block = 0;                                  ///< doubles
};

/// Bounds @p count boxes ([2 d] doubles each) into f_lo, f_hi and axis; @p scratch holds
/// grid * v.scratch_per_block doubles. Checks the launch.
void launch_bound_boxes(const BoundsView& v, const double* boxes, int count, double* scratch,
                        int grid, double* f_lo, double* f_hi, int* axis, cudaStream_t stream);

/// Device arguments of one sampling round.
struct SampleArgs {
  NetworkView<double> net;
  const double* boxes = nullptr;        ///< [count][2 d]
  const std::int64_t* counts = nullptr; ///< points per box
  int count = 0;
  std::uint64_t seed = 0, round = 0, first = 0;
  double tau = 0.0;
  std::int64_t* hits = nullptr; ///< [count]
};

/// One block per box: its points are the consecutive draws of box_math::box_stream(seed,
/// first + i, round); a CUB block reduction counts the hits. @p width is 32 or 256 (>= the
/// network's buffer width). Checks the launch.
void launch_sample_boxes(const SampleArgs& a, int width, int grid, cudaStream_t stream);

/// The GPU BoxEngine (see make_cuda_box_engine()).
std::unique_ptr<BoxEngine> make_box_engine(const Network& net, const BoxBounder& bounder,
                                           std::string* why);

} // namespace spikemesh::cuda
