/// @file options.cpp
/// @brief CLI11 option definitions (CLI11 2.1.2), sweepable setters, unused-option notes.
#include "options.hpp"

#include "spikemesh/constructions.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>

namespace spikemesh::cli {
namespace {

template <class E>
CLI::Validator choices(const std::map<std::string, E>& m) {
  // Not CLI::CheckedTransformer: it prints the mapped enum values, which are uint8_t (characters,
  // NUL included) in --help and in its errors. Names in, the enum's integer out.
  std::string names;
  for (const auto& [name, value] : m)
    names += (names.empty() ? "{" : ",") + name;
  names += "}";
  return CLI::Validator(
      [m, names](std::string& input) -> std::string {
        std::string key = input;
        std::transform(key.begin(), key.end(), key.begin(),
                       [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
        const auto it = m.find(key);
        if (it == m.end()) return "'" + input + "' is not one of " + names;
        input = std::to_string(static_cast<int>(it->second));
        return {};
      },
      names);
}

const std::map<std::string, Task> kTasks{{"classify", Task::Classify},
                                         {"approximate", Task::Approximate}};
const std::map<std::string, Labels> kLabels{
    {"random", Labels::Random}, {"checkerboard", Labels::Checkerboard}, {"ones", Labels::Ones}};
const std::map<std::string, Target> kTargets{
    {"one", Target::One}, {"sin", Target::Sin}, {"gauss", Target::Gauss}, {"poly", Target::Poly}};
const std::map<std::string, Activation> kExtraActs{{"relu", Activation::ReLU},
                                                   {"sigmoid", Activation::Sigmoid},
                                                   {"tanh", Activation::Tanh},
                                                   {"softplus", Activation::Softplus}};
const std::map<std::string, Centring> kCentrings{{"cell", Centring::Cell},
                                                 {"vertex", Centring::Vertex}};
const std::map<std::string, Backend> kBackends{
    {"auto", Backend::Auto}, {"cpu", Backend::Cpu}, {"cuda", Backend::Cuda}};
const std::map<std::string, Precision> kPrecisions{
    {"auto", Precision::Auto}, {"float", Precision::Float}, {"double", Precision::Double}};

double parse_double(const std::string& name, const std::string& v) {
  char* end = nullptr;
  const double d = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0') throw InvalidParameter(name, "'" + v + "' is not a number");
  return d;
}

long long parse_int(const std::string& name, const std::string& v) {
  char* end = nullptr;
  const long long i = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0') throw InvalidParameter(name, "'" + v + "' is not an integer");
  return i;
}

} // namespace

void add_options(CLI::App& app, Options& o) {
  app.set_config("--config", "", "read options from a TOML file (keys = option names)");
  app.allow_config_extras(false); // a typo in a config file is an error, never ignored

  const std::string kCase = "Case";
  app.add_option("--construction", o.cp.construction,
                 "relu-spike (C1) | prelu-spike (C2) | sigmoid-spike (C3) | from-file")
      ->check(CLI::IsMember({"relu-spike", "prelu-spike", "sigmoid-spike", "from-file"}))
      ->group(kCase);
  app.add_option("--network", o.cp.network_file, "from-file: HDF5 file in the /network schema")
      ->group(kCase);
  app.add_option("--dim", o.cp.dim, "input dimension d (1..32)")->group(kCase);
  app.add_option("--train-per-axis", o.cp.train_per_axis, "training points per axis n (>= 2)")
      ->group(kCase);
  app.add_option("--bias", o.cp.bias, "spike bias b in [d-1, d); default d - 0.1")->group(kCase);
  app.add_option("--alpha", o.cp.alpha, "prelu-spike: PReLU slope in [0, 1)")->group(kCase);
  app.add_option("--K", o.cp.K, "sigmoid-spike: first-layer sharpness (> 0)")->group(kCase);
  app.add_option("--a", o.cp.a, "sigmoid-spike: bump shape (> 0)")->group(kCase);
  app.add_option("--L", o.cp.L, "sigmoid-spike: second-layer sharpness (> 0)")->group(kCase);
  app.add_option("--task", o.cp.task, "classify | approximate")
      ->transform(choices(kTasks))
      ->group(kCase);
  app.add_option("--labels", o.cp.labels, "classify: random | checkerboard | ones")
      ->transform(choices(kLabels))
      ->group(kCase);
  app.add_option("--seed", o.cp.seed, "seed of the random labels")->group(kCase);
  app.add_option("--target", o.cp.target, "approximate: one | sin | gauss | poly")
      ->transform(choices(kTargets))
      ->group(kCase);
  app.add_option("--tau", o.cp.tau,
                 "spike threshold: |f| > tau; |f| <= tau undecided (default 0; sigmoid 0.5; prelu "
                 "1e-4; depth-extended 1e-5 max(1,c/eps))")
      ->group(kCase);

  const std::string kDepth = "Depth extension (C4, any case)";
  app.add_option("--extra-depth", o.cp.extra_depth, "extra hidden layers N (0 = none)")
      ->group(kDepth);
  app.add_option("--extra-width", o.cp.extra_width, "width w of each extra layer (>= 1)")
      ->group(kDepth);
  app.add_option("--extra-activation", o.cp.extra_activation, "relu | sigmoid | tanh | softplus")
      ->transform(choices(kExtraActs))
      ->group(kDepth);
  app.add_option("--c", o.cp.c, "centre c (relu: > 0)")->group(kDepth);
  app.add_option("--epsilon", o.cp.epsilon, "scale epsilon (> 0)")->group(kDepth);

  const std::string kMesh = "Mesh";
  app.add_option("--points-per-axis", o.points_per_axis,
                 "M, or one M per axis (default: about 1e8 points on CPU, 1e9 on GPU)")
      ->delimiter(',')
      ->group(kMesh);
  app.add_option("--centring", o.centring, "cell (midpoint rule) | vertex")
      ->transform(choices(kCentrings))
      ->group(kMesh);
  app.add_option("--box", o.box, "LO,HI: the box [LO,HI]^d")
      ->delimiter(',')
      ->expected(2)
      ->group(kMesh);

  const std::string kRun = "Execution";
  app.add_option("--backend", o.backend, "auto | cpu | cuda")
      ->transform(choices(kBackends))
      ->group(kRun);
  app.add_option("--precision", o.precision, "auto (double when s < 1e-3) | float | double")
      ->transform(choices(kPrecisions))
      ->group(kRun);
  app.add_option("--threads", o.threads, "CPU threads (0 = all)")
      ->check(CLI::NonNegativeNumber)
      ->group(kRun);
  app.add_option("--out", o.out,
                 "output HDF5 file (written as FILE.partial, renamed when complete)")
      ->group(kRun);
  app.add_flag("--json", o.json, "print the summary as one JSON object on stdout")->group(kRun);
  app.add_flag("--quiet", o.quiet, "no progress line, no table")->group(kRun);
  app.add_option("--method", o.method,
                 "mesh: evaluate every mesh point | certify: certified bounds + sampled estimate "
                 "of the spike volume (high d) | exact: certify plus closed-form volumes on "
                 "boxes where a ReLU/PReLU network is affine (brackets that meet)")
      ->check(CLI::IsMember({"mesh", "certify", "exact"}))
      ->group(kRun);
  app.add_option("--target-rel-gap", o.target_rel_gap,
                 "exact: stop subdividing once the certified upper - lower is at most this "
                 "fraction of lower")
      ->check(CLI::Range(0.0, 1.0))
      ->group(kRun);
  app.add_option("--box-budget", o.box_budget, "certify: boxes bounded before sampling")
      ->check(CLI::Range(std::int64_t(1), std::int64_t(1) << 40))
      ->group(kRun);
  app.add_option("--samples", o.samples,
                 "certify: points sampled in the undecided boxes (with --target-rel-ci: the cap)")
      ->check(CLI::Range(std::int64_t(1), std::int64_t(1) << 40))
      ->group(kRun);
  app.add_option("--target-rel-ci", o.target_rel_ci,
                 "certify: sample in rounds until the 95% half-width is at most this fraction of "
                 "the estimate, e.g. 0.01 (0 = one round of --samples)")
      ->check(CLI::Range(0.0, 1.0))
      ->group(kRun);
  app.add_option("--bounds", o.bounds,
                 "certify: auto | interval | linear (CROWN/DeepPoly back-substitution for "
                 "ReLU/PReLU networks; auto uses it unless exact per-axis ranges already bound "
                 "the layer before the output or it would cost over 2e6 multiply-adds a box)")
      ->check(CLI::IsMember({"auto", "interval", "linear"}))
      ->group(kRun);
  app.add_option("--shard", o.shard,
                 "I/N: evaluate only the I-th (0-based) of N contiguous index shards "
                 "(Slurm array jobs; combine with `spikemesh merge`)")
      ->group(kRun);
  app.add_flag("--resume", o.resume, "continue an interrupted run from OUT.partial")->group(kRun);
  app.add_option("--time-limit", o.time_limit,
                 "stop cleanly after this many seconds: checkpoint to OUT.partial, exit 3")
      ->check(CLI::NonNegativeNumber)
      ->group(kRun);
  app.add_option("--checkpoint-interval", o.checkpoint_interval,
                 "seconds between checkpoints to OUT.partial (0: after every block)")
      ->check(CLI::NonNegativeNumber)
      ->group(kRun);
  app.add_flag("--slice", o.slice, "also write /slices/x0x1 (f on the plane of axes 0,1) + .xdmf")
      ->group(kRun);
  app.add_option("--slice-points", o.slice_points, "points per side of the slice")
      ->check(CLI::Range(2, 8192))
      ->group(kRun);

  app.add_subcommand("list", "list the constructions and their parameters")->fallthrough();
  app.add_subcommand("run", "evaluate one case over the mesh and write FILE.h5")->fallthrough();
  CLI::App* sweep = app.add_subcommand("sweep", "one run per parameter combination")->fallthrough();
  sweep
      ->add_option("--sweep", o.sweeps,
                   "NAME=V1,V2,... (repeat for a Cartesian product), e.g. --sweep bias=1.5,1.9")
      ->required();
  CLI::App* info = app.add_subcommand("info", "print the summary of a result file")->fallthrough();
  info->add_option("file", o.info_file, "result file")->required()->check(CLI::ExistingFile);
  CLI::App* land =
      app.add_subcommand("landscape",
                         "training loss over a 2-D parameter mesh + verdict on the case's point")
          ->fallthrough();
  land->add_option("--case", o.landscape_case,
                   "relu-dead-neuron (S1) | sigmoid-three-point (S2) | affine-segment (S3) | "
                   "affine-segment-deep | affine-segment-wide | linear-saddle (S4) | from-file");
  land->add_option("--directions", o.directions, "auto | axes | random | filter-normalized")
      ->check(CLI::IsMember({"auto", "axes", "random", "filter-normalized"}));
  land->add_option("--range", o.range, "mesh spans [-range, range] along both directions")
      ->check(CLI::PositiveNumber);
  land->add_option("--perturbations", o.perturbations,
                   "random directions per perturbation radius (1e-4 .. 1e-1)")
      ->check(CLI::Range(1, 10000000));
  CLI::App* merge =
      app.add_subcommand("merge", "merge shard files: merge OUT.h5 SHARD.h5...")->fallthrough();
  merge->add_option("files", o.merge_files, "OUT.h5 followed by the shard files")
      ->required()
      ->expected(2, 1 << 20);
  CLI::App* suite =
      app.add_subcommand("suite", "the paper's experiments vs exact values -> OUT/report.md")
          ->fallthrough();
  suite->add_flag("--quick", o.quick, "the small version (under 2 minutes on 2 cores; CI)");
  app.require_subcommand(0, 1);
}

std::vector<std::string> given_options(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::Option* opt : app.get_options()) {
    if (opt->count() > 0 && !opt->get_lnames().empty()) names.push_back(opt->get_lnames().front());
  }
  return names;
}

std::vector<std::string> unused_option_notes(const CLI::App& app, const Options& o) {
  std::vector<std::string> used{"construction",
                                "config",
                                "task",
                                "tau",
                                "extra-depth",
                                "extra-width",
                                "extra-activation",
                                "c",
                                "epsilon",
                                "points-per-axis",
                                "centring",
                                "box",
                                "backend",
                                "precision",
                                "threads",
                                "out",
                                "json",
                                "quiet",
                                "slice",
                                "slice-points",
                                "help",
                                "resume",
                                "shard",
                                "quick",
                                "method",
                                "box-budget",
                                "samples",
                                "target-rel-ci",
                                "target-rel-gap",
                                "bounds",
                                "time-limit",
                                "checkpoint-interval"};
  for (const ConstructionInfo& ci : construction_registry()) {
    if (ci.name != o.cp.construction) continue;
    for (const ParamInfo& p : ci.params)
      used.push_back(p.name);
  }
  if (o.cp.task == Task::Classify && o.cp.construction != "from-file") {
    used.insert(used.end(), {"labels", "seed"});
  }
  if (o.cp.task == Task::Approximate) used.push_back("target");
  std::vector<std::string> notes;
  for (const std::string& name : given_options(app)) {
    if (std::find(used.begin(), used.end(), name) == used.end()) {
      notes.push_back("--" + name + " is not used by --construction " + o.cp.construction +
                      (name == "labels" || name == "seed" || name == "target"
                           ? " --task " + task_name(o.cp.task)
                           : ""));
    }
  }
  return notes;
}

std::pair<int, int> parse_shard(const std::string& text) {
  if (text.empty()) return {0, 1};
  const std::size_t slash = text.find('/');
  char* end = nullptr;
  const long i = std::strtol(text.c_str(), &end, 10);
  const bool i_ok = slash != std::string::npos && end == text.c_str() + slash && slash > 0;
  const long n = i_ok ? std::strtol(text.c_str() + slash + 1, &end, 10) : 0;
  if (!i_ok || *end != '\0' || n < 1 || i < 0 || i >= n || n > 1000000) {
    throw InvalidParameter("shard", "'" + text + "' is not I/N with 0 <= I < N (e.g. 0/4)");
  }
  return {static_cast<int>(i), static_cast<int>(n)};
}

const std::vector<std::string>& sweepable_options() {
  static const std::vector<std::string> names{
      "dim",     "train-per-axis", "bias", "alpha",       "K",           "a",
      "L",       "seed",           "tau",  "extra-depth", "extra-width", "c",
      "epsilon", "points-per-axis"};
  return names;
}

void set_option(Options& o, const std::string& name, const std::string& v) {
  CaseParams& p = o.cp;
  if (name == "dim") {
    p.dim = static_cast<int>(parse_int(name, v));
  } else if (name == "train-per-axis") {
    p.train_per_axis = static_cast<int>(parse_int(name, v));
  } else if (name == "bias") {
    p.bias = parse_double(name, v);
  } else if (name == "alpha") {
    p.alpha = parse_double(name, v);
  } else if (name == "K") {
    p.K = parse_double(name, v);
  } else if (name == "a") {
    p.a = parse_double(name, v);
  } else if (name == "L") {
    p.L = parse_double(name, v);
  } else if (name == "seed") {
    p.seed = static_cast<std::uint64_t>(parse_int(name, v));
  } else if (name == "tau") {
    p.tau = parse_double(name, v);
  } else if (name == "extra-depth") {
    p.extra_depth = static_cast<int>(parse_int(name, v));
  } else if (name == "extra-width") {
    p.extra_width = static_cast<int>(parse_int(name, v));
  } else if (name == "c") {
    p.c = parse_double(name, v);
  } else if (name == "epsilon") {
    p.epsilon = parse_double(name, v);
  } else if (name == "points-per-axis") {
    o.points_per_axis = {static_cast<index_t>(parse_int(name, v))};
  } else {
    std::string all;
    for (const std::string& s : sweepable_options())
      all += (all.empty() ? "" : ", ") + s;
    throw InvalidParameter("sweep", "'" + name + "' cannot be swept (choose from " + all + ")");
  }
}

} // namespace spikemesh::cli
