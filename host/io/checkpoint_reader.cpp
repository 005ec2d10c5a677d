/// @file checkpoint_reader.cpp
/// @brief Reading and verifying checkpoints (NAME.partial): every way one can be damaged or
/// foreign gets its own error; nothing is ever silently mixed into a run.
#include "spikemesh/errors.hpp"
#include "spikemesh/io/results_h5.hpp"

#include "h5_handles.hpp"

#include <cstring>
#include <fstream>

namespace spikemesh::io {

using h5::Handle;

std::uint64_t checkpoint_checksum(const Checkpoint& cp) {
  std::uint64_t h = fnv1a64(&cp.state, sizeof(Accumulator));
  h = fnv1a64(cp.fingerprint.data(), cp.fingerprint.size(), h);
  const index_t fields[3] = {cp.range.begin, cp.range.end, cp.next};
  return fnv1a64(fields, sizeof fields, h);
}

PartialKind partial_kind(const std::string& path) {
  const std::string partial = path + ".partial";
  if (!std::ifstream(partial).good()) return PartialKind::None;
  h5::quiet_errors();
  if (H5Fis_hdf5(partial.c_str()) <= 0) return PartialKind::Checkpoint; // damaged: read says why
  try {
    const Handle f = h5::open_file_readonly(partial);
    return h5::read_string_attr(f.id(), "status") == "complete" ? PartialKind::Complete
                                                                : PartialKind::Checkpoint;
  } catch (const std::exception&) {
    return PartialKind::Checkpoint;
  }
}

Checkpoint read_checkpoint(const std::string& path) {
  const std::string file = path + ".partial";
  auto bad = [&](const std::string& why) -> InvalidFile {
    return InvalidFile(file + ": " + why + " (delete it to start afresh)");
  };
  if (!std::ifstream(file).good()) throw InvalidFile(file + ": no checkpoint to resume from");
  h5::quiet_errors();
  if (H5Fis_hdf5(file.c_str()) <= 0) throw bad("not an HDF5 file (truncated or overwritten)");
  Checkpoint cp;
  try {
    const Handle f = h5::open_file_readonly(file);
    if (!h5::exists(f.id(), "checkpoint")) throw bad("no /checkpoint group");
    const Handle g = h5::open_group(f.id(), "checkpoint");
    cp.fingerprint = h5::read_string_attr(g.id(), "fingerprint");
    bool ok1 = false, ok2 = false, ok3 = false, ok4 = false;
    cp.range.begin = static_cast<index_t>(h5::read_double_attr(g.id(), "range_begin", &ok1));
    cp.range.end = static_cast<index_t>(h5::read_double_attr(g.id(), "range_end", &ok2));
    cp.next = static_cast<index_t>(h5::read_double_attr(g.id(), "next_index", &ok3));
    cp.elapsed_seconds = h5::read_double_attr(g.id(), "elapsed_seconds", &ok4);
    if (!ok1 || !ok2 || !ok3 || cp.fingerprint.empty()) throw bad("incomplete /checkpoint");
    if (!h5::exists(g.id(), "state")) throw bad("no /checkpoint/state");
    const std::vector<std::int32_t> bytes = h5::read_ints(g.id(), "state");
    if (bytes.size() != sizeof(Accumulator)) {
      throw bad("state of " + std::to_string(bytes.size()) + " bytes, this binary uses " +
                std::to_string(sizeof(Accumulator)) + " (written by another version)");
    }
    std::vector<unsigned char> raw(bytes.begin(), bytes.end());
    std::memcpy(&cp.state, raw.data(), sizeof(Accumulator));
    const std::string stored = h5::read_string_attr(g.id(), "checksum");
    if (stored != std::to_string(checkpoint_checksum(cp)))
      throw bad("checksum mismatch (corrupted)");
  } catch (const InvalidFile&) {
    throw;
  } catch (const std::exception& e) {
    throw bad(std::string("unreadable: ") + e.what());
  }
  if (cp.next < cp.range.begin || cp.next > cp.range.end) throw bad("next index outside its range");
  return cp;
}

} // namespace spikemesh::io
