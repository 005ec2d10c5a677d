/// @file network_reader.cpp
/// @brief from-file cases: reads /network (any MLP) and the optional /training group, with one
/// clear error per way a file can be malformed.
#include "spikemesh/errors.hpp"
#include "spikemesh/io/results_h5.hpp"
#include "spikemesh/resources.hpp"

#include "h5_handles.hpp"

#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <poll.h>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

namespace spikemesh::io {
namespace {

using h5::Handle;

[[noreturn]] void bad(const std::string& file, const std::string& what) {
  throw InvalidFile(file + ": " + what);
}

bool all_finite(const std::vector<double>& v) {
  for (double x : v) {
    if (!std::isfinite(x)) return false;
  }
  return true;
}

std::vector<double> read_checked(const std::string& file, hid_t g, const std::string& group_path,
                                 const std::string& name, std::size_t rank,
                                 std::vector<hsize_t>* dims) {
  const std::string where = group_path + "/" + name;
  if (!h5::exists(g, name)) bad(file, "missing dataset " + where);
  std::vector<double> v;
  try {
    v = h5::read_doubles(g, name, dims);
  } catch (const h5::TooLarge& e) {
    bad(file, where + ": " + e.what());
  } catch (const std::exception&) {
    bad(file, where + " is not a numeric dataset");
  }
  if (dims->size() != rank) {
    bad(file,
        where + " has rank " + std::to_string(dims->size()) + ", expected " + std::to_string(rank));
  }
  if (!all_finite(v)) bad(file, where + " contains NaN or Inf");
  return v;
}

Layer read_layer(const std::string& file, hid_t net, int l, int expected_in) {
  char name[32];
  std::snprintf(name, sizeof name, "layer_%03d", l);
  const std::string path = std::string("/network/") + name;
  const Handle g = h5::open_group(net, name);
  Layer L;
  const std::string act = h5::read_string_attr(g.id(), "activation");
  if (act.empty()) bad(file, path + " has no 'activation' attribute");
  try {
    L.act = parse_activation(act);
  } catch (const std::invalid_argument&) {
    bad(file, path + ": unknown activation '" + act +
                  "' (identity, relu, prelu, sigmoid, tanh, softplus)");
  }
  bool found = false;
  L.alpha = h5::read_double_attr(g.id(), "alpha", &found);
  if (found && !std::isfinite(L.alpha)) bad(file, path + " alpha is NaN or Inf");
  std::vector<hsize_t> dims;
  L.bias = read_checked(file, g.id(), path, "bias", 1, &dims);
  L.out = static_cast<int>(dims[0]);
  if (h5::read_string_attr(g.id(), "format") == "csr") {
    L.in = expected_in;
    L.values = read_checked(file, g.id(), path, "values", 1, &dims);
    if (!h5::exists(g.id(), "row_ptr") || !h5::exists(g.id(), "cols")) {
      bad(file, path + " (csr) needs datasets row_ptr and cols");
    }
    L.row_ptr = h5::read_ints(g.id(), "row_ptr");
    L.cols = h5::read_ints(g.id(), "cols");
  } else {
    L.weight = read_checked(file, g.id(), path, "weight", 2, &dims);
    if (static_cast<int>(dims[0]) != L.out) {
      bad(file, path + "/weight has " + std::to_string(dims[0]) + " rows but bias has " +
                    std::to_string(L.out) + " entries");
    }
    L.in = static_cast<int>(dims[1]);
  }
  if (L.in != expected_in) {
    bad(file, path + " takes " + std::to_string(L.in) + " inputs but the previous layer gives " +
                  std::to_string(expected_in));
  }
  return L;
}

/// Elements that dataset @p name of group @p g declares (0 when absent or unreadable); read from
/// the dataspace, nothing allocated.
double declared_elements(hid_t g, const char* name) {
  if (H5Lexists(g, name, H5P_DEFAULT) <= 0) return 0.0;
  const hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
  if (d < 0) return 0.0;
  const hid_t s = H5Dget_space(d);
  const hssize_t n = s < 0 ? 0 : H5Sget_simple_extent_npoints(s);
  if (s >= 0) H5Sclose(s);
  H5Dclose(d);
  return n > 0 ? static_cast<double>(n) : 0.0;
}

/// Refuses (InvalidParameter "network") a file whose declared weights would not fit the memory
/// limit once read: a small file of fill-value chunks can declare gigabytes. Each element is
/// held about 4 times at 8 bytes (as read, in the Network, packed in double and in float).
void check_declared_size(const std::string& file, hid_t net, int n_layers) {
  double elements = 0.0;
  for (int l = 0; l < n_layers; ++l) {
    char name[32];
    std::snprintf(name, sizeof name, "layer_%03d", l);
    const hid_t g = H5Gopen2(net, name, H5P_DEFAULT);
    if (g < 0) continue;
    for (const char* ds : {"weight", "bias", "values", "row_ptr", "cols"})
      elements += declared_elements(g, ds);
    H5Gclose(g);
  }
  char what[64];
  std::snprintf(what, sizeof what, "%.3g", elements);
  try {
    require_memory(elements * 8.0 * 4.0, "network",
                   file + " declares " + what + " weights in /network, which");
  } catch (const InvalidParameter& e) {
    throw InvalidFile(e.what());
  }
}

/// Reads /network and /training of @p file (in this process).
Case parse_weight_file(const std::string& file) {
  h5::quiet_errors();
  if (H5Fis_hdf5(file.c_str()) <= 0) bad(file, "not an HDF5 file");
  Case c;
  try {
    const Handle f = h5::open_file_readonly(file);
    if (!h5::exists(f.id(), "network")) bad(file, "missing group /network");
    const Handle net = h5::open_group(f.id(), "network");
    bool found = false;
    const double in_dim = h5::read_double_attr(net.id(), "in_dim", &found);
    int n_layers = 0;
    while (true) {
      char name[32];
      std::snprintf(name, sizeof name, "layer_%03d", n_layers);
      if (!h5::exists(net.id(), name)) break;
      ++n_layers;
    }
    if (n_layers == 0) bad(file, "/network has no layer_000");
    check_declared_size(file, net.id(), n_layers); // before any dataset is read
    int prev = -1;
    for (int l = 0; l < n_layers; ++l) {
      if (prev < 0) {
        // The input width: from the attribute, else from the first weight's columns.
        if (found) {
          // Checked before the conversion: an out-of-range double -> int is undefined.
          if (!(in_dim >= 1.0 && in_dim <= 1e6 && in_dim == std::floor(in_dim))) {
            bad(file, "/network@in_dim must be a whole number in [1, 1e6], not " +
                          std::to_string(in_dim));
          }
          prev = static_cast<int>(in_dim);
        } else {
          const Handle g = h5::open_group(net.id(), "layer_000");
          std::vector<hsize_t> dims;
          if (h5::exists(g.id(), "weight")) h5::read_doubles(g.id(), "weight", &dims);
          if (dims.size() != 2 || dims[1] > 1000000)
            bad(file, "/network needs an in_dim attribute");
          prev = static_cast<int>(dims[1]);
        }
        c.network.in_dim = prev;
      }
      c.network.layers.push_back(read_layer(file, net.id(), l, prev));
      prev = c.network.layers.back().out;
    }
    try {
      c.network.validate();
    } catch (const std::invalid_argument& e) {
      bad(file, std::string("/network: ") + e.what());
    }
    if (h5::exists(f.id(), "training")) {
      const Handle t = h5::open_group(f.id(), "training");
      std::vector<hsize_t> dx, dy;
      c.training.x = read_checked(file, t.id(), "/training", "x", 2, &dx);
      c.training.y = read_checked(file, t.id(), "/training", "y", 1, &dy);
      if (dx[0] != dy[0]) bad(file, "/training/x and /training/y have different lengths");
      if (static_cast<int>(dx[1]) != c.network.in_dim) {
        bad(file, "/training/x has " + std::to_string(dx[1]) + " columns, the network takes " +
                      std::to_string(c.network.in_dim));
      }
      c.training.dim = c.network.in_dim;
    }
  } catch (const InvalidFile&) {
    throw;
  } catch (const std::exception& e) {
    bad(file, std::string("unreadable (") + e.what() + ")");
  }
  return c;
}

// ---- isolation: a malformed file can crash libhdf5 itself (fuzzing found memory errors in
// 1.10.8's global-heap reader), so the file is parsed in a child process and the parsed network
// comes back through a pipe. A crash there is a clean "malformed file" error here.

template <class T>
void put(std::string& out, const T& v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof(T));
}
template <class T>
void put_vec(std::string& out, const std::vector<T>& v) {
  put(out, static_cast<std::uint64_t>(v.size()));
  out.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

struct Reader {
  const std::string& in;
  std::size_t pos = 0;
  template <class T>
  T get() {
    if (pos + sizeof(T) > in.size()) throw std::runtime_error("truncated");
    T v;
    std::memcpy(&v, in.data() + pos, sizeof(T));
    pos += sizeof(T);
    return v;
  }
  template <class T>
  std::vector<T> get_vec() {
    const auto n = get<std::uint64_t>();
    if (n > (in.size() - pos) / sizeof(T)) throw std::runtime_error("truncated");
    std::vector<T> v(static_cast<std::size_t>(n));
    if (n > 0) std::memcpy(v.data(), in.data() + pos, static_cast<std::size_t>(n) * sizeof(T));
    pos += static_cast<std::size_t>(n) * sizeof(T);
    return v;
  }
};

std::string serialize(const Case& c) {
  std::string out;
  put(out, static_cast<std::int32_t>(c.network.in_dim));
  put(out, static_cast<std::uint64_t>(c.network.layers.size()));
  for (const Layer& L : c.network.layers) {
    put(out, static_cast<std::int32_t>(L.in));
    put(out, static_cast<std::int32_t>(L.out));
    put(out, L.act);
    put(out, L.alpha);
    put_vec(out, L.weight);
    put_vec(out, L.row_ptr);
    put_vec(out, L.cols);
    put_vec(out, L.values);
    put_vec(out, L.bias);
  }
  put_vec(out, c.training.x);
  put_vec(out, c.training.y);
  return out;
}

Case deserialize(const std::string& in) {
  Reader r{in};
  Case c;
  c.network.in_dim = r.get<std::int32_t>();
  const auto n = r.get<std::uint64_t>();
  for (std::uint64_t l = 0; l < n; ++l) {
    Layer L;
    L.in = r.get<std::int32_t>();
    L.out = r.get<std::int32_t>();
    L.act = r.get<Activation>();
    L.alpha = r.get<double>();
    L.weight = r.get_vec<double>();
    L.row_ptr = r.get_vec<std::int32_t>();
    L.cols = r.get_vec<std::int32_t>();
    L.values = r.get_vec<double>();
    L.bias = r.get_vec<double>();
    c.network.layers.push_back(std::move(L));
  }
  c.training.x = r.get_vec<double>();
  c.training.y = r.get_vec<double>();
  return c;
}

void write_all(int fd, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

/// Parses @p file in a forked child; returns its network and training set.
Case parse_isolated(const std::string& file) {
  int fds[2];
  if (pipe(fds) != 0) return parse_weight_file(file); // no pipe: parse here
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return parse_weight_file(file);
  }
  if (pid == 0) { // child: parse, send 'N' + network or 'E' + message, exit without cleanup
    close(fds[0]);
    std::string msg;
    try {
      msg = "N" + serialize(parse_weight_file(file));
    } catch (const std::exception& e) {
      msg = std::string("E") + e.what();
    }
    write_all(fds[1], msg);
    close(fds[1]);
    _exit(0);
  }
  close(fds[1]);
  // libhdf5 can also loop forever on a crafted file: the child gets a deadline.
  const char* env = std::getenv("SPIKEMESH_PARSE_TIMEOUT");
  const double timeout_s = env ? std::atof(env) : 120.0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  std::string data;
  char buf[1 << 16];
  bool timed_out = false;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd pfd{fds[0], POLLIN, 0};
    const int ready = poll(&pfd, 1, static_cast<int>(std::min<long long>(left.count(), 1000)));
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    const ssize_t n = read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    data.append(buf, static_cast<std::size_t>(n));
  }
  close(fds[0]);
  if (timed_out) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    bad(file, "malformed HDF5 file: reading it did not finish within " + std::to_string(timeout_s) +
                  " s (SPIKEMESH_PARSE_TIMEOUT)");
  }
  const bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (!clean || data.empty()) {
    bad(file, "malformed HDF5 file: the HDF5 library failed while reading it (" +
                  (WIFSIGNALED(status) ? "signal " + std::to_string(WTERMSIG(status))
                                       : "exit " + std::to_string(WEXITSTATUS(status))) +
                  ")");
  }
  if (data[0] == 'E') throw InvalidFile(data.substr(1));
  try {
    return deserialize(data.substr(1));
  } catch (const std::exception&) {
    bad(file, "malformed HDF5 file (incomplete parse)");
  }
}

} // namespace

Case load_case_from_file(const CaseParams& p) {
  const std::string& file = p.network_file;
  if (file.empty()) throw InvalidParameter("network", "from-file needs --network FILE.h5");
  {
    std::ifstream probe(file, std::ios::binary);
    if (!probe) bad(file, "cannot open (no such file or no permission)");
  }
  Case c = parse_isolated(file);
  c.params = p;
  c.training.dim = c.network.in_dim;
  c.training.grid = false;
  c.params.dim = c.network.in_dim;
  if (p.task == Task::Classify && c.training.y.empty()) {
    throw InvalidParameter("task", "classification needs a /training group in " + file +
                                       " (labels of the nearest training point are the truth)");
  }
  c.config = {{"construction", "from-file"},
              {"network", file},
              {"task", task_name(p.task)},
              {"tau", std::to_string(p.resolved_tau())}};
  if (p.task == Task::Approximate) c.config.emplace_back("target", target_name(p.target));
  c.oracle.source = "none (network from file)";
  return c;
}

} // namespace spikemesh::io
