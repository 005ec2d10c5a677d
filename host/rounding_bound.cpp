/// @file rounding_bound.cpp
/// @brief rounding_bound(): the forward rounding-error bound of docs/math.md 7.6 (gamma_n times
/// the sum of |w| |a| per layer, with the layers' ranges over each cell of the box from the
/// certify interval bounds), and the precision rule it decides (choose_precision()).
#include "spikemesh/rounding_bound.hpp"

#include "spikemesh/certify.hpp"
#include "spikemesh/errors.hpp"
#include "spikemesh/math/box_math.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

namespace spikemesh {
namespace {

using box_math::act_range;
using box_math::widen;

constexpr double kInf = std::numeric_limits<double>::infinity();
/// Relative error of one evaluation of logistic, tanh or softplus at a given argument, in units
/// of u, assuming the math library's exp, tanh and log1p are within 4 ulp (glibc: < 1-2 ulp,
/// CUDA: <= 2 ulp): 20 u covers the library calls and the operations around them (7.6).
constexpr double kSmoothActU = 20.0;
/// Operations one bounded cell may cost before the cells get coarser.
constexpr double kCellBudget = 1e7;
constexpr int kMaxCellsPerAxis = 16;

std::string fmt(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.3g", v);
  return b;
}

double gamma(double n, double u) {
  const double nu = n * u;
  return nu < 0.5 ? nu / (1.0 - nu) : kInf;
}

double mag(const Interval& z) {
  return std::max(std::fabs(z.lo), std::fabs(z.hi));
}

/// Calls f(column, weight) for every stored nonzero weight of row @p r.
template <class F>
void for_row(const Layer& L, int r, const F& f) {
  if (L.is_sparse()) {
    for (std::int32_t e = L.row_ptr[static_cast<std::size_t>(r)];
         e < L.row_ptr[static_cast<std::size_t>(r) + 1]; ++e) {
      const double w = L.values[static_cast<std::size_t>(e)];
      if (w != 0.0) f(L.cols[static_cast<std::size_t>(e)], w);
    }
  } else {
    const double* w = L.weight.data() + static_cast<std::size_t>(r) * L.in;
    for (int j = 0; j < L.in; ++j)
      if (w[j] != 0.0) f(j, w[j]);
  }
}

/// The per-cell state: each layer's exact pre-activation ranges, and the bounds of the
/// activations' magnitudes (A) and computed-minus-exact errors (e) feeding the next layer.
struct CellScratch {
  std::vector<Interval> z, act;
  std::vector<double> A, e, A_next, e_next, E;
};

class Bounder {
public:
  Bounder(const Network& net, PrecisionLimits lim)
      : m_net(net), m_lim(lim), m_boxes(net, BoundMethod::Interval) {}

  /// The bound over the cell [lo, hi]; updates the band statistics of the last hidden layer.
  double cell(const double* lo, const double* hi, CellScratch& s) {
    const std::size_t d = static_cast<std::size_t>(m_net.in_dim);
    const bool exact_inputs = m_lim.u < 1e-10; // double: the mesh coordinates are the inputs
    s.A.resize(d);
    s.e.resize(d);
    for (std::size_t k = 0; k < d; ++k) {
      s.A[k] = std::max(std::fabs(lo[k]), std::fabs(hi[k]));
      s.e[k] = exact_inputs ? 0.0 : m_lim.u * s.A[k] + m_lim.tiny;
    }
    const std::size_t n_layers = m_net.layers.size();
    for (std::size_t l = 0; l < n_layers; ++l) {
      const Layer& L = m_net.layers[l];
      ranges(l, lo, hi, s);
      s.E.assign(static_cast<std::size_t>(L.out), 0.0);
      // Pre-activation errors: z = bias, then z += w a over the nonzero weights in order.
      for (int r = 0; r < L.out; ++r) {
        const double b = L.bias[static_cast<std::size_t>(r)];
        double M = std::fabs(b), carried = 0.0, inputs = 0.0, terms = 0.0;
        for_row(L, r, [&](int j, double w) {
          const double a = s.A[static_cast<std::size_t>(j)] + s.e[static_cast<std::size_t>(j)];
          if (!(a > 0.0)) return; // an exact zero: adding it rounds nothing
          M += std::fabs(w) * a;
          carried += std::fabs(w) * s.e[static_cast<std::size_t>(j)];
          inputs += a;
          terms += 1.0;
        });
        // Rounded weights and bias (u |w|), the sum's roundings (gamma_{k+1}), and subnormal
        // results (tiny per product and per rounded weight times its input).
        const double E =
            gamma(terms + 2.0, m_lim.u) * M + carried + m_lim.tiny * (terms + 1.0 + inputs);
        s.E[static_cast<std::size_t>(r)] = E;
        if (!(M + E < 0.5 * m_lim.max)) {
          if (m_may_overflow.empty())
            m_may_overflow = "layer " + std::to_string(l + 1) + ": pre-activations may reach " +
                             fmt(M + E) + ", beyond the precision's range";
          return kInf;
        }
      }
      if (l + 1 == n_layers) return s.E[0];
      // Activation errors and magnitudes.
      s.A_next.assign(static_cast<std::size_t>(L.out), 0.0);
      s.e_next.assign(static_cast<std::size_t>(L.out), 0.0);
      const bool last_hidden = l + 2 == n_layers;
      for (int r = 0; r < L.out; ++r) {
        const Interval z = s.z[static_cast<std::size_t>(r)];
        const double E = s.E[static_cast<std::size_t>(r)];
        double A = 0.0, e = 0.0;
        switch (L.act) {
        case Activation::ReLU:
          if (z.hi + E > 0.0) { // else the computed pre-activation is <= 0: an exact 0
            A = std::max(z.hi, 0.0);
            e = E;
            if (last_hidden) {
              m_band_error = std::max(m_band_error, E);
              m_band_peak = std::max(m_band_peak, z.hi);
            }
          }
          break;
        case Activation::Identity:
          A = mag(z);
          e = E;
          break;
        case Activation::PReLU: {
          const double alpha = std::fabs(L.alpha);
          A = mag(act_range(L.act, L.alpha, z.lo, z.hi));
          // 1-Lipschitz on t >= 0, |alpha| below; alpha and alpha * t each rounded once.
          e = std::max(1.0, alpha) * E +
              (2.0 * m_lim.u + m_lim.u * m_lim.u) * alpha * (std::max(0.0, -z.lo) + E) + m_lim.tiny;
          break;
        }
        case Activation::Sigmoid:
        case Activation::Tanh:
        case Activation::Softplus: {
          const Interval zw{z.lo - E, z.hi + E};
          A = mag(act_range(L.act, L.alpha, z.lo, z.hi));
          const double slope = box_math::max_slope(L.act, L.alpha, zw);
          e = slope * E + kSmoothActU * m_lim.u * mag(act_range(L.act, L.alpha, zw.lo, zw.hi)) +
              m_lim.tiny;
          break;
        }
        }
        s.A_next[static_cast<std::size_t>(r)] = A;
        s.e_next[static_cast<std::size_t>(r)] = e;
      }
      s.A.swap(s.A_next);
      s.e.swap(s.e_next);
    }
    return kInf; // unreachable: the output layer returns
  }

  const std::string& may_overflow() const { return m_may_overflow; }
  double relative_band() const { return m_band_peak > 0.0 ? m_band_error / m_band_peak : 0.0; }

private:
  /// s.z = the exact pre-activation ranges of layer @p l over the cell (s.A, s.e are this
  /// layer's inputs): the certify bounds' exact per-axis ranges of the first two layers when
  /// every first-layer neuron reads one coordinate, interval propagation otherwise.
  void ranges(std::size_t l, const double* lo, const double* hi, CellScratch& s) {
    const Layer& L = m_net.layers[l];
    s.z.assign(static_cast<std::size_t>(L.out), {});
    if (l == 0) {
      s.act.resize(static_cast<std::size_t>(m_net.in_dim));
      for (int k = 0; k < m_net.in_dim; ++k)
        s.act[static_cast<std::size_t>(k)] = {lo[k], hi[k]};
    }
    if (l == 1 && m_boxes.separable()) {
      const Layer& L0 = m_net.layers[0];
      const auto& terms = m_boxes.terms();
      std::vector<Interval> term(terms.size());
      std::vector<double> term_mag(terms.size());
      for (std::size_t i = 0; i < terms.size(); ++i) {
        const BoxBounder::AxisTerm& t = terms[i];
        term[i] = box_math::axis_term_range(L0.act, L0.alpha, t.w.data(), t.a.data(), t.c.data(),
                                            static_cast<int>(t.w.size()), lo[t.axis], hi[t.axis]);
        term_mag[i] = mag(term[i]);
      }
      const auto& ptr = m_boxes.row_term_ptr();
      const auto& idx = m_boxes.row_term_index();
      for (int r = 0; r < L.out; ++r) {
        const double b = L.bias[static_cast<std::size_t>(r)];
        Interval v{b, b};
        double m = std::fabs(b);
        for (int e = ptr[static_cast<std::size_t>(r)]; e < ptr[static_cast<std::size_t>(r) + 1];
             ++e) {
          const std::size_t t = static_cast<std::size_t>(idx[static_cast<std::size_t>(e)]);
          v.lo += term[t].lo;
          v.hi += term[t].hi;
          m += term_mag[t];
        }
        s.z[static_cast<std::size_t>(r)] =
            widen(v, m, ptr[static_cast<std::size_t>(r) + 1] - ptr[static_cast<std::size_t>(r)]);
      }
    } else {
      for (int r = 0; r < L.out; ++r) {
        const double b = L.bias[static_cast<std::size_t>(r)];
        double zl = b, zh = b, m = std::fabs(b);
        std::int64_t n = 0;
        for_row(L, r, [&](int j, double w) {
          const Interval& x = s.act[static_cast<std::size_t>(j)];
          const double p = w * x.lo, q = w * x.hi;
          zl += std::min(p, q);
          zh += std::max(p, q);
          m += std::max(std::fabs(p), std::fabs(q));
          ++n;
        });
        s.z[static_cast<std::size_t>(r)] = widen({zl, zh}, m, n);
      }
    }
    // The activations' ranges, the next layer's inputs.
    std::vector<Interval> next(static_cast<std::size_t>(L.out));
    for (std::size_t r = 0; r < next.size(); ++r)
      next[r] = act_range(L.act, L.alpha, s.z[r].lo, s.z[r].hi);
    s.act.swap(next);
  }

  const Network& m_net;
  PrecisionLimits m_lim;
  BoxBounder m_boxes;
  std::string m_may_overflow;
  double m_band_error = 0.0, m_band_peak = 0.0;
};

} // namespace

PrecisionLimits precision_limits(Precision p) {
  if (p == Precision::Float) return {0x1p-24, FLT_MAX, 0x1p-149};
  return {0x1p-53, DBL_MAX, 0x1p-1074};
}

RoundingBound rounding_bound(const Network& net, double lo, double hi, Precision p,
                             int cells_per_axis) {
  RoundingBound out;
  const PrecisionLimits lim = precision_limits(p);
  // A parameter beyond the precision's range rounds to infinity when packed.
  for (std::size_t l = 0; l < net.layers.size() && out.overflow.empty(); ++l) {
    const Layer& L = net.layers[l];
    const std::vector<double>& w = L.is_sparse() ? L.values : L.weight;
    for (const std::vector<double>* v : {&w, &L.bias}) {
      for (double x : *v) {
        if (std::fabs(x) > lim.max) {
          out.overflow = "layer " + std::to_string(l + 1) + (v == &w ? " weight " : " bias ") +
                         fmt(x) + " exceeds " + precision_name(p) + "'s largest value " +
                         fmt(lim.max);
          break;
        }
      }
      if (!out.overflow.empty()) break;
    }
  }
  if (!out.overflow.empty()) {
    out.bound = kInf;
    return out;
  }
  Bounder bounder(net, lim);
  const int d = net.in_dim;
  int G = cells_per_axis;
  if (G <= 0) {
    double cost = 1.0;
    for (const Layer& L : net.layers)
      cost += static_cast<double>(L.nnz()) + L.out;
    G = 1;
    while (G < kMaxCellsPerAxis && std::pow(G + 1.0, d) * cost <= kCellBudget)
      ++G;
  }
  std::vector<int> k(static_cast<std::size_t>(d), 0);
  std::vector<double> clo(k.size()), chi(k.size());
  CellScratch s;
  auto edge = [&](int i) { return i == G ? hi : lo + (hi - lo) * i / G; };
  while (true) {
    for (std::size_t a = 0; a < k.size(); ++a) {
      clo[a] = edge(k[a]);
      chi[a] = edge(k[a] + 1);
    }
    const double b = bounder.cell(clo.data(), chi.data(), s);
    out.bound = std::max(out.bound, b);
    if (!(b < kInf)) break;
    std::size_t a = 0;
    while (a < k.size() && ++k[a] == G)
      k[a++] = 0;
    if (a == k.size()) break;
  }
  out.may_overflow = bounder.may_overflow();
  if (!out.may_overflow.empty() || std::isnan(out.bound)) out.bound = kInf;
  out.relative_band = bounder.relative_band();
  return out;
}

namespace {

/// A ReLU last hidden layer and a zero output bias: where every last-layer neuron's computed
/// pre-activation is <= 0, the computed f is exactly 0 (7.6).
bool exact_zeros(const Network& net) {
  const std::size_t n = net.layers.size();
  return n >= 2 && net.layers[n - 2].act == Activation::ReLU && net.layers[n - 1].bias[0] == 0.0;
}

} // namespace

bool precision_is_safe(const Network& net, const RoundingBound& b, double tau, std::string* why) {
  std::string reason;
  bool ok = true;
  if (!b.overflow.empty() || !b.may_overflow.empty()) {
    ok = false;
    reason = !b.overflow.empty() ? b.overflow : b.may_overflow;
  } else if (tau > 0.0 || std::isnan(tau)) {
    ok = b.bound <= tau / kTauMargin;
    if (!ok)
      reason = "the rounding bound " + fmt(b.bound) + " exceeds tau/" + fmt(kTauMargin) + " = " +
               fmt(tau / kTauMargin);
  } else if (tau == 0.0) {
    if (!exact_zeros(net)) {
      ok = false;
      reason = "tau = 0 needs exact zeros (a ReLU last hidden layer and output bias 0), and "
               "rounding noise may reach " +
               fmt(b.bound);
    } else if (!(net.in_dim * b.relative_band <= kMaxBandShift)) {
      ok = false;
      reason = "rounding may move the spike boundaries by a relative " + fmt(b.relative_band) +
               " (dim * band > " + fmt(kMaxBandShift) + ")";
    }
  }
  if (why) *why = reason;
  return ok;
}

PrecisionChoice choose_precision(Precision requested, const Case& c, const MeshSpec& mesh,
                                 double tau) {
  PrecisionChoice ch;
  ch.float_bound = rounding_bound(c.network, mesh.lo, mesh.hi, Precision::Float);
  ch.double_bound = rounding_bound(c.network, mesh.lo, mesh.hi, Precision::Double);
  std::string why_float, why_double;
  const bool float_ok = precision_is_safe(c.network, ch.float_bound, tau, &why_float);
  const bool double_ok = precision_is_safe(c.network, ch.double_bound, tau, &why_double);
  if (requested == Precision::Float && !ch.float_bound.overflow.empty()) {
    throw InvalidParameter("precision", "float: " + ch.float_bound.overflow +
                                            "; use --precision double (or auto)");
  }
  if (!double_ok && !ch.double_bound.may_overflow.empty()) {
    // Not refused: the points where f overflows are counted (nonfinite_count), not summed.
    ch.precision = requested == Precision::Float ? Precision::Float : Precision::Double;
    ch.rule = requested == Precision::Auto
                  ? "auto: double, the wider range"
                  : "--precision " + precision_name(requested) + " (as requested)";
    ch.warning = "even in double " + ch.double_bound.may_overflow +
                 ": points where f overflows are counted in nonfinite_count";
    return ch;
  }
  if (!double_ok && tau == 0.0 && std::isnan(c.params.tau) &&
      c.params.construction == "from-file" && !exact_zeros(c.network)) {
    // The default tau = 0 of a network from a file without exact zeros: not refused (its f is
    // rarely zero on an open set), but the run says which points may be misjudged.
    ch.precision = requested == Precision::Float ? Precision::Float : Precision::Double;
    ch.rule = requested == Precision::Auto
                  ? "auto: double, the smaller noise"
                  : "--precision " + precision_name(requested) + " (as requested)";
    const double b = (ch.precision == Precision::Float ? ch.float_bound : ch.double_bound).bound;
    ch.warning =
        "the default tau = 0 and this network has no exact zeros: points where |f| <= " + fmt(b) +
        " may be misjudged; give --tau (at least " + fmt(kTauMargin * ch.double_bound.bound) + ")";
    return ch;
  }
  if (!double_ok) {
    throw InvalidParameter("tau", fmt(tau) +
                                      " is not separated from rounding noise even in "
                                      "double (" +
                                      why_double + "); the smallest safe value is " +
                                      fmt(kTauMargin * ch.double_bound.bound) +
                                      " (docs/math.md 7.6)");
  }
  if (requested == Precision::Float) {
    ch.precision = Precision::Float;
    ch.rule = "--precision float (as requested)";
    if (!float_ok)
      ch.warning = "--precision float is unsafe for tau = " + fmt(tau) + ": " + why_float +
                   "; the counts may be wrong (auto would use double)";
    return ch;
  }
  if (requested == Precision::Double) {
    ch.precision = Precision::Double;
    ch.rule = "--precision double (as requested)";
    return ch;
  }
  if (float_ok) {
    ch.precision = Precision::Float;
    ch.rule = "auto: float, whose rounding bound " + fmt(ch.float_bound.bound) +
              (tau > 0.0 ? " is at most tau/" + fmt(kTauMargin)
                         : std::string(" keeps the exact zeros (tau = 0)"));
  } else {
    ch.precision = Precision::Double;
    ch.rule = "auto: double, because in float " + why_float;
  }
  return ch;
}

} // namespace spikemesh
