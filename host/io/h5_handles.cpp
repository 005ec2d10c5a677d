/// @file h5_handles.cpp
/// @brief Checked HDF5 C API helpers: files, groups, attributes, datasets.
#include "h5_handles.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace spikemesh::io::h5 {
namespace {

Handle scalar_space() {
  return checked(H5Screate(H5S_SCALAR), H5Sclose, "H5Screate");
}

Handle simple_space(const std::vector<hsize_t>& dims) {
  return checked(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose,
                 "H5Screate_simple");
}

/// Variable-length UTF-8 string type: h5py reads it back as str, not bytes.
Handle string_type() {
  Handle t = checked(H5Tcopy(H5T_C_S1), H5Tclose, "H5Tcopy");
  check(H5Tset_size(t.id(), H5T_VARIABLE), "H5Tset_size");
  check(H5Tset_cset(t.id(), H5T_CSET_UTF8), "H5Tset_cset");
  return t;
}

void attr(hid_t obj, const std::string& name, hid_t type, const Handle& space, const void* data) {
  if (H5Aexists(obj, name.c_str()) > 0) check(H5Adelete(obj, name.c_str()), "H5Adelete " + name);
  Handle a = checked(H5Acreate2(obj, name.c_str(), type, space.id(), H5P_DEFAULT, H5P_DEFAULT),
                     H5Aclose, "create attribute " + name);
  check(H5Awrite(a.id(), type, data), "write attribute " + name);
}

Handle make_dataset(hid_t parent, const std::string& name, hid_t type, const Handle& space) {
  return checked(
      H5Dcreate2(parent, name.c_str(), type, space.id(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
      H5Dclose, "create dataset " + name);
}

} // namespace

Handle checked(hid_t id, Handle::Closer close, const std::string& what) {
  if (id < 0) throw std::runtime_error("HDF5: " + what + " failed");
  return Handle(id, close);
}

void check(herr_t status, const std::string& what) {
  if (status < 0) throw std::runtime_error("HDF5: " + what + " failed");
}

void quiet_errors() {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

Handle create_file(const std::string& path) {
  quiet_errors();
  return checked(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose,
                 "create file " + path);
}

Handle create_memory_file(const std::string& name) {
  quiet_errors();
  const Handle fapl = checked(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "H5Pcreate");
  check(H5Pset_fapl_core(fapl.id(), 1 << 20, 0), "H5Pset_fapl_core");
  return checked(H5Fcreate(name.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.id()), H5Fclose,
                 "create in-memory file " + name);
}

std::vector<unsigned char> file_image(hid_t file) {
  check(H5Fflush(file, H5F_SCOPE_GLOBAL), "flush");
  const ssize_t size = H5Fget_file_image(file, nullptr, 0);
  if (size < 0) throw std::runtime_error("HDF5: file image size failed");
  std::vector<unsigned char> image(static_cast<std::size_t>(size));
  if (H5Fget_file_image(file, image.data(), image.size()) < 0) {
    throw std::runtime_error("HDF5: file image failed");
  }
  return image;
}

Handle open_file_readonly(const std::string& path) {
  quiet_errors();
  return checked(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, "open " + path);
}

Handle create_group(hid_t parent, const std::string& name) {
  return checked(H5Gcreate2(parent, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose,
                 "create group " + name);
}

Handle open_group(hid_t parent, const std::string& name) {
  return checked(H5Gopen2(parent, name.c_str(), H5P_DEFAULT), H5Gclose, "open group " + name);
}

bool exists(hid_t parent, const std::string& path) {
  // Check each component: H5Lexists fails (rather than returning 0) on a missing intermediate.
  std::string prefix;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t slash = path.find('/', start);
    const std::string part =
        path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    prefix += (prefix.empty() ? "" : "/") + part;
    if (H5Lexists(parent, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return true;
}

void write_attr(hid_t obj, const std::string& name, double v) {
  attr(obj, name, H5T_NATIVE_DOUBLE, scalar_space(), &v);
}

void write_attr(hid_t obj, const std::string& name, std::int64_t v) {
  attr(obj, name, H5T_NATIVE_INT64, scalar_space(), &v);
}

void write_attr(hid_t obj, const std::string& name, const std::string& v) {
  const Handle t = string_type();
  const char* p = v.c_str();
  attr(obj, name, t.id(), scalar_space(), &p);
}

void write_attr(hid_t obj, const std::string& name, const std::vector<double>& v) {
  attr(obj, name, H5T_NATIVE_DOUBLE, simple_space({v.size()}), v.data());
}

void write_attr(hid_t obj, const std::string& name, const std::vector<std::int64_t>& v) {
  attr(obj, name, H5T_NATIVE_INT64, simple_space({v.size()}), v.data());
}

bool integer_parameter(const std::string& name) {
  static const char* const kInteger[] = {"dim",           "train-per-axis", "seed",
                                         "extra-depth",   "extra-width",    "points-per-axis",
                                         "perturbations", "parameters"};
  for (const char* t : kInteger) {
    if (name == t) return true;
  }
  return false;
}

void write_config_attr(hid_t obj, const std::string& name, const std::string& text) {
  // The type follows the parameter, never the value: a bias of 1 or a tau of 0 is a float64
  // like any other bias or tau (docs/hdf5-schema.md, /config).
  static const char* const kText[] = {"construction",     "task",    "labels", "target",
                                      "extra-activation", "network", "case",   "directions"};
  for (const char* t : kText) {
    if (name == t) {
      write_attr(obj, name, text);
      return;
    }
  }
  char* end = nullptr;
  if (integer_parameter(name)) {
    errno = 0;
    const long long i = std::strtoll(text.c_str(), &end, 10);
    if (!text.empty() && *end == '\0' && errno == 0) { // a seed above 2^63 stays text
      write_attr(obj, name, static_cast<std::int64_t>(i));
    } else {
      write_attr(obj, name, text);
    }
    return;
  }
  const double d = std::strtod(text.c_str(), &end);
  if (!text.empty() && *end == '\0') {
    write_attr(obj, name, d);
    return;
  }
  write_attr(obj, name, text);
}

void write_dataset(hid_t parent, const std::string& name, const std::vector<double>& v,
                   const std::vector<hsize_t>& dims) {
  const Handle s = simple_space(dims.empty() ? std::vector<hsize_t>{v.size()} : dims);
  const Handle d = make_dataset(parent, name, H5T_NATIVE_DOUBLE, s);
  check(H5Dwrite(d.id(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()),
        "write " + name);
}

void write_dataset(hid_t parent, const std::string& name, const std::vector<std::uint64_t>& v) {
  const Handle s = simple_space({v.size()});
  const Handle d = make_dataset(parent, name, H5T_NATIVE_UINT64, s);
  check(H5Dwrite(d.id(), H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()),
        "write " + name);
}

void write_dataset(hid_t parent, const std::string& name, const std::vector<std::int64_t>& v) {
  const Handle s = simple_space({v.size()});
  const Handle d = make_dataset(parent, name, H5T_NATIVE_INT64, s);
  check(H5Dwrite(d.id(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()),
        "write " + name);
}

void write_dataset(hid_t parent, const std::string& name, const std::vector<std::int32_t>& v) {
  const Handle s = simple_space({v.size()});
  const Handle d = make_dataset(parent, name, H5T_NATIVE_INT32, s);
  check(H5Dwrite(d.id(), H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()),
        "write " + name);
}

void write_dataset(hid_t parent, const std::string& name, const std::vector<std::string>& v) {
  const Handle t = string_type();
  const Handle s = simple_space({v.size()});
  const Handle d = make_dataset(parent, name, t.id(), s);
  std::vector<const char*> ptrs;
  for (const std::string& x : v)
    ptrs.push_back(x.c_str());
  check(H5Dwrite(d.id(), t.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()), "write " + name);
}

hsize_t checked_elements(const std::string& name, const std::vector<hsize_t>& dims) {
  // The declared dimensions of a crafted file can multiply to anything (4e17 bytes, or past
  // 2^64): checked against the limit before anything is allocated.
  hsize_t n = 1;
  for (hsize_t x : dims) {
    if (x != 0 && n > kMaxDatasetElements / x) {
      std::string shape;
      for (hsize_t y : dims)
        shape += (shape.empty() ? "" : " x ") + std::to_string(y);
      throw TooLarge("dataset " + name + " declares " + shape +
                     " elements, more than the limit of " + std::to_string(kMaxDatasetElements));
    }
    n *= x;
  }
  return n;
}

std::vector<double> read_doubles(hid_t parent, const std::string& name,
                                 std::vector<hsize_t>* dims) {
  const Handle d = checked(H5Dopen2(parent, name.c_str(), H5P_DEFAULT), H5Dclose, "open " + name);
  const Handle s = checked(H5Dget_space(d.id()), H5Sclose, "space of " + name);
  const int rank = H5Sget_simple_extent_ndims(s.id());
  if (rank < 0) throw std::runtime_error("HDF5: rank of " + name);
  std::vector<hsize_t> shape(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(s.id(), shape.data(), nullptr);
  const hsize_t n = checked_elements(name, shape);
  const Handle t = checked(H5Dget_type(d.id()), H5Tclose, "type of " + name);
  const H5T_class_t cls = H5Tget_class(t.id());
  if (cls != H5T_FLOAT && cls != H5T_INTEGER) {
    throw std::invalid_argument(name + " is not numeric");
  }
  std::vector<double> v(static_cast<std::size_t>(n));
  if (n > 0) {
    check(H5Dread(d.id(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()),
          "read " + name);
  }
  if (dims) *dims = shape;
  return v;
}

std::vector<std::int32_t> read_ints(hid_t parent, const std::string& name) {
  const Handle d = checked(H5Dopen2(parent, name.c_str(), H5P_DEFAULT), H5Dclose, "open " + name);
  const Handle s = checked(H5Dget_space(d.id()), H5Sclose, "space of " + name);
  const int rank = H5Sget_simple_extent_ndims(s.id());
  if (rank < 0) throw std::runtime_error("HDF5: rank of " + name);
  std::vector<hsize_t> shape(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(s.id(), shape.data(), nullptr);
  std::vector<std::int32_t> v(static_cast<std::size_t>(checked_elements(name, shape)));
  if (!v.empty()) {
    check(H5Dread(d.id(), H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()),
          "read " + name);
  }
  return v;
}

std::string read_string_attr(hid_t obj, const std::string& name) {
  if (H5Aexists(obj, name.c_str()) <= 0) return "";
  const Handle a =
      checked(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose, "open attribute " + name);
  const Handle t = checked(H5Aget_type(a.id()), H5Tclose, "type of " + name);
  if (H5Tget_class(t.id()) != H5T_STRING) return "";
  if (H5Tis_variable_str(t.id()) > 0) {
    const Handle mt = string_type();
    char* p = nullptr;
    check(H5Aread(a.id(), mt.id(), &p), "read attribute " + name);
    std::string s = p ? p : "";
    const Handle space = checked(H5Aget_space(a.id()), H5Sclose, "space");
    H5Dvlen_reclaim(mt.id(), space.id(), H5P_DEFAULT, &p);
    return s;
  }
  const std::size_t size = H5Tget_size(t.id());
  std::string s(size, '\0');
  check(H5Aread(a.id(), t.id(), s.data()), "read attribute " + name);
  return s.substr(0, std::strlen(s.c_str()));
}

double read_double_attr(hid_t obj, const std::string& name, bool* found) {
  *found = false;
  if (H5Aexists(obj, name.c_str()) <= 0) return 0.0;
  const Handle a =
      checked(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose, "open attribute " + name);
  const Handle t = checked(H5Aget_type(a.id()), H5Tclose, "type of " + name);
  const H5T_class_t cls = H5Tget_class(t.id());
  if (cls != H5T_FLOAT && cls != H5T_INTEGER) return 0.0;
  double v = 0.0;
  check(H5Aread(a.id(), H5T_NATIVE_DOUBLE, &v), "read attribute " + name);
  *found = true;
  return v;
}

namespace {

herr_t collect_attribute(hid_t, const char* name, const H5A_info_t*, void* data) {
  static_cast<std::vector<std::string>*>(data)->push_back(name);
  return 0;
}

herr_t collect_link(hid_t, const char* name, const H5L_info_t*, void* data) {
  static_cast<std::vector<std::string>*>(data)->push_back(name);
  return 0;
}

} // namespace

std::vector<std::string> attribute_names(hid_t obj) {
  std::vector<std::string> names;
  hsize_t idx = 0;
  H5Aiterate2(obj, H5_INDEX_CRT_ORDER, H5_ITER_NATIVE, &idx, collect_attribute, &names);
  if (names.empty()) { // files written without creation-order tracking
    idx = 0;
    H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_NATIVE, &idx, collect_attribute, &names);
  }
  return names;
}

std::vector<std::string> link_names(hid_t g) {
  std::vector<std::string> names;
  hsize_t idx = 0;
  H5Literate(g, H5_INDEX_NAME, H5_ITER_NATIVE, &idx, collect_link, &names);
  return names;
}

} // namespace spikemesh::io::h5
