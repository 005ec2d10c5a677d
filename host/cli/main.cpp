/// @file main.cpp
/// @brief spikemesh entry point: parse, dispatch, map exceptions to exit codes
/// (run/run_control.hpp: 0 ok, 1 runtime failure, 2 invalid input, 3 stopped with a checkpoint,
/// 4 stopped with nothing written).
#include "spikemesh/errors.hpp"
#include "spikemesh/evaluator.hpp"
#include "spikemesh/parallel.hpp"

#include "commands.hpp"
#include "input_checks.hpp"
#include "run/run_control.hpp"

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

namespace {

using namespace spikemesh;

/// Only rank 0 talks (every rank reaches the same error).
void report(const char* kind, const char* what) {
  if (parallel::rank() == 0) std::fprintf(stderr, "spikemesh: %s: %s\n", kind, what);
}

int run_main(int argc, char** argv) {
  cli::Options o;
  // The embedded default (README.md, What the default run prints): 2-D ReLU spike
  // classification, b = 1.9.
  o.cp.construction = "relu-spike";
  o.cp.dim = 2;
  o.cp.train_per_axis = 4;
  CLI::App app{"spikemesh: evaluate the spike networks of Guan (arXiv 2407.16872) and any MLP\n"
               "over dense meshes of [lo,hi]^d and write HDF5 statistics.\n\n"
               "  spikemesh [options]           the embedded demo (2-D ReLU spikes, ~1e8 points;\n"
               "                                takes the options of run; -> spikemesh-demo.h5)\n"
               "  spikemesh list                constructions and their parameters\n"
               "  spikemesh run [options]       one case -> FILE.h5 (--out)\n"
               "  spikemesh sweep --sweep bias=1.5,1.9 [options]   one row per value\n"
               "  spikemesh info FILE.h5        summary of a result file\n"
               "  spikemesh landscape --case sigmoid-three-point   loss surface + verdict\n"
               "  spikemesh run --shard 2/8 ... ; spikemesh merge OUT.h5 SHARD.h5...\n"
               "  spikemesh suite --quick --out DIR   the paper's experiments -> DIR/report.md\n\n"
               "Example: spikemesh run --dim 6 --train-per-axis 3 --bias 5.5 --json\n",
               "spikemesh"};
  std::string why;
  app.set_version_flag("--version", std::string("spikemesh 0.1.0 (cuda backend: ") +
                                        (cuda_available(&why) ? "on, device present" : why) +
                                        "; mpi: " + (parallel::built_with_mpi() ? "on" : "off") +
                                        ")");
  cli::add_options(app, o);
  std::string parse_error; // a parse error of one rank reaches rank 0 (agreed below)
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return parallel::rank() == 0 ? app.exit(e) : 0;
  } catch (const CLI::CallForAllHelp& e) {
    return parallel::rank() == 0 ? app.exit(e) : 0;
  } catch (const CLI::CallForVersion& e) {
    return parallel::rank() == 0 ? app.exit(e) : 0;
  } catch (const CLI::ExtrasError& e) {
    parse_error = cli::explain_extras(app, e.what());
  } catch (const CLI::ParseError& e) {
    const std::vector<CLI::App*> subs = app.get_subcommands();
    const std::string help =
        subs.empty() ? "spikemesh --help" : "spikemesh " + subs.front()->get_name() + " --help";
    parse_error = std::string(e.what()) + " (see " + help + ")";
  }
  const parallel::RankError first = parallel::first_error(!parse_error.empty(), 2, parse_error);
  if (first.rank >= 0) {
    const std::string where =
        parallel::size() > 1 ? "rank " + std::to_string(first.rank) + ": " : "";
    report("error", (where + first.message).c_str());
    return 2;
  }

  // A build without MPI started as one of several ranks: each would run the whole job and write
  // the same file. Allowed: info and list (read only) and --shard (each task its own share).
  const std::string launcher = parallel::launcher_without_mpi();
  if (!launcher.empty() && o.shard.empty() && !app.got_subcommand("info") &&
      !app.got_subcommand("list")) {
    report("error", ("started as one of several MPI ranks (" + launcher +
                     "), but this build has no MPI (spikemesh --version says mpi: off); rebuild "
                     "with OpenMPI (-DSPIKEMESH_MPI=ON), run one process, or give each task its "
                     "own --shard I/N and --out")
                        .c_str());
    return 2;
  }

  cli::Invocation inv;
  for (int i = 0; i < argc; ++i)
    inv.command_line += (i ? " " : "") + std::string(argv[i]);
  try {
    const CLI::App* chosen = nullptr;
    cli::agree_on_errors([&] { // the config and the input checks fail on every rank or none
      chosen = &cli::chosen_app(app);
      cli::apply_config(const_cast<CLI::App&>(*chosen), o.config);
      cli::check_inputs(o, !app.got_subcommand("landscape") && !app.got_subcommand("suite"));
    });
    inv.app = chosen;
    if (app.got_subcommand("list")) return parallel::rank() == 0 ? cli::list_command() : 0;
    if (app.got_subcommand("info")) return parallel::rank() == 0 ? cli::info_command(o) : 0;
    if (app.got_subcommand("sweep")) return cli::sweep_command(o, inv);
    if (app.got_subcommand("landscape")) return cli::landscape_command(o, inv);
    if (app.got_subcommand("merge")) return cli::merge_command(o, inv);
    if (app.got_subcommand("suite")) return cli::suite_command(o, inv);
    inv.demo = !app.got_subcommand("run");
    return cli::run_command(o, inv);
  } catch (const InvalidParameter& e) {
    report("error", e.what());
    return 2;
  } catch (const CLI::ParseError& e) {
    report("error", e.what());
    return 2;
  } catch (const InvalidFile& e) {
    report("error", e.what());
    return 2;
  } catch (const std::invalid_argument& e) {
    report("error", e.what());
    return 2;
  } catch (const std::exception& e) {
    report("failed", e.what());
    return 1;
  }
}

} // namespace

int main(int argc, char** argv) {
  spikemesh::run::install_stop_handlers(); // host/run/run_control.hpp: every phase honours a stop
  spikemesh::parallel::init(&argc, &argv);
  const int code = run_main(argc, argv);
  spikemesh::parallel::finalize();
  return code;
}
