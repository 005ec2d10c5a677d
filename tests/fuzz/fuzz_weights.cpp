/// @file fuzz_weights.cpp
/// @brief libFuzzer target: arbitrary bytes as a weight file for --construction from-file.
/// Every malformed file must end in an exception with a message, never a crash.
#include "spikemesh/io/results_h5.hpp"
#include "spikemesh/network.hpp"

#include "fuzz_input.hpp"

#include <cstdint>
#include <cstdio>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string& path = spikemesh::fuzz::input_file("weights", data, size);
  spikemesh::CaseParams p;
  p.construction = "from-file";
  p.network_file = path;
  p.task = spikemesh::Task::Approximate;
  try {
    const spikemesh::Case c = spikemesh::io::load_case_from_file(p);
    if (c.network.parameter_count() < (1 << 20)) {
      const spikemesh::PackedNetwork<float> packed(c.network);
      static_cast<void>(packed.view());
    }
  } catch (const std::exception&) {
  }
  return 0;
}
