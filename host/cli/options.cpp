/// @file options.cpp
/// @brief CLI11 option definitions (CLI11 2.1.2): each subcommand's options, grouped, with their
/// defaults in the help text; the sweepable setters.
#include "options.hpp"

#include "spikemesh/constructions.hpp"

#include "input_checks.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <map>
#include <memory>

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
  if (!std::isfinite(d)) throw InvalidParameter(name, "'" + v + "' is not a finite number");
  return d;
}

long long parse_int(const std::string& name, const std::string& v) {
  char* end = nullptr;
  errno = 0;
  const long long i = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0') throw InvalidParameter(name, "'" + v + "' is not an integer");
  if (errno == ERANGE) throw InvalidParameter(name, "'" + v + "' is outside [-2^63, 2^63)");
  return i;
}

int parse_int32(const std::string& name, const std::string& v) {
  const long long i = parse_int(name, v);
  if (i < INT_MIN || i > INT_MAX) throw InvalidParameter(name, "'" + v + "' is too large");
  return static_cast<int>(i);
}

} // namespace

namespace {

/// CLI11's formatter with option descriptions wrapped at kHelpWidth columns (2.1.2 does not
/// wrap; CLI11 indents the lines after a '\n').
class WrappingFormatter : public CLI::Formatter {
public:
  static constexpr std::size_t kHelpWidth = 100;
  std::string make_option_desc(const CLI::Option* opt) const override {
    const std::string text = CLI::Formatter::make_option_desc(opt);
    const std::size_t width =
        kHelpWidth > get_column_width() + 30 ? kHelpWidth - get_column_width() : 30;
    std::string out;
    std::size_t line = 0;
    std::size_t at = 0;
    while (at < text.size()) {
      std::size_t end = text.find(' ', at);
      if (end != std::string::npos && text.compare(at, end - at, "[default:") == 0)
        end = text.find(' ', end + 1); // "[default: VALUE" stays on one line
      if (end == std::string::npos) end = text.size();
      const std::string word = text.substr(at, end - at);
      if (line > 0 && line + 1 + word.size() > width) {
        out += '\n';
        line = 0;
      } else if (line > 0) {
        out += ' ';
        ++line;
      }
      out += word;
      line += word.size();
      at = end + 1;
    }
    return out;
  }
};

/// "HELP [default: VALUE]": every option's help shows its default (and unit in HELP).
std::string dflt(const std::string& help, const std::string& value) {
  return help + " [default: " + value + "]";
}

const char* kCaseGroup = "Case";
const char* kDepthGroup = "Depth extension (C4, any case)";
const char* kMeshGroup = "Mesh";
const char* kExecGroup = "Execution";
const char* kBatchGroup = "Batch jobs";
const char* kCertifyGroup = "Certify (--method certify | exact)";
const char* kLandscapeGroup = "Landscape";
const char* kSweepGroup = "Sweep";
const char* kOutputGroup = "Output";

void add_config(CLI::App& app, Options& o) {
  app.add_option("--config", o.config,
                 "read this subcommand's options from a TOML file (keys = option names without "
                 "dashes; the command line wins; an unknown key is an error)")
      ->check(CLI::ExistingFile)
      ->group(kOutputGroup);
}

void add_case(CLI::App& app, Options& o) {
  const char* g = kCaseGroup;
  app.add_option(
         "--construction", o.cp.construction,
         dflt("relu-spike (C1) | prelu-spike (C2) | sigmoid-spike (C3) | from-file", "relu-spike"))
      ->check(CLI::IsMember({"relu-spike", "prelu-spike", "sigmoid-spike", "from-file"}))
      ->group(g);
  app.add_option("--network", o.cp.network_file,
                 dflt("from-file: HDF5 file in the /network schema", "none"))
      ->group(g);
  app.add_option("--dim", o.cp.dim, dflt("input dimension d (1..32)", "2"))->group(g);
  app.add_option("--train-per-axis", o.cp.train_per_axis,
                 dflt("training points per axis n (>= 2; n^d in all)", "4"))
      ->group(g);
  app.add_option("--bias", o.cp.bias, dflt("spike bias b in [d-1, d)", "d - 0.1"))->group(g);
  app.add_option("--alpha", o.cp.alpha, dflt("prelu-spike: PReLU slope in [0, 1)", "0.25"))
      ->group(g);
  app.add_option("--K", o.cp.K, dflt("sigmoid-spike: first-layer sharpness (> 0)", "50"))->group(g);
  app.add_option("--a", o.cp.a, dflt("sigmoid-spike: bump shape (> 0)", "1"))->group(g);
  app.add_option("--L", o.cp.L, dflt("sigmoid-spike: second-layer sharpness (> 0)", "50"))
      ->group(g);
  app.add_option("--task", o.cp.task, dflt("classify | approximate", "classify"))
      ->transform(choices(kTasks))
      ->group(g);
  app.add_option("--labels", o.cp.labels, dflt("classify: random | checkerboard | ones", "random"))
      ->transform(choices(kLabels))
      ->group(g);
  app.add_option("--seed", o.cp.seed,
                 dflt("seed of the random labels (certify: also of the samples)", "1"))
      ->group(g);
  app.add_option("--target", o.cp.target, dflt("approximate: one | sin | gauss | poly", "one"))
      ->transform(choices(kTargets))
      ->group(g);
  app.add_option("--tau", o.cp.tau,
                 dflt("spike threshold: |f| > tau is a spike, |f| <= tau undecided",
                      "0; sigmoid 0.5; prelu 1e-4; depth-extended 1e-5 max(1,c/epsilon)"))
      ->group(g);
}

void add_depth(CLI::App& app, Options& o) {
  const char* g = kDepthGroup;
  app.add_option("--extra-depth", o.cp.extra_depth, dflt("extra hidden layers N (0 = none)", "0"))
      ->group(g);
  app.add_option("--extra-width", o.cp.extra_width, dflt("width w of each extra layer (>= 1)", "1"))
      ->group(g);
  app.add_option("--extra-activation", o.cp.extra_activation,
                 dflt("relu | sigmoid | tanh | softplus", "relu"))
      ->transform(choices(kExtraActs))
      ->group(g);
  app.add_option("--c", o.cp.c, dflt("centre c (relu: > 0)", "1"))->group(g);
  app.add_option("--epsilon", o.cp.epsilon, dflt("scale epsilon (> 0)", "0.5"))->group(g);
}

void add_mesh(CLI::App& app, Options& o, const std::string& points_default) {
  const char* g = kMeshGroup;
  app.add_option("--points-per-axis", o.points_per_axis,
                 dflt("mesh points per axis M, or one M per axis (M,M,...)", points_default))
      ->delimiter(',')
      ->group(g);
  app.add_option("--centring", o.centring, dflt("cell (midpoint rule) | vertex", "cell"))
      ->transform(choices(kCentrings))
      ->group(g);
  app.add_option("--box", o.box, dflt("LO,HI: the box [LO,HI]^d", "0,1"))
      ->delimiter(',')
      ->expected(2)
      ->group(g);
}

void add_execution(CLI::App& app, Options& o, bool precision) {
  const char* g = kExecGroup;
  app.add_option("--backend", o.backend,
                 dflt("auto (cuda when a device is present, else cpu) | cpu | cuda", "auto"))
      ->transform(choices(kBackends))
      ->group(g);
  if (precision) {
    app.add_option("--precision", o.precision,
                   dflt("auto (float only when its rounding-error bound leaves tau a margin, "
                        "docs/math.md 7.6; else double) | float | double",
                        "auto"))
        ->transform(choices(kPrecisions))
        ->group(g);
  }
  app.add_option("--threads", o.threads,
                 dflt("CPU threads (0 = all cores; at most max(256, 4 x cores))", "0"))
      ->check(thread_count())
      ->group(g);
}

void add_progress(CLI::App& app, Options& o) {
  app.add_option("--progress-interval", o.progress_interval,
                 dflt("seconds between plain progress lines (done, rate, ETA) on stderr; 0: after "
                      "every block. Off with --quiet",
                      "a live line on a terminal; 60 when stderr is not a terminal (batch logs)"))
      ->check(non_negative())
      ->group(kBatchGroup);
}

void add_shard(CLI::App& app, Options& o) {
  app.add_option("--shard", o.shard,
                 dflt("I/N: evaluate only the I-th (0-based) of N contiguous index shards "
                      "(Slurm array jobs; combine with `spikemesh merge`)",
                      "the whole mesh"))
      ->group(kBatchGroup);
}

void add_time_limit(CLI::App& app, Options& o, const char* group, const char* help) {
  app.add_option("--time-limit", o.time_limit, dflt(help, "0"))
      ->check(non_negative())
      ->group(group);
}

void add_checkpoints(CLI::App& app, Options& o) {
  const char* g = kBatchGroup;
  app.add_flag("--resume", o.resume,
               "continue an interrupted run or sweep from OUT.partial (its fingerprint checked)")
      ->group(g);
  add_time_limit(app, o, g,
                 "stop cleanly after this many seconds: a mesh run or sweep checkpoints to "
                 "OUT.partial and exits 3, --method exact writes its wider bracket, anything "
                 "else exits 4 with nothing written (0 = none)");
  app.add_option("--checkpoint-interval", o.checkpoint_interval,
                 dflt("seconds between checkpoints to OUT.partial (0: after every block)", "60"))
      ->check(non_negative())
      ->group(g);
}

void add_certify(CLI::App& app, Options& o) {
  const char* g = kCertifyGroup;
  app.add_option("--method", o.method,
                 dflt("mesh: evaluate every mesh point | certify: certified bounds + sampled "
                      "estimate of the spike volume (high d) | exact: certify plus closed-form "
                      "volumes on boxes where a ReLU/PReLU network is affine (brackets that meet; "
                      "also takes --time-limit)",
                      "mesh"))
      ->check(CLI::IsMember({"mesh", "certify", "exact"}))
      ->group(g);
  app.add_option("--target-rel-gap", o.target_rel_gap,
                 dflt("exact: stop subdividing once the certified upper - lower is at most this "
                      "fraction of lower",
                      "1e-12"))
      ->check(CLI::Range(0.0, 1.0))
      ->group(g);
  app.add_option("--box-budget", o.box_budget, dflt("boxes bounded before sampling", "1000000"))
      ->check(CLI::Range(std::int64_t(1), std::int64_t(1) << 40))
      ->group(g);
  app.add_option(
         "--samples", o.samples,
         dflt("points sampled in the undecided boxes (with --target-rel-ci: the cap)", "1000000"))
      ->check(CLI::Range(std::int64_t(1), std::int64_t(1) << 40))
      ->group(g);
  app.add_option("--target-rel-ci", o.target_rel_ci,
                 dflt("sample in rounds until the 95% half-width is at most this fraction of the "
                      "estimate, e.g. 0.01 (0 = one round of --samples)",
                      "0"))
      ->check(CLI::Range(0.0, 1.0))
      ->group(g);
  app.add_option("--bounds", o.bounds,
                 dflt("auto | interval | linear (CROWN/DeepPoly back-substitution for ReLU/PReLU "
                      "networks; auto uses it unless exact per-axis ranges already bound the layer "
                      "before the output or it would cost over 2e6 multiply-adds a box)",
                      "auto"))
      ->check(CLI::IsMember({"auto", "interval", "linear"}))
      ->group(g);
}

const char* kReplaced = "; an existing regular file there is replaced (with a notice)";

void add_output(CLI::App& app, Options& o, const std::string& default_out, bool json = true) {
  const char* g = kOutputGroup;
  app.add_option("--out", o.out,
                 dflt(std::string("output HDF5 file (written as FILE.partial, renamed when "
                                  "complete") +
                          kReplaced + ")",
                      default_out))
      ->group(g);
  if (json)
    app.add_flag("--json", o.json, "print the summary as one JSON object on stdout")->group(g);
  app.add_flag("--quiet", o.quiet, "no progress, no notices, no table")->group(g);
}

void add_slice(CLI::App& app, Options& o) {
  app.add_flag("--slice", o.slice,
               "also write /slices/x0x1 (f on the plane of axes 0,1 through the box centre; d >= "
               "2) and a ParaView .xdmf sidecar")
      ->group(kOutputGroup);
  app.add_option("--slice-points", o.slice_points, dflt("points per side of the slice", "512"))
      ->check(CLI::Range(2, 8192))
      ->group(kOutputGroup);
}

/// --max-memory (run, sweep): the limit the memory estimates are checked against.
void add_memory(CLI::App& app, Options& o) {
  app.add_option("--max-memory", o.max_memory,
                 dflt("refuse cases, depth extensions and certify box budgets whose memory "
                      "estimate exceeds SIZE (bytes, or K, M, G, T: powers of 1024)",
                      "half of the physical memory"))
      ->group(kExecGroup);
}

/// Everything `run` (and the bare demo) takes.
void add_run_options(CLI::App& app, Options& o, const std::string& default_out) {
  add_case(app, o);
  add_depth(app, o);
  add_mesh(app, o, "about 1e8 points in all on CPU, 1e9 on GPU, M odd and coprime to n - 1");
  add_execution(app, o, true);
  add_memory(app, o);
  add_shard(app, o);
  add_checkpoints(app, o);
  add_progress(app, o);
  add_certify(app, o);
  add_output(app, o, default_out);
  add_slice(app, o);
  add_config(app, o);
}

/// Exit codes, for every footer.
const char* kExitCodes = "Exit codes: 0 ok, 1 runtime failure, 2 invalid input (one line naming "
                         "the option; no file),\n"
                         "            3 stopped with a checkpoint (continue with --resume),\n"
                         "            4 stopped by a signal or --time-limit with nothing written";

} // namespace

void add_options(CLI::App& app, Options& o) {
  app.formatter(std::make_shared<WrappingFormatter>()); // subcommands inherit it
  app.get_formatter()->column_width(34);
  add_run_options(app, o, "spikemesh-demo.h5");

  app.add_subcommand("list", "list the constructions and their parameters")->footer(kExitCodes);

  CLI::App* run = app.add_subcommand("run", "evaluate one case over the mesh and write FILE.h5");
  add_run_options(*run, o, "spikemesh-run.h5");
  run->footer(std::string("Example: spikemesh run --dim 6 --train-per-axis 3 --bias 5.5 --json\n"
                          "         spikemesh run --method certify --dim 10 --train-per-axis 2 "
                          "--bias 9.9\n") +
              kExitCodes);

  CLI::App* sweep = app.add_subcommand("sweep", "one run per parameter combination -> /sweep");
  sweep
      ->add_option("--sweep", o.sweeps,
                   "NAME=V1,V2,... (repeat for a Cartesian product; last one fastest), e.g. "
                   "--sweep bias=1.5,1.9. Names: dim, train-per-axis, bias, alpha, K, a, L, seed, "
                   "tau, extra-depth, extra-width, c, epsilon, points-per-axis [required]")
      ->group(kSweepGroup);
  add_case(*sweep, o);
  add_depth(*sweep, o);
  add_mesh(*sweep, o, "about 1e8 points (1e9 on GPU) shared by the rows");
  add_execution(*sweep, o, true);
  add_memory(*sweep, o);
  add_shard(*sweep, o);
  add_checkpoints(*sweep, o);
  add_progress(*sweep, o);
  add_output(*sweep, o, "spikemesh-sweep.h5");
  add_config(*sweep, o);
  sweep->footer(std::string("Example: spikemesh sweep --sweep bias=1.0,1.5,1.9 --points-per-axis "
                            "3001 --out bias.h5\n") +
                kExitCodes);

  CLI::App* info = app.add_subcommand("info", "print the summary of a result file");
  info->footer(kExitCodes);
  info->add_option("file", o.info_file, "result file")->required()->check(CLI::ExistingFile);
  info->add_flag("--json", o.json,
                 "print the file's statistics as one JSON object (the keys of `run --json`)")
      ->group(kOutputGroup);

  CLI::App* land = app.add_subcommand(
      "landscape", "training loss over a 2-D parameter mesh + verdict on its point");
  const char* lg = kLandscapeGroup;
  land->add_option("--case", o.landscape_case,
                   dflt("relu-dead-neuron (S1) | sigmoid-three-point (S2) | affine-segment (S3) | "
                        "affine-segment-deep | affine-segment-wide | linear-saddle (S4) | "
                        "from-file",
                        "relu-dead-neuron"))
      ->group(lg);
  land->add_option("--network", o.cp.network_file,
                   dflt("from-file: HDF5 file with /network and /training", "none"))
      ->group(lg);
  land->add_option("--directions", o.directions,
                   dflt("auto (axes for 2 parameters, else filter-normalized) | axes | random | "
                        "filter-normalized",
                        "auto"))
      ->check(CLI::IsMember({"auto", "axes", "random", "filter-normalized"}))
      ->group(lg);
  land->add_option("--range", o.range,
                   dflt("the mesh spans [-R, R] along both directions (parameter units)", "1"))
      ->check(positive())
      ->group(lg);
  land->add_option("--points-per-axis", o.points_per_axis,
                   dflt("mesh side M: M x M losses", std::to_string(kDefaultLandscapePoints)))
      ->expected(1)
      ->group(lg);
  land->add_option("--perturbations", o.perturbations,
                   dflt("random directions per perturbation radius (radii 1e-4 .. 1e-1)", "20000"))
      ->check(CLI::Range(1, 10000000))
      ->group(lg);
  land->add_option("--seed", o.cp.seed, dflt("seed of the random directions and case data", "1"))
      ->group(lg);
  add_execution(*land, o, false);
  add_time_limit(*land, o, kOutputGroup,
                 "stop after this many seconds: exit 4, nothing written "
                 "(0 = none)");
  add_output(*land, o, "spikemesh-landscape.h5");
  add_config(*land, o);
  land->footer(std::string("Example: spikemesh landscape --case sigmoid-three-point --range 3\n") +
               kExitCodes);

  CLI::App* merge = app.add_subcommand("merge", "merge shard files: merge OUT.h5 SHARD.h5...");
  merge->footer(std::string("Refuses gaps, overlaps and shards of other cases; OUT.h5 is "
                            "replaced when it is an\n"
                            "existing regular file (with a notice).\n") +
                kExitCodes);
  merge->add_option("files", o.merge_files, "OUT.h5 followed by the shard files")
      ->required()
      ->expected(2, 1 << 20);
  merge->add_flag("--json", o.json, "print the merged summary as one JSON object")
      ->group(kOutputGroup);
  merge->add_flag("--quiet", o.quiet, "print nothing")->group(kOutputGroup);

  CLI::App* suite =
      app.add_subcommand("suite", "the paper's experiments vs exact values -> OUT/report.md");
  suite->footer(kExitCodes);
  suite->add_flag("--quick", o.quick, "the small version (under 2 minutes on 2 cores; CI)");
  add_execution(*suite, o, true);
  suite
      ->add_option("--out", o.out,
                   dflt("output folder (suite.h5, report.md, PNGs)", "spikemesh-suite"))
      ->group(kOutputGroup);
  suite->add_flag("--quiet", o.quiet, "no progress, no table")->group(kOutputGroup);
  app.footer(std::string("Subcommands take their own options; `spikemesh SUBCOMMAND --help` "
                         "lists them with their defaults:\n"
                         "  run        the options above (default --out spikemesh-run.h5)\n"
                         "  sweep      --sweep NAME=V1,V2,... (repeat for a product) + the case, "
                         "mesh and\n"
                         "             execution options; --out spikemesh-sweep.h5\n"
                         "  landscape  --case NAME, --directions auto|axes|random|filter-"
                         "normalized, --range R,\n"
                         "             --perturbations N, --points-per-axis M, --seed, "
                         "--network FILE;\n"
                         "             --out spikemesh-landscape.h5\n"
                         "  info       FILE [--json]\n"
                         "  merge      OUT.h5 SHARD.h5... [--json] [--quiet]\n"
                         "  suite      --quick, --out DIR, --backend, --threads, --precision\n"
                         "  list       the constructions and their parameters\n") +
             kExitCodes);
  app.require_subcommand(0, 1);
  harden_numeric_options(app); // NaN, Inf and out-of-range integers: exit 2 naming the option
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
    p.dim = parse_int32(name, v);
  } else if (name == "train-per-axis") {
    p.train_per_axis = parse_int32(name, v);
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
    p.extra_depth = parse_int32(name, v);
  } else if (name == "extra-width") {
    p.extra_width = parse_int32(name, v);
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
