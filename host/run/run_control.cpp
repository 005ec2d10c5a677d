/// @file run_control.cpp
/// @brief Stop flag, immediate and cooperative phases, the time-limit timer, test stop points.
#include "run_control.hpp"

#include <cmath>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <sys/time.h>
#include <unistd.h>

namespace spikemesh::run {
namespace {

volatile std::sig_atomic_t g_stop = 0;
volatile std::sig_atomic_t g_signal = 0;
volatile std::sig_atomic_t g_immediate = 1; // start-up: nothing written yet
const char* volatile g_phase = "start-up";
const char* volatile g_consequence = "nothing was written";
long g_blocks = 0;

const char* signal_name(int sig) {
  switch (sig) {
  case SIGTERM:
    return "SIGTERM";
  case SIGINT:
    return "SIGINT";
  case SIGUSR1:
    return "SIGUSR1";
  case SIGALRM:
    return "the time limit (--time-limit)";
  default:
    return "a signal";
  }
}

void say(const char* s) {
  const ssize_t ignored = write(STDERR_FILENO, s, std::strlen(s));
  (void)ignored;
}

/// Async-signal-safe: write(2) of constant strings and _exit.
[[noreturn]] void stop_now(int sig, const char* phase, const char* consequence) {
  say("spikemesh: stopped by ");
  say(signal_name(sig));
  say(" during ");
  say(phase);
  say("; ");
  say(consequence);
  say("\n");
  _exit(kExitStopped);
}

extern "C" void on_stop_signal(int sig) {
  g_stop = 1;
  if (g_signal == 0) g_signal = sig;
  if (g_immediate) stop_now(sig, g_phase, g_consequence);
}

/// The signal a test stop point raises: SPIKEMESH_TEST_STOP_SIGNAL=INT|USR1|KILL|TERM (default;
/// KILL: a crash at a chosen block, for the resume tests).
int test_signal() {
  const char* s = std::getenv("SPIKEMESH_TEST_STOP_SIGNAL");
  if (s && std::strcmp(s, "INT") == 0) return SIGINT;
  if (s && std::strcmp(s, "USR1") == 0) return SIGUSR1;
  if (s && std::strcmp(s, "KILL") == 0) return SIGKILL;
  return SIGTERM;
}

void test_stop_at(const char* phase) {
  const char* want = std::getenv("SPIKEMESH_TEST_STOP_IN");
  if (want && std::strcmp(want, phase) == 0) std::raise(test_signal());
}

} // namespace

void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (int sig : {SIGTERM, SIGINT, SIGUSR1, SIGALRM})
    sigaction(sig, &sa, nullptr);
  std::signal(SIGXFSZ, SIG_IGN); // a file-size limit must be an error we report, not a kill
}

bool stop_requested() {
  return g_stop != 0;
}

std::string stop_cause() {
  return signal_name(g_signal);
}

void arm_time_limit(double seconds) {
  if (!(seconds > 0) || !(seconds < 1e9)) return; // beyond 30 years: no limit
  itimerval t{};
  t.it_value.tv_sec = static_cast<time_t>(seconds);
  t.it_value.tv_usec = static_cast<suseconds_t>((seconds - std::floor(seconds)) * 1e6);
  if (t.it_value.tv_sec == 0 && t.it_value.tv_usec == 0) t.it_value.tv_usec = 1;
  setitimer(ITIMER_REAL, &t, nullptr);
}

ImmediateStop::ImmediateStop(const char* phase, const char* consequence)
    : m_phase(g_phase), m_consequence(g_consequence), m_immediate(g_immediate != 0) {
  g_phase = phase;
  g_consequence = consequence;
  g_immediate = 1;
  if (g_stop) stop_now(g_signal, phase, consequence);
  test_stop_at(phase);
}

ImmediateStop::~ImmediateStop() {
  g_immediate = 0; // restore in the order the handler reads
  g_phase = m_phase;
  g_consequence = m_consequence;
  g_immediate = m_immediate ? 1 : 0;
}

CooperativeStop::CooperativeStop(const char* phase)
    : m_phase(g_phase), m_consequence(g_consequence), m_immediate(g_immediate != 0) {
  g_immediate = 0;
  g_phase = phase;
  test_stop_at(phase);
}

CooperativeStop::~CooperativeStop() {
  g_phase = m_phase;
  g_consequence = m_consequence;
  g_immediate = m_immediate ? 1 : 0;
}

void block_done() {
  static const long stop_after = [] {
    const char* k = std::getenv("SPIKEMESH_TEST_STOP_AFTER_BLOCKS");
    return k ? std::atol(k) : 0L;
  }();
  if (stop_after > 0 && ++g_blocks == stop_after) std::raise(test_signal());
}

void stop_if_immediate() {
  if (g_stop && g_immediate) stop_now(g_signal, g_phase, g_consequence);
}

[[noreturn]] void exit_stopped(const char* phase, const char* consequence) {
  stop_now(g_signal, phase, consequence);
}

} // namespace spikemesh::run
