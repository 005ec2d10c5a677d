/// @file checkpoint_reader.cpp
/// @brief Reading and verifying checkpoints (NAME.partial): every way one can be damaged or
/// foreign gets its own error; nothing is ever silently mixed into a run.
#include "spikemesh/errors.hpp"
#include "spikemesh/io/results_h5.hpp"

#include "h5_handles.hpp"

#include <cstdio>
#include <cstring>
#include <functional>
#include <sys/stat.h>

namespace spikemesh::io {

using h5::Handle;

std::uint64_t checkpoint_checksum(const Checkpoint& cp) {
  std::uint64_t h = fnv1a64(&cp.state, sizeof(Accumulator));
  h = fnv1a64(cp.fingerprint.data(), cp.fingerprint.size(), h);
  const index_t fields[3] = {cp.range.begin, cp.range.end, cp.next};
  return fnv1a64(fields, sizeof fields, h);
}

namespace {

/// lstat: whether @p file exists; throws InvalidFile when it is not a regular file (a FIFO or a
/// device is never opened: reading one would hang or never end).
bool regular_file_at(const std::string& file) {
  struct stat st {};
  if (lstat(file.c_str(), &st) != 0) return false;
  if (!S_ISREG(st.st_mode)) {
    throw InvalidFile(file + ": exists and is not a regular file; spikemesh reads and replaces "
                             "only its own checkpoints (remove it)");
  }
  return true;
}

Checkpoint read_group(hid_t g, const std::function<InvalidFile(const std::string&)>& bad) {
  Checkpoint cp;
  cp.fingerprint = h5::read_string_attr(g, "fingerprint");
  bool ok1 = false, ok2 = false, ok3 = false, ok4 = false;
  cp.range.begin = static_cast<index_t>(h5::read_double_attr(g, "range_begin", &ok1));
  cp.range.end = static_cast<index_t>(h5::read_double_attr(g, "range_end", &ok2));
  cp.next = static_cast<index_t>(h5::read_double_attr(g, "next_index", &ok3));
  cp.elapsed_seconds = h5::read_double_attr(g, "elapsed_seconds", &ok4);
  if (!ok1 || !ok2 || !ok3 || cp.fingerprint.empty()) throw bad("incomplete /checkpoint");
  if (!h5::exists(g, "state")) throw bad("no /checkpoint/state");
  const std::vector<std::int32_t> bytes = h5::read_ints(g, "state");
  if (bytes.size() != sizeof(Accumulator)) {
    throw bad("state of " + std::to_string(bytes.size()) + " bytes, this binary uses " +
              std::to_string(sizeof(Accumulator)) + " (written by another version)");
  }
  std::vector<unsigned char> raw(bytes.begin(), bytes.end());
  std::memcpy(&cp.state, raw.data(), sizeof(Accumulator));
  const std::string stored = h5::read_string_attr(g, "checksum");
  if (stored != std::to_string(checkpoint_checksum(cp))) throw bad("checksum mismatch (corrupted)");
  if (cp.next < cp.range.begin || cp.next > cp.range.end) throw bad("next index outside its range");
  return cp;
}

/// Opens path.partial and hands its file to @p body; every failure becomes InvalidFile.
void with_partial(
    const std::string& path,
    const std::function<void(hid_t, const std::function<InvalidFile(const std::string&)>&)>& body) {
  const std::string file = path + ".partial";
  const auto bad = [&](const std::string& why) -> InvalidFile {
    return InvalidFile(file + ": " + why + " (delete it to start afresh)");
  };
  if (!regular_file_at(file)) throw InvalidFile(file + ": no checkpoint to resume from");
  h5::quiet_errors();
  if (H5Fis_hdf5(file.c_str()) <= 0) throw bad("not an HDF5 file (truncated or overwritten)");
  try {
    const Handle f = h5::open_file_readonly(file);
    body(f.id(), bad);
  } catch (const InvalidFile&) {
    throw;
  } catch (const std::exception& e) {
    throw bad(std::string("unreadable: ") + e.what());
  }
}

} // namespace

PartialKind partial_kind(const std::string& path) {
  const std::string partial = path + ".partial";
  if (!regular_file_at(partial)) return PartialKind::None;
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
  Checkpoint cp;
  with_partial(path, [&](hid_t f, const auto& bad) {
    if (!h5::exists(f, "checkpoint")) throw bad("no /checkpoint group");
    const Handle g = h5::open_group(f, "checkpoint");
    cp = read_group(g.id(), bad);
  });
  return cp;
}

std::vector<Checkpoint> read_finished_rows(const std::string& path) {
  std::vector<Checkpoint> rows;
  with_partial(path, [&](hid_t f, const auto& bad) {
    if (!h5::exists(f, "finished_rows")) return;
    const Handle g = h5::open_group(f, "finished_rows");
    bool ok = false;
    const double n = h5::read_double_attr(g.id(), "count", &ok);
    if (!ok || !(n >= 0 && n < 1e7)) throw bad("bad /finished_rows@count");
    for (int i = 0; i < static_cast<int>(n); ++i) {
      char name[32];
      std::snprintf(name, sizeof name, "row_%06d", i);
      if (!h5::exists(g.id(), name)) throw bad(std::string("no /finished_rows/") + name);
      const Handle r = h5::open_group(g.id(), name);
      rows.push_back(read_group(r.id(), bad));
      if (rows.back().next != rows.back().range.end) throw bad("a finished row that is not");
    }
  });
  return rows;
}

std::string complete_partial_fingerprint(const std::string& path) {
  std::string fp;
  with_partial(path, [&](hid_t f, const auto&) {
    if (H5Aexists(f, "run_fingerprint") > 0) fp = h5::read_string_attr(f, "run_fingerprint");
  });
  return fp;
}

} // namespace spikemesh::io
