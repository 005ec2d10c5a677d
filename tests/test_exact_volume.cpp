/// @file test_exact_volume.cpp
/// @brief halfspace_volume() (MPFI closed form) against exact rational arithmetic (GMP mpq): a
/// plain sum over every vertex of the box, without the complement, pruning or sorting, and in
/// 2-D an independent polygon clipping.
#include "spikemesh/exact.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <gmpxx.h>
#include <random>
#include <vector>

using namespace spikemesh;

namespace {

/// Exact vol{x in [lo, hi] : a . x + c > 0}: negative-slope coordinates of {-a . x < c} are
/// reflected, then (1 / (k! prod p)) sum over all 2^k vertices of (-1)^|S| (T - p . v_S)_+^k.
mpq_class exact_volume_ref(const std::vector<double>& a, double c, const std::vector<double>& lo,
                           const std::vector<double>& hi) {
  const std::size_t d = a.size();
  mpq_class T(c), zero_prod(1);
  std::vector<mpq_class> len; // p_i w_i of the kept coordinates
  std::vector<mpq_class> p;
  for (std::size_t i = 0; i < d; ++i) {
    const mpq_class w = mpq_class(hi[i]) - mpq_class(lo[i]);
    T += mpq_class(a[i]) * mpq_class(lo[i]);
    if (a[i] == 0.0) {
      zero_prod *= w;
      continue;
    }
    // set: sum (-a_i) u_i < T with u in [0, w]; -a_i < 0 reflected: u = w - v.
    if (a[i] > 0.0) T += mpq_class(a[i]) * w;
    p.push_back(abs(mpq_class(a[i])));
    len.push_back(p.back() * w);
  }
  const std::size_t k = p.size();
  if (k == 0) {
    return T > 0 ? zero_prod : mpq_class(0);
  }
  mpq_class sum(0);
  // Every one of the 2^k vertices, in plain binary order.
  for (std::uint64_t mask = 0; mask < (std::uint64_t(1) << k); ++mask) {
    mpq_class s(0);
    int count = 0;
    for (std::size_t i = 0; i < k; ++i) {
      if (mask >> i & 1u) {
        s += len[i];
        ++count;
      }
    }
    mpq_class t = T - s;
    if (t <= 0) continue;
    mpq_class pw(1);
    for (std::size_t e = 0; e < k; ++e)
      pw *= t;
    if (count % 2 == 0) {
      sum += pw;
    } else {
      sum -= pw;
    }
  }
  mpq_class denom(1);
  for (std::size_t i = 0; i < k; ++i)
    denom *= p[i] * static_cast<unsigned long>(i + 1);
  return sum / denom * zero_prod;
}

/// Exact area of {x in box : a . x + c > 0} in 2-D by clipping the rectangle (Sutherland-Hodgman)
/// and the shoelace formula.
mpq_class exact_area_clip(const std::vector<double>& a, double c, const std::vector<double>& lo,
                          const std::vector<double>& hi) {
  using P = std::pair<mpq_class, mpq_class>;
  std::vector<P> poly = {{lo[0], lo[1]}, {hi[0], lo[1]}, {hi[0], hi[1]}, {lo[0], hi[1]}};
  auto g = [&](const P& q) -> mpq_class {
    return mpq_class(a[0]) * q.first + mpq_class(a[1]) * q.second + c;
  };
  std::vector<P> out;
  for (std::size_t i = 0; i < poly.size(); ++i) {
    const P& u = poly[i];
    const P& v = poly[(i + 1) % poly.size()];
    const mpq_class gu = g(u), gv = g(v);
    if (gu > 0) out.push_back(u);
    if ((gu > 0) != (gv > 0) && gu != gv) {
      const mpq_class t = gu / (gu - gv);
      out.push_back({u.first + t * (v.first - u.first), u.second + t * (v.second - u.second)});
    }
  }
  mpq_class area(0);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const P& u = out[i];
    const P& v = out[(i + 1) % out.size()];
    area += u.first * v.second - v.first * u.second;
  }
  return abs(area) / 2;
}

struct HCase {
  std::vector<double> a, lo, hi;
  double c = 0.0;
};

/// A random box in [-1, 2]^d and a hyperplane through it: coefficients of both signs spanning
/// up to four decades (some zero), offset at a random level between the box's extreme values;
/// @p corner: a level near the lowest vertex (few clipped vertices, for high d).
HCase random_case(std::mt19937_64& rng, int d, bool corner) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  HCase k;
  for (int i = 0; i < d; ++i) {
    const double x = -1.0 + 3.0 * u(rng), y = -1.0 + 3.0 * u(rng);
    k.lo.push_back(std::min(x, y));
    k.hi.push_back(std::max(x, y) + 1e-3);
    double ai = std::pow(10.0, 4.0 * u(rng) - 2.0) * (u(rng) < 0.5 ? -1.0 : 1.0);
    if (d > 2 && u(rng) < 0.08) ai = 0.0;
    k.a.push_back(ai);
  }
  double vmin = 0.0, vmax = 0.0; // a . x over the box
  for (int i = 0; i < d; ++i) {
    vmin += std::min(k.a[i] * k.lo[i], k.a[i] * k.hi[i]);
    vmax += std::max(k.a[i] * k.lo[i], k.a[i] * k.hi[i]);
  }
  const double f = corner ? 0.97 + 0.03 * u(rng) : u(rng);
  k.c = -(vmin + f * (vmax - vmin)); // a . x + c > 0 above the level
  return k;
}

void expect_encloses(const HCase& k, const mpq_class& exact, const char* what) {
  HalfspaceWorkspace ws;
  const int d = static_cast<int>(k.a.size());
  const VolumeEnclosure e = halfspace_volume(d, k.a.data(), k.c, k.c, k.lo.data(), k.hi.data(), ws);
  ASSERT_TRUE(e.ok) << what;
  const double v = exact.get_d();
  // Rigour: the exact rational lies in the enclosure.
  EXPECT_LE(mpq_class(e.lo), exact) << what << " d=" << d;
  EXPECT_GE(mpq_class(e.hi), exact) << what << " d=" << d;
  // Tightness: the MPFI result is 2^-80 wide, widened by one rounding to double at each end.
  EXPECT_LE(e.hi - e.lo, 4.5e-16 * v + 1e-300) << what << " d=" << d << " v=" << v;
}

} // namespace

TEST(HalfspaceVolume, MatchesExactRationalsD1To12) {
  std::mt19937_64 rng(20261201);
  for (int d = 1; d <= 12; ++d) {
    for (int rep = 0; rep < 12; ++rep) {
      const HCase k = random_case(rng, d, false);
      expect_encloses(k, exact_volume_ref(k.a, k.c, k.lo, k.hi), "mid-level");
    }
  }
}

TEST(HalfspaceVolume, MatchesExactRationalsD13To20) {
  std::mt19937_64 rng(7);
  for (int d = 13; d <= 20; ++d) {
    const int reps = d <= 16 ? 2 : 1;
    for (int rep = 0; rep < reps; ++rep) {
      // A mid level (hundreds of thousands of clipped vertices at d = 20) and near a corner.
      if (d <= 16) {
        const HCase k = random_case(rng, d, false);
        expect_encloses(k, exact_volume_ref(k.a, k.c, k.lo, k.hi), "mid-level");
      }
      const HCase k = random_case(rng, d, true);
      expect_encloses(k, exact_volume_ref(k.a, k.c, k.lo, k.hi), "corner");
    }
  }
}

TEST(HalfspaceVolume, TwoDimensionsAgainstPolygonClipping) {
  std::mt19937_64 rng(3);
  for (int rep = 0; rep < 200; ++rep) {
    const HCase k = random_case(rng, 2, rep % 3 == 0);
    expect_encloses(k, exact_area_clip(k.a, k.c, k.lo, k.hi), "clip");
  }
}

TEST(HalfspaceVolume, CornerSimplexIsOneTerm) {
  // {x in [0, 1]^d : sum x_i < t}, t <= 1: t^d / d!.
  HalfspaceWorkspace ws;
  for (int d = 1; d <= 20; ++d) {
    std::vector<double> a(static_cast<std::size_t>(d), -1.0), lo(a.size(), 0.0), hi(a.size(), 1.0);
    const double t = 0.3;
    const VolumeEnclosure e = halfspace_volume(d, a.data(), t, t, lo.data(), hi.data(), ws);
    ASSERT_TRUE(e.ok);
    EXPECT_EQ(e.terms, 1) << d;
    mpq_class exact(1);
    for (int i = 0; i < d; ++i)
      exact *= mpq_class(t) / (i + 1);
    EXPECT_LE(mpq_class(e.lo), exact);
    EXPECT_GE(mpq_class(e.hi), exact);
  }
}

TEST(HalfspaceVolume, CancellationAtD14RatioTenThousand) {
  // The example: d = 14, coefficients 1 and 1e4 alternating, level past many vertices:
  // float64 loses digits here, the enclosure must not.
  const int d = 14;
  std::vector<double> a, lo(d, 0.0), hi(d, 1.0);
  for (int i = 0; i < d; ++i)
    a.push_back(i % 2 == 0 ? -1.0 : -1e4);
  const double c = 3.5e4 + 2.5; // {sum a_i' x_i < c}
  HalfspaceWorkspace ws;
  const VolumeEnclosure e = halfspace_volume(d, a.data(), c, c, lo.data(), hi.data(), ws);
  ASSERT_TRUE(e.ok);
  const mpq_class exact = exact_volume_ref(a, c, lo, hi);
  EXPECT_LE(mpq_class(e.lo), exact);
  EXPECT_GE(mpq_class(e.hi), exact);
  EXPECT_LE(e.hi - e.lo, 4.5e-16 * exact.get_d());
  EXPECT_GT(e.precision, 0);
}

TEST(HalfspaceVolume, IntervalOffsetIsMonotoneHull) {
  std::mt19937_64 rng(11);
  HalfspaceWorkspace ws;
  for (int rep = 0; rep < 20; ++rep) {
    const HCase k = random_case(rng, 5, false);
    const double dc = 1e-3 * (std::fabs(k.c) + 1.0);
    const VolumeEnclosure e =
        halfspace_volume(5, k.a.data(), k.c - dc, k.c + dc, k.lo.data(), k.hi.data(), ws);
    EXPECT_LE(mpq_class(e.lo), exact_volume_ref(k.a, k.c - dc, k.lo, k.hi));
    EXPECT_GE(mpq_class(e.hi), exact_volume_ref(k.a, k.c + dc, k.lo, k.hi));
    EXPECT_LE(e.lo, e.hi);
  }
}

TEST(HalfspaceVolume, TermCapReportsFailure) {
  const int d = 16;
  std::vector<double> a(d, -1.0), lo(d, 0.0), hi(d, 1.0);
  HalfspaceWorkspace ws;
  const VolumeEnclosure e = halfspace_volume(d, a.data(), 8.0, 8.0, lo.data(), hi.data(), ws, 10);
  EXPECT_FALSE(e.ok);
  EXPECT_EQ(e.lo, 0.0);
  EXPECT_EQ(e.hi, 1.0);
}

namespace {

/// Exact area of {x in box : a . x + ca > 0, b . x + cb > 0} in 2-D: the rectangle clipped twice.
mpq_class exact_area_clip2(const std::vector<double>& a, double ca, const std::vector<double>& b,
                           double cb, const std::vector<double>& lo,
                           const std::vector<double>& hi) {
  using P = std::pair<mpq_class, mpq_class>;
  std::vector<P> poly = {{lo[0], lo[1]}, {hi[0], lo[1]}, {hi[0], hi[1]}, {lo[0], hi[1]}};
  auto clip = [&](const std::vector<double>& u, double cu) {
    auto g = [&](const P& q) -> mpq_class {
      return mpq_class(u[0]) * q.first + mpq_class(u[1]) * q.second + cu;
    };
    std::vector<P> out;
    for (std::size_t i = 0; i < poly.size(); ++i) {
      const P& s = poly[i];
      const P& e = poly[(i + 1) % poly.size()];
      const mpq_class gs = g(s), ge = g(e);
      if (gs > 0) out.push_back(s);
      if ((gs > 0) != (ge > 0) && gs != ge) {
        const mpq_class t = gs / (gs - ge);
        out.push_back({s.first + t * (e.first - s.first), s.second + t * (e.second - s.second)});
      }
    }
    poly = out;
  };
  clip(a, ca);
  clip(b, cb);
  mpq_class area(0);
  for (std::size_t i = 0; i < poly.size(); ++i) {
    const P& u = poly[i];
    const P& v = poly[(i + 1) % poly.size()];
    area += u.first * v.second - v.first * u.second;
  }
  return abs(area) / 2;
}

} // namespace

TEST(TwoHalfspaceVolume, TwoDimensionsAgainstPolygonClipping) {
  std::mt19937_64 rng(17);
  TwoHalfspaceWorkspace ws;
  for (int rep = 0; rep < 300; ++rep) {
    const HCase k1 = random_case(rng, 2, false);
    HCase k2 = random_case(rng, 2, rep % 4 == 0);
    k2.lo = k1.lo;
    k2.hi = k1.hi;
    if (rep % 5 == 0) k2.a = {k1.a[0] * 3.0, -k1.a[1]}; // some exact ratio ties
    double v0 = 0, v1 = 0;                              // level of k2 through the common box
    for (int i = 0; i < 2; ++i) {
      v0 += std::min(k2.a[i] * k2.lo[i], k2.a[i] * k2.hi[i]);
      v1 += std::max(k2.a[i] * k2.lo[i], k2.a[i] * k2.hi[i]);
    }
    k2.c = -(v0 + 0.37 * (v1 - v0));
    const mpq_class exact = exact_area_clip2(k1.a, k1.c, k2.a, k2.c, k1.lo, k1.hi);
    const VolumeEnclosure e = two_halfspace_volume(2, k1.a.data(), k1.c, k2.a.data(), k2.c,
                                                   k1.lo.data(), k1.hi.data(), ws);
    ASSERT_TRUE(e.ok) << rep;
    EXPECT_LE(mpq_class(e.lo), exact) << rep;
    EXPECT_GE(mpq_class(e.hi), exact) << rep;
    EXPECT_LE(e.hi - e.lo, 1e-14 * exact.get_d() + 1e-300) << rep;
  }
}

TEST(TwoHalfspaceVolume, SplitsOneHalfspaceExactlyD1To12) {
  // vol(H1 and H2) + vol(H1 and not H2) = vol(H1), the right side from the one-half-space
  // closed form (itself checked against rationals above); random and tied (+-1) coefficients.
  std::mt19937_64 rng(23);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  HalfspaceWorkspace one;
  TwoHalfspaceWorkspace ws;
  for (int d = 1; d <= 12; ++d) {
    for (int rep = 0; rep < 8; ++rep) {
      const HCase k1 = random_case(rng, d, false);
      HCase k2 = random_case(rng, d, false);
      if (rep % 2 == 1) { // C1-like: coefficients +-1 on both, every ratio +-1
        std::vector<double> s1, s2;
        for (int i = 0; i < d; ++i) {
          s1.push_back(u(rng) < 0.5 ? -1.0 : 1.0);
          s2.push_back(u(rng) < 0.5 ? -1.0 : 1.0);
        }
        HCase t1 = k1;
        t1.a = s1;
        k2.a = s2;
        double m1 = 0, m2 = 0;
        for (int i = 0; i < d; ++i) {
          m1 += 0.5 * (t1.lo[i] + t1.hi[i]) * s1[i];
          m2 += 0.5 * (t1.lo[i] + t1.hi[i]) * s2[i];
        }
        t1.c = -m1 + 0.3 * u(rng);
        k2.c = -m2 - 0.2 * u(rng);
        k2.lo = t1.lo;
        k2.hi = t1.hi;
        const VolumeEnclosure v1 =
            halfspace_volume(d, t1.a.data(), t1.c, t1.c, t1.lo.data(), t1.hi.data(), one);
        std::vector<double> neg(k2.a);
        for (double& e : neg)
          e = -e;
        const VolumeEnclosure p = two_halfspace_volume(d, t1.a.data(), t1.c, k2.a.data(), k2.c,
                                                       t1.lo.data(), t1.hi.data(), ws);
        const VolumeEnclosure q = two_halfspace_volume(d, t1.a.data(), t1.c, neg.data(), -k2.c,
                                                       t1.lo.data(), t1.hi.data(), ws);
        ASSERT_TRUE(p.ok && q.ok) << d;
        EXPECT_LE(p.lo + q.lo, v1.hi * (1 + 1e-15)) << "tied d=" << d;
        EXPECT_GE(p.hi + q.hi, v1.lo * (1 - 1e-15)) << "tied d=" << d;
        EXPECT_LE(p.hi - p.lo, 1e-13 * v1.hi + 1e-300) << "tied d=" << d;
        continue;
      }
      k2.lo = k1.lo;
      k2.hi = k1.hi;
      double v0 = 0, vmax = 0;
      for (int i = 0; i < d; ++i) {
        v0 += std::min(k2.a[i] * k2.lo[i], k2.a[i] * k2.hi[i]);
        vmax += std::max(k2.a[i] * k2.lo[i], k2.a[i] * k2.hi[i]);
      }
      k2.c = -(v0 + u(rng) * (vmax - v0));
      if (d > 2) // zero coefficients must match: keep the second's zeros within the first's
        for (int i = 0; i < d; ++i)
          if (k1.a[i] == 0.0) k2.a[i] = 0.0;
      const VolumeEnclosure v1 =
          halfspace_volume(d, k1.a.data(), k1.c, k1.c, k1.lo.data(), k1.hi.data(), one);
      std::vector<double> neg(k2.a);
      for (double& e : neg)
        e = -e;
      const VolumeEnclosure p = two_halfspace_volume(d, k1.a.data(), k1.c, k2.a.data(), k2.c,
                                                     k1.lo.data(), k1.hi.data(), ws);
      const VolumeEnclosure q = two_halfspace_volume(d, k1.a.data(), k1.c, neg.data(), -k2.c,
                                                     k1.lo.data(), k1.hi.data(), ws);
      ASSERT_TRUE(p.ok && q.ok) << d;
      EXPECT_LE(p.lo + q.lo, v1.hi * (1 + 1e-15)) << "d=" << d;
      EXPECT_GE(p.hi + q.hi, v1.lo * (1 - 1e-15)) << "d=" << d;
      EXPECT_LE((p.hi - p.lo) + (q.hi - q.lo), 1e-12 * v1.hi + 1e-300) << "d=" << d;
    }
  }
}

TEST(TwoHalfspaceVolume, AgreesWithMonteCarloD3To8) {
  // A statistical cross-check with a different method (fixed seed): 4e5 points, 5 sigma.
  std::mt19937_64 rng(31);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  TwoHalfspaceWorkspace ws;
  for (int d = 3; d <= 8; ++d) {
    std::vector<double> a(d), b(d), lo(d, 0.0), hi(d, 1.0);
    for (int i = 0; i < d; ++i) {
      a[i] = u(rng) - 0.5;
      b[i] = u(rng) - 0.5;
    }
    double ca = 0, cb = 0;
    for (int i = 0; i < d; ++i) {
      ca -= 0.5 * a[i];
      cb -= 0.5 * b[i];
    }
    ca += 0.05;
    cb -= 0.03;
    const VolumeEnclosure e =
        two_halfspace_volume(d, a.data(), ca, b.data(), cb, lo.data(), hi.data(), ws);
    ASSERT_TRUE(e.ok);
    const int n = 400000;
    int hits = 0;
    std::vector<double> x(d);
    for (int s = 0; s < n; ++s) {
      double fa = ca, fb = cb;
      for (int i = 0; i < d; ++i) {
        x[i] = u(rng);
        fa += a[i] * x[i];
        fb += b[i] * x[i];
      }
      hits += (fa > 0 && fb > 0) ? 1 : 0;
    }
    const double p = static_cast<double>(hits) / n, sigma = std::sqrt(p * (1 - p) / n);
    EXPECT_NEAR(0.5 * (e.lo + e.hi), p, 5 * sigma + 1e-12) << d;
    EXPECT_LE(e.hi - e.lo, 1e-13);
  }
}

namespace {

/// A half-space a . x <= b of R^k, exact.
struct Ineq {
  std::vector<mpq_class> a;
  mpq_class b;
};

/// Exact volume of the bounded polytope {x in R^k : a_i . x <= b_i} by Lasserre's recursion:
/// vol_k(P) = (1/k) sum_i b_i / |a_ij| vol_{k-1}(pi_j F_i), where F_i is the facet a_i . x = b_i
/// and pi_j drops a coordinate j with a_ij != 0 (x_j eliminated from the other inequalities).
/// Exact in rationals, brute force (k! m^k work), an independent check of the closed form for
/// small k. The inequalities must be in general position (no two equal hyperplanes).
mpq_class lasserre_volume(const std::vector<Ineq>& P, int k) {
  if (k == 1) {
    bool has_lo = false, has_hi = false;
    mpq_class lo, hi;
    for (const Ineq& q : P) {
      if (q.a[0] > 0) {
        const mpq_class t = q.b / q.a[0];
        if (!has_hi || t < hi) hi = t;
        has_hi = true;
      } else if (q.a[0] < 0) {
        const mpq_class t = q.b / q.a[0];
        if (!has_lo || t > lo) lo = t;
        has_lo = true;
      } else if (q.b < 0) {
        return 0;
      }
    }
    return hi > lo ? mpq_class(hi - lo) : mpq_class(0);
  }
  mpq_class sum(0);
  for (std::size_t i = 0; i < P.size(); ++i) {
    const Ineq& f = P[i];
    int j = -1;
    for (int c = 0; c < k; ++c)
      if (f.a[static_cast<std::size_t>(c)] != 0 &&
          (j < 0 || abs(f.a[static_cast<std::size_t>(c)]) > abs(f.a[static_cast<std::size_t>(j)])))
        j = c;
    if (j < 0 || f.b == 0) continue; // b_i = 0: the facet's term vanishes
    const mpq_class aj = f.a[static_cast<std::size_t>(j)];
    std::vector<Ineq> facet;
    bool empty = false;
    for (std::size_t r = 0; r < P.size() && !empty; ++r) {
      if (r == i) continue;
      const Ineq& g = P[r];
      const mpq_class t = g.a[static_cast<std::size_t>(j)] / aj;
      Ineq h;
      bool zero = true;
      for (int c = 0; c < k; ++c) {
        if (c == j) continue;
        h.a.push_back(g.a[static_cast<std::size_t>(c)] - t * f.a[static_cast<std::size_t>(c)]);
        zero = zero && h.a.back() == 0;
      }
      h.b = g.b - t * f.b;
      if (zero) {
        empty = h.b < 0;
        continue;
      }
      facet.push_back(std::move(h));
    }
    if (empty) continue;
    sum += f.b / abs(aj) * lasserre_volume(facet, k - 1);
  }
  return sum / k;
}

/// vol{x in [lo, hi] : a . x + ca > 0, b . x + cb > 0} by lasserre_volume().
mpq_class exact_two_halfspaces(const std::vector<double>& a, double ca,
                               const std::vector<double>& b, double cb,
                               const std::vector<double>& lo, const std::vector<double>& hi) {
  const int d = static_cast<int>(a.size());
  std::vector<Ineq> P;
  for (int i = 0; i < d; ++i) {
    Ineq up, down;
    up.a.assign(static_cast<std::size_t>(d), 0);
    down.a.assign(static_cast<std::size_t>(d), 0);
    up.a[static_cast<std::size_t>(i)] = 1;
    up.b = hi[static_cast<std::size_t>(i)];
    down.a[static_cast<std::size_t>(i)] = -1;
    down.b = -mpq_class(lo[static_cast<std::size_t>(i)]);
    P.push_back(up);
    P.push_back(down);
  }
  Ineq ha, hb;
  for (int i = 0; i < d; ++i) {
    ha.a.push_back(-mpq_class(a[static_cast<std::size_t>(i)]));
    hb.a.push_back(-mpq_class(b[static_cast<std::size_t>(i)]));
  }
  ha.b = ca;
  hb.b = cb;
  P.push_back(ha);
  P.push_back(hb);
  return lasserre_volume(P, d);
}

} // namespace

TEST(TwoHalfspaceVolume, LasserreRecursionCheckedAgainstPolygonClipping) {
  // The reference itself, in 2-D, against the independent polygon clipping above.
  std::mt19937_64 rng(41);
  for (int rep = 0; rep < 50; ++rep) {
    const HCase k1 = random_case(rng, 2, false);
    HCase k2 = random_case(rng, 2, false);
    const mpq_class clip = exact_area_clip2(k1.a, k1.c, k2.a, k2.c, k1.lo, k1.hi);
    const mpq_class las = exact_two_halfspaces(k1.a, k1.c, k2.a, k2.c, k1.lo, k1.hi);
    EXPECT_EQ(clip, las) << rep;
  }
}

TEST(TwoHalfspaceVolume, MatchesExactRationalPolytopeVolumeD3To5) {
  // Random boxes and two random hyperplanes through them (coefficients over four decades, both
  // signs, no zeros: general position), the exact rational volume by Lasserre's recursion.
  std::mt19937_64 rng(20261202);
  TwoHalfspaceWorkspace ws;
  int nonzero = 0;
  for (int d = 3; d <= 5; ++d) {
    const int reps = d == 5 ? 6 : 25;
    for (int rep = 0; rep < reps; ++rep) {
      HCase k1 = random_case(rng, d, false);
      HCase k2 = random_case(rng, d, false);
      for (double& v : k1.a)
        if (v == 0.0) v = 0.5;
      for (double& v : k2.a)
        if (v == 0.0) v = -0.25;
      k2.lo = k1.lo;
      k2.hi = k1.hi;
      double v0 = 0, v1 = 0;
      for (int i = 0; i < d; ++i) {
        v0 += std::min(k2.a[i] * k2.lo[i], k2.a[i] * k2.hi[i]);
        v1 += std::max(k2.a[i] * k2.lo[i], k2.a[i] * k2.hi[i]);
      }
      k2.c = -(v0 + (0.2 + 0.6 * (rep % 7) / 6.0) * (v1 - v0));
      const mpq_class exact = exact_two_halfspaces(k1.a, k1.c, k2.a, k2.c, k1.lo, k1.hi);
      const VolumeEnclosure e = two_halfspace_volume(d, k1.a.data(), k1.c, k2.a.data(), k2.c,
                                                     k1.lo.data(), k1.hi.data(), ws);
      ASSERT_TRUE(e.ok) << d << " " << rep;
      EXPECT_LE(mpq_class(e.lo), exact) << "d=" << d << " rep=" << rep;
      EXPECT_GE(mpq_class(e.hi), exact) << "d=" << d << " rep=" << rep;
      EXPECT_LE(e.hi - e.lo, 1e-12 * exact.get_d() + 1e-300) << "d=" << d << " rep=" << rep;
      nonzero += exact > 0 ? 1 : 0;
    }
  }
  EXPECT_GT(nonzero, 40); // most cases cut a nonempty piece
}
