/// @file forward_batch.hpp
/// @brief The CPU form of forward(): the same per-point arithmetic in the same order, applied to
/// a tile of B points at once so that every inner loop runs across points and vectorises.
/// Results equal forward() bit for bit (up to the sign of an exact zero).
#pragma once

#include "spikemesh/math/activation.hpp"
#include "spikemesh/math/fma.hpp"
#include "spikemesh/math/network_view.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <utility>
#include <vector>

/// The inner loops' "no aliasing across iterations" hint, in the compiler's own spelling.
#if defined(__clang__)
#define SM_IVDEP // clang: no equivalent that does not warn when it cannot vectorise
#else
#define SM_IVDEP _Pragma("GCC ivdep")
#endif

namespace spikemesh::cpu {

/// a[b] = act(z[b]) for a tile; the switch sits outside the loop so each case vectorises.
template <class T, int B>
__attribute__((always_inline)) inline void activate_tile(Activation act, const T* z, T* a,
                                                         T alpha) {
  switch (act) {
  case Activation::Identity:
    for (int b = 0; b < B; ++b)
      a[b] = z[b];
    return;
  case Activation::ReLU:
    for (int b = 0; b < B; ++b)
      a[b] = z[b] > T(0) ? z[b] : T(0);
    return;
  case Activation::PReLU:
    for (int b = 0; b < B; ++b)
      a[b] = z[b] >= T(0) ? z[b] : alpha * z[b];
    return;
  default:
    for (int b = 0; b < B; ++b)
      a[b] = activate(act, z[b], alpha);
  }
}

template <class T, int B>
__attribute__((always_inline)) inline bool any_nonzero(const T* a) {
  int n = 0; // a count, not a bool: the reduction vectorises
  for (int b = 0; b < B; ++b)
    n += a[b] != T(0) ? 1 : 0;
  return n != 0;
}

/// A 32-byte vector of T (GCC vector extension): element-wise IEEE operations, so a vector
/// loop gives the scalar loop's bits; its fixed shape keeps the compiler from interchanging
/// the point loop with the entry loop (which it did, leaving the sums scalar).
template <class T>
struct Vec {
  typedef T type __attribute__((vector_size(32)));
  static constexpr int lanes = 32 / static_cast<int>(sizeof(T));
};

/// Loads and stores through references (a vector by value would change the ABI without AVX).
template <class T>
__attribute__((always_inline)) inline void vload(typename Vec<T>::type& v, const T* p) {
  __builtin_memcpy(&v, p, sizeof v);
}

template <class T>
__attribute__((always_inline)) inline void vstore(T* p, const typename Vec<T>::type& v) {
  __builtin_memcpy(p, &v, sizeof v);
}

/// A vector with every lane = @p s, bit for bit (a -0 stays -0, unlike V{} + s); lane by
/// lane, which GCC and clang both compile to a broadcast (__builtin_shuffle is GCC's only).
template <class T>
__attribute__((always_inline)) inline void vsplat(typename Vec<T>::type& v, T s) {
  v = typename Vec<T>::type{};
  for (int k = 0; k < Vec<T>::lanes; ++k)
    v[k] = s;
}

/// z[b] = bias[r] + sum_e value_e * in[col_e][b] for sparse row @p r (same order as sparse_row).
template <class T, int B>
__attribute__((always_inline)) inline void
sparse_row_tile(const NetworkView<T>& net, const LayerDesc& L, const T* in, int r, T* z) {
  const std::int32_t* row_ptr = net.indices + L.row_off;
  const std::int32_t* cols = net.indices + L.col_off;
  const T* values = net.params + L.w_off;
  const T bias = net.params[L.b_off + r];
  for (int b = 0; b < B; ++b)
    z[b] = bias;
  for (std::int32_t e = row_ptr[r]; e < row_ptr[r + 1]; ++e) {
    const T v = values[e];
    const T* src = in + static_cast<std::int64_t>(cols[e]) * B;
    for (int b = 0; b < B; ++b)
      z[b] += v * src[b];
  }
}

/// Whether sparse_row_act() has a vector form for @p act at tile width B.
template <class T, int B>
constexpr bool vector_row_tile(Activation act) {
  return B % (4 * Vec<T>::lanes) == 0 &&
         (act == Activation::ReLU || act == Activation::PReLU || act == Activation::Identity);
}

/// dst[b] = act(z[b]) for sparse row @p r, z as in sparse_row_tile() (same operations in the same
/// order per point), computed in registers 4 vectors at a time; returns whether any dst[b] != 0.
template <class T, int B>
__attribute__((always_inline)) inline bool
sparse_row_act(const NetworkView<T>& net, const LayerDesc& L, const T* in, int r, T alpha, T* dst) {
  if constexpr (B % (4 * Vec<T>::lanes) == 0) {
    using V = typename Vec<T>::type;
    using M = decltype(V{} != V{});
    constexpr int K = Vec<T>::lanes, N = 4;
    const std::int32_t* cols = net.indices + L.col_off;
    const T* values = net.params + L.w_off;
    const std::int32_t e0 = net.indices[L.row_off + r], e1 = net.indices[L.row_off + r + 1];
    V bias, zero, va;
    vsplat<T>(bias, net.params[L.b_off + r]);
    vsplat<T>(zero, T(0));
    vsplat<T>(va, alpha);
    M any = M{};
    for (int c = 0; c < B; c += N * K) {
      V acc[N];
      for (int i = 0; i < N; ++i)
        acc[i] = bias;
      for (std::int32_t e = e0; e < e1; ++e) {
        V v;
        vsplat<T>(v, values[e]);
        const T* src = in + static_cast<std::int64_t>(cols[e]) * B + c;
        for (int i = 0; i < N; ++i) {
          V x;
          vload<T>(x, src + i * K);
          acc[i] += v * x;
        }
      }
      for (int i = 0; i < N; ++i) {
        V y = acc[i];
        if (L.act == Activation::ReLU) {
          y = acc[i] > zero ? acc[i] : zero;
        } else if (L.act == Activation::PReLU) {
          y = acc[i] >= zero ? acc[i] : va * acc[i];
        }
        any |= y != zero;
        vstore<T>(dst + c + i * K, y);
      }
    }
    bool nz = false;
    for (int k = 0; k < K; ++k)
      nz |= any[k] != 0;
    return nz;
  } else {
    T z[B];
    sparse_row_tile<T, B>(net, L, in, r, z);
    activate_tile<T, B>(L.act, z, dst, alpha);
    return any_nonzero<T, B>(dst);
  }
}

/// dst[b] = 0 for a tile.
template <class T, int B>
__attribute__((always_inline)) inline void zero_tile(T* dst) {
  if constexpr (B % Vec<T>::lanes == 0) {
    typename Vec<T>::type zero;
    vsplat<T>(zero, T(0));
    for (int b = 0; b < B; b += Vec<T>::lanes)
      vstore<T>(dst + b, zero);
  } else {
    for (int b = 0; b < B; ++b)
      dst[b] = T(0);
  }
}

/// z[b] = bias[r] + sum_j W[j][r] in[j][b] for dense row @p r (transposed storage), one fused
/// multiply-add per term as dense_row.
template <class T, int B>
__attribute__((always_inline)) inline void
dense_row_tile(const NetworkView<T>& net, const LayerDesc& L, const T* in, int r, T* z) {
  const T bias = net.params[L.b_off + r];
  for (int b = 0; b < B; ++b)
    z[b] = bias;
  for (int j = 0; j < L.in; ++j) {
    const T w = net.params[L.w_off + static_cast<std::int64_t>(j) * L.out + r];
    const T* src = in + static_cast<std::int64_t>(j) * B;
    SM_IVDEP
    for (int b = 0; b < B; ++b)
      z[b] = fma_rn(w, src[b], z[b]);
  }
}

/// out[k][b] = fma(W^T[j][k], a[b], out[k][b]) for k < L.out: one input's contribution to a
/// dense layer (fused, as dense_layer).
template <class T, int B>
__attribute__((always_inline)) inline void axpy_tile(const T* w, int outs, const T* a, T* out) {
  for (int k = 0; k < outs; ++k) {
    const T wk = w[k];
    T* o = out + static_cast<std::int64_t>(k) * B;
    SM_IVDEP
    for (int b = 0; b < B; ++b)
      o[b] = fma_rn(wk, a[b], o[b]);
  }
}

/// Per-input range over the tile: lo[j] = min_b in[j][b], hi[j] = max_b in[j][b], and the
/// magnitude mg[j] = max(|lo[j]|, |hi[j]|). Reduced in vector lanes. A NaN input may be
/// dropped (a ReLU row whose sum is NaN is 0 anyway) or poison the bound (the row is then
/// evaluated): either way the silence test stays conservative.
template <class T, int B>
__attribute__((always_inline)) inline void tile_ranges(const T* in, int width, T* lo, T* hi,
                                                       T* mg) {
  for (int j = 0; j < width; ++j) {
    const T* p = in + j * B;
    T lj, hj;
    if constexpr (B % Vec<T>::lanes == 0) {
      using V = typename Vec<T>::type;
      constexpr int K = Vec<T>::lanes;
      V l, h;
      vload<T>(l, p);
      h = l;
      for (int b = K; b < B; b += K) {
        V x;
        vload<T>(x, p + b);
        l = x < l ? x : l;
        h = x > h ? x : h;
      }
      lj = l[0];
      hj = h[0];
      for (int k = 1; k < K; ++k) {
        lj = l[k] < lj ? l[k] : lj;
        hj = h[k] > hj ? h[k] : hj;
      }
    } else {
      lj = hj = p[0];
      for (int b = 1; b < B; ++b) {
        lj = p[b] < lj ? p[b] : lj;
        hj = p[b] > hj ? p[b] : hj;
      }
    }
    lo[j] = lj;
    hi[j] = hj;
    const T al = lj < T(0) ? -lj : lj, ah = hj < T(0) ? -hj : hj;
    mg[j] = al > ah ? al : ah;
  }
}

/// True when ReLU row @p r is provably <= 0 at every point of the tile, from the inputs' tile
/// ranges: the row then contributes exact zeros, and skipping it changes no bit. The margin
/// covers the rounding of both the bound and the row's own sum (n terms: (n + 1) u |.| each).
template <class T>
__attribute__((always_inline)) inline bool relu_row_silent(const NetworkView<T>& net,
                                                           const LayerDesc& L, const T* lo,
                                                           const T* hi, const T* mg, int r) {
  const T bias = net.params[L.b_off + r];
  T ub = bias, mag = bias < T(0) ? -bias : bias;
  int n = 0;
  auto add = [&](T w, int j) {
    ub += w > T(0) ? w * hi[j] : w * lo[j];
    mag += (w < T(0) ? -w : w) * mg[j];
    ++n;
  };
  if (L.sparse) {
    const std::int32_t* row_ptr = net.indices + L.row_off;
    const std::int32_t* cols = net.indices + L.col_off;
    for (std::int32_t e = row_ptr[r]; e < row_ptr[r + 1]; ++e)
      add(net.params[L.w_off + e], cols[e]);
  } else {
    for (int j = 0; j < L.in; ++j)
      add(net.params[L.w_off + static_cast<std::int64_t>(j) * L.out + r], j);
  }
  const T eps = std::numeric_limits<T>::epsilon();
  return ub < -T(4) * static_cast<T>(n + 2) * eps * mag;
}

/// The silence test of one sparse ReLU layer by column groups. The test's bound
/// ub = bias + sum_e (w_e > 0 ? w_e hi_e : w_e lo_e) (and its magnitude) is a plain sum, so its
/// terms may be grouped in any order: each row's entries are split by the input of the layer
/// before that their column depends on (for an axis-separable first layer: by mesh axis), and
/// equal groups (same columns and weights) are shared between rows. Per tile the bound of each
/// distinct group is computed once; a row's bound is then its bias plus a few group bounds, and
/// its margin is relu_row_silent()'s (the rounding of any summation order of its n + 1 terms
/// is within it). For C1 at d = 6, n = 3: 18 groups of 3 entries, 729 rows of 6 groups, instead
/// of 729 x 18 entries. Rows of equal results: the plan only decides which rows are skipped,
/// and a skipped row is one whose exact evaluation gives zeros.
template <class T>
struct SilencePlan {
  int rows = 0;                    ///< rows of the layer (0: no plan, use relu_row_silent)
  int groups = 0;                  ///< distinct groups; group `groups` is the empty group
  int slots = 0;                   ///< groups per row (padded with the empty group)
  std::vector<std::int32_t> g_ptr; ///< [groups + 1] offsets into g_col / g_w
  std::vector<std::int32_t> g_col;
  std::vector<T> g_w;
  std::vector<std::int32_t> row_group; ///< [slots][rows], slot-major
  std::vector<T> bias, abs_bias;       ///< [rows]
  std::vector<T> margin;               ///< [rows]: -4 (n + 2) eps, n the row's entries
};

/// Which input of layer @p l - 1 column @p j of layer @p l depends on, or -1 (several, or none
/// known): the classes that split a row's entries into groups.
template <class T>
inline std::vector<int> column_classes(const NetworkView<T>& net, int l) {
  const LayerDesc& L = net.layers[l];
  std::vector<int> cls(static_cast<std::size_t>(L.in), -1);
  if (l == 0) return cls;
  const LayerDesc& P = net.layers[l - 1];
  if (P.stream || P.out != L.in) return cls;
  for (int j = 0; j < P.out; ++j) {
    int only = -1, count = 0;
    if (P.sparse) {
      const std::int32_t* row_ptr = net.indices + P.row_off;
      const std::int32_t* cols = net.indices + P.col_off;
      for (std::int32_t e = row_ptr[j]; e < row_ptr[j + 1]; ++e) {
        if (net.params[P.w_off + e] == T(0)) continue;
        if (count == 0 || cols[e] != only) ++count;
        only = cols[e];
      }
    } else {
      for (int k = 0; k < P.in; ++k) {
        if (net.params[P.w_off + static_cast<std::int64_t>(k) * P.out + j] == T(0)) continue;
        ++count;
        only = k;
      }
    }
    cls[static_cast<std::size_t>(j)] = count == 1 ? only : -1;
  }
  return cls;
}

/// The plan of layer @p l, or an empty one (rows = 0) when grouping saves no work.
template <class T>
inline SilencePlan<T> make_silence_plan(const NetworkView<T>& net, int l) {
  SilencePlan<T> plan;
  const LayerDesc& L = net.layers[l];
  if (!(L.act == Activation::ReLU && L.sparse && L.out >= 8)) return plan;
  const std::vector<int> cls = column_classes(net, l);
  const std::int32_t* row_ptr = net.indices + L.row_off;
  const std::int32_t* cols = net.indices + L.col_off;
  using Entry = std::pair<std::int32_t, T>;
  std::map<std::vector<Entry>, int> index;
  std::vector<std::vector<Entry>> groups;
  std::vector<std::vector<int>> row_groups(static_cast<std::size_t>(L.out));
  std::int64_t nnz = 0;
  for (int r = 0; r < L.out; ++r) {
    std::vector<std::pair<int, Entry>> es; // (class, entry), sorted by class then column
    for (std::int32_t e = row_ptr[r]; e < row_ptr[r + 1]; ++e)
      es.push_back({cls[static_cast<std::size_t>(cols[e])], {cols[e], net.params[L.w_off + e]}});
    nnz += static_cast<std::int64_t>(es.size());
    std::stable_sort(es.begin(), es.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first < b.first : a.second.first < b.second.first;
    });
    for (std::size_t i = 0; i < es.size();) {
      std::size_t j = i;
      std::vector<Entry> g;
      while (j < es.size() && es[j].first == es[i].first && (es[i].first >= 0 || j == i))
        g.push_back(es[j++].second);
      const auto it = index.emplace(g, static_cast<int>(groups.size())).first;
      if (it->second == static_cast<int>(groups.size())) groups.push_back(g);
      row_groups[static_cast<std::size_t>(r)].push_back(it->second);
      i = j;
    }
  }
  std::size_t slots = 0, group_entries = 0;
  for (const auto& g : row_groups)
    slots = std::max(slots, g.size());
  for (const auto& g : groups)
    group_entries += g.size();
  // Worth it only when the group bounds plus the per-row sums are well below the entries.
  if (2 * (group_entries + slots * static_cast<std::size_t>(L.out)) > static_cast<std::size_t>(nnz))
    return plan;
  plan.rows = L.out;
  plan.groups = static_cast<int>(groups.size());
  plan.slots = static_cast<int>(slots);
  plan.g_ptr.push_back(0);
  for (const auto& g : groups) {
    for (const Entry& e : g) {
      plan.g_col.push_back(e.first);
      plan.g_w.push_back(e.second);
    }
    plan.g_ptr.push_back(static_cast<std::int32_t>(plan.g_col.size()));
  }
  plan.row_group.assign(slots * static_cast<std::size_t>(L.out), plan.groups);
  const T eps = std::numeric_limits<T>::epsilon();
  for (int r = 0; r < L.out; ++r) {
    const auto& g = row_groups[static_cast<std::size_t>(r)];
    for (std::size_t k = 0; k < g.size(); ++k)
      plan.row_group[k * static_cast<std::size_t>(L.out) + static_cast<std::size_t>(r)] = g[k];
    const T bias = net.params[L.b_off + r];
    plan.bias.push_back(bias);
    plan.abs_bias.push_back(bias < T(0) ? -bias : bias);
    plan.margin.push_back(-T(4) * static_cast<T>(row_ptr[r + 1] - row_ptr[r] + 2) * eps);
  }
  return plan;
}

/// Work space of a plan's test: [2 (groups + 1) + 2 rows] values.
template <class T>
inline std::size_t silence_work_size(const SilencePlan<T>& p) {
  return 2 * static_cast<std::size_t>(p.groups + 1) + 2 * static_cast<std::size_t>(p.rows);
}

/// Writes the rows of the plan's layer that are not provably silent over the tile @p in (width
/// B) to @p active (ascending) and returns their number. A group's bound is the maximum over
/// the tile's points of its value computed at each point (tighter than interval bounds when a
/// tile wraps rows: a hat over a whole axis is bounded by its peak, not by the sum of its parts'
/// ranges); the rounding of that value, |computed - exact| <= (len + 1) u sum |w| mg, is inside
/// relu_row_silent()'s margin together with the bound's and the row's own rounding. A NaN value
/// is dropped from the maximum: the row's own sum at that point contains the same NaN terms, so
/// its ReLU is 0 there anyway.
template <class T, int B>
__attribute__((always_inline)) inline int active_rows(const SilencePlan<T>& p, const T* in,
                                                      const T* mg, T* work, std::int32_t* active) {
  T* gub = work;
  T* gmag = gub + p.groups + 1;
  T* ub = gmag + p.groups + 1;
  T* mag = ub + p.rows;
  for (int g = 0; g < p.groups; ++g) {
    const std::int32_t e0 = p.g_ptr[static_cast<std::size_t>(g)];
    const std::int32_t e1 = p.g_ptr[static_cast<std::size_t>(g) + 1];
    T m = T(0);
    for (std::int32_t e = e0; e < e1; ++e) {
      const T w = p.g_w[static_cast<std::size_t>(e)];
      m += (w < T(0) ? -w : w) * mg[p.g_col[static_cast<std::size_t>(e)]];
    }
    gmag[g] = m;
    T top = -std::numeric_limits<T>::infinity();
    if constexpr (B % (4 * Vec<T>::lanes) == 0) {
      using V = typename Vec<T>::type;
      constexpr int K = Vec<T>::lanes, N = 4;
      V mx;
      vsplat<T>(mx, top);
      for (int c = 0; c < B; c += N * K) {
        V acc[N];
        for (int i = 0; i < N; ++i)
          vsplat<T>(acc[i], T(0));
        for (std::int32_t e = e0; e < e1; ++e) {
          V w;
          vsplat<T>(w, p.g_w[static_cast<std::size_t>(e)]);
          const T* src =
              in + static_cast<std::int64_t>(p.g_col[static_cast<std::size_t>(e)]) * B + c;
          for (int i = 0; i < N; ++i) {
            V x;
            vload<T>(x, src + i * K);
            acc[i] += w * x;
          }
        }
        for (int i = 0; i < N; ++i)
          mx = acc[i] > mx ? acc[i] : mx;
      }
      for (int k = 0; k < K; ++k)
        top = mx[k] > top ? mx[k] : top;
    } else {
      for (int b = 0; b < B; ++b) {
        T acc = T(0);
        for (std::int32_t e = e0; e < e1; ++e)
          acc += p.g_w[static_cast<std::size_t>(e)] *
                 in[static_cast<std::int64_t>(p.g_col[static_cast<std::size_t>(e)]) * B + b];
        top = acc > top ? acc : top;
      }
    }
    gub[g] = top;
  }
  gub[p.groups] = T(0);
  gmag[p.groups] = T(0);
  const int R = p.rows;
  const T* __restrict bias = p.bias.data();
  const T* __restrict abs_bias = p.abs_bias.data();
  T* __restrict u = ub;
  T* __restrict m = mag;
  const T* __restrict gu = gub;
  const T* __restrict gm = gmag;
  SM_IVDEP
  for (int r = 0; r < R; ++r) {
    u[r] = bias[r];
    m[r] = abs_bias[r];
  }
  for (int k = 0; k < p.slots; ++k) {
    const std::int32_t* __restrict rg = p.row_group.data() + static_cast<std::size_t>(k) * R;
    SM_IVDEP
    for (int r = 0; r < R; ++r) { // gathers
      u[r] += gu[rg[r]];
      m[r] += gm[rg[r]];
    }
  }
  const T* __restrict margin = p.margin.data();
  SM_IVDEP
  for (int r = 0; r < R; ++r)
    u[r] = u[r] < margin[r] * m[r] ? T(0) : T(1); // NaN (or every point NaN: -inf): not silent
  int n = 0;
  for (int r = 0; r < R; ++r) {
    active[n] = r;
    n += u[r] != T(0) ? 1 : 0;
  }
  return n;
}

/// Optional per-layer silence plans for forward_tile() and their work space.
template <class T>
struct TilePlans {
  const SilencePlan<T>* layer = nullptr; ///< [n_layers]; rows = 0 where a layer has none
  T* work = nullptr;                     ///< max silence_work_size() values
  std::int32_t* active = nullptr;        ///< max rows values
};

/// Values forward_tile()'s @p ranges must hold: per-input tile minimum, maximum and magnitude.
template <class T>
inline std::size_t tile_ranges_size(const NetworkView<T>& net) {
  return 3 *
         static_cast<std::size_t>(net.buffer_width > net.in_dim ? net.buffer_width : net.in_dim);
}

/// f[b] for the B points x[k][b] (structure of arrays). @p buf_a and @p buf_b hold
/// net.buffer_width * B values each.
/// @p ranges holds tile_ranges_size(net) values (per-input tile ranges).
/// With @p plans, layers that have a SilencePlan test their rows through it (the same rows are
/// skipped or not as far as the result goes: a skipped row is exactly zero over the tile).
template <class T, int B>
__attribute__((always_inline)) inline void forward_tile(const NetworkView<T>& net, const T* x,
                                                        T* buf_a, T* buf_b, T* ranges, T* f,
                                                        const TilePlans<T>& plans = {}) {
  const T* in = x;
  T* out = buf_a;
  T* spare = buf_b;
  T z[B], a[B];
  const int stride = net.buffer_width > net.in_dim ? net.buffer_width : net.in_dim;
  T* lo = ranges;
  T* hi = ranges + stride;
  T* mg = ranges + 2 * stride;
  int in_width = net.in_dim;
  for (int l = 0; l < net.n_layers; ++l) {
    const LayerDesc& L = net.layers[l];
    const T alpha = static_cast<T>(L.alpha);
    // ReLU rows that are negative over the whole tile are skipped: most spike neurons are
    // silent for every point of a tile (the points are neighbours along axis 0).
    const bool skip_silent = L.act == Activation::ReLU && L.sparse && L.out >= 8;
    if (skip_silent) tile_ranges<T, B>(in, in_width, lo, hi, mg);
    const SilencePlan<T>* plan =
        skip_silent && plans.layer && plans.layer[l].rows == L.out ? &plans.layer[l] : nullptr;
    int n_active = 0, next = 0; // with a plan: rows plans.active[0..n_active), ascending
    if (plan) n_active = active_rows<T, B>(*plan, in, mg, plans.work, plans.active);
    // Whether row r is skipped: by the plan (rows visited in ascending order) or row by row.
    auto silent = [&](int r) __attribute__((always_inline)) {
      if (!skip_silent) return false;
      if (!plan) return relu_row_silent(net, L, lo, hi, mg, r);
      if (next < n_active && plans.active[next] == r) {
        ++next;
        return false;
      }
      return true;
    };
    if (L.stream) {
      const LayerDesc& N = net.layers[l + 1];
      for (int k = 0; k < N.out; ++k) {
        for (int b = 0; b < B; ++b)
          out[k * B + b] = net.params[N.b_off + k];
      }
      auto fold = [&](int r)
          __attribute__((always_inline)) { // row r's activations added to the next layer's sums
        if (L.sparse && vector_row_tile<T, B>(L.act)) {
          if (!sparse_row_act<T, B>(net, L, in, r, alpha, a)) return; // whole tile silent
        } else {
          if (L.sparse) {
            sparse_row_tile<T, B>(net, L, in, r, z);
          } else {
            dense_row_tile<T, B>(net, L, in, r, z);
          }
          activate_tile<T, B>(L.act, z, a, alpha);
          if (!any_nonzero<T, B>(a)) return; // whole tile silent: the common case for spikes
        }
        axpy_tile<T, B>(net.params + N.w_off + static_cast<std::int64_t>(r) * N.out, N.out, a, out);
      };
      if (plan) { // the rows not provably silent, in ascending order
        for (int i = 0; i < n_active; ++i)
          fold(plans.active[i]);
      } else {
        for (int r = 0; r < L.out; ++r) {
          if (!silent(r)) fold(r);
        }
      }
      const T alpha_n = static_cast<T>(N.alpha);
      for (int k = 0; k < N.out; ++k)
        activate_tile<T, B>(N.act, out + k * B, out + k * B, alpha_n);
      ++l;
    } else if (L.sparse) {
      for (int r = 0; r < L.out; ++r) {
        if (silent(r)) {
          zero_tile<T, B>(out + r * B);
          continue;
        }
        if (vector_row_tile<T, B>(L.act)) {
          sparse_row_act<T, B>(net, L, in, r, alpha, out + r * B);
        } else {
          sparse_row_tile<T, B>(net, L, in, r, z);
          activate_tile<T, B>(L.act, z, out + r * B, alpha);
        }
      }
    } else {
      for (int k = 0; k < L.out; ++k) {
        for (int b = 0; b < B; ++b)
          out[k * B + b] = net.params[L.b_off + k];
      }
      for (int j = 0; j < L.in; ++j) {
        const T* aj = in + j * B;
        if (!any_nonzero<T, B>(aj)) continue;
        axpy_tile<T, B>(net.params + L.w_off + static_cast<std::int64_t>(j) * L.out, L.out, aj,
                        out);
      }
      for (int k = 0; k < L.out; ++k)
        activate_tile<T, B>(L.act, out + k * B, out + k * B, alpha);
    }
    in_width = L.stream ? net.layers[l].out : L.out;
    in = out;
    T* t = out;
    out = spare;
    spare = t;
  }
  for (int b = 0; b < B; ++b)
    f[b] = in[b];
}

} // namespace spikemesh::cpu
