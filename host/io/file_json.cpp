/// @file file_json.cpp
/// @brief describe_file_json(): the JSON summary `spikemesh info FILE --json` prints.
#include "spikemesh/io/file_json.hpp"

#include "spikemesh/errors.hpp"

#include "h5_handles.hpp"
#include "json.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <vector>

namespace spikemesh::io {
namespace {

using h5::Handle;

std::string integer(long long v) {
  return std::to_string(v);
}

/// Attribute @p name of @p obj as a JSON value; empty for types JSON does not take.
std::string attr_json(hid_t obj, const std::string& name) {
  const Handle a = h5::checked(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose, "open " + name);
  const Handle t = h5::checked(H5Aget_type(a.id()), H5Tclose, "type of " + name);
  const H5T_class_t cls = H5Tget_class(t.id());
  if (cls == H5T_STRING) return json_string(h5::read_string_attr(obj, name));
  if (cls != H5T_INTEGER && cls != H5T_FLOAT) return "";
  const Handle s = h5::checked(H5Aget_space(a.id()), H5Sclose, "space of " + name);
  const int rank = H5Sget_simple_extent_ndims(s.id());
  const hssize_t n = H5Sget_simple_extent_npoints(s.id());
  if (n <= 0) return "";
  std::vector<std::string> items;
  if (cls == H5T_INTEGER) {
    std::vector<long long> v(static_cast<std::size_t>(n));
    h5::check(H5Aread(a.id(), H5T_NATIVE_LLONG, v.data()), "read " + name);
    for (long long x : v)
      items.push_back(integer(x));
  } else {
    std::vector<double> v(static_cast<std::size_t>(n));
    h5::check(H5Aread(a.id(), H5T_NATIVE_DOUBLE, v.data()), "read " + name);
    for (double x : v)
      items.push_back(json_number(x));
  }
  if (rank == 0) return items.front();
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i)
    out += (i ? ", " : "") + items[i];
  return out + "]";
}

/// Appends "key": value for the root provenance that `run --json` prints.
void root_keys(hid_t file, std::vector<std::pair<std::string, std::string>>& kv) {
  for (const char* k : {"backend", "device", "precision"}) {
    if (H5Aexists(file, k) > 0) kv.emplace_back(k, json_string(h5::read_string_attr(file, k)));
  }
  if (H5Aexists(file, "mpi_ranks") > 0) kv.emplace_back("mpi_ranks", attr_json(file, "mpi_ranks"));
}

std::string object(const std::vector<std::pair<std::string, std::string>>& kv) {
  std::ostringstream os;
  os << "{";
  for (std::size_t i = 0; i < kv.size(); ++i)
    os << (i ? ", " : "") << json_string(kv[i].first) << ": " << kv[i].second;
  os << "}";
  return os.str();
}

std::string sweep_json(hid_t file, const std::string& path) {
  const Handle g = h5::open_group(file, "sweep");
  const std::vector<std::string> cols = h5::link_names(g.id());
  std::vector<std::pair<std::string, std::vector<double>>> numeric;
  std::size_t rows = 0;
  for (const std::string& c : cols) {
    const Handle d = h5::checked(H5Dopen2(g.id(), c.c_str(), H5P_DEFAULT), H5Dclose, "open " + c);
    const Handle t = h5::checked(H5Dget_type(d.id()), H5Tclose, "type of " + c);
    const H5T_class_t cls = H5Tget_class(t.id());
    if (cls != H5T_INTEGER && cls != H5T_FLOAT) continue;
    std::vector<hsize_t> dims;
    numeric.emplace_back(c, h5::read_doubles(g.id(), c, &dims));
    rows = std::max(rows, numeric.back().second.size());
  }
  std::string out = "{\"rows\": [";
  for (std::size_t r = 0; r < rows; ++r) {
    std::vector<std::pair<std::string, std::string>> kv;
    for (const auto& [name, v] : numeric) {
      if (r < v.size()) kv.emplace_back(name, json_number(v[r]));
    }
    out += (r ? ", " : "") + object(kv);
  }
  out += "]";
  std::vector<std::pair<std::string, std::string>> kv;
  root_keys(file, kv);
  for (const auto& [k, v] : kv)
    out += ", " + json_string(k) + ": " + v;
  return out + ", \"out\": " + json_string(path) + "}\n";
}

} // namespace

std::string describe_file_json(const std::string& path) {
  h5::quiet_errors();
  if (H5Fis_hdf5(path.c_str()) <= 0) throw InvalidFile(path + ": not an HDF5 file (or missing)");
  const Handle f = h5::open_file_readonly(path);
  if (h5::exists(f.id(), "sweep")) return sweep_json(f.id(), path);
  std::vector<std::pair<std::string, std::string>> kv;
  if (h5::exists(f.id(), "results")) {
    const Handle g = h5::open_group(f.id(), "results");
    for (const std::string& n : h5::attribute_names(g.id())) {
      if (n == "range_begin" || n == "range_end" || n == "oracle_source") continue;
      const std::string v = attr_json(g.id(), n);
      if (!v.empty()) kv.emplace_back(n, v);
    }
  }
  root_keys(f.id(), kv);
  kv.emplace_back("out", json_string(path));
  return object(kv) + "\n";
}

} // namespace spikemesh::io
