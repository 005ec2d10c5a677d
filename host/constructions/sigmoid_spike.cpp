/// @file sigmoid_spike.cpp
/// @brief C3, the sigmoid spike network of docs/math.md sections 4.1-4.2, with the output weights
/// from the linear solve A c = y.
#include "spikemesh/constructions.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace spikemesh {
namespace {

/// Solves A c = y in place (A row-major [P][P]) by Gaussian elimination with partial pivoting.
std::vector<double> solve_dense(std::vector<double> A, std::vector<double> y) {
  const std::size_t P = y.size();
  for (std::size_t col = 0; col < P; ++col) {
    std::size_t piv = col;
    for (std::size_t r = col + 1; r < P; ++r) {
      if (std::fabs(A[r * P + col]) > std::fabs(A[piv * P + col])) piv = r;
    }
    if (A[piv * P + col] == 0.0) throw std::runtime_error("sigmoid-spike: singular system");
    if (piv != col) {
      for (std::size_t j = 0; j < P; ++j)
        std::swap(A[col * P + j], A[piv * P + j]);
      std::swap(y[col], y[piv]);
    }
    for (std::size_t r = col + 1; r < P; ++r) {
      const double f = A[r * P + col] / A[col * P + col];
      if (f == 0.0) continue;
      for (std::size_t j = col; j < P; ++j)
        A[r * P + j] -= f * A[col * P + j];
      y[r] -= f * y[col];
    }
  }
  std::vector<double> c(P);
  for (std::size_t r = P; r-- > 0;) {
    double acc = y[r];
    for (std::size_t j = r + 1; j < P; ++j)
      acc -= A[r * P + j] * c[j];
    c[r] = acc / A[r * P + r];
  }
  return c;
}

/// Solves A c = y for the nearly diagonal A of C3 (off-diagonal entries are exponentially small
/// in K h and L) by Jacobi iteration, O(P^2) per sweep; falls back to elimination for small
/// systems that are not diagonally dominant. Throws if neither applies.
std::vector<double> solve_spike_system(const std::vector<double>& A, const std::vector<double>& y) {
  const std::size_t P = y.size();
  bool dominant = true;
  for (std::size_t r = 0; r < P && dominant; ++r) {
    double off = 0.0;
    for (std::size_t j = 0; j < P; ++j)
      off += j == r ? 0.0 : std::fabs(A[r * P + j]);
    dominant = off < 0.5 * std::fabs(A[r * P + r]);
  }
  if (dominant) {
    std::vector<double> c(P), next(P);
    for (std::size_t r = 0; r < P; ++r)
      c[r] = y[r] / A[r * P + r];
    // Off-diagonal row sums below half the diagonal: the error at least halves each sweep, so
    // 60 sweeps reach rounding from any start; in practice 2-3 do (entries ~ e^{-K h}).
    for (int sweep = 0; sweep < 60; ++sweep) {
      double change = 0.0, size = 0.0;
      for (std::size_t r = 0; r < P; ++r) {
        double acc = y[r];
        for (std::size_t j = 0; j < P; ++j)
          acc -= j == r ? 0.0 : A[r * P + j] * c[j];
        next[r] = acc / A[r * P + r];
        change = std::max(change, std::fabs(next[r] - c[r]));
        size = std::max(size, std::fabs(next[r]));
      }
      c.swap(next);
      if (change <= 4e-16 * size) break; // converged to rounding
    }
    return c;
  }
  if (P > 1024) {
    throw InvalidParameter("K", "the sigmoid-spike system is not diagonally dominant for these K, "
                                "L and b (spikes overlap); with n^d > 1024 it cannot be solved "
                                "densely: raise K or L");
  }
  return solve_dense(A, y);
}

} // namespace

Network make_sigmoid_spike(int d, int n, double b, double K, double a, double L,
                           const std::vector<double>& y) {
  const double h = 1.0 / (n - 1);
  const std::int64_t P = static_cast<std::int64_t>(y.size());
  if (P > 4096) {
    throw InvalidParameter("train-per-axis",
                           "sigmoid-spike solves a dense n^d x n^d system; n^d = " +
                               std::to_string(P) + " exceeds 4096");
  }
  Network net;
  net.in_dim = d;
  // Layer 1: neuron 2(kn+m)+e computes sigma(K(x_k - m h) +- a).
  Layer l1;
  l1.in = d;
  l1.out = 2 * d * n;
  l1.act = Activation::Sigmoid;
  l1.row_ptr.push_back(0);
  for (int k = 0; k < d; ++k) {
    for (int m = 0; m < n; ++m) {
      for (int e = 0; e < 2; ++e) {
        l1.cols.push_back(k);
        l1.values.push_back(K);
        l1.bias.push_back(-K * m * h + (e == 0 ? a : -a));
        l1.row_ptr.push_back(static_cast<std::int32_t>(l1.cols.size()));
      }
    }
  }
  // Layer 2: a_p = sigma(L (S_p(x) - b)), S_p = sum_k psi_a(K(x_k - x_pk)).
  Layer l2;
  l2.in = l1.out;
  l2.act = Activation::Sigmoid;
  l2.row_ptr.push_back(0);
  const double g = L / std::tanh(a / 2.0);
  for (std::int64_t p = 0; p < P; ++p) {
    std::int64_t rest = p;
    std::vector<int> i(static_cast<std::size_t>(d));
    for (int k = d - 1; k >= 0; --k) {
      i[static_cast<std::size_t>(k)] = static_cast<int>(rest % n);
      rest /= n;
    }
    for (int k = 0; k < d; ++k) {
      const int q = 2 * (k * n + i[static_cast<std::size_t>(k)]);
      l2.cols.push_back(q);
      l2.values.push_back(g);
      l2.cols.push_back(q + 1);
      l2.values.push_back(-g);
    }
    l2.bias.push_back(-L * b);
    l2.row_ptr.push_back(static_cast<std::int32_t>(l2.cols.size()));
  }
  l2.out = static_cast<int>(P);

  // A_qp = a_p(x_q) - sigma(-L b), evaluated with the layers' own double arithmetic.
  const TrainingSet grid = make_training_grid(d, n);
  const double floor_value = logistic(-L * b);
  std::vector<double> A(static_cast<std::size_t>(P * P));
  std::vector<double> a1(static_cast<std::size_t>(l1.out));
  for (std::int64_t q = 0; q < P; ++q) {
    const double* x = &grid.x[static_cast<std::size_t>(q * d)];
    for (int r = 0; r < l1.out; ++r) {
      double z = l1.bias[static_cast<std::size_t>(r)];
      for (std::int32_t e = l1.row_ptr[r]; e < l1.row_ptr[r + 1]; ++e)
        z += l1.values[e] * x[l1.cols[e]];
      a1[static_cast<std::size_t>(r)] = logistic(z);
    }
    for (std::int64_t p = 0; p < P; ++p) {
      double z = l2.bias[static_cast<std::size_t>(p)];
      for (std::int32_t e = l2.row_ptr[p]; e < l2.row_ptr[p + 1]; ++e) {
        if (a1[l2.cols[e]] != 0.0) z += l2.values[e] * a1[l2.cols[e]];
      }
      A[static_cast<std::size_t>(q * P + p)] = logistic(z) - floor_value;
    }
  }
  const std::vector<double> c = solve_spike_system(A, y);

  Layer out = Layer::dense(static_cast<int>(P), 1, Activation::Identity);
  double csum = 0.0;
  for (std::int64_t p = 0; p < P; ++p) {
    out.weight[static_cast<std::size_t>(p)] = c[static_cast<std::size_t>(p)];
    csum += c[static_cast<std::size_t>(p)];
  }
  out.bias[0] = -floor_value * csum;
  net.layers.push_back(std::move(l1));
  net.layers.push_back(std::move(l2));
  net.layers.push_back(std::move(out));
  return net;
}

} // namespace spikemesh
