/// @file errors.hpp
/// @brief Exception types that the CLI maps to exit codes (2: invalid input, 1: runtime failure).
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace spikemesh {

/// Invalid user input (option, config key, file field): names the field; exit code 2.
class InvalidParameter : public std::invalid_argument {
public:
  InvalidParameter(std::string field, const std::string& message)
      : std::invalid_argument("--" + field + ": " + message), m_field(std::move(field)) {}
  const std::string& field() const { return m_field; }

private:
  std::string m_field;
};

/// Invalid input file (weight file, checkpoint): names the file and the bad path; exit code 2.
class InvalidFile : public std::invalid_argument {
public:
  using std::invalid_argument::invalid_argument;
};

} // namespace spikemesh
