/// @file report.cpp
/// @brief Table and JSON rendering of a run's results.
#include "report.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace spikemesh::cli {
namespace {

/// A /config value as the user would write it: decimals of std::to_string ("0.000000") in %g
/// style with 10 digits ("0", "1.9"); everything else as it is.
std::string display_value(const std::string& v) {
  if (v.find('.') == std::string::npos) return v;
  char* end = nullptr;
  const double d = std::strtod(v.c_str(), &end);
  if (end == v.c_str() || *end != '\0' || !std::isfinite(d)) return v;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", d);
  return buf;
}

} // namespace

std::string json_summary(const RunOutput& r, const JsonExtras& extras) {
  std::ostringstream os;
  os << "{";
  bool first = true;
  auto key = [&](const std::string& k) {
    os << (first ? "" : ", ") << json_string(k) << ": ";
    first = false;
  };
  for (const Statistic& s : r.results.scalars) {
    key(s.name);
    os << json_number(s.value);
  }
  key("wall_seconds");
  os << json_number(r.wall_seconds);
  key("points_per_second");
  os << json_number(r.points_per_second);
  key("rounding_bound_float");
  os << json_number(r.rounding_bound_float);
  key("rounding_bound_double");
  os << json_number(r.rounding_bound_double);
  key("precision_rule");
  os << json_string(r.precision_rule);
  key("precision_warning");
  os << json_string(r.precision_warning);
  for (const auto& [k, v] : extras) {
    key(k);
    os << v;
  }
  os << "}";
  return os.str();
}

std::string table_summary(const Case& c, const MeshSpec& mesh, const RunOutput& r,
                          const std::string& backend, const std::string& device) {
  std::ostringstream os;
  char line[256];
  os << "case     ";
  for (const auto& [k, v] : c.config)
    os << k << "=" << display_value(v) << " ";
  os << "\n";
  const MeshView mv = make_mesh_view(mesh);
  std::snprintf(
      line, sizeof line, "mesh     %lld^%d points (%.4g in all), %s centred, box [%g,%g]^%d\n",
      static_cast<long long>(mv.points_per_axis[0]), mesh.dim, static_cast<double>(mv.total),
      centring_name(mesh.centring).c_str(), mesh.lo, mesh.hi, mesh.dim);
  os << line;
  os << "backend  " << backend << " (" << device << "), precision "
     << (r.precision == Precision::Double ? "double" : "float") << "\n\n";
  std::snprintf(line, sizeof line, "%-22s %16s %16s %12s\n", "statistic", "estimate", "exact",
                "rel. error");
  os << line;
  const char* shown[] = {"spike_volume", "accuracy",   "train_loss", "l1_error",
                         "l2_error",     "linf_error", "f_integral", "f_sq_integral"};
  for (const char* name : shown) {
    const double est = r.results.get(name);
    const double ex = r.results.get(std::string(name) + "_exact");
    if (std::isnan(est) && std::isnan(ex)) continue;
    char exact_text[32] = "-", rel_text[32] = "-";
    if (!std::isnan(ex)) std::snprintf(exact_text, sizeof exact_text, "%.8g", ex);
    if (!std::isnan(ex) && ex != 0.0)
      std::snprintf(rel_text, sizeof rel_text, "%.2e", (est - ex) / ex);
    std::snprintf(line, sizeof line, "%-22s %16.8g %16s %12s\n", name, est, exact_text, rel_text);
    os << line;
  }
  for (const char* name : {"spike_count", "points", "undecided_fraction", "train_max_abs_error",
                           "f_min", "f_max", "nonfinite_count"}) {
    const double v = r.results.get(name);
    if (std::isnan(v)) continue;
    std::snprintf(line, sizeof line, "%-22s %16.8g\n", name, v);
    os << line;
  }
  std::snprintf(line, sizeof line, "\ntime     %.3f s, %.4g points/s\n", r.wall_seconds,
                r.points_per_second);
  os << line;
  if (r.results.get("nonfinite_count") > 0) {
    os << "warning  " << r.results.get("nonfinite_count")
       << " points gave NaN/Inf: excluded from the sums; linf_error is NaN\n";
  }
  return os.str();
}

} // namespace spikemesh::cli
