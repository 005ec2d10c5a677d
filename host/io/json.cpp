/// @file json.cpp
/// @brief json_string() and json_number() (json.hpp).
#include "json.hpp"

#include <cmath>
#include <cstdio>

namespace spikemesh::io {

std::string json_string(const std::string& s) {
  std::string o = "\"";
  for (char ch : s) {
    switch (ch) {
    case '"':
      o += "\\\"";
      break;
    case '\\':
      o += "\\\\";
      break;
    case '\n':
      o += "\\n";
      break;
    case '\t':
      o += "\\t";
      break;
    default:
      if (static_cast<unsigned char>(ch) < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", ch);
        o += buf;
      } else {
        o += ch;
      }
    }
  }
  return o + "\"";
}

std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

} // namespace spikemesh::io
