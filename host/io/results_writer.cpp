/// @file results_writer.cpp
/// @brief Result files (docs/hdf5-schema.md): root provenance, /config, /network, /training,
/// /mesh, /results, /slices, /sweep; written to NAME.partial and renamed when complete.
#include "spikemesh/io/results_h5.hpp"

#include "h5_handles.hpp"
#include "h5_writers.hpp"
#include "run/output_file.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <limits>
#include <thread>
#include <unistd.h>

#ifndef SPIKEMESH_VERSION
#define SPIKEMESH_VERSION "unknown"
#endif
#ifndef SPIKEMESH_GIT_COMMIT
#define SPIKEMESH_GIT_COMMIT "unknown"
#endif

namespace spikemesh::io {
namespace detail {

using h5::Handle;

/// Dense layers are stored as weight [out, in]; sparse layers larger than this many dense
/// entries as CSR (row_ptr, cols, values; attribute format = "csr") so files stay small.
constexpr std::int64_t kMaxDenseEntries = std::int64_t(1) << 24;

namespace {

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

} // namespace

void write_root(hid_t file, const Provenance& p) {
  h5::write_attr(file, "spikemesh_version", std::string(SPIKEMESH_VERSION));
  h5::write_attr(file, "git_commit", std::string(SPIKEMESH_GIT_COMMIT));
  h5::write_attr(file, "created_utc", utc_now());
  h5::write_attr(file, "command_line", p.command_line);
  h5::write_attr(file, "backend", p.backend);
  h5::write_attr(file, "device", p.device);
  h5::write_attr(file, "precision", p.precision);
  h5::write_attr(file, "mpi_ranks", static_cast<std::int64_t>(p.mpi_ranks));
  h5::write_attr(file, "status", std::string("complete"));
}

void write_config(hid_t file, const Case& c) {
  const Handle g = h5::create_group(file, "config");
  for (const auto& [name, value] : c.config)
    h5::write_config_attr(g.id(), name, value);
}

void write_network(hid_t file, const Network& net) {
  const Handle g = h5::create_group(file, "network");
  h5::write_attr(g.id(), "in_dim", static_cast<std::int64_t>(net.in_dim));
  h5::write_attr(g.id(), "layers", static_cast<std::int64_t>(net.layers.size()));
  for (std::size_t l = 0; l < net.layers.size(); ++l) {
    const Layer& L = net.layers[l];
    char name[32];
    std::snprintf(name, sizeof name, "layer_%03zu", l);
    const Handle lg = h5::create_group(g.id(), name);
    h5::write_attr(lg.id(), "activation", activation_name(L.act));
    h5::write_attr(lg.id(), "alpha", L.alpha);
    h5::write_attr(lg.id(), "in", static_cast<std::int64_t>(L.in));
    h5::write_attr(lg.id(), "out", static_cast<std::int64_t>(L.out));
    if (L.is_sparse() && static_cast<std::int64_t>(L.in) * L.out > kMaxDenseEntries) {
      h5::write_attr(lg.id(), "format", std::string("csr"));
      h5::write_dataset(lg.id(), "row_ptr", L.row_ptr);
      h5::write_dataset(lg.id(), "cols", L.cols);
      h5::write_dataset(lg.id(), "values", L.values);
    } else {
      h5::write_dataset(lg.id(), "weight", L.dense_weight(),
                        {static_cast<hsize_t>(L.out), static_cast<hsize_t>(L.in)});
    }
    h5::write_dataset(lg.id(), "bias", L.bias);
  }
}

void write_training(hid_t file, const TrainingSet& t) {
  if (t.y.empty()) return;
  const Handle g = h5::create_group(file, "training");
  h5::write_dataset(g.id(), "x", t.x,
                    {static_cast<hsize_t>(t.count()), static_cast<hsize_t>(t.dim)});
  h5::write_dataset(g.id(), "y", t.y);
}

void write_mesh(hid_t file, const MeshSpec& m) {
  const Handle g = h5::create_group(file, "mesh");
  const MeshView v = make_mesh_view(m);
  std::vector<std::int64_t> ppa;
  for (int a = 0; a < m.dim; ++a)
    ppa.push_back(v.points_per_axis[a]);
  h5::write_attr(g.id(), "dim", static_cast<std::int64_t>(m.dim));
  h5::write_attr(g.id(), "points_per_axis", ppa);
  h5::write_attr(g.id(), "lo", m.lo);
  h5::write_attr(g.id(), "hi", m.hi);
  h5::write_attr(g.id(), "centring", centring_name(m.centring));
  h5::write_attr(g.id(), "total_points", static_cast<std::int64_t>(v.total));
}

void write_results(hid_t file, const RunOutput& out, const std::string& oracle_source) {
  const Handle g = h5::create_group(file, "results");
  const Results& r = out.results;
  for (const Statistic& s : r.scalars) {
    if (s.is_count) {
      h5::write_attr(g.id(), s.name, static_cast<std::int64_t>(s.value));
    } else {
      h5::write_attr(g.id(), s.name, s.value);
    }
  }
  h5::write_attr(g.id(), "wall_seconds", out.wall_seconds);
  h5::write_attr(g.id(), "points_per_second", out.points_per_second);
  h5::write_attr(g.id(), "oracle_source", oracle_source);
  h5::write_attr(g.id(), "rounding_bound_float", out.rounding_bound_float);
  h5::write_attr(g.id(), "rounding_bound_double", out.rounding_bound_double);
  h5::write_attr(g.id(), "precision_rule", out.precision_rule);
  h5::write_attr(g.id(), "precision_warning", out.precision_warning);
  h5::write_attr(g.id(), "range_begin", static_cast<std::int64_t>(out.range.begin));
  h5::write_attr(g.id(), "range_end", static_cast<std::int64_t>(out.range.end));
  {
    const Handle h = h5::create_group(g.id(), "f_histogram");
    h5::write_dataset(h.id(), "edges", r.f_edges);
    h5::write_dataset(
        h.id(), "counts",
        std::vector<std::uint64_t>(std::begin(r.acc.bins.f_counts), std::end(r.acc.bins.f_counts)));
  }
  const Handle e = h5::create_group(g.id(), "error_vs_distance");
  h5::write_attr(e.id(), "metric", std::string("l1 distance to the nearest training point"));
  h5::write_dataset(e.id(), "edges", r.dist_edges);
  std::vector<std::uint64_t> counts;
  std::vector<double> mean, mx;
  for (int b = 0; b < kDistBins; ++b) {
    const std::uint64_t n = r.acc.bins.dist_counts[b];
    counts.push_back(n);
    mean.push_back(n > 0 ? r.acc.bins.dist_err_sum[b].value() / static_cast<double>(n)
                         : std::numeric_limits<double>::quiet_NaN());
    mx.push_back(n > 0 ? r.acc.bins.dist_err_max[b] : std::numeric_limits<double>::quiet_NaN());
  }
  h5::write_dataset(e.id(), "counts", counts);
  h5::write_dataset(e.id(), "mean_abs_error", mean);
  h5::write_dataset(e.id(), "max_abs_error", mx);
}

namespace {

/// Every attribute of @p group, in name order, as name, then text or the values as doubles.
std::uint64_t attributes_digest(hid_t file, const char* group, std::uint64_t h) {
  h = fnv1a64(group, std::strlen(group), h);
  if (!h5::exists(file, group)) return h;
  const Handle g = h5::open_group(file, group);
  H5O_info_t info;
  h5::check(H5Oget_info(g.id(), &info), "info of " + std::string(group));
  for (hsize_t i = 0; i < info.num_attrs; ++i) {
    const Handle a = h5::checked(
        H5Aopen_by_idx(g.id(), ".", H5_INDEX_NAME, H5_ITER_INC, i, H5P_DEFAULT, H5P_DEFAULT),
        H5Aclose, "attribute of " + std::string(group));
    char name[256] = {};
    H5Aget_name(a.id(), sizeof name - 1, name);
    h = fnv1a64(name, std::strlen(name) + 1, h);
    const Handle t = h5::checked(H5Aget_type(a.id()), H5Tclose, "type");
    if (H5Tget_class(t.id()) == H5T_STRING) {
      const std::string v = h5::read_string_attr(g.id(), name);
      h = fnv1a64(v.data(), v.size() + 1, h);
      continue;
    }
    const Handle sp = h5::checked(H5Aget_space(a.id()), H5Sclose, "space");
    const hssize_t n = H5Sget_simple_extent_npoints(sp.id());
    std::vector<double> v(static_cast<std::size_t>(std::max<hssize_t>(n, 0)));
    if (!v.empty())
      h5::check(H5Aread(a.id(), H5T_NATIVE_DOUBLE, v.data()), "read " + std::string(name));
    h = fnv1a64(v.data(), v.size() * sizeof(double), h);
  }
  return h;
}

} // namespace

std::uint64_t shard_digest(hid_t file, const ShardInfo& info, const std::string& kind) {
  std::uint64_t h = fnv1a64(kind.data(), kind.size() + 1);
  h = fnv1a64(info.fingerprint.data(), info.fingerprint.size() + 1, h);
  const std::int64_t head[3] = {info.index, info.count,
                                static_cast<std::int64_t>(info.parts.size())};
  h = fnv1a64(head, sizeof head, h);
  for (const ShardPart& p : info.parts) {
    const FinalizeInputs& in = p.inputs;
    const Oracle& o = in.oracle;
    const std::int64_t ints[5] = {p.range.begin, p.range.end, p.total,
                                  in.task == Task::Approximate ? 1 : 0, in.unit_box ? 1 : 0};
    h = fnv1a64(ints, sizeof ints, h);
    const double reals[17] = {p.wall_seconds, in.box_volume,     in.stats.tau,   in.stats.f_lo,
                              in.stats.f_hi,  in.stats.dist_max, in.train.first, in.train.second,
                              o.spike_volume, o.accuracy,        o.f_integral,   o.f_sq_integral,
                              o.l1_error,     o.l2_error,        o.linf_error,   o.rel_l2_error,
                              o.train_loss};
    h = fnv1a64(reals, sizeof reals, h);
    h = fnv1a64(o.source.data(), o.source.size() + 1, h);
    h = fnv1a64(&p.state, sizeof(Accumulator), h);
  }
  for (const char* g : {"config", "mesh"})
    h = attributes_digest(file, g, h);
  return h;
}

void write_shard(hid_t file, const ShardInfo& info, const std::string& kind) {
  const std::string digest = std::to_string(shard_digest(file, info, kind));
  const Handle g = h5::create_group(file, "shard");
  h5::write_attr(g.id(), "digest", digest);
  h5::write_attr(g.id(), "index", static_cast<std::int64_t>(info.index));
  h5::write_attr(g.id(), "count", static_cast<std::int64_t>(info.count));
  h5::write_attr(g.id(), "kind", kind);
  h5::write_attr(g.id(), "fingerprint", info.fingerprint);
  h5::write_attr(g.id(), "parts", static_cast<std::int64_t>(info.parts.size()));
  for (std::size_t i = 0; i < info.parts.size(); ++i) {
    const ShardPart& p = info.parts[i];
    char name[32];
    std::snprintf(name, sizeof name, "part_%03zu", i);
    const Handle pg = h5::create_group(g.id(), name);
    h5::write_attr(pg.id(), "range_begin", static_cast<std::int64_t>(p.range.begin));
    h5::write_attr(pg.id(), "range_end", static_cast<std::int64_t>(p.range.end));
    h5::write_attr(pg.id(), "total_points", static_cast<std::int64_t>(p.total));
    h5::write_attr(pg.id(), "wall_seconds", p.wall_seconds);
    const FinalizeInputs& in = p.inputs;
    h5::write_attr(pg.id(), "task", task_name(in.task));
    h5::write_attr(pg.id(), "unit_box", static_cast<std::int64_t>(in.unit_box ? 1 : 0));
    h5::write_attr(pg.id(), "box_volume", in.box_volume);
    h5::write_attr(
        pg.id(), "stats",
        std::vector<double>{in.stats.tau, in.stats.f_lo, in.stats.f_hi, in.stats.dist_max});
    h5::write_attr(pg.id(), "train", std::vector<double>{in.train.first, in.train.second});
    const Oracle& o = in.oracle;
    h5::write_attr(pg.id(), "oracle",
                   std::vector<double>{o.spike_volume, o.accuracy, o.f_integral, o.f_sq_integral,
                                       o.l1_error, o.l2_error, o.linf_error, o.rel_l2_error,
                                       o.train_loss});
    h5::write_attr(pg.id(), "oracle_source", o.source);
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(&p.state);
    h5::write_dataset(pg.id(), "state",
                      std::vector<std::int32_t>(bytes, bytes + sizeof(Accumulator)));
    h5::write_attr(pg.id(), "checksum", std::to_string(fnv1a64(&p.state, sizeof(Accumulator))));
  }
}

void write_slices(hid_t file, const std::vector<Slice>& slices) {
  if (slices.empty()) return;
  const Handle g = h5::create_group(file, "slices");
  for (const Slice& s : slices) {
    const hsize_t m = static_cast<hsize_t>(s.points);
    h5::write_dataset(g.id(), s.name, s.values, {m, m});
    const Handle d =
        h5::checked(H5Dopen2(g.id(), s.name.c_str(), H5P_DEFAULT), H5Dclose, "open slice");
    h5::write_attr(d.id(), "axes",
                   std::string("rows: axis 1, columns: axis 0; other axes at the box centre"));
    h5::write_attr(d.id(), "lo", s.lo);
    h5::write_attr(d.id(), "hi", s.hi);
    h5::write_attr(d.id(), "centring", std::string("cell"));
  }
}

void write_sweep_column(hid_t group, const std::string& name, const std::vector<double>& values) {
  const bool count = name == "points" || name == "spike_count" || name == "nonfinite_count" ||
                     name == "points_per_axis";
  if (!count && !h5::integer_parameter(name)) {
    h5::write_dataset(group, name, values);
    return;
  }
  std::vector<std::int64_t> ints;
  ints.reserve(values.size());
  for (double v : values)
    ints.push_back(static_cast<std::int64_t>(std::llround(v)));
  h5::write_dataset(group, name, ints);
}

std::string base_name(const std::string& path) {
  const std::size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string sidecar_path(const std::string& path) {
  const std::string stem = path.size() > 3 && path.compare(path.size() - 3, 3, ".h5") == 0
                               ? path.substr(0, path.size() - 3)
                               : path;
  return stem + ".xdmf";
}

/// Builds the file in memory (@p body) and hands its bytes to the output-file protocol
/// (host/run/output_file.hpp): an exclusive temporary unique to this process, synced, renamed
/// over @p target. A kill or an error leaves whatever was at @p target untouched; a full disk
/// is our error message, never a crash inside the HDF5 library.
void write_via_tmp(const std::string& target, const std::function<void(hid_t)>& body) {
  std::vector<unsigned char> image;
  {
    const Handle f = h5::create_memory_file(target);
    body(f.id());
    image = h5::file_image(f.id());
  }
  run::publish(target, image.data(), image.size());
}

/// write_via_tmp to @p path; a checkpoint of the same name (path.partial) is then stale and
/// removed. A reader never sees a half file at @p path.
void atomic_write(const std::string& path, const std::function<void(hid_t)>& body) {
  write_via_tmp(path, body);
  run::remove_regular(path + ".partial");
}

void write_text_atomic(const std::string& path, const std::string& text) {
  run::publish(path, text.data(), text.size());
}

} // namespace detail

using namespace detail;

std::string xdmf_for_slice(const std::string& h5_name, const Slice& s) {
  const double step = (s.hi - s.lo) / s.points;
  const double origin = s.lo + 0.5 * step;
  const std::string n = std::to_string(s.points);
  char geo[256];
  std::snprintf(geo, sizeof geo, "%.17g %.17g", origin, origin);
  char spacing[256];
  std::snprintf(spacing, sizeof spacing, "%.17g %.17g", step, step);
  return "<?xml version=\"1.0\" ?>\n"
         "<Xdmf Version=\"3.0\">\n"
         "  <Domain>\n"
         "    <Grid Name=\"" +
         s.name +
         "\" GridType=\"Uniform\">\n"
         "      <Topology TopologyType=\"2DCoRectMesh\" Dimensions=\"" +
         n + " " + n +
         "\"/>\n"
         "      <Geometry GeometryType=\"ORIGIN_DXDY\">\n"
         "        <DataItem Dimensions=\"2\" Format=\"XML\">" +
         geo +
         "</DataItem>\n"
         "        <DataItem Dimensions=\"2\" Format=\"XML\">" +
         spacing +
         "</DataItem>\n"
         "      </Geometry>\n"
         "      <Attribute Name=\"f\" AttributeType=\"Scalar\" Center=\"Node\">\n"
         "        <DataItem Dimensions=\"" +
         n + " " + n + "\" NumberType=\"Float\" Precision=\"8\" Format=\"HDF\">" + h5_name +
         ":/slices/" + s.name +
         "</DataItem>\n"
         "      </Attribute>\n"
         "    </Grid>\n"
         "  </Domain>\n"
         "</Xdmf>\n";
}

void write_run(const std::string& path, const RunRecord& rec) {
  atomic_write(path, [&](hid_t f) {
    write_root(f, rec.prov);
    if (!rec.fingerprint.empty()) h5::write_attr(f, "run_fingerprint", rec.fingerprint);
    write_config(f, *rec.c);
    write_network(f, rec.c->network);
    write_training(f, rec.c->training);
    write_mesh(f, rec.mesh);
    write_results(f, rec.out, rec.c->oracle.source);
    if (rec.shard) write_shard(f, *rec.shard, "run");
    write_slices(f, rec.slices);
  });
  if (!rec.slices.empty()) {
    write_text_atomic(sidecar_path(path), xdmf_for_slice(base_name(path), rec.slices.front()));
  }
}

/// The groups of a certified-volume file under @p f (a file or a suite's case group).
void write_certify_groups(hid_t f, const CertifyRecord& rec) {
  {
    write_root(f, rec.prov);
    write_config(f, *rec.c);
    write_network(f, rec.c->network);
    write_training(f, rec.c->training);
    const CertifyResult& r = rec.result;
    const bool unit = rec.lo == 0.0 && rec.hi == 1.0;
    {
      const Handle g = h5::create_group(f, "results");
      h5::write_attr(g.id(), "method", rec.method);
      h5::write_attr(g.id(), "certified_volume_lower", r.certified_volume_lower);
      h5::write_attr(g.id(), "certified_volume_upper", r.certified_volume_upper);
      h5::write_attr(g.id(), "volume_estimate", r.volume_estimate);
      h5::write_attr(g.id(), "volume_ci_low", r.volume_ci_low);
      h5::write_attr(g.id(), "volume_ci_high", r.volume_ci_high);
      h5::write_attr(g.id(), "boxes_processed", static_cast<std::int64_t>(r.boxes_processed));
      h5::write_attr(g.id(), "boxes_undecided", static_cast<std::int64_t>(r.boxes_undecided));
      h5::write_attr(g.id(), "spike_volume_exact",
                     unit ? rec.c->oracle.spike_volume : std::numeric_limits<double>::quiet_NaN());
      h5::write_attr(g.id(), "tau", rec.options.tau);
      h5::write_attr(g.id(), "wall_seconds", r.wall_seconds);
      h5::write_attr(g.id(), "exact_volume_fraction", r.exact_volume_fraction);
      h5::write_attr(g.id(), "boxes_exact", static_cast<std::int64_t>(r.boxes_exact));
    }
    const Handle g = h5::create_group(f, "certify");
    h5::write_attr(g.id(), "box_budget", static_cast<std::int64_t>(rec.options.box_budget));
    h5::write_attr(g.id(), "samples_requested", static_cast<std::int64_t>(rec.options.samples));
    h5::write_attr(g.id(), "seed", static_cast<std::int64_t>(rec.options.seed));
    h5::write_attr(g.id(), "box_lo", rec.lo);
    h5::write_attr(g.id(), "box_hi", rec.hi);
    h5::write_attr(g.id(), "boxes_inside", static_cast<std::int64_t>(r.boxes_inside));
    h5::write_attr(g.id(), "boxes_outside", static_cast<std::int64_t>(r.boxes_outside));
    h5::write_attr(g.id(), "boxes_undecided", static_cast<std::int64_t>(r.boxes_undecided));
    h5::write_attr(g.id(), "samples_used", static_cast<std::int64_t>(r.samples_used));
    h5::write_attr(g.id(), "network_evaluations", static_cast<std::int64_t>(r.network_evaluations));
    h5::write_attr(g.id(), "target_rel_ci", rec.options.target_rel_ci);
    h5::write_attr(g.id(), "sampling_rounds", static_cast<std::int64_t>(r.sampling_rounds));
    h5::write_attr(g.id(), "bound_method", r.bound_method);
    h5::write_attr(g.id(), "bound_method_requested", bound_method_name(rec.options.bounds));
    h5::write_attr(g.id(), "ci_method", r.ci_method);
    if (rec.method == "exact") {
      h5::write_attr(g.id(), "target_rel_gap", rec.options.target_rel_gap);
      h5::write_attr(g.id(), "stopped_early", static_cast<std::int64_t>(r.stopped_early ? 1 : 0));
      h5::write_attr(g.id(), "fold_error", r.fold_error);
      h5::write_attr(
          g.id(), "exact",
          std::string("boxes where f is affine (every hidden ReLU/PReLU neuron stable) are cut by "
                      "a half-space, boxes with one unstable neuron in the last hidden "
                      "layer by two half-spaces per piece, with 2..32 whose active sets "
                      "are provably disjoint as one half-space per neuron, with 2..6 "
                      "overlapping by Bonferroni and "
                      "Hunter bounds from the one- and two-half-space forms; the "
                      "volumes are alternating sums over the clipped vertices in "
                      "outward-rounded MPFI arithmetic; boxes split at first-layer "
                      "kinks; sums rounded outwards (MPFR); PReLU pairs folded with a "
                      "bounded error (fold_error) that widens the thresholds"));
    }
    h5::write_attr(g.id(), "bounds",
                   std::string("interval propagation (exact per-axis ranges of the second layer "
                               "when every first-layer neuron reads one coordinate); 'linear': "
                               "CROWN/DeepPoly back-substitution intersected with the intervals; "
                               "boxes halved best-first (largest undecided volume) along the axis "
                               "contributing most to the bound's width"));
    h5::write_attr(g.id(), "sampling",
                   std::string("stratified over undecided boxes, proportional allocation "
                               "(>= 2 points each); 95% interval from the per-box variances, "
                               "proportions shrunk towards the pooled one by 2 pseudo-points "
                               "(>= 50 hits), or else the exact binomial (Clopper-Pearson) "
                               "interval of the pooled proportion (conservative); clipped to "
                               "the certified bounds"));
  }
}

void write_certify(const std::string& path, const CertifyRecord& rec) {
  atomic_write(path, [&](hid_t f) { write_certify_groups(f, rec); });
}

void write_suite(const std::string& path, const std::vector<std::string>& names,
                 const std::vector<RunRecord>& runs, const std::vector<std::string>& certify_names,
                 const std::vector<CertifyRecord>& certified) {
  atomic_write(path, [&](hid_t f) {
    h5::write_attr(f, "spikemesh_version", std::string(SPIKEMESH_VERSION));
    h5::write_attr(f, "status", std::string("complete"));
    h5::write_attr(f, "cases", static_cast<std::int64_t>(runs.size() + certified.size()));
    for (std::size_t i = 0; i < certified.size(); ++i) {
      const Handle g = h5::create_group(f, certify_names[i]);
      write_certify_groups(g.id(), certified[i]);
    }
    for (std::size_t i = 0; i < runs.size(); ++i) {
      const RunRecord& rec = runs[i];
      const Handle g = h5::create_group(f, names[i]);
      write_root(g.id(), rec.prov);
      write_config(g.id(), *rec.c);
      write_network(g.id(), rec.c->network);
      write_training(g.id(), rec.c->training);
      write_mesh(g.id(), rec.mesh);
      write_results(g.id(), rec.out, rec.c->oracle.source);
    }
  });
}

void write_sweep(const std::string& path, const SweepRecord& rec) {
  atomic_write(path, [&](hid_t f) {
    write_root(f, rec.prov);
    if (rec.first) {
      write_config(f, *rec.first);
      write_network(f, rec.first->network);
      write_training(f, rec.first->training);
    }
    write_mesh(f, rec.mesh);
    if (rec.shard) write_shard(f, *rec.shard, "sweep");
    const Handle g = h5::create_group(f, "sweep");
    h5::write_attr(
        g.id(), "rows",
        static_cast<std::int64_t>(rec.numeric_columns.empty() ? 0 : rec.numeric_columns[0].size()));
    for (std::size_t i = 0; i < rec.numeric_names.size(); ++i) {
      write_sweep_column(g.id(), rec.numeric_names[i], rec.numeric_columns[i]);
    }
    for (std::size_t i = 0; i < rec.text_names.size(); ++i) {
      h5::write_dataset(g.id(), rec.text_names[i], rec.text_columns[i]);
    }
  });
}

void write_landscape(const std::string& path, const LandscapeRecord& rec) {
  atomic_write(path, [&](hid_t f) {
    write_root(f, rec.prov);
    {
      const Handle g = h5::create_group(f, "config");
      for (const auto& [name, value] : rec.config)
        h5::write_config_attr(g.id(), name, value);
    }
    write_network(f, rec.c->network);
    {
      const Handle t = h5::create_group(f, "training");
      const auto n = static_cast<hsize_t>(rec.c->y.size());
      h5::write_dataset(t.id(), "x", rec.c->x, {n, static_cast<hsize_t>(rec.c->in_dim)});
      h5::write_dataset(t.id(), "y", rec.c->y);
    }
    const LandscapeMesh& m = rec.mesh;
    {
      const Handle g = h5::create_group(f, "landscape");
      h5::write_dataset(g.id(), "xcoordinates", m.xcoordinates);
      h5::write_dataset(g.id(), "ycoordinates", m.ycoordinates);
      h5::write_dataset(g.id(), "train_loss", m.train_loss,
                        {m.xcoordinates.size(), m.ycoordinates.size()});
      h5::write_dataset(g.id(), "direction_u", m.u);
      h5::write_dataset(g.id(), "direction_v", m.v);
      h5::write_dataset(g.id(), "theta_star", rec.c->theta_star);
      if (!rec.c->theta_global.empty())
        h5::write_dataset(g.id(), "theta_global", rec.c->theta_global);
      h5::write_attr(g.id(), "directions", directions_name(m.directions));
      h5::write_attr(g.id(), "backend", m.backend);
      h5::write_attr(g.id(), "meaning",
                     std::string("train_loss[i, j] = F(theta_star + "
                                 "xcoordinates[i] u + ycoordinates[j] v), F = "
                                 "sum of squared residuals"));
      if (rec.has_global) {
        h5::write_attr(g.id(), "global_alpha", rec.global_alpha);
        h5::write_attr(g.id(), "global_beta", rec.global_beta);
        h5::write_attr(g.id(), "global_plane_distance", rec.global_plane_distance);
      }
    }
    for (const char* name : {"xcoordinates", "ycoordinates", "train_loss"}) {
      h5::check(H5Lcreate_soft((std::string("/landscape/") + name).c_str(), f, name, H5P_DEFAULT,
                               H5P_DEFAULT),
                std::string("link ") + name);
    }
    const Handle r = h5::create_group(f, "results");
    const Verdict& v = rec.verdict;
    h5::write_attr(r.id(), "verdict", v.verdict);
    h5::write_attr(r.id(), "loss", v.loss);
    h5::write_attr(r.id(), "global_loss", v.global_loss);
    h5::write_attr(r.id(), "global_source", v.global_source);
    h5::write_attr(r.id(), "grad_norm", v.grad_norm);
    h5::write_attr(r.id(), "min_loss_change", v.min_loss_change);
    h5::write_attr(r.id(), "radii", v.radii);
    h5::write_attr(r.id(), "min_loss_change_per_radius", v.min_change_per_radius);
    h5::write_dataset(r.id(), "hessian_eigenvalues", v.hessian_eigenvalues);
  });
}

namespace {

void write_checkpoint_group(hid_t parent, const char* name, const Checkpoint& cp) {
  const Handle g = h5::create_group(parent, name);
  h5::write_attr(g.id(), "fingerprint", cp.fingerprint);
  h5::write_attr(g.id(), "range_begin", static_cast<std::int64_t>(cp.range.begin));
  h5::write_attr(g.id(), "range_end", static_cast<std::int64_t>(cp.range.end));
  h5::write_attr(g.id(), "next_index", static_cast<std::int64_t>(cp.next));
  h5::write_attr(g.id(), "elapsed_seconds", cp.elapsed_seconds);
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(&cp.state);
  std::vector<std::int32_t> state(bytes, bytes + sizeof(Accumulator));
  h5::write_dataset(g.id(), "state", state);
  h5::write_attr(g.id(), "checksum", std::to_string(checkpoint_checksum(cp)));
}

} // namespace

void write_checkpoint(const std::string& path, const Checkpoint& cp,
                      const std::vector<Checkpoint>& finished) {
  write_via_tmp(path + ".partial", [&](hid_t f) {
    h5::write_attr(f, "spikemesh_version", std::string(SPIKEMESH_VERSION));
    h5::write_attr(f, "status", std::string("checkpoint"));
    write_checkpoint_group(f, "checkpoint", cp);
    if (finished.empty()) return;
    const Handle rows = h5::create_group(f, "finished_rows");
    h5::write_attr(rows.id(), "count", static_cast<std::int64_t>(finished.size()));
    for (std::size_t i = 0; i < finished.size(); ++i) {
      char name[32];
      std::snprintf(name, sizeof name, "row_%06zu", i);
      write_checkpoint_group(rows.id(), name, finished[i]);
    }
  });
}

void write_network_file(const std::string& path, const Network& net, const TrainingSet& training) {
  net.validate();
  atomic_write(path, [&](hid_t f) {
    h5::write_attr(f, "spikemesh_version", std::string(SPIKEMESH_VERSION));
    write_network(f, net);
    write_training(f, training);
  });
}

} // namespace spikemesh::io
