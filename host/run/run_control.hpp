/// @file run_control.hpp
/// @brief Stop signals, time limits, exit codes and test stop points for every command.
///
/// SIGTERM, SIGINT, SIGUSR1 and the --time-limit timer (SIGALRM) end every long command within
/// a second or two. In a phase that can leave a checkpoint (mesh blocks, sweep rows, the exact
/// method's subdivision, writing a file) they set a flag that the phase polls; in any other
/// phase (case set-up and the training-error pass, certify, landscape, the suite) the process
/// ends at once with exit code 4 and a message that nothing was written.
#pragma once

#include <string>

namespace spikemesh::run {

/// Exit codes of every command (README.md, Exit codes; --help footers).
enum ExitCode : int {
  kExitOk = 0,
  kExitFailed = 1,     ///< a runtime failure (I/O, another writer won)
  kExitInvalid = 2,    ///< invalid input, found before any work
  kExitCheckpoint = 3, ///< stopped; OUT.partial holds what --resume continues from
  kExitStopped = 4,    ///< stopped by a signal or --time-limit; nothing was written
};

/// Installs the handlers (idempotent); SIGXFSZ becomes a write error, never a kill.
void install_stop_handlers();

/// True once a stop signal arrived or the time limit passed.
bool stop_requested();

/// What asked to stop ("SIGTERM", "the time limit", ...), for messages.
std::string stop_cause();

/// Starts the --time-limit clock (seconds from now; <= 0: none).
void arm_time_limit(double seconds);

/// While alive, a stop ends the process at once (exit 4, "stopped during @p phase; nothing was
/// written" or @p consequence); a stop that arrived before takes effect on entry. Restores the
/// previous mode when it ends. SPIKEMESH_TEST_STOP_IN=@p phase raises SIGTERM on entry.
class ImmediateStop {
public:
  explicit ImmediateStop(const char* phase, const char* consequence = "nothing was written");
  ~ImmediateStop();
  ImmediateStop(const ImmediateStop&) = delete;
  ImmediateStop& operator=(const ImmediateStop&) = delete;

private:
  const char* m_phase;
  const char* m_consequence;
  bool m_immediate;
};

/// While alive, a stop only sets the flag (the phase polls stop_requested()).
/// SPIKEMESH_TEST_STOP_IN=@p phase raises SIGTERM on entry.
class CooperativeStop {
public:
  explicit CooperativeStop(const char* phase);
  ~CooperativeStop();
  CooperativeStop(const CooperativeStop&) = delete;
  CooperativeStop& operator=(const CooperativeStop&) = delete;

private:
  const char* m_phase;
  const char* m_consequence;
  bool m_immediate;
};

/// A stop point after one block of work (mesh blocks, sweep blocks, certify batches). With
/// SPIKEMESH_TEST_STOP_AFTER_BLOCKS=K (tests only) the K-th call raises SIGTERM (or the signal
/// SPIKEMESH_TEST_STOP_SIGNAL names: INT, USR1): deterministic stops without timing.
void block_done();

/// After a cooperative step inside an immediate phase (writing one file of the suite): a stop
/// that arrived meanwhile ends the process now, as it would have on arrival.
void stop_if_immediate();

/// Ends the process now as a stop in an immediate phase would (exit 4, message).
[[noreturn]] void exit_stopped(const char* phase, const char* consequence = "nothing was written");

} // namespace spikemesh::run
