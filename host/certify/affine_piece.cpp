/// @file affine_piece.cpp
/// @brief AffinePieces::decide(): affine forms of every neuron over a box, layer by layer in
/// double with a rigorous error bound, the stability of each neuron from its form's range, and
/// the box's volume of {|f| > tau} from the half-space closed form.
///
/// Error model: a form's coefficients are sums of m products (each of at most two roundings) of
/// the weights and the previous forms' coefficients; recursive summation of such a sum errs by
/// at most gamma_{m+2} = (m+2)u/(1-(m+2)u) times the sum of the products' magnitudes. Over the box
/// the coefficient errors add up to at most gamma_{m+2} (|c| + sum_i |g_i| X_i) per product, with
/// X_i = max(|lo_i|, |hi_i|); we charge twice that (covering the rounding of the bound itself)
/// plus the previous forms' errors times |w|. A neuron is stable when its form's range over the
/// box, widened by the range's own rounding and the form's error, does not straddle 0; the signs
/// of first-layer neurons that read one coordinate come from fma (one rounding, sign exact).
#include "affine_piece.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>

namespace spikemesh {
namespace {

constexpr double kU = DBL_EPSILON / 2.0; ///< unit roundoff
constexpr std::size_t kMaxUnion = 6;     ///< unstable neurons resolved as a union at most
/// Unstable last-layer neurons resolved at most when their active sets are pairwise disjoint in
/// the box (C1/C2: the spikes a box holds); more and the box is split.
constexpr std::size_t kMaxDisjoint = 32;
constexpr double kUnionGap = 1e-10; ///< a union's bracket counts as exact within this (relative)

/// |c| + sum |g_i| X_i: a bound of |form| over the box (without err).
double magnitude(const AffineForm& f, const double* lo, const double* hi) {
  double m = std::fabs(f.c);
  for (std::size_t i = 0; i < f.g.size(); ++i)
    m += std::fabs(f.g[i]) * std::max(std::fabs(lo[i]), std::fabs(hi[i]));
  return m;
}

/// Conservative range of the true function over the box.
Interval range(const AffineForm& f, const double* lo, const double* hi) {
  double a = f.c, b = f.c;
  for (std::size_t i = 0; i < f.g.size(); ++i) {
    const double u = f.g[i] * lo[i], v = f.g[i] * hi[i];
    a += std::min(u, v);
    b += std::max(u, v);
  }
  const double e = 2.0 * static_cast<double>(f.g.size() + 2) * kU * magnitude(f, lo, hi) + f.err;
  return {a - e * (1.0 + 4.0 * kU), b + e * (1.0 + 4.0 * kU)};
}

void zero_form(AffineForm& f, std::size_t d) {
  f.g.assign(d, 0.0);
  f.c = 0.0;
  f.err = 0.0;
}

/// out = s * f (s a double): one rounding per coefficient.
void scale_form(AffineForm& out, const AffineForm& f, double s, const double* lo,
                const double* hi) {
  out.g.resize(f.g.size());
  for (std::size_t i = 0; i < f.g.size(); ++i)
    out.g[i] = s * f.g[i];
  out.c = s * f.c;
  out.err = std::fabs(s) * f.err * (1.0 + 2.0 * kU) +
            2.0 * kU * std::fabs(s) * magnitude(f, lo, hi) * (1.0 + 4.0 * kU);
}

/// acc += w * f, counting the products into the error bookkeeping (see the file comment).
struct FormSum {
  AffineForm* acc;
  double mag = 0.0, prop = 0.0;
  std::size_t terms = 0;
  void add(double w, const AffineForm& f, double fmag) {
    for (std::size_t i = 0; i < f.g.size(); ++i)
      acc->g[i] += w * f.g[i];
    acc->c += w * f.c;
    mag += std::fabs(w) * fmag;
    prop += std::fabs(w) * f.err;
    ++terms;
  }
  void finish(double bias_mag) {
    const double gamma = 2.0 * static_cast<double>(terms + 3) * kU;
    acc->err = (prop + gamma * (mag + bias_mag)) * (1.0 + 8.0 * kU);
  }
};

enum class Side { Empty, Full, Half, Undecided };

/// {f > tau} for f = L + kappa ReLU(g) (kappa = 0: f = L), L's true range [Llo, Lhi].
Side decide_side(const Interval& Lr, double kappa, bool unstable, double tau) {
  if (!unstable || kappa == 0.0) {
    if (Lr.lo > tau) return Side::Full;
    if (Lr.hi <= tau) return Side::Empty;
    return Side::Half; // A = L
  }
  if (kappa > 0.0) { // f >= L
    if (Lr.lo > tau) return Side::Full;
    if (Lr.hi <= tau) return Side::Half; // f > tau only where g > 0: A = L + kappa g
    return Side::Undecided;
  }
  if (Lr.hi <= tau) return Side::Empty; // f <= L
  if (Lr.lo > tau) return Side::Half;   // where g <= 0 f = L > tau, and L + kappa g >= L there
  return Side::Undecided;
}

double down(double x) {
  return std::nextafter(x, -INFINITY);
}

/// A short sum of doubles with its rounding bounded: a running value and error.
struct DirectedSumD {
  double v = 0.0, e = 0.0;
  void add(double x) {
    v += x;
    e += std::fabs(v) * kU;
  }
  void sub(double x) { add(-x); }
  double down() const { return std::nextafter(v - 2.0 * e, -INFINITY); }
  double up() const { return std::nextafter(v + 2.0 * e, INFINITY); }
};
double up(double x) {
  return std::nextafter(x, INFINITY);
}

/// Upper end of max over the box of lam * (a + ea) + mu * (b + eb) (the true functions lie
/// within their forms' err): lam a + mu b in double, its rounding charged like union_of's sums.
double combined_max(const AffineForm& a, const AffineForm& b, double lam, double mu,
                    const double* lo, const double* hi, AffineForm& A) {
  const std::size_t d = a.g.size();
  A.g.resize(d);
  for (std::size_t i = 0; i < d; ++i)
    A.g[i] = lam * a.g[i] + mu * b.g[i];
  A.c = lam * a.c + mu * b.c;
  const double mag = lam * (magnitude(a, lo, hi) + a.err) + mu * (magnitude(b, lo, hi) + b.err);
  A.err = (lam * a.err + mu * b.err + 4.0 * 6.0 * kU * mag) * (1.0 + 8.0 * kU);
  return range(A, lo, hi).hi;
}

/// Whether {a > 0} and {b > 0} (true functions) provably do not meet in the box: some
/// lam, mu >= 0 (not both 0) with lam a + mu b < 0 on the whole box (by minimax the least such
/// maximum over lam + mu = 1 is max_x min(a, b), so a convex search over lam finds one wherever
/// the sets are apart by more than the rounding). Tries lam = mu first (C1/C2's spikes), then a
/// golden-section search.
bool provably_disjoint(const AffineForm& a, const AffineForm& b, const double* lo, const double* hi,
                       AffineForm& A) {
  if (combined_max(a, b, 0.5, 0.5, lo, hi, A) < 0.0) return true;
  double l = 0.0, r = 1.0;
  const double phi = 0.6180339887498949;
  double x1 = r - phi * (r - l), x2 = l + phi * (r - l);
  double f1 = combined_max(a, b, x1, 1.0 - x1, lo, hi, A);
  double f2 = combined_max(a, b, x2, 1.0 - x2, lo, hi, A);
  for (int it = 0; it < 40; ++it) {
    if (f1 < 0.0 || f2 < 0.0) return true;
    if (f1 < f2) {
      r = x2;
      x2 = x1;
      f2 = f1;
      x1 = r - phi * (r - l);
      f1 = combined_max(a, b, x1, 1.0 - x1, lo, hi, A);
    } else {
      l = x1;
      x1 = x2;
      f1 = f2;
      x2 = l + phi * (r - l);
      f2 = combined_max(a, b, x2, 1.0 - x2, lo, hi, A);
    }
  }
  return f1 < 0.0 || f2 < 0.0;
}

} // namespace

AffinePieces::AffinePieces(const Network& net, const BoxBounder& bounder)
    : m_net(&net), m_bounder(&bounder) {
  for (std::size_t l = 0; l + 1 < net.layers.size(); ++l) {
    const Activation a = net.layers[l].act;
    if (!(a == Activation::ReLU || a == Activation::PReLU || a == Activation::Identity))
      m_applicable = false;
  }
  m_trie = bounder.separable() && net.layers[1].act == Activation::ReLU;
  // Dense copies made once (decide() runs per box): the output row, the first layer.
  if (net.layers.back().is_sparse()) m_vout = net.layers.back().dense_weight();
  if (!bounder.separable()) m_w0 = net.layers[0].dense_weight();
}

bool AffinePieces::separable_second_layer(const double* lo, const double* hi, const BoundScratch& s,
                                          PieceScratch& ps, PieceOutcome& out) const {
  const Network& net = *m_net;
  const std::size_t d = static_cast<std::size_t>(net.in_dim);
  const Layer& L0 = net.layers[0];
  const Layer& L1 = net.layers[1];
  const auto& terms = m_bounder->terms();
  const auto& ptr = m_bounder->row_term_ptr();
  const auto& idx = m_bounder->row_term_index();
  const double alpha = L0.alpha;
  ps.next.clear();
  ps.prev_index.clear();
  auto row = [&](int r) -> bool {
    AffineForm& f = ps.row;
    zero_form(f, d);
    f.c = L1.bias[static_cast<std::size_t>(r)];
    double mag = std::fabs(f.c);
    std::size_t count = 0;
    for (int e = ptr[static_cast<std::size_t>(r)]; e < ptr[static_cast<std::size_t>(r) + 1]; ++e) {
      const BoxBounder::AxisTerm& t =
          terms[static_cast<std::size_t>(idx[static_cast<std::size_t>(e)])];
      const std::size_t k = static_cast<std::size_t>(t.axis);
      const double X = std::max(std::fabs(lo[k]), std::fabs(hi[k]));
      for (std::size_t q = 0; q < t.w.size(); ++q) {
        const double a = t.a[q], c = t.c[q], w = t.w[q];
        double slope = 1.0;
        if (L0.act != Activation::Identity) {
          const double v1 = std::fma(a, lo[k], c), v2 = std::fma(a, hi[k], c); // exact signs
          if ((v1 < 0.0 && v2 > 0.0) || (v1 > 0.0 && v2 < 0.0)) {
            out.split_axis = static_cast<int>(k);
            out.split_at = -c / a;
            return false;
          }
          if (!(v1 >= 0.0 && v2 >= 0.0)) slope = L0.act == Activation::ReLU ? 0.0 : alpha;
        }
        if (slope == 0.0) continue;
        const double sa = slope * a, sc = slope * c; // exact when slope = 1
        f.g[k] += w * sa;
        f.c += w * sc;
        mag += std::fabs(w) * (std::fabs(sa) * X + std::fabs(sc)) * (1.0 + 2.0 * kU);
        ++count;
      }
    }
    // Each product has at most two roundings (slope * a, then w *): gamma_{m+3}, doubled.
    f.err = 2.0 * static_cast<double>(count + 4) * kU * mag * (1.0 + 8.0 * kU);
    ps.next.push_back(f);
    ps.prev_index.push_back(r);
    return true;
  };
  if (m_trie) {
    for (int r : s.reached)
      if (!row(r)) return false;
  } else {
    for (int r = 0; r < L1.out; ++r)
      if (!row(r)) return false;
  }
  return true;
}

PieceOutcome AffinePieces::disjoint_pieces(const double* lo, const double* hi, double tau_in,
                                           double tau_out, PieceScratch& ps) const {
  // f = L + sum_j k_j ReLU(g_j) with the sets {g_j > 0} pairwise disjoint in the box (proved by
  // provably_disjoint()). Where |L| <= tau_out on the box, {|f| > t} for t >= tau_out is the
  // disjoint union over j of {sign(k_j) (L + k_j g_j) > t}: off every {g_j > 0}, f = L; on
  // {g_j > 0}, f = L + k_j g_j, and sign(k_j) (L + k_j g_j) > t >= |L| forces g_j > 0, while the
  // other side would need |L| > t. So the volume is the sum of one half-space volume per neuron.
  PieceOutcome out;
  const int d = m_net->in_dim;
  const std::size_t n = static_cast<std::size_t>(d);
  const AffineForm& Lf = ps.L;
  const Interval Lr = range(Lf, lo, hi);
  if (!(Lr.hi <= tau_out && -Lr.lo <= tau_out)) return out;
  const double lmag = magnitude(Lf, lo, hi);
  DirectedSumD lower, upper;
  for (std::size_t j = 0; j < ps.gs.size(); ++j) {
    const double k = ps.ks[j];
    if (k == 0.0) continue;
    const AffineForm& g = ps.gs[j];
    const double sign = k > 0.0 ? 1.0 : -1.0;
    // sign (L + k g): coefficients and error as decide() forms A.
    AffineForm& A = ps.A;
    A.g.resize(n);
    for (std::size_t i = 0; i < n; ++i)
      A.g[i] = sign * (Lf.g[i] + k * g.g[i]);
    const double gmag = magnitude(g, lo, hi);
    A.err = (Lf.err + std::fabs(k) * g.err + 6.0 * kU * (lmag + std::fabs(k) * gmag)) *
            (1.0 + 8.0 * kU);
    const double c = sign * (Lf.c + k * g.c);
    const double c_lo = down(down(c - tau_in) - A.err), c_hi = up(up(c - tau_out) + A.err);
    const VolumeEnclosure e = halfspace_volume(d, A.g.data(), c_lo, c_hi, lo, hi, ps.ws);
    if (!e.ok) return PieceOutcome{};
    lower.add(e.lo);
    upper.add(e.hi);
    out.terms += e.terms;
  }
  const VolumeEnclosure box = box_volume(d, lo, hi, ps.ws);
  out.lo = std::max(0.0, lower.down());
  out.hi = std::min(box.hi, upper.up());
  out.exact = true;
  out.two_halfspaces = false;
  return out;
}

PieceOutcome AffinePieces::union_of(const double* lo, const double* hi, double tau_in,
                                    double tau_out, PieceScratch& ps) const {
  // f = L + sum_j k_j ReLU(g_j), m >= 2 unstable neurons. With L = 0 exactly (no other neuron
  // contributes, no bias) and tau = 0, {|f| > 0} is the union of {g_j > 0} up to null sets: f
  // vanishes also where the active k_j g_j cancel, a hyperplane unless that sum is identically
  // zero (checked for every mixed-sign subset: nonzero at a corner). Bonferroni gives
  // vol(union) >= sum V_j - sum_{i<j} V_ij, Hunter's bound vol(union) <= sum V_j - sum over a
  // spanning tree of V_ij (the heaviest tree); they meet where the nonzero pairwise intersections
  // form a forest and no three sets meet (C1's lenses).
  PieceOutcome out;
  const AffineForm& Lf = ps.L;
  bool zero = Lf.c == 0.0 && Lf.err == 0.0;
  for (double v : Lf.g)
    zero = zero && v == 0.0;
  const std::size_t m = ps.gs.size();
  if (!zero || tau_in != 0.0 || tau_out != 0.0 || m < 2) return out;
  const int d = m_net->in_dim;
  for (double k : ps.ks)
    if (k == 0.0) return out;
  for (unsigned mask = 1; mask < (1u << m); ++mask) {
    if (__builtin_popcount(mask) < 2) continue;
    bool pos = false, neg = false;
    for (std::size_t j = 0; j < m; ++j)
      if (mask >> j & 1u) (ps.ks[j] > 0.0 ? pos : neg) = true;
    if (!(pos && neg)) continue;
    // Neurons whose active sets do not meet are never active together: no cancellation.
    bool meet = true;
    for (std::size_t i = 0; i < m && meet; ++i)
      for (std::size_t j = i + 1; j < m && meet; ++j)
        if ((mask >> i & 1u) && (mask >> j & 1u) && ps.apart[i * m + j]) meet = false;
    if (!meet) continue;
    // The subset's sum as one form; nonzero somewhere in the box where its range (widened by
    // the rounding of the combination and the forms' errors) leaves 0.
    AffineForm& A = ps.A;
    A.g.assign(static_cast<std::size_t>(d), 0.0);
    A.c = 0.0;
    double err = 0.0, mag = 0.0;
    for (std::size_t j = 0; j < m; ++j) {
      if (!(mask >> j & 1u)) continue;
      const AffineForm& g = ps.gs[j];
      for (int i = 0; i < d; ++i)
        A.g[static_cast<std::size_t>(i)] += ps.ks[j] * g.g[static_cast<std::size_t>(i)];
      A.c += ps.ks[j] * g.c;
      err += std::fabs(ps.ks[j]) * g.err;
      mag += std::fabs(ps.ks[j]) * (magnitude(g, lo, hi) + g.err);
    }
    A.err = (err + 4.0 * static_cast<double>(m + 4) * kU * mag) * (1.0 + 8.0 * kU);
    const Interval r = range(A, lo, hi); // contains the true range, widened by 2 A.err + rounding
    const double slack = 2.0 * A.err + 4.0 * static_cast<double>(d + 4) * kU * magnitude(A, lo, hi);
    if (!(r.hi - slack > 0.0 || r.lo + slack < 0.0)) return out;
  }
  std::vector<double> l(m), u(m), Vlo(m), Vhi(m);
  for (std::size_t j = 0; j < m; ++j) {
    const AffineForm& g = ps.gs[j];
    l[j] = down(g.c - g.err);
    u[j] = up(g.c + g.err);
    const VolumeEnclosure v = halfspace_volume(d, g.g.data(), l[j], u[j], lo, hi, ps.ws);
    if (!v.ok) return out;
    Vlo[j] = v.lo;
    Vhi[j] = v.hi;
    out.terms += v.terms;
  }
  // Pairwise intersections: at the shrunk thresholds (upper ends, for the lower bound) and the
  // widened ones (lower ends, for the upper bound).
  std::vector<double> Plo(m * m, 0.0), Phi(m * m, 0.0);
  for (std::size_t i = 0; i < m; ++i) {
    for (std::size_t j = i + 1; j < m; ++j) {
      if (ps.apart[i * m + j]) continue; // disjoint: both ends 0
      const AffineForm& a = ps.gs[i];
      const AffineForm& b = ps.gs[j];
      const VolumeEnclosure in =
          two_halfspace_volume(d, a.g.data(), l[i], b.g.data(), l[j], lo, hi, ps.ws2);
      const VolumeEnclosure outer =
          two_halfspace_volume(d, a.g.data(), u[i], b.g.data(), u[j], lo, hi, ps.ws2);
      if (!in.ok || !outer.ok) return out;
      Phi[i * m + j] = in.hi;
      Plo[i * m + j] = outer.lo;
      out.terms += in.terms + outer.terms;
    }
  }
  // The heaviest spanning tree of the widened intersections' lower ends (Prim, m <= 6).
  std::vector<bool> in_tree(m, false);
  std::vector<double> best(m, -1.0);
  in_tree[0] = true;
  for (std::size_t j = 1; j < m; ++j)
    best[j] = Plo[j];
  DirectedSumD lower, upper;
  for (std::size_t step = 1; step < m; ++step) {
    std::size_t pick = 0;
    double w = -1.0;
    for (std::size_t j = 0; j < m; ++j)
      if (!in_tree[j] && best[j] > w) {
        w = best[j];
        pick = j;
      }
    in_tree[pick] = true;
    upper.sub(w);
    for (std::size_t j = 0; j < m; ++j)
      if (!in_tree[j]) best[j] = std::max(best[j], Plo[std::min(j, pick) * m + std::max(j, pick)]);
  }
  double most = 0.0;
  for (std::size_t j = 0; j < m; ++j) {
    lower.add(Vlo[j]);
    upper.add(Vhi[j]);
    most = std::max(most, Vlo[j]);
  }
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t j = i + 1; j < m; ++j)
      lower.sub(Phi[i * m + j]);
  const VolumeEnclosure box = box_volume(d, lo, hi, ps.ws);
  out.lo = std::max({0.0, lower.down(), most});
  out.hi = std::min(box.hi, upper.up());
  // Decided only where the bounds meet (a cycle of lenses or a triple meeting leaves a gap:
  // then the box is split further).
  out.exact = out.hi - out.lo <= kUnionGap * out.hi;
  out.two_halfspaces = true;
  return out;
}

PieceOutcome AffinePieces::decide(const double* lo, const double* hi, const BoundScratch& s,
                                  double tau_in, double tau_out, PieceScratch& ps) const {
  PieceOutcome out;
  if (!m_applicable) return out;
  const Network& net = *m_net;
  const std::size_t d = static_cast<std::size_t>(net.in_dim);
  const std::size_t last = net.layers.size() - 2; // the last hidden layer
  std::size_t layer;                              // ps.next: pre-activations of this layer
  if (m_trie && last == 1) {
    // Wide spike layers: more unstable rows by the bounds than a box resolves, before any form
    // is built (the bounds' rows hold the forms' ranges, up to rounding).
    std::size_t unstable = 0;
    for (int r : s.reached) {
      const Interval& z = s.z[1][static_cast<std::size_t>(r)];
      if (z.lo < 0.0 && z.hi > 0.0 && ++unstable > 4 * kMaxDisjoint) return out;
    }
  }
  if (m_bounder->separable()) {
    if (!separable_second_layer(lo, hi, s, ps, out)) return out;
    layer = 1;
  } else {
    const Layer& L0 = net.layers[0];
    const std::vector<double>& w0 = m_w0;
    ps.next.clear();
    ps.prev_index.clear();
    for (int r = 0; r < L0.out; ++r) {
      AffineForm f;
      f.g.assign(w0.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(r) * d),
                 w0.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(r + 1) * d));
      f.c = L0.bias[static_cast<std::size_t>(r)];
      f.err = 0.0; // the first layer's pre-activation is exactly this affine function
      ps.next.push_back(std::move(f));
      ps.prev_index.push_back(r);
    }
    layer = 0;
  }
  std::vector<int> pos;
  for (;; ++layer) {
    const Layer& L = net.layers[layer];
    if (layer == last) break;
    // Activation of a layer before the last hidden one: every neuron must be stable.
    ps.prev.clear();
    std::vector<int> kept;
    for (std::size_t q = 0; q < ps.next.size(); ++q) {
      const AffineForm& z = ps.next[q];
      const Interval r = range(z, lo, hi);
      if (L.act == Activation::Identity || r.lo >= 0.0) {
        ps.prev.push_back(z);
      } else if (r.hi <= 0.0) {
        if (L.act == Activation::ReLU) continue;
        AffineForm p;
        scale_form(p, z, L.alpha, lo, hi);
        ps.prev.push_back(std::move(p));
      } else {
        return out; // an unstable neuron before the last hidden layer
      }
      kept.push_back(ps.prev_index[q]);
    }
    // Pre-activations of the next layer.
    const Layer& N = net.layers[layer + 1];
    pos.assign(static_cast<std::size_t>(N.in), -1);
    for (std::size_t q = 0; q < kept.size(); ++q)
      pos[static_cast<std::size_t>(kept[q])] = static_cast<int>(q);
    std::vector<double> pmag(ps.prev.size());
    for (std::size_t q = 0; q < ps.prev.size(); ++q)
      pmag[q] = magnitude(ps.prev[q], lo, hi);
    ps.next.clear();
    ps.prev_index.clear();
    for (int r = 0; r < N.out; ++r) {
      AffineForm f;
      zero_form(f, d);
      f.c = N.bias[static_cast<std::size_t>(r)];
      FormSum acc{&f};
      if (N.is_sparse()) {
        for (std::int32_t e = N.row_ptr[static_cast<std::size_t>(r)];
             e < N.row_ptr[static_cast<std::size_t>(r) + 1]; ++e) {
          const int q = pos[static_cast<std::size_t>(N.cols[static_cast<std::size_t>(e)])];
          if (q >= 0)
            acc.add(N.values[static_cast<std::size_t>(e)], ps.prev[static_cast<std::size_t>(q)],
                    pmag[static_cast<std::size_t>(q)]);
        }
      } else {
        for (std::size_t q = 0; q < kept.size(); ++q) {
          const double w = N.weight[static_cast<std::size_t>(r) * static_cast<std::size_t>(N.in) +
                                    static_cast<std::size_t>(kept[q])];
          if (w != 0.0) acc.add(w, ps.prev[q], pmag[q]);
        }
      }
      acc.finish(std::fabs(N.bias[static_cast<std::size_t>(r)]));
      ps.next.push_back(std::move(f));
      ps.prev_index.push_back(r);
    }
  }

  // The last hidden layer: f = b + sum v_j act(z_j) = L + kappa ReLU(g) with at most one unstable
  // neuron g (PReLU: act(z) = alpha z + (1 - alpha) ReLU(z)).
  const Layer& H = net.layers[last];
  const Layer& O = net.layers.back();
  const std::vector<double>& vout = O.is_sparse() ? m_vout : O.weight;
  AffineForm& Lf = ps.L;
  zero_form(Lf, d);
  Lf.c = O.bias[0];
  FormSum acc{&Lf};
  bool unstable = false;
  double kappa = 0.0, kappa_err = 0.0, extra_err = 0.0;
  ps.gs.clear();
  ps.ks.clear();
  for (std::size_t q = 0; q < ps.next.size(); ++q) {
    const double w = vout[static_cast<std::size_t>(ps.prev_index[q])];
    if (w == 0.0) continue;
    const AffineForm& z = ps.next[q];
    const Interval r = range(z, lo, hi);
    if (m_kerr && r.hi > 0.0)
      extra_err += (*m_kerr)[static_cast<std::size_t>(ps.prev_index[q])] * r.hi;
    if (H.act == Activation::Identity || r.lo >= 0.0) {
      acc.add(w, z, magnitude(z, lo, hi));
    } else if (r.hi <= 0.0) {
      if (H.act == Activation::PReLU)
        acc.add(w * H.alpha, z, magnitude(z, lo, hi) * (1.0 + 2.0 * kU));
    } else {
      if (unstable) { // more unstable neurons: only the union case (ReLU, L = 0, tau = 0)
        if (H.act != Activation::ReLU || ps.gs.size() >= kMaxDisjoint) return out;
        ps.gs.push_back(z);
        ps.ks.push_back(w);
        continue;
      }
      unstable = true;
      ps.g = z;
      ps.gs.assign(1, z);
      ps.ks.assign(1, w);
      if (H.act == Activation::PReLU) {
        acc.add(w * H.alpha, z, magnitude(z, lo, hi) * (1.0 + 2.0 * kU));
        kappa = w * (1.0 - H.alpha);
        kappa_err = 3.0 * kU * std::fabs(kappa);
      } else {
        kappa = w;
      }
    }
  }
  acc.finish(std::fabs(O.bias[0]));
  Lf.err += extra_err * (1.0 + 8.0 * kU);
  if (ps.gs.size() >= 2) {
    const std::size_t m = ps.gs.size();
    ps.apart.assign(m * m, 0);
    bool all_apart = true;
    for (std::size_t i = 0; i < m; ++i)
      for (std::size_t j = i + 1; j < m; ++j) {
        const bool a = provably_disjoint(ps.gs[i], ps.gs[j], lo, hi, ps.A);
        ps.apart[i * m + j] = ps.apart[j * m + i] = a ? 1 : 0;
        all_apart = all_apart && a;
      }
    if (all_apart) {
      const PieceOutcome p = disjoint_pieces(lo, hi, tau_in, tau_out, ps);
      if (p.exact) return p;
    }
    if (m > kMaxUnion) return out;
    return union_of(lo, hi, tau_in, tau_out, ps);
  }
  const Interval Lr = range(Lf, lo, hi);
  // A = L + kappa g, for the half-space where the unstable neuron is active.
  AffineForm& A = ps.A;
  A = Lf;
  if (unstable && kappa != 0.0) {
    const double gmag = magnitude(ps.g, lo, hi);
    for (std::size_t i = 0; i < d; ++i)
      A.g[i] += kappa * ps.g.g[i];
    A.c += kappa * ps.g.c;
    const double amag = magnitude(Lf, lo, hi) + std::fabs(kappa) * gmag;
    A.err =
        (Lf.err + std::fabs(kappa) * ps.g.err + kappa_err * (gmag + ps.g.err) + 6.0 * kU * amag) *
        (1.0 + 8.0 * kU);
  }

  VolumeEnclosure box{};
  bool have_box = false;
  auto box_volume_end = [&](bool upper) {
    if (!have_box) {
      box = box_volume(static_cast<int>(d), lo, hi, ps.ws);
      have_box = true;
    }
    return upper ? box.hi : box.lo;
  };
  double total_lo = 0.0, total_hi = 0.0;
  for (int sign = 1; sign >= -1; sign -= 2) { // {f > tau}, then {-f > tau}
    const Interval Ls = sign > 0 ? Lr : Interval{-Lr.hi, -Lr.lo};
    const double ks = sign * kappa;
    const Side in = decide_side(Ls, ks, unstable, tau_in);
    const Side outer = decide_side(Ls, ks, unstable, tau_out);
    if (in == Side::Undecided || outer == Side::Undecided) {
      // L straddles tau on the box: two affine pieces split by the kink, each the box cut by
      // two half-spaces. {sign f > t} = {g > 0, sign A > t} u {g <= 0, sign L > t}; with the
      // forms' errors in the constants, the lower end counts the inner sets (g > err_g,
      // g < -err_g: disjoint), the upper end the outer ones (their sum bounds the union).
      double part[2] = {0.0, 0.0};
      const AffineForm& g = ps.g;
      std::vector<double>& ga = ps.A2.g; // +-g
      std::vector<double>& fa = ps.row.g;
      for (int end = 0; end < 2; ++end) { // 0: lower (tau_in, inner sets), 1: upper
        const double t = end == 0 ? tau_in : tau_out;
        DirectedSumD acc2;
        for (int piece = 0; piece < 2; ++piece) { // 0: g > 0 with A, 1: g <= 0 with L
          const AffineForm& F = piece == 0 ? A : Lf;
          const double gs = piece == 0 ? 1.0 : -1.0;
          ga.resize(d);
          fa.resize(d);
          for (std::size_t i = 0; i < d; ++i) {
            ga[i] = gs * g.g[i];
            fa[i] = sign * F.g[i];
          }
          const double gc = gs * g.c, fc = sign * F.c;
          const double cg = end == 0 ? down(gc - g.err) : up(gc + g.err);
          const double cf = end == 0 ? down(down(fc - t) - F.err) : up(up(fc - t) + F.err);
          const VolumeEnclosure e = two_halfspace_volume(static_cast<int>(d), ga.data(), cg,
                                                         fa.data(), cf, lo, hi, ps.ws2);
          if (!e.ok) return PieceOutcome{};
          acc2.add(end == 0 ? e.lo : e.hi);
          out.terms += e.terms;
        }
        part[end] =
            end == 0 ? std::max(0.0, acc2.down()) : std::min(box_volume_end(true), acc2.up());
      }
      total_lo += part[0];
      total_hi += part[1];
      out.two_halfspaces = true;
      continue;
    }
    const AffineForm& F = (unstable && kappa != 0.0) ? A : Lf;
    // {sign F - tau > 0}: a = sign g, c = sign c - tau -+ err, rounded outwards.
    std::vector<double>& a = ps.row.g;
    a.resize(d);
    for (std::size_t i = 0; i < d; ++i)
      a[i] = sign * F.g[i];
    const double c = sign * F.c;
    const double c_lo = down(down(c - tau_in) - F.err), c_hi = up(up(c - tau_out) + F.err);
    double lo_part = 0.0, hi_part = 0.0;
    if (in == Side::Full) lo_part = box_volume_end(false);
    if (outer == Side::Full) hi_part = box_volume_end(true);
    if (in == Side::Half && outer == Side::Half) {
      const VolumeEnclosure e =
          halfspace_volume(static_cast<int>(d), a.data(), c_lo, c_hi, lo, hi, ps.ws);
      if (!e.ok) return PieceOutcome{};
      lo_part = e.lo;
      hi_part = e.hi;
      out.terms += e.terms;
    } else {
      if (in == Side::Half) {
        const VolumeEnclosure e =
            halfspace_volume(static_cast<int>(d), a.data(), c_lo, c_lo, lo, hi, ps.ws);
        if (!e.ok) return PieceOutcome{};
        lo_part = e.lo;
        out.terms += e.terms;
      }
      if (outer == Side::Half) {
        const VolumeEnclosure e =
            halfspace_volume(static_cast<int>(d), a.data(), c_hi, c_hi, lo, hi, ps.ws);
        if (!e.ok) return PieceOutcome{};
        hi_part = e.hi;
        out.terms += e.terms;
      }
    }
    total_lo += lo_part; // two nonnegative doubles: rounded down / up below
    total_hi += hi_part;
  }
  out.exact = true;
  out.lo = down(total_lo);
  out.hi = up(total_hi);
  out.lo = std::max(0.0, out.lo);
  return out;
}

} // namespace spikemesh
