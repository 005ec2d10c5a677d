/// @file activation.hpp
/// @brief Activation functions: the only definition anywhere, used by both backends (R1, R2).
#pragma once

#include "spikemesh/config.hpp"

#include <cmath>
#include <cstdint>

namespace spikemesh {

/// Hidden-layer activations. The output layer is always Identity.
enum class Activation : std::uint8_t { Identity, ReLU, PReLU, Sigmoid, Tanh, Softplus };

/// Logistic sigmoid 1/(1+e^-t), written so that neither branch overflows.
template <class T>
SM_HOST_DEVICE T logistic(T t) {
  using std::exp;
  if (t >= T(0)) return T(1) / (T(1) + exp(-t));
  const T e = exp(t);
  return e / (T(1) + e);
}

/// log(1+e^t) without overflow for large t and without cancellation for very negative t.
template <class T>
SM_HOST_DEVICE T softplus(T t) {
  using std::exp;
  using std::log1p;
  return t > T(0) ? t + log1p(exp(-t)) : log1p(exp(t));
}

/// Applies activation @p a to @p t; @p alpha is the PReLU slope for t < 0 (ignored otherwise).
template <class T>
SM_HOST_DEVICE T activate(Activation a, T t, T alpha) {
  using std::tanh;
  switch (a) {
  case Activation::Identity:
    return t;
  case Activation::ReLU:
    return t > T(0) ? t : T(0);
  case Activation::PReLU:
    return t >= T(0) ? t : alpha * t;
  case Activation::Sigmoid:
    return logistic(t);
  case Activation::Tanh:
    return tanh(t);
  case Activation::Softplus:
    return softplus(t);
  }
  return t; // unreachable; keeps -Wreturn-type quiet on both compilers
}

/// First derivative of activation @p a at @p t (used by the depth extension, docs/math.md 5).
template <class T>
SM_HOST_DEVICE T activate_derivative(Activation a, T t, T alpha) {
  using std::tanh;
  switch (a) {
  case Activation::Identity:
    return T(1);
  case Activation::ReLU:
    return t > T(0) ? T(1) : T(0);
  case Activation::PReLU:
    return t >= T(0) ? T(1) : alpha;
  case Activation::Sigmoid: {
    const T s = logistic(t);
    return s * (T(1) - s);
  }
  case Activation::Tanh: {
    const T th = tanh(t);
    return T(1) - th * th;
  }
  case Activation::Softplus:
    return logistic(t);
  }
  return T(1);
}

} // namespace spikemesh
