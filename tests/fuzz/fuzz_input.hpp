/// @file fuzz_input.hpp
/// @brief Writes a fuzz input to a per-process temporary file (the code under test reads files).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <unistd.h>

namespace spikemesh::fuzz {

/// Path of a temporary file named after @p tag, now holding the @p size bytes at @p data.
inline const std::string& input_file(const char* tag, const std::uint8_t* data, std::size_t size) {
  static const std::string path = [tag] {
    std::string name = std::string("/tmp/spikemesh-fuzz-") + tag + "-XXXXXX";
    const int fd = mkstemp(name.data());
    if (fd >= 0) close(fd);
    return name;
  }();
  if (std::FILE* f = std::fopen(path.c_str(), "wb")) {
    std::fwrite(data, 1, size, f);
    std::fclose(f);
  }
  return path;
}

} // namespace spikemesh::fuzz
