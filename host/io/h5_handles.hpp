/// @file h5_handles.hpp
/// @brief RAII over HDF5 C API identifiers and small checked helpers. Private to host/io: the only
/// place besides host/io/*.cpp that includes hdf5.h.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace spikemesh::io::h5 {

/// Owns one HDF5 identifier and closes it with the matching H5?close.
class Handle {
public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer close) : m_id(id), m_close(close) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& o) noexcept : m_id(std::exchange(o.m_id, H5I_INVALID_HID)), m_close(o.m_close) {}
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      reset();
      m_id = std::exchange(o.m_id, H5I_INVALID_HID);
      m_close = o.m_close;
    }
    return *this;
  }
  ~Handle() { reset(); }
  hid_t id() const { return m_id; }
  void reset() {
    if (m_id >= 0 && m_close) m_close(m_id);
    m_id = H5I_INVALID_HID;
  }

private:
  hid_t m_id = H5I_INVALID_HID;
  Closer m_close = nullptr;
};

/// Throws std::runtime_error(@p what) if @p id is negative; otherwise wraps it.
Handle checked(hid_t id, Handle::Closer close, const std::string& what);
void check(herr_t status, const std::string& what);

/// Silences HDF5's own error stack printing (we report errors ourselves).
void quiet_errors();

Handle create_file(const std::string& path);
/// An HDF5 file built in memory (core driver, no backing store): nothing touches the disk until
/// write_image() copies the finished image out, so every I/O error is ours to report.
Handle create_memory_file(const std::string& name);
/// The complete byte image of an in-memory file (flushed first).
std::vector<unsigned char> file_image(hid_t file);
Handle open_file_readonly(const std::string& path);
Handle create_group(hid_t parent, const std::string& name);
Handle open_group(hid_t parent, const std::string& name);
bool exists(hid_t parent, const std::string& path);

void write_attr(hid_t obj, const std::string& name, double v);
void write_attr(hid_t obj, const std::string& name, std::int64_t v);
void write_attr(hid_t obj, const std::string& name, const std::string& v);
void write_attr(hid_t obj, const std::string& name, const std::vector<double>& v);
void write_attr(hid_t obj, const std::string& name, const std::vector<std::int64_t>& v);
/// Writes the /config parameter @p name: names (construction, task, ...) as strings, integer
/// parameters (dim, seed, ...) as int64, every other number as float64 whatever its value, and
/// anything that does not parse as a number as a string.
void write_config_attr(hid_t obj, const std::string& name, const std::string& text);
/// Whether the parameter @p name is an integer (dim, train-per-axis, seed, ...).
bool integer_parameter(const std::string& name);

/// Dataset writers: 1-D or 2-D (dims), double / uint64 / int32 / strings.
void write_dataset(hid_t parent, const std::string& name, const std::vector<double>& v,
                   const std::vector<hsize_t>& dims = {});
void write_dataset(hid_t parent, const std::string& name, const std::vector<std::uint64_t>& v);
void write_dataset(hid_t parent, const std::string& name, const std::vector<std::int64_t>& v);
void write_dataset(hid_t parent, const std::string& name, const std::vector<std::int32_t>& v);
void write_dataset(hid_t parent, const std::string& name, const std::vector<std::string>& v);

/// The most elements read_doubles() and read_ints() read from one dataset (2^28: 2 GiB of
/// doubles), checked against the declared dimensions before allocating.
inline constexpr hsize_t kMaxDatasetElements = hsize_t{1} << 28;
/// A dataset declaring more elements than kMaxDatasetElements.
class TooLarge : public std::invalid_argument {
public:
  using std::invalid_argument::invalid_argument;
};
/// The product of @p dims; throws TooLarge naming dataset @p name when it exceeds
/// kMaxDatasetElements.
hsize_t checked_elements(const std::string& name, const std::vector<hsize_t>& dims);
/// Reads a double dataset; returns its dims in @p dims (TooLarge naming the dataset when its
/// declared size exceeds kMaxDatasetElements).
std::vector<double> read_doubles(hid_t parent, const std::string& name, std::vector<hsize_t>* dims);
std::vector<std::int32_t> read_ints(hid_t parent, const std::string& name);
/// Reads a string attribute, or "" if absent.
std::string read_string_attr(hid_t obj, const std::string& name);

/// Names of @p obj's attributes in creation order (name order where the file tracks none).
std::vector<std::string> attribute_names(hid_t obj);
/// Names of the links (datasets, groups) of group @p g in name order.
std::vector<std::string> link_names(hid_t g);
/// Reads a numeric scalar attribute; @p found reports presence.
double read_double_attr(hid_t obj, const std::string& name, bool* found);

} // namespace spikemesh::io::h5
