/// @file shard_merge.cpp
/// @brief `spikemesh merge`: shard files (`--shard i/N`) back into one result, checked to come
/// from the same case and to tile every index range exactly once.
#include "spikemesh/errors.hpp"

#include "h5_writers.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <sys/stat.h>

namespace spikemesh::io {
namespace {

using h5::Handle;

struct ShardFile {
  std::string path;
  std::string kind;
  int index = 0, count = 0;
  std::string fingerprint;
  std::vector<ShardPart> parts;
  dev_t dev = 0;
  ino_t ino = 0;
};

double attr(hid_t g, const std::string& name, const std::string& path) {
  bool found = false;
  const double v = h5::read_double_attr(g, name, &found);
  if (!found) throw InvalidFile(path + ": /shard is missing attribute " + name);
  return v;
}

std::vector<double> attr_array(hid_t g, const std::string& name, std::size_t n,
                               const std::string& path) {
  const Handle a = h5::checked(H5Aopen(g, name.c_str(), H5P_DEFAULT), H5Aclose, "open " + name);
  const Handle s = h5::checked(H5Aget_space(a.id()), H5Sclose, "space");
  if (H5Sget_simple_extent_npoints(s.id()) != static_cast<hssize_t>(n)) {
    throw InvalidFile(path + ": /shard attribute " + name + " has the wrong length");
  }
  std::vector<double> v(n);
  h5::check(H5Aread(a.id(), H5T_NATIVE_DOUBLE, v.data()), "read " + name);
  return v;
}

ShardFile read_shard(const std::string& path) {
  h5::quiet_errors();
  if (H5Fis_hdf5(path.c_str()) <= 0) throw InvalidFile(path + ": not an HDF5 file (or missing)");
  ShardFile s;
  s.path = path;
  try {
    const Handle f = h5::open_file_readonly(path);
    if (!h5::exists(f.id(), "shard")) {
      throw InvalidFile(path +
                        ": not a shard file (no /shard group; write shards with --shard i/N)");
    }
    const Handle g = h5::open_group(f.id(), "shard");
    s.kind = h5::read_string_attr(g.id(), "kind");
    s.fingerprint = h5::read_string_attr(g.id(), "fingerprint");
    s.index = static_cast<int>(attr(g.id(), "index", path));
    s.count = static_cast<int>(attr(g.id(), "count", path));
    const auto parts = static_cast<int>(attr(g.id(), "parts", path));
    for (int i = 0; i < parts; ++i) {
      char name[32];
      std::snprintf(name, sizeof name, "part_%03d", i);
      const Handle pg = h5::open_group(g.id(), name);
      ShardPart p;
      p.range = {static_cast<index_t>(attr(pg.id(), "range_begin", path)),
                 static_cast<index_t>(attr(pg.id(), "range_end", path))};
      p.total = static_cast<index_t>(attr(pg.id(), "total_points", path));
      p.wall_seconds = attr(pg.id(), "wall_seconds", path);
      FinalizeInputs& in = p.inputs;
      in.task = h5::read_string_attr(pg.id(), "task") == "approximate" ? Task::Approximate
                                                                       : Task::Classify;
      in.unit_box = attr(pg.id(), "unit_box", path) != 0.0;
      in.box_volume = attr(pg.id(), "box_volume", path);
      const auto st = attr_array(pg.id(), "stats", 4, path);
      in.stats = {st[0], st[1], st[2], st[3]};
      const auto tr = attr_array(pg.id(), "train", 2, path);
      in.train = {tr[0], tr[1]};
      const auto o = attr_array(pg.id(), "oracle", 9, path);
      in.oracle = {o[0], o[1], o[2], o[3], o[4],
                   o[5], o[6], o[7], o[8], h5::read_string_attr(pg.id(), "oracle_source")};
      const std::vector<std::int32_t> bytes = h5::read_ints(pg.id(), "state");
      if (bytes.size() != sizeof(Accumulator)) {
        throw InvalidFile(path + ": shard state written by another version of spikemesh");
      }
      const std::vector<unsigned char> raw(bytes.begin(), bytes.end());
      std::memcpy(&p.state, raw.data(), sizeof(Accumulator));
      if (h5::read_string_attr(pg.id(), "checksum") !=
          std::to_string(fnv1a64(&p.state, sizeof(Accumulator)))) {
        throw InvalidFile(path + ": shard state checksum mismatch (corrupted)");
      }
      s.parts.push_back(p);
    }
    ShardInfo info;
    info.index = s.index;
    info.count = s.count;
    info.fingerprint = s.fingerprint;
    info.parts = s.parts;
    if (h5::read_string_attr(g.id(), "digest") !=
        std::to_string(detail::shard_digest(f.id(), info, s.kind))) {
      throw InvalidFile(path + ": /shard@digest does not match the shard's attributes, /config "
                               "or /mesh (edited or corrupted)");
    }
    struct stat st {};
    if (stat(path.c_str(), &st) == 0) {
      s.dev = st.st_dev;
      s.ino = st.st_ino;
    }
  } catch (const InvalidFile&) {
    throw;
  } catch (const std::exception& e) {
    throw InvalidFile(path + ": unreadable shard (" + e.what() + ")");
  }
  return s;
}

/// Merges part @p k of every shard in index order after checking the tiling.
ShardPart merge_part(const std::vector<ShardFile>& files, std::size_t k) {
  std::vector<std::size_t> order(files.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return files[a].parts[k].range.begin < files[b].parts[k].range.begin;
  });
  ShardPart out = files.front().parts[k];
  out.state = Accumulator{};
  out.wall_seconds = 0.0;
  out.range = {0, out.total};
  const std::string mesh = files.size() > 1 && files.front().parts.size() > 1
                               ? " of sweep row " + std::to_string(k + 1)
                               : "";
  index_t expected = 0;
  std::string last = "the start";
  for (std::size_t i : order) {
    const ShardPart& p = files[i].parts[k];
    if (p.total != out.total) throw InvalidFile(files[i].path + ": a mesh of a different size");
    if (p.range.size() == 0) continue; // an empty shard (more shards than blocks)
    if (p.range.begin > expected) {
      throw InvalidFile("gap: indices [" + std::to_string(expected) + ", " +
                        std::to_string(p.range.begin) + ")" + mesh + " are in no shard (between " +
                        last + " and " + files[i].path + ")");
    }
    if (p.range.begin < expected) {
      throw InvalidFile("overlap: indices [" + std::to_string(p.range.begin) + ", " +
                        std::to_string(std::min(expected, p.range.end)) + ")" + mesh +
                        " are in both " + last + " and " + files[i].path);
    }
    out.state.merge(p.state);
    out.wall_seconds += p.wall_seconds;
    expected = p.range.end;
    last = files[i].path;
  }
  if (expected != out.total) {
    throw InvalidFile("gap: indices [" + std::to_string(expected) + ", " +
                      std::to_string(out.total) + ")" + mesh + " are in no shard (after " + last +
                      ")");
  }
  return out;
}

void copy_group(hid_t src, hid_t dst, const char* name) {
  if (!h5::exists(src, name)) return;
  h5::check(H5Ocopy(src, name, dst, name, H5P_DEFAULT, H5P_DEFAULT), std::string("copy ") + name);
}

RunOutput output_of(const ShardPart& p) {
  RunOutput r;
  r.total = p.state;
  r.results = finalize(p.state, p.inputs);
  r.range = p.range;
  r.next = p.range.end;
  r.stats = p.inputs.stats;
  r.wall_seconds = p.wall_seconds;
  r.points_per_second =
      p.wall_seconds > 0 ? static_cast<double>(p.state.scalar.points) / p.wall_seconds : 0.0;
  return r;
}

/// Each shard exactly once: no file twice (under any name), no index twice, none missing
/// (empty shards included: the tiling check cannot see them).
void check_each_shard_once(const std::vector<ShardFile>& files) {
  const ShardFile& first = files.front();
  if (first.count < 1 || static_cast<std::size_t>(first.count) > files.size()) {
    throw InvalidParameter("merge", std::to_string(first.count) + " shards make up the run of " +
                                        first.path + ", " + std::to_string(files.size()) +
                                        " given (give every shard file, empty ones included)");
  }
  std::vector<const ShardFile*> by_index(static_cast<std::size_t>(std::max(first.count, 0)),
                                         nullptr);
  for (std::size_t i = 0; i < files.size(); ++i) {
    const ShardFile& f = files[i];
    for (std::size_t j = 0; j < i; ++j) {
      if (files[j].dev == f.dev && files[j].ino == f.ino)
        throw InvalidParameter("merge", f.path + " is given twice (also as " + files[j].path + ")");
    }
    if (f.count != first.count || f.index < 0 || f.index >= f.count) {
      throw InvalidFile(f.path + ": shard " + std::to_string(f.index) + "/" +
                        std::to_string(f.count) + " does not belong to a " +
                        std::to_string(first.count) + "-shard run like " + first.path);
    }
    const ShardFile*& slot = by_index[static_cast<std::size_t>(f.index)];
    if (slot) {
      throw InvalidParameter("merge", "shard " + std::to_string(f.index) + "/" +
                                          std::to_string(f.count) + " is given twice (" +
                                          slot->path + " and " + f.path + ")");
    }
    slot = &f;
  }
  for (std::size_t k = 0; k < by_index.size(); ++k) {
    if (!by_index[k]) {
      throw InvalidParameter("merge", "shard " + std::to_string(k) + "/" +
                                          std::to_string(first.count) + " is missing (give all " +
                                          std::to_string(first.count) +
                                          " shard files, empty ones included)");
    }
  }
}

} // namespace

Results merge_shards(const std::string& out, const std::vector<std::string>& shards,
                     const Provenance& prov) {
  if (shards.empty()) throw InvalidParameter("merge", "give the shard files to merge");
  std::vector<ShardFile> files;
  for (const std::string& p : shards)
    files.push_back(read_shard(p));
  const ShardFile& first = files.front();
  for (const ShardFile& f : files) {
    if (f.fingerprint != first.fingerprint || f.kind != first.kind ||
        f.parts.size() != first.parts.size()) {
      const std::string diff =
          fingerprint_difference(first.fingerprint, f.fingerprint, first.path, f.path);
      throw InvalidFile(f.path + ": a different case from " + first.path +
                        (diff.empty() ? std::string() : " (" + diff + ")"));
    }
  }
  std::vector<ShardPart> merged;
  for (std::size_t k = 0; k < first.parts.size(); ++k)
    merged.push_back(merge_part(files, k));
  check_each_shard_once(files);
  std::vector<RunOutput> outputs;
  for (const ShardPart& p : merged)
    outputs.push_back(output_of(p));

  const Handle src = h5::open_file_readonly(first.path);
  Provenance pv = prov;
  pv.backend = h5::read_string_attr(src.id(), "backend");
  pv.device = h5::read_string_attr(src.id(), "device");
  pv.precision = h5::read_string_attr(src.id(), "precision");
  detail::atomic_write(out, [&](hid_t f) {
    detail::write_root(f, pv);
    h5::write_attr(f, "merged_shards", static_cast<std::int64_t>(files.size()));
    for (const char* g : {"config", "network", "training", "mesh", "slices"})
      copy_group(src.id(), f, g);
    if (first.kind == "run") {
      detail::write_results(f, outputs.front(), merged.front().inputs.oracle.source);
      return;
    }
    // Sweep: statistic columns from the merged states, the rest copied from the first shard.
    const Handle sg = h5::create_group(f, "sweep");
    h5::write_attr(sg.id(), "rows", static_cast<std::int64_t>(outputs.size()));
    const Handle from = h5::open_group(src.id(), "sweep");
    hsize_t n_links = 0;
    H5G_info_t info;
    h5::check(H5Gget_info(from.id(), &info), "sweep info");
    n_links = info.nlinks;
    for (hsize_t i = 0; i < n_links; ++i) {
      char name[256];
      H5Lget_name_by_idx(from.id(), ".", H5_INDEX_NAME, H5_ITER_INC, i, name, sizeof name,
                         H5P_DEFAULT);
      std::vector<double> column;
      bool statistic =
          std::string(name) == "wall_seconds" || std::string(name) == "points_per_second";
      for (const Statistic& st : outputs.front().results.scalars)
        statistic |= st.name == name;
      if (!statistic) {
        h5::check(H5Ocopy(from.id(), name, sg.id(), name, H5P_DEFAULT, H5P_DEFAULT), "copy column");
        continue;
      }
      for (const RunOutput& r : outputs) {
        if (std::string(name) == "wall_seconds") {
          column.push_back(r.wall_seconds);
        } else if (std::string(name) == "points_per_second") {
          column.push_back(r.points_per_second);
        } else {
          column.push_back(r.results.get(name));
        }
      }
      detail::write_sweep_column(sg.id(), name, column);
    }
  });
  return outputs.front().results;
}

} // namespace spikemesh::io
