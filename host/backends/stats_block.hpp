/// @file stats_block.hpp
/// @brief The CPU backend's statistics of a block of up to kStatBlock points of a tile:
/// bit for bit what sample_at(), BinStats::add() and ScalarStats::add_block() give point by
/// point, with the per-point terms computed 4 lanes at a time (GCC vector extensions) and a
/// shorter path for blocks where f = 0 everywhere.
#pragma once

#include "spikemesh/math/point_stats.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>

namespace spikemesh::cpu {

inline constexpr int kStatBlock = 32; ///< points per statistics block: fixes the sums' order

/// A chunk's histogram counts and per-bin error maxima, kept in 4 interleaved copies (point b
/// in copy b % 4) so that neighbouring points in one bin do not wait on each other; merged into
/// the chunk's BinStats at its end. Counts are exact integers and the maxima are of values
/// >= +0 (never NaN: finite points only), so neither depends on the order: same bits.
struct LocalBins {
  std::uint64_t f[4][kFBins];
  std::uint64_t d[4][kDistBins];
  double dmax[4][kDistBins];

  void clear() { *this = LocalBins{}; }
  void merge_into(BinStats& bs) const {
    for (int i = 0; i < kFBins; ++i)
      bs.f_counts[i] += f[0][i] + f[1][i] + f[2][i] + f[3][i];
    for (int i = 0; i < kDistBins; ++i) {
      bs.dist_counts[i] += d[0][i] + d[1][i] + d[2][i] + d[3][i];
      for (int c = 0; c < 4; ++c)
        bs.dist_err_max[i] = dmax[c][i] > bs.dist_err_max[i] ? dmax[c][i] : bs.dist_err_max[i];
    }
  }
};

/// 4 doubles (GCC vector extension: element-wise IEEE operations, no contraction). The helpers
/// below pass them by reference: a 32-byte vector by value would change the ABI without AVX.
typedef double VD __attribute__((vector_size(32)));
typedef std::int64_t VL __attribute__((vector_size(32)));
typedef std::int32_t VI __attribute__((vector_size(16)));
typedef float VF __attribute__((vector_size(16)));

__attribute__((always_inline)) inline void splat(VD& v, double s) {
  v = VD{s, s, s, s};
}

/// v = x[0..4) widened to double.
__attribute__((always_inline)) inline void load4(VD& v, const float* x) {
  VF f;
  __builtin_memcpy(&f, x, sizeof f);
  v = __builtin_convertvector(f, VD);
}
__attribute__((always_inline)) inline void load4(VD& v, const double* x) {
  __builtin_memcpy(&v, x, sizeof v);
}

/// v = |v| bit for bit as std::fabs (the sign bit cleared).
__attribute__((always_inline)) inline void vabs(VD& v) {
  const VL mask = {INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX};
  v = reinterpret_cast<VD>(reinterpret_cast<VL>(v) & mask);
}

/// v = std::floor(v) for |v| < 2^31: the truncation, minus 1 where it lies above v (both exact).
__attribute__((always_inline)) inline void floor_small(VD& v) {
  const VD t = __builtin_convertvector(__builtin_convertvector(v, VI), VD);
  VD one;
  splat(one, 1.0);
  v = t > v ? t - one : t;
}

/// bin[b] = s.scaled_bin(v[b]) for kStatBlock values: the value is clamped to [-1, bins] before
/// the floor (no bin changes: below 0 is bin 0, from bins on the last bin; NaN stays NaN).
__attribute__((always_inline)) inline void scaled_bins(const BinScales& s, const double* v,
                                                       int* bin) {
  VD lo, scale, m1, nb, last, zero;
  splat(zero, 0.0);
  splat(last, static_cast<double>(s.bins - 1));
  splat(lo, s.lo);
  splat(scale, s.scale);
  splat(m1, -1.0);
  splat(nb, static_cast<double>(s.bins));
  for (int c = 0; c < kStatBlock; c += 4) {
    VD u;
    load4(u, v + c);
    u = (u - lo) * scale;
    u = u < m1 ? m1 : (u > nb ? nb : u);
    floor_small(u);
    u = u >= zero ? (u >= nb ? last : u) : zero; // scaled_bin's clamps; NaN: bin 0
    const VI b = __builtin_convertvector(u, VI);
    __builtin_memcpy(bin + c, &b, sizeof b);
  }
}

/// Bits of the exponent field of @p v.
inline int exponent_bits(double v) {
  std::uint64_t u;
  std::memcpy(&u, &v, sizeof u);
  return static_cast<int>((u >> 52) & 0x7ff);
}

/// n additions of 1.0 to @p s (CompensatedSum::add) in closed form where each of them is exact:
/// s.sum >= 0 an integer multiple of its ulp <= 1, and s.sum + n in the same binade (or s.sum
/// = 0 and n < 2^53). Each step's TwoSum error is then +0 and comp (never -0) keeps its bits.
/// Returns false, changing nothing, otherwise.
inline bool add_ones_exactly(CompensatedSum& s, std::uint64_t n) {
  const double top = s.sum + static_cast<double>(n);
  if (!(s.sum >= 0.0) || n >= (std::uint64_t(1) << 52)) return false;
  if (s.sum == 0.0) {
    s.sum = static_cast<double>(n);
    return true;
  }
  const int e0 = exponent_bits(s.sum);
  // Same binade, and ulp(sum) = 2^(e0 - 1075) <= 1 (biased exponent e0 <= 1075).
  if (e0 != exponent_bits(top) || e0 > 1075 || e0 == 0) return false;
  s.sum = top;
  return true;
}

/// Adds points [b0, b0 + n) of a tile (x with stride B, values f) to @p acc: the result of
///   for b: s[b] = sample_at(v, x_b, f[b]); acc.bins.add(s[b], h);  then acc.scalar.add_block(s, n)
/// bit for bit (the reference loop in tests/test_cpu_backend.cpp). The per-point terms (truth,
/// distance, bins, |f - truth|) are computed across the block first (they vectorise); then the
/// order-dependent parts follow in point order with the operations of BinStats::add and
/// RunSums::add. Non-finite points contribute +0 to the run's sums (which start at +0 and so
/// never become -0: adding +0 changes no bit), +-inf to the extrema and nothing to counts and
/// bins. A block where f = 0 at every point (most blocks of a spike network) takes a shorter
/// path with the same result: see the comments there.
template <class T, int B>
__attribute__((always_inline)) inline void
add_stats_block(const EvalView<T>& v, const T* x, const T* f, int b0, int n, const HistScales& h,
                Accumulator& acc, LocalBins& lb, bool row_const) {
  const TruthView& t = v.truth;
  const int d = v.mesh.dim;
  const double tau = v.stats.tau;
  double fv[kStatBlock], truth[kStatBlock], dist[kStatBlock], err[kStatBlock];
  int fbin[kStatBlock], dbin[kStatBlock];
  bool fin[kStatBlock];
  ScalarStats& sc = acc.scalar;
  BinStats& bs = acc.bins;
  if (t.grid) {
    // nearest_training_point's grid branch for all kStatBlock lanes (lanes past n hold valid
    // points of the tile), 4 points per vector; the index is carried in double (integers below
    // count < 2^53: exact).
    double idx[kStatBlock];
    const T* xb = x + b0;
    VD inv_h, half, hh, zero, tn, top, m1;
    splat(inv_h, t.inv_h);
    splat(half, 0.5);
    splat(hh, t.h);
    splat(zero, 0.0);
    splat(tn, static_cast<double>(t.n));
    splat(top, static_cast<double>(t.n - 1));
    splat(m1, -1.0);
    // On a tile inside one row, axes >= 1 are the same at every lane: their nearest index and
    // distance terms once (the same operations), summed from the last axis down as
    // nearest_training_point() sums them, so that they form the prefix of every lane's sum;
    // then per lane dist = prefix + ... + |x0 - i0 h| and idx = rest + i0 n^(d-1) (exact
    // integers) in nearest_training_point's order.
    const int k_lane = row_const ? 1 : t.dim; // axes [0, k_lane) per lane
    double rest = 0.0, place = 1.0, prefix = 0.0;
    for (int k = t.dim - 1; k >= k_lane; --k) {
      const double xd = static_cast<double>(xb[k * B]);
      double i = std::floor(xd * t.inv_h + 0.5);
      i = i < 0.0 ? 0.0 : (i > t.n - 1 ? t.n - 1 : i);
      rest += i * place;
      place *= t.n;
      prefix += std::fabs(xd - i * t.h);
    }
    VD vrest, vprefix;
    splat(vrest, rest);
    splat(vprefix, prefix);
    for (int c = 0; c < kStatBlock; c += 4) {
      VD id = vrest, ds = vprefix;
      double stride = place;
      for (int k = k_lane - 1; k >= 0; --k) {
        VD xd;
        load4(xd, xb + k * B + c);
        VD i = xd * inv_h + half;
        i = i < m1 ? m1 : (i > tn ? tn : i); // floor() clamped to [0, n - 1] is unchanged
        floor_small(i);
        i = i < zero ? zero : (i > top ? top : i);
        VD vs;
        splat(vs, stride);
        id += i * vs;
        stride *= t.n;
        VD e = xd - i * hh;
        vabs(e);
        ds += e;
      }
      __builtin_memcpy(idx + c, &id, sizeof id);
      __builtin_memcpy(dist + c, &ds, sizeof ds);
    }
    if (t.task == Task::Classify) {
      for (int b = 0; b < n; ++b)
        truth[b] = t.y[static_cast<index_t>(idx[b])];
    }
  }
  if (!t.grid) {
    for (int b = n; b < kStatBlock; ++b)
      dist[b] = 0.0; // lanes past n: binned, never used
  }
  if (!t.grid || t.task != Task::Classify) {
    T xp[kMaxDim];
    for (int b = 0; b < n; ++b) {
      for (int a = 0; a < d; ++a)
        xp[a] = x[a * B + b0 + b];
      if (!t.grid) {
        const Nearest near = nearest_training_point(t, xp);
        dist[b] = near.distance;
        if (t.task == Task::Classify) truth[b] = t.y[near.index];
      }
      if (t.task != Task::Classify) truth[b] = target_value(t.target, xp, d);
    }
  }
  scaled_bins(h.dist, dist, dbin);

  int zeros = 0;
  for (int b = 0; b < n; ++b)
    zeros += f[b0 + b] == T(0) ? 1 : 0;
  if (zeros == n) {
    // f = +-0 everywhere: |f - truth| = |truth| exactly; one f bin (+0 and -0 bin alike);
    // the run's f and f^2 sums stay +0; each extremum can change only at the first point (the
    // values compare equal); counts follow from the signs of truth.
    std::uint64_t pos = 0, neg = 0;
    int ones = 0;
    double emax = sc.max_abs_err;
    for (int b = 0; b < n; ++b) {
      err[b] = std::fabs(truth[b]);
      pos += truth[b] > 0.0 ? 1u : 0u;
      neg += truth[b] < 0.0 ? 1u : 0u;
      ones += err[b] == 1.0 ? 1 : 0;
      emax = err[b] > emax ? err[b] : emax; // values >= +0, no NaN: any order gives these bits
    }
    const double f0 = static_cast<double>(f[b0]);
    const std::uint64_t un = static_cast<std::uint64_t>(n);
    sc.points += un;
    sc.spike_count += 0.0 > tau ? un : 0u;
    sc.undecided_count += 0.0 <= tau ? un : 0u;
    sc.correct_count += (0.0 > tau ? pos : 0u) + (0.0 < -tau ? neg : 0u); // t > 0, t < 0: disjoint
    sc.f_min = f0 < sc.f_min ? f0 : sc.f_min;
    sc.f_max = f0 > sc.f_max ? f0 : sc.f_max;
    sc.max_abs_err = emax;
    double sae = 0.0, sse = 0.0, sst = 0.0;
    if (ones == n) { // sums of n ones (and 1 * 1 = 1): exact integers
      sae = sse = sst = static_cast<double>(n);
    } else {
      for (int b = 0; b < n; ++b) {
        sae += err[b];
        sse += err[b] * err[b];
        sst += truth[b] * truth[b];
      }
    }
    sc.sum_f.add(0.0);
    sc.sum_f2.add(0.0);
    sc.sum_abs_err.add(sae);
    sc.sum_sq_err.add(sse);
    sc.sum_sq_truth.add(sst);
    lb.f[0][h.f.scaled_bin(f0)] += un;
    if (ones == n) { // every error is 1: per run of one distance bin, a count and a maximum
      for (int b = 0; b < n;) {
        const int db = dbin[b];
        int j = b + 1;
        while (j < n && dbin[j] == db)
          ++j;
        const auto len = static_cast<std::uint64_t>(j - b);
        lb.d[0][db] += len;
        lb.dmax[0][db] = 1.0 > lb.dmax[0][db] ? 1.0 : lb.dmax[0][db];
        CompensatedSum& s = bs.dist_err_sum[db];
        if (!add_ones_exactly(s, len)) {
          for (int i = b; i < j; ++i)
            s.add(1.0);
        }
        b = j;
      }
      return;
    }
    for (int b = 0; b < n; ++b) {
      lb.d[b & 3][dbin[b]] += 1u;
      double& m = lb.dmax[b & 3][dbin[b]];
      m = err[b] > m ? err[b] : m;
    }
    for (int b = 0; b < n;) { // the error sums: in point order per bin
      const int db = dbin[b];
      CompensatedSum s = bs.dist_err_sum[db];
      do {
        s.add(err[b]);
        ++b;
      } while (b < n && dbin[b] == db);
      bs.dist_err_sum[db] = s;
    }
    return;
  }

  // Per-point terms, 4 lanes at a time; lanes past n are masked out of every count.
  double fraw[kStatBlock];
  for (int b = 0; b < kStatBlock; ++b)
    fraw[b] = b < n ? static_cast<double>(f[b0 + b]) : 0.0;
  for (int b = n; b < kStatBlock; ++b)
    truth[b] = 0.0;
  std::int64_t finm[kStatBlock]; // -1 where the point is finite (and b < n), else 0
  VL cfin = VL{}, cspike = VL{}, cund = VL{}, ccor = VL{};
  VD vemax, zero, vtau, vmtau;
  splat(vemax, sc.max_abs_err);
  splat(zero, 0.0);
  splat(vtau, tau);
  splat(vmtau, -tau);
  for (int c = 0; c < kStatBlock; c += 4) {
    VD fr, tr;
    load4(fr, fraw + c);
    load4(tr, truth + c);
    const VL lane = VL{c, c + 1, c + 2, c + 3} < static_cast<std::int64_t>(n);
    const VL fm = (fr - fr == zero) & lane; // x - x = 0 exactly when x is finite
    const VD fvv = fm != 0 ? fr : zero;
    VD e = fvv - tr;
    vabs(e);
    e = fm != 0 ? e : zero;
    VD af = fvv;
    vabs(af);
    cfin -= fm;
    cspike -= fm & (af > vtau);
    cund -= fm & (af <= vtau);
    ccor -= fm & (((fvv > vtau) & (tr > zero)) | ((fvv < vmtau) & (tr < zero)));
    vemax = e > vemax ? e : vemax; // values >= +0, no NaN: any order gives these bits
    __builtin_memcpy(fv + c, &fvv, sizeof fvv);
    __builtin_memcpy(err + c, &e, sizeof e);
    __builtin_memcpy(finm + c, &fm, sizeof fm);
  }
  scaled_bins(h.f, fv, fbin);
  for (int b = 0; b < n; ++b)
    fin[b] = finm[b] != 0;
  const auto lanes_sum = [](const VL& c) {
    return static_cast<std::uint64_t>(c[0] + c[1] + c[2] + c[3]);
  };
  const std::uint64_t finite = lanes_sum(cfin), spike = lanes_sum(cspike),
                      undecided = lanes_sum(cund), correct = lanes_sum(ccor);
  double emax = vemax[0];
  for (int k = 1; k < 4; ++k)
    emax = vemax[k] > emax ? vemax[k] : emax;
  sc.points += static_cast<std::uint64_t>(n);
  sc.nonfinite_count += static_cast<std::uint64_t>(n) - finite;
  sc.spike_count += spike;
  sc.undecided_count += undecided;
  sc.correct_count += correct;
  sc.max_abs_err = emax;
  // Sums in point order (RunSums::add), extrema in point order (first of equal values kept).
  double sf = 0.0, sf2 = 0.0, sae = 0.0, sse = 0.0, sst = 0.0;
  double fmin = sc.f_min, fmax = sc.f_max;
  for (int b = 0; b < n; ++b) {
    const double vb = fv[b], e = err[b], tr = fin[b] ? truth[b] : 0.0;
    sf += vb;
    sf2 += vb * vb;
    sae += e;
    sse += e * e;
    sst += tr * tr;
    const double lo = fin[b] ? vb : INFINITY, hi = fin[b] ? vb : -INFINITY;
    fmin = lo < fmin ? lo : fmin;
    fmax = hi > fmax ? hi : fmax;
  }
  sc.f_min = fmin;
  sc.f_max = fmax;
  if (finite > 0) {
    sc.sum_f.add(sf);
    sc.sum_f2.add(sf2);
    sc.sum_abs_err.add(sae);
    sc.sum_sq_err.add(sse);
    sc.sum_sq_truth.add(sst);
  }
  // Histograms (BinStats::add): counts and maxima in LocalBins; the error sums in point order
  // per bin, a run of points in one bin summed in registers.
  for (int b = 0; b < n; ++b) {
    const std::uint64_t one = fin[b] ? 1u : 0u;
    const int c = b & 3;
    lb.f[c][fbin[b]] += one;
    lb.d[c][dbin[b]] += one;
    double& m = lb.dmax[c][dbin[b]];
    m = err[b] > m ? err[b] : m; // err = 0 at non-finite points: no change (m >= +0)
  }
  for (int b = 0; b < n;) {
    const int db = dbin[b];
    CompensatedSum s = bs.dist_err_sum[db];
    do {
      if (fin[b]) s.add(err[b]);
      ++b;
    } while (b < n && dbin[b] == db);
    bs.dist_err_sum[db] = s;
  }
}

} // namespace spikemesh::cpu
