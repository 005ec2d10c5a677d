/// @file two_halfspace_volume.cpp
/// @brief The volume of a box cut by two half-spaces, in closed form: the box is the signed sum of
/// the orthants at its vertices (reflected so that the first half-space's coefficients are
/// positive); each orthant cut by the first half-space is a corner simplex, and the fraction of a
/// simplex on one side of the second hyperplane is the divided difference of x_+^k at the
/// second function's vertex values (Hermite-Genocchi). Equal vertex values (equal coefficient
/// ratios, exact ties in the constructions) are confluent nodes, handled by Taylor series.
/// Everything in outward-rounded MPFI with adaptive precision.
#include "spikemesh/errors.hpp"
#include "spikemesh/exact.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <functional>
#include <mpfi.h>
#include <vector>

namespace spikemesh {

namespace {
constexpr int kMaxTwoDim = 64;
constexpr mpfr_prec_t kStart = 128;
constexpr mpfr_prec_t kMaxPrec = 2048;
constexpr double kRelWidth = 0x1p-70;

/// Whether b1 / a1 == b2 / a2 exactly (a1, a2 != 0): b1 a2 == b2 a1 through exact products.
bool same_ratio(double b1, double a1, double b2, double a2) {
  const double p = b1 * a2, q = b2 * a1;
  const double ep = std::fma(b1, a2, -p), eq = std::fma(b2, a1, -q);
  return p == q && ep == eq;
}

/// Binomial coefficients up to 130 (uint64 exact up to C(66, 33)).
unsigned long binom(int n, int k) {
  if (k < 0 || k > n) return 0;
  unsigned long r = 1;
  for (int i = 1; i <= k; ++i)
    r = r * static_cast<unsigned long>(n - k + i) / static_cast<unsigned long>(i);
  return r;
}

struct Reg {
  __mpfi_struct v;
};

/// out = v^n (n >= 0) by repeated squaring; @p scratch is clobbered.
void power_into(__mpfi_struct* out, const __mpfi_struct* v, int n, __mpfi_struct* scratch) {
  mpfi_set_ui(out, 1);
  mpfi_set(scratch, v);
  while (n > 0) {
    if (n & 1) mpfi_mul(out, out, scratch);
    n >>= 1;
    if (n > 0) mpfi_sqr(scratch, scratch);
  }
}

} // namespace

struct TwoHalfspaceWorkspace::Impl {
  mpfr_prec_t prec = kStart;
  std::deque<Reg> regs; // a pool of registers, grown on demand (addresses stay valid)
  std::size_t used = 0;
  HalfspaceWorkspace one;
  Impl() = default;
  ~Impl() {
    for (Reg& r : regs)
      mpfi_clear(&r.v);
  }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  void reset(mpfr_prec_t bits) {
    used = 0;
    if (bits != prec) {
      for (Reg& r : regs)
        mpfi_set_prec(&r.v, bits);
      prec = bits;
    }
  }
  /// A fresh register (valid until the next reset()).
  __mpfi_struct* get() {
    if (used == regs.size()) {
      regs.emplace_back();
      mpfi_init2(&regs.back().v, prec);
    }
    return &regs[used++].v;
  }
};

TwoHalfspaceWorkspace::TwoHalfspaceWorkspace() : m_impl(std::make_unique<Impl>()) {}
TwoHalfspaceWorkspace::~TwoHalfspaceWorkspace() = default;

namespace {

/// vol{x in box : a x + ca > 0, b x + cb > 0} at one precision, the first half-space as the
/// simplex one (its zero coefficients must be zero in b too). False on the term cap.
bool volume_at(TwoHalfspaceWorkspace::Impl& m, int d, const double* a, double ca, const double* b,
               double cb, const double* lo, const double* hi, std::int64_t cap,
               std::int64_t& leaves, __mpfi_struct* result) {
  // Registers are taken once per call; the pool keeps its size across calls.
  std::vector<__mpfi_struct*> w(static_cast<std::size_t>(d));
  for (auto& r : w)
    r = m.get();
  __mpfi_struct *T1 = m.get(), *T2 = m.get(), *x = m.get(), *zero_prod = m.get(), *denom = m.get(),
                *acc = m.get(), *t = m.get(), *h0 = m.get(), *frac = m.get(), *term = m.get(),
                *vS = m.get(), *zj = m.get(), *delta = m.get(), *inv = m.get(), *pw = m.get(),
                *unit = m.get(), *full = m.get();
  mpfi_set_d(T1, ca);
  mpfi_set_d(T2, cb);
  for (int i = 0; i < d; ++i) {
    mpfi_set_d(w[static_cast<std::size_t>(i)], hi[i]);
    mpfi_sub_d(w[static_cast<std::size_t>(i)], w[static_cast<std::size_t>(i)], lo[i]);
    mpfi_set_d(x, lo[i]);
    mpfi_mul_d(x, x, a[i]);
    mpfi_add(T1, T1, x);
    mpfi_set_d(x, lo[i]);
    mpfi_mul_d(x, x, b[i]);
    mpfi_add(T2, T2, x);
  }
  // {A u < T1, B u < T2} with A = -a, B = -b; coordinates with a_i > 0 reflected so that the
  // first one's coefficients p_i = |a_i| are positive; beta: the second's, after reflection.
  std::vector<int> kept;
  std::vector<double> p, beta;
  mpfi_set_ui(zero_prod, 1);
  for (int i = 0; i < d; ++i) {
    __mpfi_struct* wi = w[static_cast<std::size_t>(i)];
    if (a[i] == 0.0) {
      if (b[i] != 0.0) return false; // not this orientation (the caller checks)
      mpfi_mul(zero_prod, zero_prod, wi);
      continue;
    }
    double bi = -b[i];
    if (a[i] > 0.0) { // A_i = -a_i < 0: u = w - v; T1 += a_i w_i, T2 -= B_i w_i, beta = -B_i
      mpfi_mul_d(x, wi, a[i]);
      mpfi_add(T1, T1, x);
      mpfi_mul_d(x, wi, bi);
      mpfi_sub(T2, T2, x);
      bi = -bi;
    }
    kept.push_back(i);
    p.push_back(std::fabs(a[i]));
    beta.push_back(bi);
  }
  const int k = static_cast<int>(kept.size());
  if (k == 0) return false;
  // Groups of equal ratios beta / p: group 0 is ratio 0 (with the simplex's corner vertex).
  std::vector<int> group(static_cast<std::size_t>(k), -1);
  std::vector<int> rep; // a member of each nonzero group
  std::vector<int> mult(1, 1);
  for (int i = 0; i < k; ++i) {
    if (beta[static_cast<std::size_t>(i)] == 0.0) {
      group[static_cast<std::size_t>(i)] = 0;
      ++mult[0];
      continue;
    }
    for (std::size_t g = 0; g < rep.size(); ++g) {
      const int j = rep[g];
      if (same_ratio(beta[static_cast<std::size_t>(i)], p[static_cast<std::size_t>(i)],
                     beta[static_cast<std::size_t>(j)], p[static_cast<std::size_t>(j)])) {
        group[static_cast<std::size_t>(i)] = static_cast<int>(g) + 1;
        ++mult[g + 1];
        break;
      }
    }
    if (group[static_cast<std::size_t>(i)] < 0) {
      rep.push_back(i);
      mult.push_back(1);
      group[static_cast<std::size_t>(i)] = static_cast<int>(rep.size());
    }
  }
  const int q = static_cast<int>(mult.size()); // nodes: 0 .. q-1
  std::vector<__mpfi_struct*> R(static_cast<std::size_t>(q));
  for (int g = 0; g < q; ++g) {
    R[static_cast<std::size_t>(g)] = m.get();
    if (g == 0) {
      mpfi_set_ui(R[0], 0);
    } else {
      const int i = rep[static_cast<std::size_t>(g) - 1];
      mpfi_set_d(R[static_cast<std::size_t>(g)], beta[static_cast<std::size_t>(i)]);
      mpfi_div_d(R[static_cast<std::size_t>(g)], R[static_cast<std::size_t>(g)],
                 p[static_cast<std::size_t>(i)]);
    }
  }
  // diff[j][l] = R_l - R_j: z_j - z_l = T_S (R_l - R_j).
  std::vector<__mpfi_struct*> diff(static_cast<std::size_t>(q * q));
  for (int j = 0; j < q; ++j)
    for (int l = 0; l < q; ++l) {
      __mpfi_struct* r = m.get();
      mpfi_sub(r, R[static_cast<std::size_t>(l)], R[static_cast<std::size_t>(j)]);
      diff[static_cast<std::size_t>(j * q + l)] = r;
    }
  // Clipped lengths, the largest first; beta w per coordinate.
  std::vector<std::pair<double, int>> order;
  for (int i = 0; i < k; ++i)
    order.push_back({-p[static_cast<std::size_t>(i)] * (hi[kept[static_cast<std::size_t>(i)]] -
                                                        lo[kept[static_cast<std::size_t>(i)]]),
                     i});
  std::sort(order.begin(), order.end());
  std::vector<__mpfi_struct*> cl(static_cast<std::size_t>(k)), bw(static_cast<std::size_t>(k));
  mpfi_set_ui(denom, 1);
  mpfi_set_ui(full, 1);
  for (int j = 0; j < k; ++j) {
    const int i = order[static_cast<std::size_t>(j)].second;
    __mpfi_struct* wi = w[static_cast<std::size_t>(kept[static_cast<std::size_t>(i)])];
    cl[static_cast<std::size_t>(j)] = m.get();
    mpfi_mul_d(cl[static_cast<std::size_t>(j)], wi, p[static_cast<std::size_t>(i)]);
    bw[static_cast<std::size_t>(j)] = m.get();
    mpfi_mul_d(bw[static_cast<std::size_t>(j)], wi, beta[static_cast<std::size_t>(i)]);
    mpfi_mul_d(denom, denom, p[static_cast<std::size_t>(i)]);
    mpfi_mul_ui(denom, denom, static_cast<unsigned long>(j + 1));
    mpfi_mul(full, full, wi);
  }
  std::vector<__mpfi_struct*> sc(static_cast<std::size_t>(k) + 1), sb(sc.size());
  for (auto& r : sc)
    r = m.get();
  for (auto& r : sb)
    r = m.get();
  const int maxm = *std::max_element(mult.begin(), mult.end());
  std::vector<__mpfi_struct*> s(static_cast<std::size_t>(maxm)), tser(s.size()), prod(s.size());
  for (auto& r : s)
    r = m.get();
  for (auto& r : tser)
    r = m.get();
  for (auto& r : prod)
    r = m.get();
  mpfi_interv_si(unit, 0, 1);
  mpfi_set_ui(acc, 0);
  leaves = 0;
  bool overflow = false;

  // The divided difference of x_+^k at nodes z_j = h0 - T_S R_j (multiplicities mult[j]).
  auto divided_difference = [&](const __mpfi_struct* TS) {
    mpfi_set_ui(frac, 0);
    for (int j = 0; j < q; ++j) {
      // z_j = h0 - T_S R_j
      mpfi_mul(zj, TS, R[static_cast<std::size_t>(j)]);
      mpfi_sub(zj, h0, zj);
      if (mpfr_sgn(&zj->right) <= 0) continue; // x_+^k vanishes to order >= m_j there
      const int M = mult[static_cast<std::size_t>(j)];
      // s = (z_j + eps)^k truncated to eps^(M-1)
      for (int i = 0; i < M; ++i) {
        if (k - i < 0) {
          mpfi_set_ui(s[static_cast<std::size_t>(i)], 0);
          continue;
        }
        power_into(s[static_cast<std::size_t>(i)], zj, k - i, pw);
        mpfi_mul_ui(s[static_cast<std::size_t>(i)], s[static_cast<std::size_t>(i)], binom(k, i));
      }
      for (int l = 0; l < q; ++l) {
        if (l == j) continue;
        const int ml = mult[static_cast<std::size_t>(l)];
        mpfi_mul(delta, TS, diff[static_cast<std::size_t>(j * q + l)]); // z_j - z_l
        mpfi_inv(inv, delta);
        // t_i = (-1)^i C(ml + i - 1, i) delta^-(ml + i)
        power_into(pw, inv, ml, x);
        for (int i = 0; i < M; ++i) {
          mpfi_mul_ui(tser[static_cast<std::size_t>(i)], pw, binom(ml + i - 1, i));
          if (i % 2 == 1)
            mpfi_neg(tser[static_cast<std::size_t>(i)], tser[static_cast<std::size_t>(i)]);
          mpfi_mul(pw, pw, inv);
        }
        for (int i = 0; i < M; ++i) {
          mpfi_set_ui(prod[static_cast<std::size_t>(i)], 0);
          for (int e = 0; e <= i; ++e) {
            mpfi_mul(x, s[static_cast<std::size_t>(e)], tser[static_cast<std::size_t>(i - e)]);
            mpfi_add(prod[static_cast<std::size_t>(i)], prod[static_cast<std::size_t>(i)], x);
          }
        }
        for (int i = 0; i < M; ++i)
          mpfi_set(s[static_cast<std::size_t>(i)], prod[static_cast<std::size_t>(i)]);
      }
      if (mpfr_sgn(&zj->left) <= 0) { // z_j may be <= 0: the term or 0
        mpfi_set_ui(x, 0);
        mpfi_union(s[static_cast<std::size_t>(M - 1)], s[static_cast<std::size_t>(M - 1)], x);
      }
      mpfi_add(frac, frac, s[static_cast<std::size_t>(M - 1)]);
    }
    // A fraction: within [0, 1] whatever the rounding did.
    mpfi_set(x, frac);
    mpfi_intersect(frac, x, unit);
    if (mpfi_nan_p(x) || mpfi_is_empty(frac) || !mpfi_bounded_p(x)) mpfi_set(frac, unit);
  };

  // DFS over the vertices S with sum_S p_i w_i < T1.
  struct Frame {
    int i, depth, sign;
  };
  std::vector<Frame> stack;
  mpfi_set_ui(sc[0], 0);
  mpfi_set_ui(sb[0], 0);
  std::function<void(int, int, int)> rec = [&](int i, int depth, int sign) {
    if (overflow) return;
    if (i == k) {
      if (++leaves > cap) {
        overflow = true;
        return;
      }
      mpfi_sub(t, T1, sc[static_cast<std::size_t>(depth)]);
      if (mpfr_sgn(&t->right) <= 0) return;
      if (mpfr_sgn(&t->left) < 0) mpfr_set_ui(&t->left, 0, MPFR_RNDD);
      mpfi_sub(h0, T2, sb[static_cast<std::size_t>(depth)]);
      // vol(simplex) = T^k / (k! prod p)
      power_into(vS, t, k, pw);
      divided_difference(t);
      mpfi_mul(term, vS, frac);
      if (sign > 0) {
        mpfi_add(acc, acc, term);
      } else {
        mpfi_sub(acc, acc, term);
      }
      return;
    }
    mpfi_set(sc[static_cast<std::size_t>(depth) + 1], sc[static_cast<std::size_t>(depth)]);
    mpfi_set(sb[static_cast<std::size_t>(depth) + 1], sb[static_cast<std::size_t>(depth)]);
    rec(i + 1, depth + 1, sign);
    mpfi_add(sc[static_cast<std::size_t>(depth) + 1], sc[static_cast<std::size_t>(depth)],
             cl[static_cast<std::size_t>(i)]);
    mpfi_add(sb[static_cast<std::size_t>(depth) + 1], sb[static_cast<std::size_t>(depth)],
             bw[static_cast<std::size_t>(i)]);
    if (mpfr_cmp(&sc[static_cast<std::size_t>(depth) + 1]->left, &T1->right) < 0)
      rec(i + 1, depth + 1, -sign);
  };
  // (The coordinate order of cl/bw is the sorted one; the DD nodes do not depend on it.)
  rec(0, 0, 1);
  (void)stack;
  if (overflow) return false;
  mpfi_div(acc, acc, denom);
  mpfi_set_ui(x, 0);
  mpfi_union(t, x, full);
  mpfi_set(x, acc);
  mpfi_intersect(acc, x, t);
  if (mpfi_is_empty(acc)) mpfi_set(acc, t);
  mpfi_mul(result, acc, zero_prod);
  return true;
}

} // namespace

VolumeEnclosure two_halfspace_volume(int d, const double* a, double ca, const double* b, double cb,
                                     const double* lo, const double* hi, TwoHalfspaceWorkspace& ws,
                                     std::int64_t max_terms) {
  if (d < 1 || d > kMaxTwoDim)
    throw InvalidParameter("dim", "two_halfspace_volume needs 1 <= d <= 64");
  TwoHalfspaceWorkspace::Impl& m = ws.impl();
  VolumeEnclosure fail;
  fail.ok = false;
  fail.hi = box_volume(d, lo, hi, m.one).hi;
  // The simplex half-space: zero coefficients only where the other one has zeros too.
  auto usable = [&](const double* u, const double* v) {
    for (int i = 0; i < d; ++i)
      if (u[i] == 0.0 && v[i] != 0.0) return false;
    return true;
  };
  // Fraction of the box below the first one's level (double estimate): the complement past 1/2.
  auto fraction = [&](const double* u, double cu) {
    double vmin = cu, vmax = cu;
    for (int i = 0; i < d; ++i) {
      vmin += std::min(u[i] * lo[i], u[i] * hi[i]);
      vmax += std::max(u[i] * lo[i], u[i] * hi[i]);
    }
    // roughly the share where u x + cu > 0
    return vmax > vmin ? std::clamp(vmax / (vmax - vmin), 0.0, 1.0) : 0.5;
  };
  const bool ua = usable(a, b), ub = usable(b, a);
  if (!ua && !ub) return fail;
  const bool first_a = ua && (!ub || std::min(fraction(a, ca), 1 - fraction(a, ca)) <=
                                         std::min(fraction(b, cb), 1 - fraction(b, cb)));
  const double* u = first_a ? a : b;
  const double* v = first_a ? b : a;
  const double cu = first_a ? ca : cb, cv = first_a ? cb : ca;
  // Past the middle: vol(U and V) = vol(V) - vol(not U and V).
  const bool complement = fraction(u, cu) > 0.5;
  std::vector<double> un(u, u + d);
  double cun = cu;
  if (complement) {
    for (double& e : un)
      e = -e;
    cun = -cu;
  }
  VolumeEnclosure out;
  mpfi_t r;
  mpfi_init2(r, kStart);
  for (mpfr_prec_t bits = kStart;; bits *= 2) {
    m.reset(bits);
    mpfi_set_prec(r, bits);
    std::int64_t leaves = 0;
    if (!volume_at(m, d, un.data(), cun, v, cv, lo, hi, max_terms, leaves, r)) {
      mpfi_clear(r);
      return fail;
    }
    out.terms += leaves;
    out.precision = static_cast<int>(bits);
    mpfr_t width;
    mpfr_init2(width, 64);
    mpfi_diam_abs(width, r);
    const double wd = mpfr_get_d(width, MPFR_RNDU);
    mpfr_clear(width);
    const double mag = mpfr_get_d(&r->right, MPFR_RNDU);
    if (wd == 0.0 || wd <= kRelWidth * std::fabs(mag) || bits >= kMaxPrec) break;
  }
  out.lo = mpfr_get_d(&r->left, MPFR_RNDD);
  out.hi = mpfr_get_d(&r->right, MPFR_RNDU);
  mpfi_clear(r);
  if (complement) {
    const VolumeEnclosure vv = halfspace_volume(d, v, cv, cv, lo, hi, m.one);
    if (!vv.ok) return fail;
    const double l = std::nextafter(vv.lo - out.hi, -INFINITY);
    const double h = std::nextafter(vv.hi - out.lo, INFINITY);
    out.lo = l;
    out.hi = h;
  }
  out.lo = std::max(0.0, out.lo);
  out.hi = std::min(out.hi, fail.hi);
  return out;
}

} // namespace spikemesh
