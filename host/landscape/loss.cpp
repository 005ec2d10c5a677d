/// @file loss.cpp
/// @brief LossFunction: the sum-of-squares training loss with the free parameters replaced.
#include "spikemesh/landscape.hpp"
#include "spikemesh/math/forward.hpp"

#include <stdexcept>

namespace spikemesh {

LossFunction::LossFunction(const LandscapeCase& c)
    : m_case(&c), m_packed(c.network), m_offsets(packed_offsets(m_packed, c.free)) {}

double LossFunction::operator()(const std::vector<double>& theta) const {
  if (theta.size() != m_offsets.size()) throw std::invalid_argument("landscape: theta size");
  std::vector<double> params = m_packed.params();
  for (std::size_t i = 0; i < theta.size(); ++i)
    params[static_cast<std::size_t>(m_offsets[i])] = theta[i];
  NetworkView<double> v = m_packed.view();
  v.params = params.data();
  std::vector<double> a(static_cast<std::size_t>(v.buffer_width)), b(a.size());
  const int d = m_case->in_dim;
  double loss = 0.0;
  for (std::size_t i = 0; i < m_case->y.size(); ++i) {
    const double r =
        m_case->y[i] - forward(v, &m_case->x[i * static_cast<std::size_t>(d)], a.data(), b.data());
    loss += r * r;
  }
  return loss;
}

} // namespace spikemesh
