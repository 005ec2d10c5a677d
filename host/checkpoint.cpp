/// @file checkpoint.cpp
/// @brief Run fingerprints and checksums for checkpoint/resume.
#include "spikemesh/checkpoint.hpp"

#include <sstream>

namespace spikemesh {
namespace {

std::vector<std::pair<std::string, std::string>> fields(const std::string& fp) {
  std::vector<std::pair<std::string, std::string>> out;
  std::istringstream in(fp);
  std::string item;
  while (std::getline(in, item, ';')) {
    const std::size_t eq = item.find('=');
    if (eq != std::string::npos) out.emplace_back(item.substr(0, eq), item.substr(eq + 1));
  }
  return out;
}

} // namespace

std::string run_fingerprint(const Case& c, const MeshSpec& mesh, IndexRange range,
                            const std::string& precision, const std::string& backend,
                            index_t block) {
  std::ostringstream s;
  s.precision(17);
  for (const auto& [k, v] : c.config)
    s << k << '=' << v << ';';
  const MeshView m = make_mesh_view(mesh);
  s << "mesh.dim=" << mesh.dim << ';' << "mesh.points_per_axis=";
  for (int a = 0; a < mesh.dim; ++a)
    s << (a ? "," : "") << m.points_per_axis[a];
  s << ";mesh.lo=" << mesh.lo << ";mesh.hi=" << mesh.hi
    << ";mesh.centring=" << centring_name(mesh.centring) << ";range=" << range.begin << ','
    << range.end << ";precision=" << precision << ";backend=" << backend << ";block=" << block
    << ";state_bytes=" << sizeof(Accumulator) << ';';
  // The network itself (from-file weights can change under the same file name).
  std::uint64_t h = 14695981039346656037ull;
  for (const Layer& L : c.network.layers) {
    const std::vector<double> w = L.is_sparse() ? L.values : L.weight;
    h = fnv1a64(w.data(), w.size() * sizeof(double), h);
    h = fnv1a64(L.bias.data(), L.bias.size() * sizeof(double), h);
  }
  s << "network_hash=" << h << ';';
  return s.str();
}

std::string fingerprint_difference(const std::string& theirs, const std::string& ours,
                                   const std::string& where_theirs, const std::string& where_ours) {
  const auto a = fields(theirs), b = fields(ours);
  for (const auto& [k, v] : b) {
    std::string other = "(absent)";
    for (const auto& [k2, v2] : a) {
      if (k2 == k) other = v2;
    }
    if (other != v)
      return k + ": " + other + " in " + where_theirs + ", " + v + " in " + where_ours;
  }
  return a.size() != b.size() ? "a different set of parameters" : "";
}

std::uint64_t fnv1a64(const void* data, std::size_t size, std::uint64_t h) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < size; ++i) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return h;
}

} // namespace spikemesh
