/// @file activity_bound.hpp
/// @brief The separable path's per-tile activity bound (docs/math.md 7.7): row_upper(), which
/// decides whether a ReLU spike row may be left out of a warp tile's mask (separable.hpp's
/// begin_tile). A row may be left out only when its computed pre-activation is <= 0 at every
/// point of the tile, so that its activation there is an exact zero, as forward() finds it.
///
/// (ii) per run, the bound used: a row's entries form runs of consecutive entries that read one
///      axis (the packed order, descending axis, makes one run per axis; any split would be
///      valid, only tightness depends on it). The exact pre-activation is b plus the runs'
///      functions G(x_a) = sum_e w_e act0(b0_e + w0_e x_a), each continuous and piecewise linear
///      (act0 the identity, ReLU or PReLU with alpha <= 1), so its maximum over [lo, hi] is at
///      lo, hi or a kink -b0_e / w0_e inside (found by the exact sign of fma(w0, x, b0) at the
///      ends). The sum of the runs' computed maxima, plus the margin
///        M = (gamma_(k+4) + gamma_(k+R+5)) S + eta (6 k + 21 S),
///      bounds every computed pre-activation of the row over the box: gamma_(k+4) S bounds
///      forward()'s rounding (four roundings per term, k additions), gamma_(k+R+4) S this
///      evaluation's (the runs' sums, then R additions), u S the kinks' rounded coordinates
///      (Lipschitz constant sum |w w0| <= S), eta the underflows. Here k is the row's entries,
///      R its runs, u the unit roundoff of T, gamma_n = n u / (1 - n u), eta T's smallest normal
///      number, S = |b| + sum_e |w_e| (|b0_e| + |w0_e| X_e + 1), X_e = max(|lo|, |hi|, 1) on the
///      entry's axis. M is computed in T and multiplied by 1 + 2^-10, which covers its own
///      rounding (k u <= 2^-13), and the sign of the final rounded sum is exact.
/// (i)  per term, the fallback where (ii) is not proven (more than 2^-13 / u entries, a run of
///      more than 32, PReLU with alpha > 1, S beyond a quarter of T's range: no overflow below
///      it, a NaN): the row's sum in its own order with every computed term replaced by the
///      larger of its values at the two ends of its axis's range. Each computed term is a
///      monotone function of its coordinate (rounded products and sums are monotone, the layer-0
///      activation is monotone: SeparableDesc::skip), and so is the rounded sum, so (i) bounds
///      every computed pre-activation with no margin; over a wide range it is loose (C1's hat,
///      +1/h, -2/h, +1/h ReLU terms: about 2/h per axis for a maximum of 1).
/// A NaN term makes (i) NaN, and the row stays active.
#pragma once

#include "spikemesh/config.hpp"
#include "spikemesh/math/activation.hpp"
#include "spikemesh/math/fma.hpp"
#include "spikemesh/math/network_view.hpp"
#include "spikemesh/math/warp.hpp"

#include <cmath>
#include <cstdint>
#include <limits>

namespace spikemesh {
namespace separable {
namespace bound {

/// Unit roundoff u of T (round to nearest): 2^-24 in float, 2^-53 in double.
template <class T>
SM_HOST_DEVICE constexpr T unit_roundoff() {
  return std::numeric_limits<T>::epsilon() / T(2);
}

/// gamma_n = n u / (1 - n u) (Higham, Accuracy and Stability, 3.1), for n u < 1/2.
template <class T>
SM_HOST_DEVICE T gamma(int n) {
  const T nu = static_cast<T>(n) * unit_roundoff<T>(); // exact: u is a power of two
  return nu / (T(1) - nu);
}

/// The larger of @p a and @p b, NaN when either is NaN.
template <class T>
SM_HOST_DEVICE T nan_max(T a, T b) {
  if (a != a) return a;
  if (b != b) return b;
  return a > b ? a : b;
}

/// Term w act0(b0 + w0 x) computed as forward() computes it: layer 0's sparse row (bias first,
/// one product), its activation (activate()'s identity, ReLU or PReLU: the activations
/// SeparableDesc::skip allows), and layer 1's product.
template <class T>
SM_HOST_DEVICE T computed_term(const SeparableDesc& s, const T* p, T x, T alpha0) {
  T z = p[2];
  z += p[1] * x;
  if (s.act0 == Activation::ReLU) {
    z = z > T(0) ? z : T(0);
  } else if (s.act0 == Activation::PReLU) {
    z = z >= T(0) ? z : alpha0 * z;
  }
  return p[0] * z;
}

/// Bound (i): the row's sum in its own order, each computed term at the larger of its values
/// at the two ends of its axis's range.
template <class T, class G>
SM_HOST_DEVICE T per_term(const NetworkView<T>& net, const G& g, int r) {
  const SeparableDesc& s = net.sep;
  const std::int32_t* row_ptr = net.indices + s.row_off;
  const std::int32_t* axis = net.indices + s.axis_off;
  const T alpha0 = static_cast<T>(s.alpha0);
  T u = net.params[s.bias_off + r];
  for (std::int32_t e = row_ptr[r]; e < row_ptr[r + 1]; ++e) {
    const T* p = net.params + s.term_off + 3 * static_cast<std::int64_t>(e);
    const int a = axis[e];
    u += nan_max(computed_term(s, p, g.x_lo[a], alpha0), computed_term(s, p, g.x_hi[a], alpha0));
  }
  return u;
}

} // namespace bound

/// Activity bound of spike row @p r over the box of a tile (@p g: per axis the coordinates at
/// the two ends of the range its points take, x_lo[a] and x_hi[a], in either order). When the
/// result is <= 0, row r's computed pre-activation is <= 0 at every point of the box: its ReLU
/// is an exact zero there. NaN when a term is NaN. See the file comment and docs/math.md 7.7.
template <class T, class G>
SM_HOST_DEVICE T row_upper(const NetworkView<T>& net, const G& g, int r) {
  using std::fabs;
  const SeparableDesc& s = net.sep;
  if (!s.skip) return std::numeric_limits<T>::infinity(); // not a ReLU row over a monotone act0
  const std::int32_t* row_ptr = net.indices + s.row_off;
  const std::int32_t* axis = net.indices + s.axis_off;
  const T* par = net.params + s.term_off; // per entry {w, w0, b0}
  const T alpha0 = static_cast<T>(s.alpha0);
  const bool kinked = s.act0 != Activation::Identity;
  const T b = net.params[s.bias_off + r];
  const std::int32_t e0 = row_ptr[r];
  const std::int32_t e1 = row_ptr[r + 1];
  T per_run = b; // bound (ii) before its margin
  T mag = T(0);  // S - |b|
  bool long_run = false;
  int runs = 0;
  for (std::int32_t start = e0; start < e1; ++runs) {
    const int a = axis[start];
    const T lo = g.x_lo[a] < g.x_hi[a] ? g.x_lo[a] : g.x_hi[a];
    const T hi = g.x_lo[a] < g.x_hi[a] ? g.x_hi[a] : g.x_lo[a];
    T x1 = -lo > hi ? -lo : hi; // max(|lo|, |hi|, 1)
    x1 = x1 > T(1) ? x1 : T(1);
    std::int32_t end = start;
    T run_max = T(0);
    if (!(lo < hi)) { // one coordinate: the run's value there
      for (; end < e1 && axis[end] == a; ++end) {
        const T* p = par + 3 * static_cast<std::int64_t>(end);
        run_max += bound::computed_term(s, p, lo, alpha0);
        mag = fma_rn(fabs(p[0]), fma_rn(fabs(p[1]), x1, fabs(p[2])) + T(1), mag);
      }
    } else {
      T at_lo = T(0), at_hi = T(0);
      unsigned inside = 0; // entries whose kink may lie in [lo, hi]
      for (; end < e1 && axis[end] == a; ++end) {
        const T* p = par + 3 * static_cast<std::int64_t>(end);
        const T t_lo = bound::computed_term(s, p, lo, alpha0);
        const T t_hi = bound::computed_term(s, p, hi, alpha0);
        at_lo += t_lo;
        at_hi += t_hi;
        if (kinked && p[1] != T(0) && end - start < 32) {
          // fma rounds b0 + w0 x once, so its sign is the exact sign (or 0 on underflow):
          // unless both ends lie strictly on one side, the kink may lie in [lo, hi].
          const T z_lo = fma_rn(p[1], lo, p[2]);
          const T z_hi = fma_rn(p[1], hi, p[2]);
          if (!(z_lo > T(0) && z_hi > T(0)) && !(z_lo < T(0) && z_hi < T(0)))
            inside |= 1u << (end - start);
        }
        mag = fma_rn(fabs(p[0]), fma_rn(fabs(p[1]), x1, fabs(p[2])) + T(1), mag);
      }
      long_run = long_run || end - start > 32;
      run_max = bound::nan_max(at_lo, at_hi);
      while (inside != 0) { // the run at each kink -b0 / w0 inside, clamped to [lo, hi]
        const T* pj = par + 3 * static_cast<std::int64_t>(start + first_lane(inside));
        inside &= inside - 1u;
        T c = -pj[2] / pj[1];
        c = c < lo ? lo : (c > hi ? hi : c);
        T at_c = T(0);
        for (std::int32_t e = start; e < end; ++e)
          at_c += bound::computed_term(s, par + 3 * static_cast<std::int64_t>(e), c, alpha0);
        run_max = bound::nan_max(run_max, at_c);
      }
    }
    per_run += run_max;
    start = end;
  }
  const int k = static_cast<int>(e1 - e0);
  const T big = fabs(b) + mag; // S
  if (long_run || k > (1 << 20) || alpha0 > T(1) ||
      !(static_cast<T>(k) * bound::unit_roundoff<T>() <= T(1) / T(8192)) ||
      !(big <= std::numeric_limits<T>::max() / T(4)) || per_run != per_run)
    return bound::per_term<T>(net, g, r); // (ii) not proven here: (i)
  const T margin = (bound::gamma<T>(k + 4) + bound::gamma<T>(k + runs + 5)) * big +
                   std::numeric_limits<T>::min() * (T(6) * static_cast<T>(k) + T(21) * big);
  return per_run + margin * (T(1) + T(1) / T(1024));
}

} // namespace separable
} // namespace spikemesh
