/// @file option_checks.cpp
/// @brief What the parsed command line is checked for: options before a subcommand, the
/// --config TOML file (unknown keys named with file, line and the nearest key), options a
/// subcommand refuses, and options given but not used in the chosen mode.
#include "spikemesh/constructions.hpp"

#include "input_checks.hpp"
#include "options.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <stdexcept>

namespace spikemesh::cli {

const CLI::App& chosen_app(const CLI::App& app) {
  const std::vector<CLI::App*> subs = app.get_subcommands();
  if (subs.empty()) return app;
  for (const std::string& name : given_options(app)) {
    if (name == "help") continue;
    throw std::invalid_argument("--" + name + " must follow the subcommand: spikemesh " +
                                subs.front()->get_name() + " --" + name + " ...");
  }
  return *subs.front();
}

namespace {

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                        std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (same ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::vector<std::string> long_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::Option* opt : app.get_options()) {
    if (!opt->get_lnames().empty() && opt->get_lnames().front() != "help")
      names.push_back(opt->get_lnames().front());
  }
  return names;
}

std::string app_title(const CLI::App& app) {
  return app.get_parent() ? "spikemesh " + app.get_name() : "spikemesh";
}

} // namespace

std::string nearest_name(const std::string& name, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_d = static_cast<std::size_t>(-1);
  for (const std::string& c : candidates) {
    const std::size_t d = edit_distance(name, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

void apply_config(CLI::App& app, const std::string& path) {
  if (path.empty()) return;
  check_config_file(path); // a regular file of at most 1 MiB: never /dev/zero or a FIFO
  const std::vector<CLI::ConfigItem> items = CLI::ConfigTOML().from_file(path);
  std::vector<std::string> lines;
  {
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);)
      lines.push_back(line);
  }
  // The line of key @p key: the first line "key = ..." (spaces and quotes around the key allowed).
  auto line_of = [&lines](const std::string& key) -> std::string {
    for (std::size_t i = 0; i < lines.size(); ++i) {
      std::string t = lines[i];
      const std::size_t eq = t.find('=');
      if (eq == std::string::npos) continue;
      t = t.substr(0, eq);
      t.erase(std::remove_if(t.begin(), t.end(),
                             [](unsigned char ch) { return std::isspace(ch) || ch == '"'; }),
              t.end());
      if (t == key) return "line " + std::to_string(i + 1);
    }
    return "unknown line";
  };
  const std::vector<std::string> valid = long_names(app);
  for (const CLI::ConfigItem& item : items) {
    if (!item.parents.empty()) {
      throw std::invalid_argument("--config: TOML file " + path + ", " +
                                  line_of(item.parents.front()) + ": sections and dotted keys (" +
                                  item.fullname() + ") are not used; write `key = value` lines");
    }
    CLI::Option* opt = app.get_option_no_throw("--" + item.name);
    if (opt == nullptr || item.name == "config" || item.name == "help") {
      throw std::invalid_argument("--config: TOML file " + path + ", " + line_of(item.name) +
                                  ": unknown key '" + item.name + "' for " + app_title(app) +
                                  " (nearest valid key: " + nearest_name(item.name, valid) + ")");
    }
    if (opt->count() > 0) continue; // the command line wins
    opt->add_result(item.inputs);
    try {
      opt->run_callback();
    } catch (const CLI::ParseError& e) {
      throw std::invalid_argument("--config: TOML file " + path + ", " + line_of(item.name) + ": " +
                                  e.what());
    }
  }
}

std::string explain_extras(const CLI::App& root, const std::string& what) {
  const std::vector<CLI::App*> subs = root.get_subcommands();
  const CLI::App& app = subs.empty() ? root : *subs.front();
  const std::size_t colon = what.find(": ");
  const std::string rest = colon == std::string::npos ? what : what.substr(colon + 2);
  // The first unexpected option (its values come first in CLI11's list), else the first word.
  std::string first = rest.substr(0, rest.find(' '));
  for (std::size_t at = 0; at < rest.size();) {
    const std::size_t space = rest.find(' ', at);
    const std::string word = rest.substr(at, space == std::string::npos ? space : space - at);
    if (word.rfind("--", 0) == 0) {
      first = word;
      break;
    }
    if (space == std::string::npos) break;
    at = space + 1;
  }
  if (first.rfind("--", 0) != 0) {
    return app_title(app) + " does not take the argument '" + first + "' (see " + app_title(app) +
           " --help)";
  }
  std::string name = first.substr(2);
  name = name.substr(0, name.find('='));
  std::string takers;
  if (root.get_option_no_throw("--" + name) != nullptr) takers += " run";
  for (const CLI::App* sub : root.get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->get_name() != "run" && sub->get_option_no_throw("--" + name) != nullptr)
      takers += " " + sub->get_name();
  }
  std::string msg = app_title(app) + " does not take --" + name;
  if (!takers.empty()) {
    msg += " (an option of:" + takers + ")";
  } else {
    const std::vector<std::string> valid = long_names(app);
    if (!valid.empty()) msg += " (nearest option it takes: --" + nearest_name(name, valid) + ")";
  }
  return msg + "; " + app_title(app) + " --help lists its options";
}

std::vector<std::string> given_options(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::Option* opt : app.get_options()) {
    if (opt->count() > 0 && !opt->get_lnames().empty()) names.push_back(opt->get_lnames().front());
  }
  return names;
}

std::vector<std::string> unused_option_notes(const CLI::App& app, const Options& o,
                                             const std::vector<std::string>& swept) {
  // Case options that only some constructions (or tasks) read; every other option of the
  // subcommand applies to it (the subcommand refuses the rest).
  const std::vector<std::string> case_specific{
      "network", "dim", "train-per-axis", "bias", "alpha", "K",
      "a",       "L",   "labels",         "seed", "target"};
  std::vector<std::string> used;
  for (const ConstructionInfo& ci : construction_registry()) {
    if (ci.name != o.cp.construction) continue;
    for (const ParamInfo& p : ci.params)
      used.push_back(p.name);
  }
  if (o.cp.task == Task::Classify && o.cp.construction != "from-file") {
    used.insert(used.end(), {"labels", "seed"});
  }
  if (o.cp.task == Task::Approximate) used.push_back("target");
  const bool exact = o.method == "exact";
  const bool certify = o.method == "certify" || exact; // exact takes certify's options
  if (certify) used.push_back("seed");                 // the sampling seed
  const std::vector<std::string> mesh_only{
      "points-per-axis", "centring",   "precision",          "slice", "slice-points", "shard",
      "resume",          "time-limit", "checkpoint-interval"};
  const std::vector<std::string> certify_only{"box-budget", "samples", "target-rel-ci", "bounds"};
  auto in = [](const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  };
  const std::vector<std::string> depth_only{"extra-width", "extra-activation", "c", "epsilon"};
  std::vector<std::string> given = given_options(app);
  std::vector<std::string> labels(given.size());
  for (std::size_t i = 0; i < given.size(); ++i)
    labels[i] = "--" + given[i];
  for (const std::string& name : swept) {
    given.push_back(name);
    labels.push_back("--sweep " + name);
  }
  const bool extended = o.cp.extra_depth > 0 || in(swept, "extra-depth");
  std::vector<std::string> notes;
  for (std::size_t i = 0; i < given.size(); ++i) {
    const std::string& name = given[i];
    if (in(case_specific, name) && !in(used, name)) {
      notes.push_back(labels[i] + " is not used by --construction " + o.cp.construction +
                      (name == "labels" || name == "seed" || name == "target"
                           ? " --task " + task_name(o.cp.task)
                           : ""));
    } else if (!extended && in(depth_only, name)) {
      notes.push_back(labels[i] + " is not used without --extra-depth (the depth extension)");
    } else if (certify && in(mesh_only, name) && name != "time-limit") { // every method stops
      notes.push_back("--" + name + " is not used by --method " + o.method +
                      " (it bounds boxes of the --box instead of evaluating a mesh)");
    } else if (!certify && in(certify_only, name) && app.get_option_no_throw("--method")) {
      notes.push_back("--" + name + " is used only by --method certify and exact");
    } else if (!exact && name == "target-rel-gap") {
      notes.push_back("--target-rel-gap is used only by --method exact");
    } else if (!certify && name == "slice-points" && !o.slice) {
      notes.push_back("--slice-points is not used without --slice");
    }
  }
  const bool dim_known = o.cp.construction != "from-file";
  if (!certify && o.slice && dim_known && o.cp.dim < 2)
    notes.push_back("--slice is not used with --dim 1 (a slice is the plane of axes 0 and 1)");
  return notes;
}

} // namespace spikemesh::cli
