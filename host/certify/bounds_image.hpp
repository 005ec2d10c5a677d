/// @file bounds_image.hpp
/// @brief The bounds network of a BoxBounder as the flat arrays a BoundsView points into: built
/// once on the host, then used in place (CPU emulation of the kernels) or copied to the device.
#pragma once

#include "spikemesh/certify.hpp"
#include "spikemesh/math/box_block.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace spikemesh {

struct BoundsImage {
  std::vector<BoundLayer> layers;
  std::vector<std::int64_t> row_ptr;
  std::vector<std::int32_t> cols;
  std::vector<double> vals, bias;
  std::vector<int> axis0, term_axis, term_ptr, row_term_ptr, row_term_idx;
  std::vector<double> a0, term_w, term_a, term_c;
  BoundsView shape; ///< sizes and scratch layout; every pointer null

  /// The view with each array replaced by put(array): the array's address (host) or that of
  /// its device copy.
  template <class Put>
  BoundsView bind(Put&& put) const {
    BoundsView v = shape;
    v.layers = put(layers);
    v.row_ptr = put(row_ptr);
    v.cols = put(cols);
    v.vals = put(vals);
    v.bias = put(bias);
    if (v.separable) {
      v.axis0 = put(axis0);
      v.a0 = put(a0);
      v.term_axis = put(term_axis);
      v.term_ptr = put(term_ptr);
      v.term_w = put(term_w);
      v.term_a = put(term_a);
      v.term_c = put(term_c);
      v.row_term_ptr = put(row_term_ptr);
      v.row_term_idx = put(row_term_idx);
    }
    return v;
  }
  /// The view of the host arrays.
  BoundsView host_view() const {
    return bind([](const auto& a) { return a.data(); });
  }
};

/// Width of the sampling kernel's per-thread layer buffers (wider layers are streamed).
inline constexpr int kBoxKernelWidth = 256;

/// Whether the certify kernels can run @p bounder's method on @p net; the reason in @p why if
/// not (the linear relaxation, more than kMaxDim inputs, a layer wider than the buffers).
bool box_kernels_support(const Network& net, const BoxBounder& bounder, std::string* why);

/// [count + 1] prefix sums of the points per box m[0..count): where each box's points start in
/// a sampling call's global numbering (the sampling kernel's thread -> box map).
std::vector<std::int64_t> sample_offsets(const std::int64_t* m, std::size_t count);

/// Tells @p progress (when set) that the m[0..count) points of a sampling call are done: the
/// kernels report once a call.
void report_sampled(const std::function<void(std::int64_t)>& progress, const std::int64_t* m,
                    std::size_t count);

/// The interval method of @p bounder (its linear relaxation is not part of the image) over the
/// layers of its network, in the order BoxBounder visits rows and entries.
BoundsImage make_bounds_image(const BoxBounder& bounder);

} // namespace spikemesh
