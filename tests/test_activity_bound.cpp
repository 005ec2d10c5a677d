/// @file test_activity_bound.cpp
/// @brief The separable path's activity bound, separable::row_upper() (math/activity_bound.hpp,
/// docs/math.md 7.7): sound (every row it leaves out of a tile is an exact zero at every point
/// of the tile, by forward()'s arithmetic computed here independently), on the edge (rows whose
/// largest computed value over a tile is a few ulps above or below 0) and effective (C1 in
/// d = 6 and 10 keeps only the rows whose spike meets the tile's box).
#include "spikemesh/constructions.hpp"
#include "spikemesh/math/activity_bound.hpp"
#include "spikemesh/math/eval_block.hpp"
#include "spikemesh/mesh_spec.hpp"
#include "spikemesh/network.hpp"

#include "support/spike_cases.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

namespace spikemesh {
namespace {

using test::mesh_of;

using test::spike_case;

/// A tile's box as row_upper() reads it: per axis the smallest and largest coordinate its
/// points take, found here by visiting the points.
template <class T>
struct Box {
  T x_lo[kMaxDim];
  T x_hi[kMaxDim];
};

template <class T>
Box<T> box_of(const MeshView& m, index_t first, index_t end) {
  Box<T> b;
  std::vector<T> x(static_cast<std::size_t>(m.dim));
  for (index_t i = first; i < end; ++i) {
    mesh_point(m, i, x.data());
    for (int a = 0; a < m.dim; ++a) {
      const T v = x[static_cast<std::size_t>(a)];
      b.x_lo[a] = i == first ? v : std::min(b.x_lo[a], v);
      b.x_hi[a] = i == first ? v : std::max(b.x_hi[a], v);
    }
  }
  return b;
}

/// Row r's computed pre-activation at x by forward()'s arithmetic, written out here: layer 0's
/// neuron q is act0(b0_q + w0_q x), layer 1's row the bias, then w_e * a0 in CSR order.
template <class T>
T pre_activation(const NetworkView<T>& net, const T* x, int r) {
  const LayerDesc& L0 = net.layers[0];
  const LayerDesc& L1 = net.layers[1];
  const std::int32_t* row_ptr = net.indices + L1.row_off;
  const std::int32_t* cols = net.indices + L1.col_off;
  T z = net.params[L1.b_off + r];
  for (std::int32_t e = row_ptr[r]; e < row_ptr[r + 1]; ++e) {
    const std::int32_t q = cols[e];
    T z0 = net.params[L0.b_off + q];
    z0 += net.params[L0.w_off + q] * x[net.indices[L0.col_off + q]];
    T a0 = z0;
    if (L0.act == Activation::ReLU) a0 = z0 > T(0) ? z0 : T(0);
    if (L0.act == Activation::PReLU) a0 = z0 >= T(0) ? z0 : static_cast<T>(L0.alpha) * z0;
    z += net.params[L1.w_off + e] * a0;
  }
  return z;
}

/// Per tile and row: when row_upper() is <= 0, the row's ReLU is an exact 0 at every point.
struct Soundness {
  std::int64_t tiles = 0, rows_left_out = 0, rows_kept = 0, failures = 0;
};

template <class T>
void check_tile(const NetworkView<T>& net, const MeshView& m, index_t first, index_t end,
                Soundness& out) {
  const Box<T> box = box_of<T>(m, first, end);
  std::vector<T> x(static_cast<std::size_t>(m.dim));
  ++out.tiles;
  for (int r = 0; r < net.sep.rows; ++r) {
    if (!(separable::row_upper(net, box, r) <= T(0))) {
      ++out.rows_kept;
      continue;
    }
    ++out.rows_left_out;
    for (index_t i = first; i < end; ++i) {
      mesh_point(m, i, x.data());
      const T z = pre_activation(net, x.data(), r);
      if (z > T(0) || z != z) {
        if (out.failures++ < 5)
          ADD_FAILURE() << "row " << r << " left out of tile [" << first << ", " << end
                        << ") but its pre-activation is " << z << " at point " << i;
        break;
      }
    }
  }
}

/// Every tile of kTilePoints from @p begin (the last one ragged), and tiles of @p extra sizes
/// starting at random points (single points among them).
template <class T>
Soundness check_mesh(const Network& network, const MeshView& m, index_t begin, int extra,
                     unsigned seed) {
  PackedNetwork<T> packed(network, eval_block::kSeparableWidth);
  const NetworkView<T> net = packed.view();
  EXPECT_TRUE(net.sep.on && net.sep.skip);
  Soundness s;
  for (index_t f = begin; f < m.total; f += eval_block::kTilePoints)
    check_tile(net, m, f, std::min<index_t>(f + eval_block::kTilePoints, m.total), s);
  std::mt19937_64 rng(seed);
  for (int k = 0; k < extra; ++k) {
    const index_t first = static_cast<index_t>(rng() % static_cast<std::uint64_t>(m.total));
    const index_t len = k % 4 == 0 ? 1 : 1 + static_cast<index_t>(rng() % 700);
    check_tile(net, m, first, std::min(first + len, m.total), s);
  }
  return s;
}

// ---- (a) soundness ----------------------------------------------------------------------------

TEST(ActivityBound, ReluSpikesLeaveOutOnlyExactZeros) {
  struct Item {
    int d, n;
    std::vector<index_t> axes;
  };
  const std::vector<Item> items = {{2, 4, {301, 77}},          {2, 3, {64, 33}},
                                   {3, 4, {45, 13, 11}},       {3, 3, {33, 17, 9}},
                                   {4, 3, {19, 9, 7, 5}},      {5, 3, {13, 7, 5, 5, 3}},
                                   {6, 3, {9, 5, 4, 3, 3, 3}}, {6, 2, {17, 5, 3, 3, 2, 2}}};
  std::int64_t left_out = 0;
  for (const Item& it : items) {
    // b = d - 1: the spikes touch, z = 0 exactly on their boundaries and at neighbours'
    // centres; thin and wide spikes; s close to 0.
    for (double b : {it.d - 1.0, it.d - 0.9, it.d - 0.5, it.d - 0.1, it.d - 1e-4}) {
      const Case c = spike_case("relu-spike", it.d, it.n, b);
      const MeshView m = mesh_of(it.axes);
      SCOPED_TRACE("d " + std::to_string(it.d) + " n " + std::to_string(it.n) + " b " +
                   std::to_string(b));
      const Soundness f = check_mesh<float>(c.network, m, 0, 200, 7);
      const Soundness g = check_mesh<double>(c.network, m, 37, 200, 8);
      EXPECT_EQ(f.failures + g.failures, 0);
      EXPECT_GT(f.rows_left_out, 0);
      left_out += f.rows_left_out + g.rows_left_out;
    }
  }
  EXPECT_GT(left_out, 100000);
}

/// A random axis-separable network: layer 0 with @p per_axis neurons per axis (act0, random
/// weights and knots), layer 1 of @p rows ReLU rows reading a random subset of them.
Network random_separable(int d, int per_axis, int rows, Activation act0, double alpha,
                         unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  Network net;
  net.in_dim = d;
  Layer L0;
  L0.in = d;
  L0.out = d * per_axis;
  L0.act = act0;
  L0.alpha = alpha;
  for (int q = 0; q < L0.out; ++q) {
    L0.row_ptr.push_back(q);
    L0.cols.push_back(q / per_axis);
    const double w0 = (q % 3 == 0 ? 1.0 : 3.0 * u(rng)); // C1's unit slopes and others
    L0.values.push_back(w0);
    L0.bias.push_back(-w0 * (0.5 + 0.7 * u(rng))); // a knot in [-0.2, 1.2]
  }
  L0.row_ptr.push_back(L0.out);
  Layer L1;
  L1.in = L0.out;
  L1.out = rows;
  L1.act = Activation::ReLU;
  L1.row_ptr.push_back(0);
  for (int r = 0; r < rows; ++r) {
    double sum = 0.0;
    for (int q = 0; q < L0.out; ++q) {
      if (rng() % 3 != 0) continue;
      L1.cols.push_back(q);
      const double w = 4.0 * u(rng);
      L1.values.push_back(w);
      sum += std::fabs(w);
    }
    L1.row_ptr.push_back(static_cast<std::int32_t>(L1.cols.size()));
    L1.bias.push_back(0.3 * sum * u(rng)); // some rows active somewhere, some nowhere
  }
  Layer out = Layer::dense(rows, 1, Activation::Identity);
  for (int r = 0; r < rows; ++r)
    out.weight[static_cast<std::size_t>(r)] = u(rng);
  out.bias.assign(1, 0.0);
  net.layers = {L0, L1, out};
  return net;
}

TEST(ActivityBound, RandomSeparableRowsLeaveOutOnlyExactZeros) {
  struct Item {
    Activation act0;
    double alpha;
  };
  std::int64_t left_out = 0, kept = 0;
  unsigned seed = 1;
  for (const Item& it : std::vector<Item>{{Activation::ReLU, 0.0},
                                          {Activation::Identity, 0.0},
                                          {Activation::PReLU, 0.25},
                                          {Activation::PReLU, 0.0},
                                          {Activation::PReLU, 1.0}}) {
    for (int d : {1, 2, 3}) {
      const Network net = random_separable(d, 4, 40, it.act0, it.alpha, ++seed);
      const MeshView m = d == 1   ? mesh_of({3001})
                         : d == 2 ? mesh_of({97, 41})
                                  : mesh_of({31, 11, 9});
      SCOPED_TRACE("act0 " + activation_name(it.act0) + " d " + std::to_string(d));
      const Soundness f = check_mesh<float>(net, m, 5, 300, seed);
      const Soundness g = check_mesh<double>(net, m, 0, 300, seed + 100);
      EXPECT_EQ(f.failures + g.failures, 0);
      left_out += f.rows_left_out + g.rows_left_out;
      kept += f.rows_kept + g.rows_kept;
    }
  }
  EXPECT_GT(left_out, 1000);
  EXPECT_GT(kept, 1000);
}

// Where the per-run bound is not proven, row_upper() is the per-term bound, and still sound:
// PReLU with a slope above 1 (not 1-Lipschitz), runs of more than 32 entries (one axis, 120
// neurons, each row reading about 40 of them).
TEST(ActivityBound, FallsBackToThePerTermBoundWhereThePerRunOneIsNotProven) {
  for (int variant = 0; variant < 2; ++variant) {
    const Network network = variant == 0 ? random_separable(2, 4, 30, Activation::PReLU, 1.5, 77)
                                         : random_separable(1, 120, 30, Activation::ReLU, 0.0, 78);
    const MeshView m = variant == 0 ? mesh_of({83, 29}) : mesh_of({2999});
    SCOPED_TRACE(variant);
    const Soundness f = check_mesh<float>(network, m, 3, 100, 79);
    const Soundness g = check_mesh<double>(network, m, 0, 100, 80);
    EXPECT_EQ(f.failures + g.failures, 0);
    EXPECT_GT(f.rows_left_out + g.rows_left_out, 0);
    PackedNetwork<float> packed(network, eval_block::kSeparableWidth);
    const NetworkView<float> net = packed.view();
    const std::int32_t* row_ptr = net.indices + net.sep.row_off;
    int compared = 0;
    for (index_t first = 0; first < m.total; first += 97) {
      const Box<float> box = box_of<float>(m, first, std::min<index_t>(first + 300, m.total));
      for (int r = 0; r < net.sep.rows; ++r) {
        if (variant == 1 && row_ptr[r + 1] - row_ptr[r] <= 32) continue; // a run of <= 32
        ++compared;
        const float u = separable::row_upper(net, box, r);
        const float t = separable::bound::per_term(net, box, r);
        EXPECT_TRUE(u == t || (u != u && t != t)) << "row " << r << ": " << u << " vs " << t;
      }
    }
    EXPECT_GT(compared, 100);
  }
}

// ---- (b) on the edge ----------------------------------------------------------------------------

// Rows whose largest computed pre-activation over a tile is within a few ulps of 0: the bias is
// set to minus the largest (long double) sum of the row's computed terms over the tile's points,
// then moved by -12..12 of its ulps. Whenever a computed point is > 0, the row must be kept; the
// rows just below 0 are where a missing rounding margin shows.
template <class T>
void edge_rows(const Network& network, const MeshView& m, unsigned seed, std::int64_t& positive,
               std::int64_t& failures) {
  PackedNetwork<T> packed(network, eval_block::kSeparableWidth);
  NetworkView<T> net = packed.view();
  std::vector<T> params = packed.params(); // a copy whose biases the test moves
  net.params = params.data();
  const LayerDesc& L0 = net.layers[0];
  const LayerDesc& L1 = net.layers[1];
  std::mt19937_64 rng(seed);
  std::vector<T> x(static_cast<std::size_t>(m.dim));
  for (int trial = 0; trial < 60; ++trial) {
    const index_t first = static_cast<index_t>(rng() % static_cast<std::uint64_t>(m.total));
    const index_t end = std::min<index_t>(first + 1 + static_cast<index_t>(rng() % 600), m.total);
    const Box<T> box = box_of<T>(m, first, end);
    for (int r = 0; r < net.sep.rows; ++r) {
      // The terms' largest sum over the tile (the bias excluded), in long double.
      long double top = -INFINITY;
      for (index_t i = first; i < end; ++i) {
        mesh_point(m, i, x.data());
        long double sum = 0;
        const std::int32_t* row_ptr = net.indices + L1.row_off;
        for (std::int32_t e = row_ptr[r]; e < row_ptr[r + 1]; ++e) {
          const std::int32_t q = net.indices[L1.col_off + e];
          T z0 = params[L0.b_off + q];
          z0 += params[L0.w_off + q] * x[net.indices[L0.col_off + q]];
          T a0 = z0;
          if (L0.act == Activation::ReLU) a0 = z0 > T(0) ? z0 : T(0);
          if (L0.act == Activation::PReLU) a0 = z0 >= T(0) ? z0 : static_cast<T>(L0.alpha) * z0;
          sum += static_cast<long double>(params[L1.w_off + e] * a0);
        }
        top = std::max(top, sum);
      }
      const T centre = static_cast<T>(-top);
      T b = centre;
      for (int k = 0; k < 12; ++k)
        b = std::nextafter(b, -INFINITY);
      for (int k = -12; k <= 12; ++k, b = std::nextafter(b, INFINITY)) {
        params[static_cast<std::size_t>(L1.b_off + r)] = b;
        T zmax = -INFINITY;
        for (index_t i = first; i < end; ++i) {
          mesh_point(m, i, x.data());
          zmax = std::max(zmax, pre_activation(net, x.data(), r));
        }
        if (!(zmax > T(0))) continue;
        ++positive;
        if (separable::row_upper(net, box, r) <= T(0) && failures++ < 5)
          ADD_FAILURE() << "row " << r << " with bias " << b << " is " << zmax
                        << " at a point of tile [" << first << ", " << end << ") but left out";
      }
    }
  }
}

TEST(ActivityBound, RowsAFewUlpsAboveZeroAreKept) {
  std::int64_t positive = 0, failures = 0;
  unsigned seed = 11;
  for (Activation act0 : {Activation::ReLU, Activation::PReLU, Activation::Identity}) {
    for (int d : {1, 2, 3}) {
      const Network net = random_separable(d, 3, 12, act0, 0.3, ++seed);
      const MeshView m = d == 1   ? mesh_of({2003})
                         : d == 2 ? mesh_of({61, 23})
                                  : mesh_of({19, 7, 5});
      edge_rows<float>(net, m, seed, positive, failures);
      edge_rows<double>(net, m, seed + 1, positive, failures);
    }
  }
  // C1 rows too: their terms are the hat's, exact at the knots.
  const Case c = spike_case("relu-spike", 2, 4, 1.5);
  edge_rows<float>(c.network, mesh_of({97, 31}), 3, positive, failures);
  edge_rows<double>(c.network, mesh_of({97, 31}), 4, positive, failures);
  EXPECT_EQ(failures, 0);
  EXPECT_GT(positive, 10000);
}

// ---- (c) effectiveness --------------------------------------------------------------------------

// C1 with b = d - 0.5 (the benchmarks' case, spike l1 radius h s = h / 2) on the 10^9-point mesh
// of the unit box (32 points per axis in d = 6, 8 in d = 10), sampled tiles of 512 points: the
// rows kept are those whose spike ball meets the tile's box (l1 distance below h s, with a
// relative slack of 1e-3 for the margin), and on average a fraction of one row per tile.
template <class T>
void expect_effective(int d, int n, double max_mean_rows) {
  const double b = d - 0.5;
  const Case c = spike_case("relu-spike", d, n, b);
  PackedNetwork<T> packed(c.network, eval_block::kSeparableWidth);
  const NetworkView<T> net = packed.view();
  MeshSpec spec;
  spec.dim = d;
  spec.points_per_axis.assign(static_cast<std::size_t>(d), points_per_axis_for(1e9, d));
  const MeshView m = make_mesh_view(spec);
  const double radius = (d - b) / (n - 1) * (1 + 1e-3); // h s
  const int tiles = 400;
  std::int64_t kept = 0, geometric = 0, per_term_kept = 0;
  for (int k = 0; k < tiles; ++k) {
    index_t first = static_cast<index_t>(static_cast<long double>(k) / tiles * (m.total - 512));
    first -= first % eval_block::kTilePoints;
    const Box<T> box = box_of<T>(m, first, first + eval_block::kTilePoints);
    for (int r = 0; r < net.sep.rows; ++r) {
      // Row r is the spike of training point r (docs/math.md 2.1).
      double dist = 0;
      for (int a = 0; a < d; ++a) {
        const double t = c.training.x[static_cast<std::size_t>(r) * d + a];
        const double lo = box.x_lo[a], hi = box.x_hi[a];
        dist += t < lo ? lo - t : t > hi ? t - hi : 0.0;
      }
      const bool meets = dist < radius;
      const bool in_mask = !(separable::row_upper(net, box, r) <= T(0));
      geometric += meets;
      kept += in_mask;
      per_term_kept += !(separable::bound::per_term(net, box, r) <= T(0));
      EXPECT_TRUE(meets || !in_mask) << "row " << r << " kept in tile " << first
                                     << ", its spike at l1 distance " << dist << " > " << radius;
    }
  }
  const double mean = static_cast<double>(kept) / tiles;
  std::printf("C1 d=%d n=%d b=%.1f %s: rows per tile kept %.3f (spike meets the box: %.3f; "
              "per-term bound alone: %.1f) of %d\n",
              d, n, b, sizeof(T) == 4 ? "float" : "double", mean,
              static_cast<double>(geometric) / tiles, static_cast<double>(per_term_kept) / tiles,
              net.sep.rows);
  EXPECT_LE(mean, max_mean_rows);
}

TEST(ActivityBound, HighDimensionalTilesKeepOnlyTheSpikesTheyMeet) {
  // Geometry (d = 6): a tile spans axis 0 (all 3 training coordinates within reach), half of
  // axis 1 and single points on axes 2..5, so a row's spike meets the box only when the l1
  // distance from its training coordinates on axes 2..5 (plus the gap on axes 0 and 1) is below
  // h s = 1/4: on the sample, 0.45 rows per tile; the per-term bound kept 247 of the 729.
  expect_effective<float>(6, 3, 1.0);
  expect_effective<double>(6, 3, 1.0);
  expect_effective<float>(10, 2, 1.0);
  // d = 2 (a tile covers 1.6 % of axis 0 on one mesh row): 0.59 rows per tile (per term 0.8).
  expect_effective<float>(2, 4, 1.0);
}

} // namespace
} // namespace spikemesh
