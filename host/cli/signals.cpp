/// @file signals.cpp
/// @brief Async-signal-safe stop flag.
#include "signals.hpp"

#include <csignal>
#include <cstdlib>

namespace spikemesh::cli {
namespace {

volatile std::sig_atomic_t g_stop = 0;

extern "C" void on_stop_signal(int) {
  g_stop = 1;
}

} // namespace

void install_stop_handlers() {
  std::signal(SIGTERM, on_stop_signal);
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGUSR1, on_stop_signal);
  std::signal(SIGXFSZ, SIG_IGN); // a file-size limit must be an error we report, not a kill
}

bool stop_requested() {
  return g_stop != 0;
}

} // namespace spikemesh::cli
