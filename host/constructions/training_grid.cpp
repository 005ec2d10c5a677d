/// @file training_grid.cpp
/// @brief The constructions' training grid and its labels / target values.
#include "spikemesh/constructions.hpp"

#include <random>

namespace spikemesh {

TrainingSet make_training_grid(int d, int n) {
  TrainingSet t;
  t.dim = d;
  t.grid = true;
  t.n = n;
  const double h = 1.0 / (n - 1);
  std::int64_t count = 1;
  for (int k = 0; k < d; ++k)
    count *= n;
  t.x.resize(static_cast<std::size_t>(count * d));
  t.y.assign(static_cast<std::size_t>(count), 1.0);
  for (std::int64_t p = 0; p < count; ++p) {
    std::int64_t rest = p;
    for (int k = d - 1; k >= 0; --k) { // first axis slowest: the last axis varies fastest
      t.x[static_cast<std::size_t>(p * d + k)] = static_cast<double>(rest % n) * h;
      rest /= n;
    }
  }
  return t;
}

void assign_training_values(TrainingSet& t, Task task, Labels labels, std::uint64_t seed,
                            Target target) {
  const std::int64_t count = t.count();
  if (task == Task::Approximate) {
    for (std::int64_t p = 0; p < count; ++p) {
      t.y[static_cast<std::size_t>(p)] =
          target_value(target, &t.x[static_cast<std::size_t>(p * t.dim)], t.dim);
    }
    return;
  }
  // std::mt19937_64's output sequence is fixed by the standard, unlike the distributions.
  std::mt19937_64 rng(seed);
  const double h = t.grid ? 1.0 / (t.n - 1) : 1.0;
  for (std::int64_t p = 0; p < count; ++p) {
    double v = 1.0;
    if (labels == Labels::Random) {
      v = (rng() >> 63) != 0 ? 1.0 : -1.0;
    } else if (labels == Labels::Checkerboard) {
      std::int64_t parity = 0;
      for (int k = 0; k < t.dim; ++k) {
        parity += static_cast<std::int64_t>(t.x[static_cast<std::size_t>(p * t.dim + k)] / h + 0.5);
      }
      v = parity % 2 == 0 ? 1.0 : -1.0;
    }
    t.y[static_cast<std::size_t>(p)] = v;
  }
}

} // namespace spikemesh
