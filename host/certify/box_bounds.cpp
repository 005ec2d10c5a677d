/// @file box_bounds.cpp
/// @brief BoxBounder: sound interval bounds of f over axis-aligned boxes, exact per-axis ranges
/// for networks whose first layer reads one coordinate per neuron (the paper's constructions).
#include "spikemesh/certify.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <map>
#include <string>

namespace spikemesh {
namespace {

/// Image of [l, h] under activation @p act (monotone except PReLU with a negative slope).
Interval act_range(Activation act, double alpha, double l, double h) {
  const double al = activate(act, l, alpha), ah = activate(act, h, alpha);
  Interval r{std::min(al, ah), std::max(al, ah)};
  if (act == Activation::PReLU && alpha < 0.0 && l < 0.0 && h > 0.0) r.lo = std::min(r.lo, 0.0);
  return r;
}

bool piecewise_linear(Activation a) {
  return a == Activation::ReLU || a == Activation::PReLU || a == Activation::Identity;
}

/// Widens [lo, hi] by the rounding error of a sum whose terms have total magnitude @p mag.
Interval widen(Interval z, double mag, std::size_t terms) {
  const double e = static_cast<double>(terms + 2) * DBL_EPSILON * mag;
  return {z.lo - e, z.hi + e};
}

/// One layer's pre-activation intervals from input intervals (sparse or dense rows).
void propagate(const Layer& L, const std::vector<Interval>& in, std::vector<Interval>& z) {
  z.assign(static_cast<std::size_t>(L.out), {});
  for (int r = 0; r < L.out; ++r) {
    double lo = L.bias[static_cast<std::size_t>(r)], hi = lo, mag = std::fabs(lo);
    std::size_t n = 0;
    auto add = [&](double w, const Interval& x) {
      const double a = w * x.lo, b = w * x.hi;
      lo += std::min(a, b);
      hi += std::max(a, b);
      mag += std::max(std::fabs(a), std::fabs(b));
      ++n;
    };
    if (L.is_sparse()) {
      for (std::int32_t e = L.row_ptr[static_cast<std::size_t>(r)];
           e < L.row_ptr[static_cast<std::size_t>(r) + 1]; ++e) {
        add(L.values[static_cast<std::size_t>(e)],
            in[static_cast<std::size_t>(L.cols[static_cast<std::size_t>(e)])]);
      }
    } else {
      for (int j = 0; j < L.in; ++j) {
        const double w = L.weight[static_cast<std::size_t>(r) * L.in + j];
        if (w != 0.0) add(w, in[static_cast<std::size_t>(j)]);
      }
    }
    z[static_cast<std::size_t>(r)] = widen({lo, hi}, mag, n);
  }
}

void activate_all(const Layer& L, std::vector<Interval>& z) {
  for (Interval& v : z)
    v = act_range(L.act, L.alpha, v.lo, v.hi);
}

} // namespace

BoxBounder::BoxBounder(const Network& net) : m_net(&net) {
  net.validate();
  if (net.layers.size() < 3) return; // needs a first layer, a second layer and the output
  const Layer& L0 = net.layers[0];
  const std::vector<double> w0 = L0.dense_weight();
  std::vector<int> axis(static_cast<std::size_t>(L0.out));
  std::vector<double> a0(axis.size());
  for (int j = 0; j < L0.out; ++j) {
    int nz = 0;
    for (int k = 0; k < L0.in; ++k) {
      const double w = w0[static_cast<std::size_t>(j) * L0.in + k];
      if (w != 0.0) {
        ++nz;
        axis[static_cast<std::size_t>(j)] = k;
        a0[static_cast<std::size_t>(j)] = w;
      }
    }
    if (nz != 1) return; // a neuron reading several (or no) inputs: plain interval bounds
  }
  const Layer& L1 = net.layers[1];
  const std::vector<double> w1 = L1.is_sparse() ? std::vector<double>{} : L1.weight;
  std::map<std::string, int> unique;
  m_row_terms.resize(static_cast<std::size_t>(L1.out));
  for (int r = 0; r < L1.out; ++r) {
    std::map<int, AxisTerm> by_axis;
    auto add = [&](int j, double w) {
      AxisTerm& t = by_axis[axis[static_cast<std::size_t>(j)]];
      t.axis = axis[static_cast<std::size_t>(j)];
      t.w.push_back(w);
      t.a.push_back(a0[static_cast<std::size_t>(j)]);
      t.c.push_back(L0.bias[static_cast<std::size_t>(j)]);
    };
    if (L1.is_sparse()) {
      for (std::int32_t e = L1.row_ptr[static_cast<std::size_t>(r)];
           e < L1.row_ptr[static_cast<std::size_t>(r) + 1]; ++e) {
        add(L1.cols[static_cast<std::size_t>(e)], L1.values[static_cast<std::size_t>(e)]);
      }
    } else {
      for (int j = 0; j < L1.in; ++j) {
        const double w = w1[static_cast<std::size_t>(r) * L1.in + j];
        if (w != 0.0) add(j, w);
      }
    }
    for (auto& [k, t] : by_axis) {
      std::string key(reinterpret_cast<const char*>(&k), sizeof k);
      for (std::size_t e = 0; e < t.w.size(); ++e) {
        const double v[3] = {t.w[e], t.a[e], t.c[e]};
        key.append(reinterpret_cast<const char*>(v), sizeof v);
      }
      const auto it = unique.find(key);
      if (it != unique.end()) {
        m_row_terms[static_cast<std::size_t>(r)].push_back(it->second);
      } else {
        unique.emplace(key, static_cast<int>(m_terms.size()));
        m_row_terms[static_cast<std::size_t>(r)].push_back(static_cast<int>(m_terms.size()));
        m_terms.push_back(std::move(t));
      }
    }
  }
  m_separable = true;
}

Interval BoxBounder::axis_term_range(const AxisTerm& t, double lo, double hi) const {
  const Layer& L0 = m_net->layers[0];
  auto g = [&](double x) {
    double s = 0.0;
    for (std::size_t e = 0; e < t.w.size(); ++e)
      s += t.w[e] * activate(L0.act, t.a[e] * x + t.c[e], L0.alpha);
    return s;
  };
  double mag = 0.0;
  for (std::size_t e = 0; e < t.w.size(); ++e) {
    mag += std::fabs(t.w[e]) *
           (std::fabs(t.a[e]) * std::max(std::fabs(lo), std::fabs(hi)) + std::fabs(t.c[e]));
  }
  Interval r{INFINITY, -INFINITY};
  if (piecewise_linear(L0.act)) {
    // Piecewise linear in x: the extremes sit at the ends or at a kink inside.
    auto visit = [&](double x) {
      const double v = g(x);
      r.lo = std::min(r.lo, v);
      r.hi = std::max(r.hi, v);
    };
    visit(lo);
    visit(hi);
    for (std::size_t e = 0; e < t.w.size(); ++e) {
      if (t.a[e] == 0.0) continue;
      const double kink = -t.c[e] / t.a[e];
      if (kink > lo && kink < hi) visit(kink);
    }
  } else {
    // Smooth activations: interval images on sub-edges (sound, tighter than one interval).
    constexpr int kPieces = 16;
    for (int p = 0; p < kPieces; ++p) {
      const double l = lo + (hi - lo) * p / kPieces,
                   h = p + 1 == kPieces ? hi : lo + (hi - lo) * (p + 1) / kPieces;
      Interval s{0.0, 0.0};
      for (std::size_t e = 0; e < t.w.size(); ++e) {
        const double u1 = t.a[e] * l + t.c[e], u2 = t.a[e] * h + t.c[e];
        const Interval a = act_range(L0.act, L0.alpha, std::min(u1, u2), std::max(u1, u2));
        s.lo += std::min(t.w[e] * a.lo, t.w[e] * a.hi);
        s.hi += std::max(t.w[e] * a.lo, t.w[e] * a.hi);
      }
      r.lo = std::min(r.lo, s.lo);
      r.hi = std::max(r.hi, s.hi);
    }
  }
  return widen(r, mag, 4 * t.w.size());
}

Interval BoxBounder::bound(const double* lo, const double* hi) const {
  const Network& net = *m_net;
  std::vector<Interval> cur, z;
  std::size_t first = 0;
  if (m_separable) {
    std::vector<Interval> term(m_terms.size());
    for (std::size_t i = 0; i < m_terms.size(); ++i) {
      const int k = m_terms[i].axis;
      term[i] = axis_term_range(m_terms[i], lo[k], hi[k]);
    }
    const Layer& L1 = net.layers[1];
    cur.resize(static_cast<std::size_t>(L1.out));
    for (int r = 0; r < L1.out; ++r) {
      Interval s{L1.bias[static_cast<std::size_t>(r)], L1.bias[static_cast<std::size_t>(r)]};
      double mag = std::fabs(s.lo);
      for (int t : m_row_terms[static_cast<std::size_t>(r)]) {
        s.lo += term[static_cast<std::size_t>(t)].lo;
        s.hi += term[static_cast<std::size_t>(t)].hi;
        mag += std::max(std::fabs(term[static_cast<std::size_t>(t)].lo),
                        std::fabs(term[static_cast<std::size_t>(t)].hi));
      }
      cur[static_cast<std::size_t>(r)] = act_range(
          L1.act, L1.alpha, widen(s, mag, m_row_terms[static_cast<std::size_t>(r)].size()).lo,
          widen(s, mag, m_row_terms[static_cast<std::size_t>(r)].size()).hi);
    }
    first = 2;
  } else {
    cur.resize(static_cast<std::size_t>(net.in_dim));
    for (int k = 0; k < net.in_dim; ++k)
      cur[static_cast<std::size_t>(k)] = {lo[k], hi[k]};
  }
  for (std::size_t l = first; l < net.layers.size(); ++l) {
    propagate(net.layers[l], cur, z);
    activate_all(net.layers[l], z);
    cur.swap(z);
  }
  return cur[0];
}

} // namespace spikemesh
