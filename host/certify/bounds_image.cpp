/// @file bounds_image.cpp
/// @brief make_bounds_image(): every layer as CSR (dense rows without their zero weights, sparse
/// rows as stored, as BoxBounder's propagate() visits them) plus the separable form; and what
/// the kernels refuse.
#include "bounds_image.hpp"

#include <algorithm>
#include <numeric>
#include <stdexcept>

namespace spikemesh {

BoundsImage make_bounds_image(const BoxBounder& bounder) {
  const Network& net = bounder.network();
  BoundsImage img;
  std::int64_t z_off = 0;
  int max_width = net.in_dim;
  for (const Layer& L : net.layers) {
    BoundLayer B;
    B.in = L.in;
    B.out = L.out;
    B.act = L.act;
    B.alpha = L.alpha;
    B.ptr_off = static_cast<std::int64_t>(img.row_ptr.size());
    B.ent_off = static_cast<std::int64_t>(img.cols.size());
    B.bias_off = static_cast<std::int64_t>(img.bias.size());
    B.z_off = z_off;
    std::int64_t entries = 0;
    for (int r = 0; r < L.out; ++r) {
      const std::size_t ur = static_cast<std::size_t>(r);
      img.row_ptr.push_back(entries);
      if (L.is_sparse()) {
        for (std::int32_t e = L.row_ptr[ur]; e < L.row_ptr[ur + 1]; ++e) {
          img.cols.push_back(L.cols[static_cast<std::size_t>(e)]);
          img.vals.push_back(L.values[static_cast<std::size_t>(e)]);
          ++entries;
        }
      } else {
        for (int j = 0; j < L.in; ++j) {
          const double w =
              L.weight[ur * static_cast<std::size_t>(L.in) + static_cast<std::size_t>(j)];
          if (w == 0.0) continue;
          img.cols.push_back(j);
          img.vals.push_back(w);
          ++entries;
        }
      }
    }
    img.row_ptr.push_back(entries);
    img.bias.insert(img.bias.end(), L.bias.begin(), L.bias.end());
    z_off += L.out;
    max_width = std::max({max_width, L.in, L.out});
    img.layers.push_back(B);
  }
  BoundsView& v = img.shape;
  v.n_layers = static_cast<int>(img.layers.size());
  v.in_dim = net.in_dim;
  v.max_width = max_width;
  v.separable = bounder.separable();
  if (v.separable) {
    img.term_ptr.push_back(0);
    for (const BoxBounder::AxisTerm& t : bounder.terms()) {
      img.term_axis.push_back(t.axis);
      img.term_w.insert(img.term_w.end(), t.w.begin(), t.w.end());
      img.term_a.insert(img.term_a.end(), t.a.begin(), t.a.end());
      img.term_c.insert(img.term_c.end(), t.c.begin(), t.c.end());
      img.term_ptr.push_back(static_cast<int>(img.term_w.size()));
    }
    img.axis0 = bounder.first_layer_axis();
    img.a0 = bounder.first_layer_weight();
    img.row_term_ptr = bounder.row_term_ptr();
    img.row_term_idx = bounder.row_term_index();
    v.n_terms = static_cast<int>(img.term_axis.size());
  }
  v.term_off = 2 * z_off;
  v.mag_off = v.term_off + 2 * static_cast<std::int64_t>(v.n_terms);
  v.sens_off = v.mag_off + v.n_terms;
  v.score_off = v.sens_off + 2 * static_cast<std::int64_t>(max_width);
  v.scratch_per_block = v.score_off + net.in_dim;
  return img;
}

bool box_kernels_support(const Network& net, const BoxBounder& bounder, std::string* why) {
  std::string reason;
  if (bounder.linear()) {
    reason = "the linear relaxation runs on the CPU only (use --bounds interval)";
  } else if (net.in_dim > kMaxDim) {
    reason = "more inputs than the kernels' coordinate buffers hold";
  } else {
    try {
      if (PackedNetwork<double>(net, kBoxKernelWidth).buffer_width() > kBoxKernelWidth)
        reason = "a layer is wider than the sampling kernel's buffers (256)";
    } catch (const std::invalid_argument& e) { // widths the streamed forward pass cannot take
      reason = e.what();
    }
  }
  if (!reason.empty() && why) *why = reason;
  return reason.empty();
}

std::vector<std::int64_t> sample_offsets(const std::int64_t* m, std::size_t count) {
  std::vector<std::int64_t> offsets(count + 1, 0);
  std::partial_sum(m, m + count, offsets.begin() + 1);
  return offsets;
}

void report_sampled(const std::function<void(std::int64_t)>& progress, const std::int64_t* m,
                    std::size_t count) {
  if (!progress) return;
  std::int64_t total = 0;
  for (std::size_t i = 0; i < count; ++i)
    total += m[i];
  progress(total);
}

} // namespace spikemesh
