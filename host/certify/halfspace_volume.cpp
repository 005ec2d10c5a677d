/// @file halfspace_volume.cpp
/// @brief The volume of an axis-aligned box cut by a half-space, in closed form (an alternating
/// sum over the clipped vertices), evaluated in outward-rounded MPFI interval arithmetic with an
/// adaptive precision, so that every result is a rigorous enclosure.
#include "spikemesh/errors.hpp"
#include "spikemesh/exact.hpp"

#include <algorithm>
#include <cmath>
#include <mpfi.h>
#include <numeric>
#include <vector>

namespace spikemesh {

namespace {
constexpr int kMaxHalfspaceDim = 64;
constexpr mpfr_prec_t kStartPrecision = 128;
constexpr mpfr_prec_t kMaxPrecision = 4096;
constexpr double kRelWidth = 0x1p-80; ///< enclosures narrower than this (relative) are final
} // namespace

/// MPFI registers: per coordinate its width w and clipped length p w, per DFS depth a partial sum,
/// and scalars.
struct HalfspaceWorkspace::Impl {
  mpfr_prec_t prec = 0;
  std::vector<__mpfi_struct> w, c, sums;
  __mpfi_struct T, total, full, zero_prod, acc, x, y, tmp, denom, result;
  std::vector<double> p; ///< |a_i| of the kept coordinates, sorted with c
  std::vector<int> order;
  std::int64_t leaves = 0, cap = 0;
  bool overflow = false;
  int k = 0;

  Impl() {
    w.resize(kMaxHalfspaceDim);
    c.resize(kMaxHalfspaceDim);
    sums.resize(kMaxHalfspaceDim + 1);
    for (auto* v : all())
      mpfi_init2(v, kStartPrecision);
    prec = kStartPrecision;
  }
  ~Impl() {
    for (auto* v : all())
      mpfi_clear(v);
  }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  std::vector<__mpfi_struct*> all() {
    std::vector<__mpfi_struct*> v;
    for (auto& e : w)
      v.push_back(&e);
    for (auto& e : c)
      v.push_back(&e);
    for (auto& e : sums)
      v.push_back(&e);
    for (auto* e : {&T, &total, &full, &zero_prod, &acc, &x, &y, &tmp, &denom, &result})
      v.push_back(e);
    return v;
  }
  void set_precision(mpfr_prec_t bits) {
    if (bits == prec) return;
    for (auto* v : all())
      mpfi_set_prec(v, bits); // values are lost; every call recomputes from the doubles
    prec = bits;
  }
  /// x = max(x, 0) as a set: [max(lo, 0), max(hi, 0)].
  static void clamp_nonneg(__mpfi_struct* v) {
    if (mpfr_sgn(&v->right) <= 0) {
      mpfi_set_ui(v, 0);
    } else if (mpfr_sgn(&v->left) < 0) {
      mpfr_set_ui(&v->left, 0, MPFR_RNDD);
    }
  }
  /// acc += sign (T - sums[depth])_+^k over the subsets of coordinates i.., pruned where the sum
  /// provably reaches T (the term and every superset's vanish).
  void enumerate(int i, int depth, int sign) {
    if (overflow) return;
    if (i == k) {
      if (++leaves > cap) {
        overflow = true;
        return;
      }
      mpfi_sub(&x, &T, &sums[static_cast<std::size_t>(depth)]);
      clamp_nonneg(&x);
      if (mpfr_sgn(&x.right) == 0) return;
      power(&y, &x, k);
      if (sign > 0) {
        mpfi_add(&acc, &acc, &y);
      } else {
        mpfi_sub(&acc, &acc, &y);
      }
      return;
    }
    // Without coordinate i: the same partial sum one level deeper.
    mpfi_set(&sums[static_cast<std::size_t>(depth) + 1], &sums[static_cast<std::size_t>(depth)]);
    enumerate(i + 1, depth + 1, sign);
    mpfi_add(&sums[static_cast<std::size_t>(depth) + 1], &sums[static_cast<std::size_t>(depth)],
             &c[static_cast<std::size_t>(i)]);
    if (mpfr_cmp(&sums[static_cast<std::size_t>(depth) + 1].left, &T.right) < 0)
      enumerate(i + 1, depth + 1, -sign);
  }
  /// out = v^n by repeated squaring (v >= 0).
  void power(__mpfi_struct* out, const __mpfi_struct* v, int n) {
    mpfi_set_ui(out, 1);
    mpfi_set(&tmp, v);
    while (n > 0) {
      if (n & 1) mpfi_mul(out, out, &tmp);
      n >>= 1;
      if (n > 0) mpfi_sqr(&tmp, &tmp);
    }
  }

  /// result = vol{x in box : a . x + c > 0} at the current precision; false on the term cap.
  bool volume(int d, const double* a, double cc, const double* lo, const double* hi) {
    // q = a . lo + c: the value at the lower corner; the set is {(-a) . u < q}, u = x - lo.
    mpfi_set_d(&T, cc);
    mpfi_set_ui(&zero_prod, 1);
    mpfi_set_ui(&full, 1);
    p.clear();
    order.clear();
    for (int i = 0; i < d; ++i) {
      __mpfi_struct* wi = &w[static_cast<std::size_t>(i)];
      mpfi_set_d(wi, hi[i]);
      mpfi_sub_d(wi, wi, lo[i]);
      mpfi_set_d(&x, lo[i]);
      mpfi_mul_d(&x, &x, a[i]);
      mpfi_add(&T, &T, &x);
    }
    k = 0;
    std::vector<int> kept;
    for (int i = 0; i < d; ++i) {
      __mpfi_struct* wi = &w[static_cast<std::size_t>(i)];
      if (a[i] == 0.0) {
        mpfi_mul(&zero_prod, &zero_prod, wi);
        continue;
      }
      // b = -a. A negative b (a > 0) is reflected: b u = b w + |b| v, T -= b w, i.e. T += a w.
      if (a[i] > 0.0) {
        mpfi_mul_d(&x, wi, a[i]);
        mpfi_add(&T, &T, &x);
      }
      kept.push_back(i);
    }
    k = static_cast<int>(kept.size());
    if (k == 0) { // constant: all or nothing
      if (mpfr_sgn(&T.left) > 0) {
        mpfi_set(&result, &zero_prod);
      } else if (mpfr_sgn(&T.right) <= 0) {
        mpfi_set_ui(&result, 0);
      } else {
        mpfi_set_ui(&x, 0);
        mpfi_union(&result, &x, &zero_prod);
      }
      return true;
    }
    // Clipped lengths c_i = |a_i| w_i, the largest first (the pruning cuts earliest).
    std::vector<std::pair<double, int>> by_size;
    for (int i : kept) {
      mpfi_mul_d(&x, &w[static_cast<std::size_t>(i)], std::fabs(a[i]));
      by_size.push_back({-mpfi_get_d(&x), i});
    }
    std::sort(by_size.begin(), by_size.end());
    mpfi_set_ui(&total, 0);
    mpfi_set_ui(&denom, 1);
    for (int j = 0; j < k; ++j) {
      const int i = by_size[static_cast<std::size_t>(j)].second;
      const double pi = std::fabs(a[i]);
      mpfi_mul_d(&c[static_cast<std::size_t>(j)], &w[static_cast<std::size_t>(i)], pi);
      mpfi_add(&total, &total, &c[static_cast<std::size_t>(j)]);
      mpfi_mul(&full, &full, &w[static_cast<std::size_t>(i)]);
      mpfi_mul_d(&denom, &denom, pi);
      mpfi_mul_ui(&denom, &denom, static_cast<unsigned long>(j + 1));
    }
    // The complement where T is past the middle: vol{p u < T} = full - vol{p u < total - T}.
    const bool complement = mpfi_get_d(&T) > 0.5 * mpfi_get_d(&total);
    if (complement) mpfi_sub(&T, &total, &T);
    mpfi_set_ui(&acc, 0);
    if (mpfr_sgn(&T.right) > 0) {
      mpfi_set_ui(&sums[0], 0);
      leaves = 0;
      overflow = false;
      enumerate(0, 0, 1);
      if (overflow) return false;
    }
    mpfi_div(&acc, &acc, &denom);
    if (complement) mpfi_sub(&acc, &full, &acc);
    // The true value lies in [0, full] as well.
    mpfi_set_ui(&x, 0);
    mpfi_union(&y, &x, &full);
    mpfi_set(&x, &acc);
    mpfi_intersect(&acc, &x, &y);
    if (mpfi_is_empty(&acc)) mpfi_set(&acc, &y); // (cannot happen: both enclose the value)
    mpfi_mul(&result, &acc, &zero_prod);
    return true;
  }
};

HalfspaceWorkspace::HalfspaceWorkspace() : m_impl(std::make_unique<Impl>()) {}
HalfspaceWorkspace::~HalfspaceWorkspace() = default;

namespace {

/// Whether the enclosure's width is at most kRelWidth of its magnitude (or it is a point).
bool narrow(const __mpfi_struct* r) {
  mpfr_t width;
  mpfr_init2(width, 64);
  mpfi_diam_abs(width, r);
  const double w = mpfr_get_d(width, MPFR_RNDU);
  mpfr_clear(width);
  return w == 0.0 || w <= kRelWidth * std::fabs(mpfr_get_d(&r->right, MPFR_RNDU));
}

} // namespace

VolumeEnclosure halfspace_volume(int d, const double* a, double c_lo, double c_hi, const double* lo,
                                 const double* hi, HalfspaceWorkspace& ws, std::int64_t max_terms) {
  if (d < 1 || d > kMaxHalfspaceDim)
    throw InvalidParameter("dim", "halfspace_volume needs 1 <= d <= 64");
  HalfspaceWorkspace::Impl& m = ws.impl();
  m.cap = max_terms;
  VolumeEnclosure out;
  for (int end = 0; end < 2; ++end) {
    const double c = end == 0 ? c_lo : c_hi;
    if (end == 1 && c_hi == c_lo) {
      out.hi = mpfr_get_d(&m.result.right, MPFR_RNDU);
      break;
    }
    for (mpfr_prec_t bits = kStartPrecision;; bits *= 2) {
      m.set_precision(bits);
      if (!m.volume(d, a, c, lo, hi)) {
        VolumeEnclosure fail;
        fail.ok = false;
        fail.terms = m.leaves;
        const VolumeEnclosure b = box_volume(d, lo, hi, ws);
        fail.hi = b.hi;
        return fail;
      }
      out.terms += m.leaves;
      out.precision = static_cast<int>(bits);
      if (narrow(&m.result) || bits >= kMaxPrecision) break;
    }
    if (end == 0) {
      out.lo = mpfr_get_d(&m.result.left, MPFR_RNDD);
      out.hi = mpfr_get_d(&m.result.right, MPFR_RNDU);
    } else {
      out.hi = mpfr_get_d(&m.result.right, MPFR_RNDU);
    }
  }
  out.lo = std::max(0.0, out.lo);
  return out;
}

VolumeEnclosure box_volume(int d, const double* lo, const double* hi, HalfspaceWorkspace& ws) {
  HalfspaceWorkspace::Impl& m = ws.impl();
  m.set_precision(kStartPrecision);
  mpfi_set_ui(&m.acc, 1);
  for (int i = 0; i < d; ++i) {
    mpfi_set_d(&m.x, hi[i]);
    mpfi_sub_d(&m.x, &m.x, lo[i]);
    mpfi_mul(&m.acc, &m.acc, &m.x);
  }
  VolumeEnclosure out;
  out.lo = std::max(0.0, mpfr_get_d(&m.acc.left, MPFR_RNDD));
  out.hi = mpfr_get_d(&m.acc.right, MPFR_RNDU);
  return out;
}

} // namespace spikemesh
