/// @file box_bounds.cpp
/// @brief BoxBounder: sound bounds of f over axis-aligned boxes: intervals, exact per-axis ranges
/// for networks whose first layer reads one coordinate per neuron (the paper's constructions),
/// the linear relaxation for piecewise-linear networks, and the split axis.
#include "spikemesh/certify.hpp"
#include "spikemesh/errors.hpp"

#include "linear_relaxation.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <map>
#include <string>

namespace spikemesh {
namespace {

using box_math::act_range;
using box_math::max_slope;
using box_math::widen;

/// One layer's pre-activation intervals from input intervals (sparse or dense rows). With
/// @p inputs (ascending; dense layers only), only those inputs are read: the others are silent
/// ([0, 0], which the sum skips anyway), so the result is the same to the bit.
void propagate(const Layer& L, const std::vector<Interval>& in, std::vector<Interval>& z,
               const std::vector<int>* inputs = nullptr) {
  z.assign(static_cast<std::size_t>(L.out), {});
  for (int r = 0; r < L.out; ++r) {
    double lo = L.bias[static_cast<std::size_t>(r)], hi = lo, mag = std::fabs(lo);
    std::size_t n = 0;
    auto add = [&](double w, const Interval& x) {
      if (x.lo == 0.0 && x.hi == 0.0) return; // a silent neuron (most spike rows in a box)
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
    } else if (inputs) {
      for (int j : *inputs) {
        const double w = L.weight[static_cast<std::size_t>(r) * L.in + j];
        if (w != 0.0) add(w, in[static_cast<std::size_t>(j)]);
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

/// out = the images of the pre-activation intervals @p z under L's activation.
void activate_all(const Layer& L, const std::vector<Interval>& z, std::vector<Interval>& out) {
  out.resize(z.size());
  for (std::size_t i = 0; i < z.size(); ++i)
    out[i] = act_range(L.act, L.alpha, z[i].lo, z[i].hi);
}

/// out[j] += sum_r |W[r][j]| in[r]: sensitivities one layer back.
void abs_transpose_times(const Layer& L, const std::vector<double>& in, std::vector<double>& out) {
  out.assign(static_cast<std::size_t>(L.in), 0.0);
  for (int r = 0; r < L.out; ++r) {
    const double s = in[static_cast<std::size_t>(r)];
    if (s == 0.0) continue;
    if (L.is_sparse()) {
      for (std::int32_t e = L.row_ptr[static_cast<std::size_t>(r)];
           e < L.row_ptr[static_cast<std::size_t>(r) + 1]; ++e) {
        out[static_cast<std::size_t>(L.cols[static_cast<std::size_t>(e)])] +=
            std::fabs(L.values[static_cast<std::size_t>(e)]) * s;
      }
    } else {
      for (int j = 0; j < L.in; ++j)
        out[static_cast<std::size_t>(j)] +=
            std::fabs(L.weight[static_cast<std::size_t>(r) * L.in + j]) * s;
    }
  }
}

/// Back-substitution cost per box above which Auto keeps to intervals (about 1 ms a box), and
/// above which even an explicit request does (about 1 s a box).
constexpr double kAutoLinearCost = 2e6;
constexpr double kMaxLinearCost = 2e9;

} // namespace

std::string bound_method_name(BoundMethod m) {
  switch (m) {
  case BoundMethod::Auto:
    return "auto";
  case BoundMethod::Interval:
    return "interval";
  case BoundMethod::Linear:
    return "linear";
  }
  return "auto";
}

BoundMethod parse_bound_method(const std::string& name) {
  for (BoundMethod m : {BoundMethod::Auto, BoundMethod::Interval, BoundMethod::Linear}) {
    if (bound_method_name(m) == name) return m;
  }
  throw InvalidParameter("bounds", "'" + name + "' is not one of auto, interval, linear");
}

BoundScratch::BoundScratch() : backsub(std::make_unique<detail::BackSubScratch>()) {}
BoundScratch::~BoundScratch() = default;
BoxBounder::~BoxBounder() = default;

std::string BoxBounder::description() const {
  return std::string(linear() ? "linear" : "interval") + (m_separable ? "+separable" : "");
}

BoxBounder::BoxBounder(const Network& net, BoundMethod method) : m_net(&net) {
  net.validate();
  init_separable();
  // Where the separable ranges already make the second layer exact and it feeds the output
  // directly, back-substitution rarely tightens anything: Auto keeps to intervals there.
  const bool wanted = method == BoundMethod::Linear ||
                      (method == BoundMethod::Auto && !(m_separable && net.layers.size() == 3));
  const double cost = detail::DenseNetwork::cost_per_box(net);
  const double limit = method == BoundMethod::Linear ? kMaxLinearCost : kAutoLinearCost;
  if (wanted && cost >= 0.0 && cost <= limit) m_dense = std::make_unique<detail::DenseNetwork>(net);
}

void BoxBounder::init_separable() {
  const Network& net = *m_net;
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
  m_row_ptr.assign(1, 0); // flattened for the hot loop of bound_layers()
  for (const std::vector<int>& terms : m_row_terms) {
    m_row_idx.insert(m_row_idx.end(), terms.begin(), terms.end());
    m_row_ptr.push_back(static_cast<int>(m_row_idx.size()));
  }
  m_row_terms.clear();
  m_axis = std::move(axis);
  // Silent second-layer rows matter only as zeros when their activation is ReLU: then a trie
  // walk skips them (most rows of a spike network are silent over a small box).
  if (L1.act == Activation::ReLU) build_trie();
  m_a0 = std::move(a0);
  m_separable = true;
}

Interval BoxBounder::axis_term_range(const AxisTerm& t, double lo, double hi) const {
  const Layer& L0 = m_net->layers[0];
  return box_math::axis_term_range(L0.act, L0.alpha, t.w.data(), t.a.data(), t.c.data(),
                                   static_cast<int>(t.w.size()), lo, hi);
}

template <class ExactRow>
void BoxBounder::prune_rows(BoundScratch& s, const ExactRow& exact_row) const {
  // Rows the trie walk does not reach are silent: [-inf, 0] (ReLU: contributes exactly 0).
  std::fill(s.z[1].begin(), s.z[1].end(), Interval{-INFINITY, 0.0});
  // rest[a]: the most the terms on axes after a can add; the rounding margin covers the widening
  // any row's exact sum receives, so a pruned row's exact upper bound is <= 0 as well.
  const std::size_t d = static_cast<std::size_t>(m_net->in_dim);
  s.rest.assign(d + 1, 0.0);
  double mag = m_max_abs_bias;
  for (std::size_t i = 0; i < m_terms.size(); ++i) {
    const std::size_t a = static_cast<std::size_t>(m_terms[i].axis);
    s.rest[a] = std::max(s.rest[a], s.term[i].hi);
    mag += s.term_mag[i];
  }
  for (std::size_t a = d; a-- > 0;)
    s.rest[a] = std::max(0.0, s.rest[a]) + s.rest[a + 1];
  const double margin = 4.0 * static_cast<double>(m_max_row_terms + 2) * DBL_EPSILON * mag;
  s.stack.clear();
  s.stack.push_back({0, 0.0});
  while (!s.stack.empty()) {
    const auto [node, sum] = s.stack.back();
    s.stack.pop_back();
    const TrieNode& n = m_trie[static_cast<std::size_t>(node)];
    for (int r = n.rows_begin; r < n.rows_end; ++r)
      exact_row(static_cast<std::size_t>(m_trie_rows[static_cast<std::size_t>(r)]));
    for (int c = n.first_child; c >= 0; c = m_trie[static_cast<std::size_t>(c)].next_sibling) {
      const TrieNode& child = m_trie[static_cast<std::size_t>(c)];
      const double next = sum + s.term[static_cast<std::size_t>(child.term)].hi;
      const double most =
          next +
          s.rest[static_cast<std::size_t>(m_terms[static_cast<std::size_t>(child.term)].axis) + 1] +
          child.max_bias;
      if (most > -margin) s.stack.push_back({c, next});
    }
  }
}

void BoxBounder::build_trie() {
  // Rows as paths of term ids (in axis order); children in insertion order.
  const Layer& L1 = m_net->layers[1];
  std::vector<std::vector<int>> rows_at(1);
  m_trie.assign(1, TrieNode{});
  m_max_abs_bias = 0.0;
  for (std::size_t r = 0; r < static_cast<std::size_t>(L1.out); ++r) {
    const double bias = L1.bias[r];
    m_max_abs_bias = std::max(m_max_abs_bias, std::fabs(bias));
    m_max_row_terms = std::max(m_max_row_terms, m_row_ptr[r + 1] - m_row_ptr[r]);
    int node = 0;
    m_trie[0].max_bias = std::max(m_trie[0].max_bias, bias);
    for (int e = m_row_ptr[r]; e < m_row_ptr[r + 1]; ++e) {
      const int t = m_row_idx[static_cast<std::size_t>(e)];
      int c = m_trie[static_cast<std::size_t>(node)].first_child, last = -1;
      while (c >= 0 && m_trie[static_cast<std::size_t>(c)].term != t) {
        last = c;
        c = m_trie[static_cast<std::size_t>(c)].next_sibling;
      }
      if (c < 0) {
        c = static_cast<int>(m_trie.size());
        TrieNode fresh;
        fresh.term = t;
        m_trie.push_back(fresh);
        rows_at.emplace_back();
        if (last < 0) {
          m_trie[static_cast<std::size_t>(node)].first_child = c;
        } else {
          m_trie[static_cast<std::size_t>(last)].next_sibling = c;
        }
      }
      node = c;
      m_trie[static_cast<std::size_t>(node)].max_bias =
          std::max(m_trie[static_cast<std::size_t>(node)].max_bias, bias);
    }
    rows_at[static_cast<std::size_t>(node)].push_back(static_cast<int>(r));
  }
  for (std::size_t i = 0; i < m_trie.size(); ++i) {
    m_trie[i].rows_begin = static_cast<int>(m_trie_rows.size());
    m_trie_rows.insert(m_trie_rows.end(), rows_at[i].begin(), rows_at[i].end());
    m_trie[i].rows_end = static_cast<int>(m_trie_rows.size());
  }
}

Interval BoxBounder::bound(const double* lo, const double* hi) const {
  BoundScratch s;
  return bound(lo, hi, s).f;
}

BoxBound BoxBounder::bound(const double* lo, const double* hi, BoundScratch& s) const {
  bound_layers(lo, hi, s);
  return {s.z.back()[0], split_axis(lo, hi, s)};
}

void BoxBounder::bound_layers(const double* lo, const double* hi, BoundScratch& s) const {
  const Network& net = *m_net;
  const std::size_t n_layers = net.layers.size();
  s.z.resize(n_layers);
  std::size_t first = 1;
  bool reached = false; // s.reached lists the second-layer rows that are not silent for sure
  const Layer& L0 = net.layers[0];
  if (m_separable) {
    s.z[0].resize(static_cast<std::size_t>(L0.out));
    for (std::size_t j = 0; j < m_axis.size(); ++j) {
      const int k = m_axis[j];
      const double u1 = m_a0[j] * lo[k] + L0.bias[j], u2 = m_a0[j] * hi[k] + L0.bias[j];
      s.z[0][j] = widen({std::min(u1, u2), std::max(u1, u2)},
                        std::fabs(m_a0[j]) * std::max(std::fabs(lo[k]), std::fabs(hi[k])) +
                            std::fabs(L0.bias[j]),
                        1);
    }
    s.term.resize(m_terms.size());
    for (std::size_t i = 0; i < m_terms.size(); ++i) {
      const int k = m_terms[i].axis;
      s.term[i] = axis_term_range(m_terms[i], lo[k], hi[k]);
    }
    s.term_mag.resize(m_terms.size());
    for (std::size_t i = 0; i < m_terms.size(); ++i)
      s.term_mag[i] = std::max(std::fabs(s.term[i].lo), std::fabs(s.term[i].hi));
    const Layer& L1 = net.layers[1];
    s.z[1].resize(static_cast<std::size_t>(L1.out));
    const Interval* term = s.term.data();
    const double* term_mag = s.term_mag.data();
    auto exact_row = [&](std::size_t r) {
      Interval v{L1.bias[r], L1.bias[r]};
      double mag = std::fabs(v.lo);
      for (int e = m_row_ptr[r]; e < m_row_ptr[r + 1]; ++e) {
        const std::size_t t = static_cast<std::size_t>(m_row_idx[static_cast<std::size_t>(e)]);
        v.lo += term[t].lo;
        v.hi += term[t].hi;
        mag += term_mag[t];
      }
      s.z[1][r] = widen(v, mag, static_cast<std::size_t>(m_row_ptr[r + 1] - m_row_ptr[r]));
    };
    if (m_trie.empty()) {
      for (std::size_t r = 0; r < static_cast<std::size_t>(L1.out); ++r)
        exact_row(r);
    } else {
      s.reached.clear();
      prune_rows(s, [&](std::size_t r) {
        exact_row(r);
        s.reached.push_back(static_cast<int>(r));
      });
      std::sort(s.reached.begin(), s.reached.end());
      reached = !net.layers[2].is_sparse();
    }
    first = 2;
  } else {
    s.act.resize(static_cast<std::size_t>(net.in_dim));
    for (int k = 0; k < net.in_dim; ++k)
      s.act[static_cast<std::size_t>(k)] = {lo[k], hi[k]};
    propagate(L0, s.act, s.z[0]);
  }
  for (std::size_t l = first; l < n_layers; ++l) {
    if (l == 2 && reached) { // the third layer reads only the rows the trie walk reached
      s.act.resize(s.z[1].size());
      for (int r : s.reached) {
        const Interval& z = s.z[1][static_cast<std::size_t>(r)];
        s.act[static_cast<std::size_t>(r)] =
            act_range(net.layers[1].act, net.layers[1].alpha, z.lo, z.hi);
      }
      propagate(net.layers[l], s.act, s.z[l], &s.reached);
    } else {
      activate_all(net.layers[l - 1], s.z[l - 1], s.act);
      propagate(net.layers[l], s.act, s.z[l]);
    }
    if (m_dense) {
      detail::back_substitute(*m_dense, l, s.z, lo, hi, s.crown, *s.backsub);
      for (std::size_t r = 0; r < s.z[l].size(); ++r) {
        Interval& v = s.z[l][r];
        v = {std::max(v.lo, s.crown[r].lo), std::min(v.hi, s.crown[r].hi)};
        if (v.lo > v.hi) v.lo = v.hi = 0.5 * (v.lo + v.hi); // touching bounds rounded apart
      }
    }
  }
}

int BoxBounder::split_axis(const double* lo, const double* hi, BoundScratch& s) const {
  const Network& net = *m_net;
  const std::size_t stop = m_separable ? 1 : 0; // the layer whose sensitivities reach the axes
  s.sens.assign(1, 1.0);                        // d f / d output pre-activation
  for (std::size_t l = net.layers.size() - 1; l > stop; --l) {
    abs_transpose_times(net.layers[l], s.sens, s.sens_next);
    const Layer& below = net.layers[l - 1];
    for (std::size_t n = 0; n < s.sens_next.size(); ++n)
      s.sens_next[n] *= max_slope(below.act, below.alpha, s.z[l - 1][n]);
    s.sens.swap(s.sens_next);
  }
  const int d = net.in_dim;
  s.score.assign(static_cast<std::size_t>(d), 0.0);
  if (m_separable) {
    for (std::size_t r = 0; r < s.sens.size(); ++r) {
      if (s.sens[r] == 0.0) continue;
      for (int e = m_row_ptr[r]; e < m_row_ptr[r + 1]; ++e) {
        const int t = m_row_idx[static_cast<std::size_t>(e)];
        const Interval& w = s.term[static_cast<std::size_t>(t)];
        s.score[static_cast<std::size_t>(m_terms[static_cast<std::size_t>(t)].axis)] +=
            s.sens[r] * (w.hi - w.lo);
      }
    }
  } else {
    abs_transpose_times(net.layers[0], s.sens, s.sens_next);
    for (int k = 0; k < d; ++k)
      s.score[static_cast<std::size_t>(k)] =
          s.sens_next[static_cast<std::size_t>(k)] * (hi[k] - lo[k]);
  }
  int best = 0;
  for (int k = 1; k < d; ++k) {
    const double a = s.score[static_cast<std::size_t>(k)],
                 b = s.score[static_cast<std::size_t>(best)];
    if (a > b || (a == b && hi[k] - lo[k] > hi[best] - lo[best])) best = k;
  }
  return best;
}

} // namespace spikemesh
