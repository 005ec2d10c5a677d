/// @file box_block.hpp
/// @brief What the threads of the certify kernels do. Bounds, one box per thread block: the
/// flattened bounds network (BoundsView), the per-row arithmetic in BoxBounder's order, and the
/// phases a block runs with a barrier between each. Sampling: one thread per point of all the
/// boxes together (a binary search finds the point's box), the hit test of a point of a box's
/// stream. The CUDA kernels call these with threadIdx/blockDim; the emulate_* functions run the
/// same code thread after thread on the host, so CPU tests check the kernels' arithmetic, data
/// layout and thread partition against BoxBounder and the CPU engine.
#pragma once

#include "spikemesh/config.hpp"
#include "spikemesh/math/activation.hpp"
#include "spikemesh/math/box_math.hpp"
#include "spikemesh/math/forward.hpp"
#include "spikemesh/math/network_view.hpp"

#include <cmath>
#include <cstdint>

namespace spikemesh {

/// One layer of the bounds network: rows as CSR in BoxBounder's visiting order (dense layers
/// without their zero weights, sparse layers as stored).
struct BoundLayer {
  int in = 0, out = 0;
  Activation act = Activation::Identity;
  double alpha = 0.0;
  std::int64_t ptr_off = 0;  ///< row_ptr[out + 1] (entry indices relative to ent_off)
  std::int64_t ent_off = 0;  ///< cols / vals
  std::int64_t bias_off = 0; ///< bias[out]
  std::int64_t z_off = 0;    ///< this layer's pre-activation intervals in a block's scratch
};

/// Everything the interval method reads, as flat arrays (host or device pointers); trivially
/// copyable, so it is a kernel argument.
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
  /// A block's scratch, in doubles: intervals of every layer (2 per neuron), then the terms'
  /// intervals, their magnitudes, two sensitivity vectors and the axis scores.
  std::int64_t term_off = 0, mag_off = 0, sens_off = 0, score_off = 0;
  std::int64_t scratch_per_block = 0;
};

namespace box_block {

/// BoxBounder's propagate() for one row: inputs z (through the activation below when @p act),
/// silent inputs ([0, 0]) skipped, widened for rounding.
SM_HOST_DEVICE Interval propagate_row(const BoundsView& v, const BoundLayer& L, int r,
                                      const Interval* z, bool act, Activation below,
                                      double below_alpha) {
  double lo = v.bias[L.bias_off + r], hi = lo, mag = fabs(lo);
  std::int64_t n = 0;
  const std::int64_t* ptr = v.row_ptr + L.ptr_off;
  for (std::int64_t e = ptr[r]; e < ptr[r + 1]; ++e) {
    const int j = v.cols[L.ent_off + e];
    const double w = v.vals[L.ent_off + e];
    const Interval x = act ? box_math::act_range(below, below_alpha, z[j].lo, z[j].hi) : z[j];
    if (x.lo == 0.0 && x.hi == 0.0) continue;
    const double a = w * x.lo, b = w * x.hi;
    lo += box_math::min2(a, b);
    hi += box_math::max2(a, b);
    mag += box_math::max2(fabs(a), fabs(b));
    ++n;
  }
  return box_math::widen({lo, hi}, mag, n);
}

/// out[j] = sum_r |W[r][j]| in[r] over the nonzero in[r], rows in order (as on the CPU).
SM_HOST_DEVICE void abs_transpose_times(const BoundsView& v, const BoundLayer& L, const double* in,
                                        double* out) {
  for (int j = 0; j < L.in; ++j)
    out[j] = 0.0;
  const std::int64_t* ptr = v.row_ptr + L.ptr_off;
  for (int r = 0; r < L.out; ++r) {
    const double s = in[r];
    if (s == 0.0) continue;
    for (std::int64_t e = ptr[r]; e < ptr[r + 1]; ++e)
      out[v.cols[L.ent_off + e]] += fabs(v.vals[L.ent_off + e]) * s;
  }
}

/// BoxBounder::split_axis(), serially (one thread), from the layer intervals in @p scratch.
SM_HOST_DEVICE int split_axis(const BoundsView& v, const double* lo, const double* hi,
                              double* scratch) {
  const Interval* z = reinterpret_cast<const Interval*>(scratch); // Interval is two doubles
  const Interval* term = reinterpret_cast<const Interval*>(scratch + v.term_off);
  double* sens = scratch + v.sens_off;
  double* next = sens + v.max_width;
  double* score = scratch + v.score_off;
  const int stop = v.separable ? 1 : 0;
  sens[0] = 1.0;
  for (int l = v.n_layers - 1; l > stop; --l) {
    const BoundLayer& L = v.layers[l];
    abs_transpose_times(v, L, sens, next);
    const BoundLayer& below = v.layers[l - 1];
    for (int n = 0; n < L.in; ++n)
      next[n] *= box_math::max_slope(below.act, below.alpha, z[below.z_off + n]);
    double* t = sens;
    sens = next;
    next = t;
  }
  const int d = v.in_dim;
  for (int k = 0; k < d; ++k)
    score[k] = 0.0;
  if (v.separable) {
    const BoundLayer& L1 = v.layers[1];
    for (int r = 0; r < L1.out; ++r) {
      if (sens[r] == 0.0) continue;
      for (int e = v.row_term_ptr[r]; e < v.row_term_ptr[r + 1]; ++e) {
        const int t = v.row_term_idx[e];
        score[v.term_axis[t]] += sens[r] * (term[t].hi - term[t].lo);
      }
    }
  } else {
    abs_transpose_times(v, v.layers[0], sens, next);
    for (int k = 0; k < d; ++k)
      score[k] = next[k] * (hi[k] - lo[k]);
  }
  int best = 0;
  for (int k = 1; k < d; ++k) {
    const double a = score[k], b = score[best];
    if (a > b || (a == b && hi[k] - lo[k] > hi[best] - lo[best])) best = k;
  }
  return best;
}

/// Phases of one box: two for the first layer(s), then one per remaining layer.
SM_HOST_DEVICE int phases(const BoundsView& v) {
  return v.n_layers + (v.separable ? 0 : 1);
}

/// Phase @p p of box [lo, hi] for thread @p tid of @p threads. Within a phase each thread
/// writes its own rows and reads only what earlier phases wrote: a barrier between phases is
/// all the synchronisation needed.
SM_HOST_DEVICE void bound_phase(const BoundsView& v, int p, const double* lo, const double* hi,
                                double* scratch, int tid, int threads) {
  Interval* z = reinterpret_cast<Interval*>(scratch);
  const BoundLayer& L0 = v.layers[0];
  if (v.separable && p == 0) { // first-layer intervals and every one-axis term
    Interval* term = reinterpret_cast<Interval*>(scratch + v.term_off);
    double* term_mag = scratch + v.mag_off;
    for (int j = tid; j < L0.out; j += threads) {
      const int k = v.axis0[j];
      const double c = v.bias[L0.bias_off + j];
      const double u1 = v.a0[j] * lo[k] + c, u2 = v.a0[j] * hi[k] + c;
      z[L0.z_off + j] =
          box_math::widen({box_math::min2(u1, u2), box_math::max2(u1, u2)},
                          fabs(v.a0[j]) * box_math::max2(fabs(lo[k]), fabs(hi[k])) + fabs(c), 1);
    }
    for (int t = tid; t < v.n_terms; t += threads) {
      const int k = v.term_axis[t], q = v.term_ptr[t];
      term[t] = box_math::axis_term_range(L0.act, L0.alpha, v.term_w + q, v.term_a + q,
                                          v.term_c + q, v.term_ptr[t + 1] - q, lo[k], hi[k]);
      term_mag[t] = box_math::max2(fabs(term[t].lo), fabs(term[t].hi));
    }
  } else if (v.separable && p == 1) { // second-layer rows: sums of their terms
    const Interval* term = reinterpret_cast<const Interval*>(scratch + v.term_off);
    const double* term_mag = scratch + v.mag_off;
    const BoundLayer& L1 = v.layers[1];
    for (int r = tid; r < L1.out; r += threads) {
      Interval s{v.bias[L1.bias_off + r], v.bias[L1.bias_off + r]};
      double mag = fabs(s.lo);
      for (int e = v.row_term_ptr[r]; e < v.row_term_ptr[r + 1]; ++e) {
        const int t = v.row_term_idx[e];
        s.lo += term[t].lo;
        s.hi += term[t].hi;
        mag += term_mag[t];
      }
      z[L1.z_off + r] = box_math::widen(s, mag, v.row_term_ptr[r + 1] - v.row_term_ptr[r]);
    }
  } else if (!v.separable && p == 0) { // the box as the input intervals, in the sens slot
    Interval* in = reinterpret_cast<Interval*>(scratch + v.sens_off);
    for (int k = tid; k < v.in_dim; k += threads)
      in[k] = {lo[k], hi[k]};
  } else if (!v.separable && p == 1) {
    const Interval* in = reinterpret_cast<const Interval*>(scratch + v.sens_off);
    for (int r = tid; r < L0.out; r += threads)
      z[L0.z_off + r] = propagate_row(v, L0, r, in, false, Activation::Identity, 0.0);
  } else { // layer l from the one below
    const int l = v.separable ? p : p - 1;
    const BoundLayer& L = v.layers[l];
    const BoundLayer& below = v.layers[l - 1];
    for (int r = tid; r < L.out; r += threads)
      z[L.z_off + r] = propagate_row(v, L, r, z + below.z_off, true, below.act, below.alpha);
  }
}

/// After the last phase, one thread: the bounds of f and the split axis.
SM_HOST_DEVICE Interval bound_result(const BoundsView& v, const double* lo, const double* hi,
                                     double* scratch, int* axis) {
  const Interval f = reinterpret_cast<const Interval*>(scratch)[v.layers[v.n_layers - 1].z_off];
  *axis = split_axis(v, lo, hi, scratch);
  return f;
}

/// The kernel's work for one box, run on the host thread after thread (ascending, or descending
/// when @p reverse), phase after phase, on a scratch first filled with NaN: a thread that read
/// another's output of the same phase would see NaN in one of the two orders.
inline Interval emulate_bound_block(const BoundsView& v, const double* lo, const double* hi,
                                    double* scratch, int threads, bool reverse, int* axis) {
  for (std::int64_t i = 0; i < v.scratch_per_block; ++i)
    scratch[i] = NAN;
  for (int p = 0; p < phases(v); ++p) {
    for (int t = 0; t < threads; ++t)
      bound_phase(v, p, lo, hi, scratch, reverse ? threads - 1 - t : t, threads);
  }
  return bound_result(v, lo, hi, scratch, axis);
}

/// Whether point @p s of the box [lo, hi] (coordinates: draws s d + k of the stream that starts
/// at @p start, as box_math::stream_coordinate) has |f| > tau; x and the buffers are the
/// caller's (in_dim and net.buffer width doubles).
SM_HOST_DEVICE bool sample_hit(const NetworkView<double>& net, const double* lo, const double* hi,
                               std::uint64_t start, std::int64_t s, double tau, double* x,
                               double* buf_a, double* buf_b) {
  const int d = net.in_dim;
  for (int k = 0; k < d; ++k) {
    const std::uint64_t draw = static_cast<std::uint64_t>(s) * static_cast<std::uint64_t>(d) +
                               static_cast<std::uint64_t>(k);
    x[k] = box_math::stream_coordinate(start, draw, lo[k], hi[k]);
  }
  return fabs(forward(net, x, buf_a, buf_b)) > tau;
}

/// The box that global sample @p g of a sampling call falls in: the last i with
/// offsets[i] <= g (offsets: [count + 1] ascending prefix sums of the points per box).
SM_HOST_DEVICE int box_of_sample(const std::int64_t* offsets, int count, std::int64_t g) {
  int lo = 0, hi = count; // offsets[lo] <= g < offsets[hi]
  while (hi - lo > 1) {
    const int mid = lo + (hi - lo) / 2;
    if (offsets[mid] <= g) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return lo;
}

/// Whether global sample @p g is a hit, and in which box (*box): sample g - offsets[box] of
/// box @p first + box's stream in round @p round. One thread's work in the sampling kernel.
SM_HOST_DEVICE bool global_sample_hit(const NetworkView<double>& net, const double* boxes,
                                      const std::int64_t* offsets, int count, std::uint64_t seed,
                                      std::uint64_t round, std::uint64_t first, double tau,
                                      std::int64_t g, double* x, double* buf_a, double* buf_b,
                                      int* box) {
  const int i = box_of_sample(offsets, count, g);
  *box = i;
  const double* lo = boxes + static_cast<std::int64_t>(i) * 2 * net.in_dim;
  const std::uint64_t start =
      box_math::box_stream(seed, first + static_cast<std::uint64_t>(i), round);
  return sample_hit(net, lo, lo + net.in_dim, start, g - offsets[i], tau, x, buf_a, buf_b);
}

/// The sampling kernel's threads [t_begin, t_end) of @p threads on the host, each striding over
/// the global samples [0, offsets[count]) as the kernel's grid does; adds their hits to @p hits
/// (integer atomics on the device: the counts do not depend on the order).
inline void emulate_sample_threads(const NetworkView<double>& net, const double* boxes,
                                   const std::int64_t* offsets, int count, std::uint64_t seed,
                                   std::uint64_t round, std::uint64_t first, double tau,
                                   std::int64_t t_begin, std::int64_t t_end, std::int64_t threads,
                                   double* x, double* buf_a, double* buf_b, std::int64_t* hits) {
  const std::int64_t total = offsets[count];
  for (std::int64_t t = t_begin; t < t_end; ++t) {
    for (std::int64_t g = t; g < total; g += threads) {
      int box = 0;
      if (global_sample_hit(net, boxes, offsets, count, seed, round, first, tau, g, x, buf_a, buf_b,
                            &box))
        ++hits[box];
    }
  }
}

} // namespace box_block
} // namespace spikemesh
