/// @file file_summary.cpp
/// @brief describe_file(): the readable summary `spikemesh info FILE.h5` prints.
#include "spikemesh/errors.hpp"
#include "spikemesh/io/results_h5.hpp"

#include "h5_handles.hpp"

#include <cstdio>
#include <sstream>

namespace spikemesh::io {
namespace {

using h5::Handle;

std::string format_number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

/// Attribute @p name of @p obj as text (strings, scalars and small arrays).
std::string attr_text(hid_t obj, const std::string& name) {
  const Handle a = h5::checked(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose, "open " + name);
  const Handle t = h5::checked(H5Aget_type(a.id()), H5Tclose, "type");
  if (H5Tget_class(t.id()) == H5T_STRING) return h5::read_string_attr(obj, name);
  const Handle s = h5::checked(H5Aget_space(a.id()), H5Sclose, "space");
  const hssize_t n = H5Sget_simple_extent_npoints(s.id());
  std::vector<double> v(static_cast<std::size_t>(n > 0 ? n : 0));
  if (v.empty() || H5Aread(a.id(), H5T_NATIVE_DOUBLE, v.data()) < 0) return "?";
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i)
    out += (i ? "," : "") + format_number(v[i]);
  return out;
}

void section(std::ostringstream& os, hid_t file, const std::string& group) {
  if (!h5::exists(file, group)) return;
  const Handle g = h5::open_group(file, group);
  os << "[" << group << "]\n";
  for (const std::string& n : h5::attribute_names(g.id())) {
    char line[512];
    std::snprintf(line, sizeof line, "  %-26s %s\n", n.c_str(), attr_text(g.id(), n).c_str());
    os << line;
  }
}

} // namespace

std::string describe_file(const std::string& path) {
  h5::quiet_errors();
  if (H5Fis_hdf5(path.c_str()) <= 0) throw InvalidFile(path + ": not an HDF5 file (or missing)");
  const Handle f = h5::open_file_readonly(path);
  std::ostringstream os;
  os << path << "\n";
  for (const std::string& n : h5::attribute_names(f.id())) {
    char line[1024];
    std::snprintf(line, sizeof line, "  %-26s %s\n", n.c_str(), attr_text(f.id(), n).c_str());
    os << line;
  }
  section(os, f.id(), "config");
  section(os, f.id(), "mesh");
  section(os, f.id(), "results");
  section(os, f.id(), "certify");
  section(os, f.id(), "landscape");
  if (h5::exists(f.id(), "sweep")) {
    const Handle g = h5::open_group(f.id(), "sweep");
    const std::vector<std::string> cols = h5::link_names(g.id());
    bool found = false;
    const double rows = h5::read_double_attr(g.id(), "rows", &found);
    os << "[sweep] " << format_number(rows) << " rows; columns:";
    for (const std::string& c : cols)
      os << " " << c;
    os << "\n";
  }
  return os.str();
}

} // namespace spikemesh::io
