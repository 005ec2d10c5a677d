/// @file relu_spike_oracle.cpp
/// @brief Closed-form ground truth of C1/C2 on [0,1]^d (docs/math.md section 2.3).
#include "spikemesh/constructions.hpp"

#include <algorithm>
#include <cmath>

namespace spikemesh {
namespace {

double factorial(int d) {
  return std::tgamma(d + 1.0);
}
double pos(double t) {
  return t > 0.0 ? t : 0.0;
}

/// Number of coordinates of grid point @p p on a face of the cube, and its grid digits.
int face_count(const TrainingSet& t, std::int64_t p, std::vector<int>& digits) {
  std::int64_t rest = p;
  int m = 0;
  for (int k = t.dim - 1; k >= 0; --k) {
    const int i = static_cast<int>(rest % t.n);
    rest /= t.n;
    digits[static_cast<std::size_t>(k)] = i;
    m += (i == 0 || i == t.n - 1) ? 1 : 0;
  }
  return m;
}

} // namespace

double relu_spike_volume(int d, double s) {
  return (std::pow(2.0 * s, d) - d * std::pow(pos(2.0 * s - 1.0), d)) / factorial(d);
}

double relu_superlevel_volume(int d, double s, double tau) {
  const double two_eta = s * (2.0 - tau) - 1.0;
  double v = std::pow(2.0 * s * (1.0 - tau), d);
  if (two_eta > 0.0) {
    v += d * d * (2.0 * s - 1.0) * std::pow(two_eta, d - 1) - d * (d + 1.0) * std::pow(two_eta, d);
  }
  return v / factorial(d);
}

double relu_spike_integral(const TrainingSet& t, double s) {
  // Each (cut) ball contributes y_p 2^-m_p (2r)^d / ((d+1) d!), r = h s; valid for s <= 1.
  const int d = t.dim;
  const double h = 1.0 / (t.n - 1);
  const double ball = std::pow(2.0 * h * s, d) / ((d + 1.0) * factorial(d));
  std::vector<int> digits(static_cast<std::size_t>(d));
  double sum = 0.0;
  for (std::int64_t p = 0; p < t.count(); ++p) {
    sum += t.y[static_cast<std::size_t>(p)] * std::ldexp(1.0, -face_count(t, p, digits));
  }
  return sum * ball;
}

double relu_spike_sq_integral(const TrainingSet& t, double s) {
  // Ball terms: y_p^2 2^-m_p (2r)^d/d! * 2/((d+1)(d+2)). Lens terms (s > 1/2), one per pair of
  // axis-neighbours p, q: 2 y_p y_q 2^-m h^d (2s-1)^(d+2) / ((d+2)! s^2), where m counts the
  // pair's face coordinates on the other axes (the lens is cut like the balls).
  const int d = t.dim;
  const int n = t.n;
  const double h = 1.0 / (n - 1);
  const double ball = std::pow(2.0 * h * s, d) / factorial(d) * 2.0 / ((d + 1.0) * (d + 2.0));
  const double lens =
      2.0 * std::pow(h, d) * std::pow(pos(2.0 * s - 1.0), d + 2) / (factorial(d + 2) * s * s);
  std::vector<int> digits(static_cast<std::size_t>(d));
  double sum = 0.0;
  std::int64_t stride = 1;
  std::vector<std::int64_t> strides(static_cast<std::size_t>(d));
  for (int k = d - 1; k >= 0; --k) {
    strides[static_cast<std::size_t>(k)] = stride;
    stride *= n;
  }
  for (std::int64_t p = 0; p < t.count(); ++p) {
    const int m = face_count(t, p, digits);
    const double yp = t.y[static_cast<std::size_t>(p)];
    sum += yp * yp * std::ldexp(1.0, -m) * ball;
    if (lens == 0.0) continue;
    for (int k = 0; k < d; ++k) {
      const int ik = digits[static_cast<std::size_t>(k)];
      if (ik + 1 >= n) continue; // neighbour q = p + e_k
      const int own = (ik == 0 || ik == n - 1) ? 1 : 0;
      const double yq = t.y[static_cast<std::size_t>(p + strides[static_cast<std::size_t>(k)])];
      sum += yp * yq * std::ldexp(1.0, -(m - own)) * lens;
    }
  }
  return sum;
}

Oracle relu_spike_oracle(const TrainingSet& t, double s, double tau, Task task, Target target) {
  Oracle o;
  o.source = "C1 closed form (docs/math.md 2.3)";
  o.train_loss = 0.0;
  const bool all_nonzero = std::all_of(t.y.begin(), t.y.end(), [](double v) { return v != 0.0; });
  const bool all_one = std::all_of(t.y.begin(), t.y.end(), [](double v) { return v == 1.0; });
  const bool unit =
      std::all_of(t.y.begin(), t.y.end(), [](double v) { return std::fabs(v) == 1.0; });
  // Disjoint balls (s <= 1/2) with |y| = 1: {|f| > tau} is the union of the balls of radius
  // r (1 - tau), i.e. rho_d(s (1 - tau)); accuracy counts the same points (|f| <= tau undecided).
  const bool disjoint_unit = unit && s <= 0.5 && tau < 1.0;
  if (tau == 0.0 && all_nonzero) {
    o.spike_volume = relu_spike_volume(t.dim, s);
  } else if (disjoint_unit) {
    o.spike_volume = relu_spike_volume(t.dim, s * (1.0 - tau));
  } else if (all_one && tau > 0.0 && tau < 1.0) {
    o.spike_volume = relu_superlevel_volume(t.dim, s, tau);
  } else if (unit && tau >= 1.0) {
    o.spike_volume = 0.0; // |f| <= 1 (P3)
  }
  if (task == Task::Classify && tau == 0.0) o.accuracy = relu_spike_volume(t.dim, s);
  if (task == Task::Classify && tau > 0.0 && disjoint_unit) {
    o.accuracy = relu_spike_volume(t.dim, s * (1.0 - tau));
  }
  o.f_integral = relu_spike_integral(t, s);
  o.f_sq_integral = relu_spike_sq_integral(t, s);
  const bool vs_one = all_one && (task == Task::Classify || target == Target::One);
  if (vs_one) {
    o.l1_error = 1.0 - o.f_integral;
    o.l2_error = std::sqrt(std::max(0.0, 1.0 - 2.0 * o.f_integral + o.f_sq_integral));
    if (relu_spike_volume(t.dim, s) < 1.0) o.linf_error = 1.0;
    o.rel_l2_error = o.l2_error; // the truth is 1 everywhere: rms(t) = 1
  }
  return o;
}

} // namespace spikemesh
