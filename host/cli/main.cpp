/// @file main.cpp
/// @brief spikemesh entry point: parse, dispatch, map exceptions to exit codes
/// (0 ok, 2 invalid input, 1 runtime failure).
#include "spikemesh/errors.hpp"

#include "commands.hpp"

#include <cstdio>
#include <exception>

int main(int argc, char** argv) {
  using namespace spikemesh;
  cli::Options o;
  // The embedded default (design.md 3.1): 2-D ReLU spike classification, b = 1.9.
  o.cp.construction = "relu-spike";
  o.cp.dim = 2;
  o.cp.train_per_axis = 4;
  CLI::App app{"spikemesh: evaluate the spike networks of Guan (arXiv 2407.16872) and any MLP\n"
               "over dense meshes of [lo,hi]^d and write HDF5 statistics.\n\n"
               "  spikemesh                     the embedded demo (2-D ReLU spikes, ~1e8 points)\n"
               "  spikemesh list                constructions and their parameters\n"
               "  spikemesh run [options]       one case -> FILE.h5 (--out)\n"
               "  spikemesh sweep --sweep bias=1.5,1.9 [options]   one row per value\n"
               "  spikemesh info FILE.h5        summary of a result file\n"
               "  spikemesh landscape --case sigmoid-three-point   loss surface + verdict\n\n"
               "Example: spikemesh run --dim 6 --train-per-axis 3 --bias 5.5 --json\n",
               "spikemesh"};
  app.set_version_flag("--version", "spikemesh 0.1.0");
  cli::add_options(app, o);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "spikemesh: error: %s (see spikemesh --help)\n", e.what());
    return 2;
  }

  cli::Invocation inv;
  for (int i = 0; i < argc; ++i)
    inv.command_line += (i ? " " : "") + std::string(argv[i]);
  inv.app = &app;
  try {
    if (app.got_subcommand("list")) return cli::list_command();
    if (app.got_subcommand("info")) return cli::info_command(o);
    if (app.got_subcommand("sweep")) return cli::sweep_command(o, inv);
    if (app.got_subcommand("landscape")) return cli::landscape_command(o, inv);
    inv.demo = !app.got_subcommand("run");
    return cli::run_command(o, inv);
  } catch (const InvalidParameter& e) {
    std::fprintf(stderr, "spikemesh: error: %s\n", e.what());
    return 2;
  } catch (const InvalidFile& e) {
    std::fprintf(stderr, "spikemesh: error: %s\n", e.what());
    return 2;
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "spikemesh: error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "spikemesh: failed: %s\n", e.what());
    return 1;
  }
}
