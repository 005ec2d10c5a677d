/// @file progress.hpp
/// @brief Progress on stderr: a live line on a terminal, plain lines every N seconds in batch
/// logs (stderr not a terminal, or --progress-interval given), and one ETA line early in a run
/// expected to take minutes.
#pragma once

#include "spikemesh/config.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <functional>
#include <unistd.h>
#include <utility>

namespace spikemesh::cli {

/// How progress is shown.
struct ProgressMode {
  bool enabled = false;   ///< anything at all (off with --quiet, and on MPI ranks other than 0)
  bool plain = false;     ///< plain lines (batch logs) instead of one rewritten line
  double interval = 60.0; ///< plain: seconds between lines (0: at every update)
};

/// --quiet turns progress off; --progress-interval S (S >= 0) asks for plain lines every S
/// seconds; otherwise a live line on a terminal and plain lines every 60 s elsewhere.
inline ProgressMode progress_mode(bool quiet, double progress_interval, bool root) {
  ProgressMode m;
  m.enabled = root && !quiet;
  const bool terminal = isatty(STDERR_FILENO) != 0;
  m.plain = progress_interval >= 0 || !terminal;
  m.interval = progress_interval >= 0 ? progress_interval : 60.0;
  return m;
}

/// Reports (done, total) updates of one phase of work counted in @p unit.
class ProgressLine {
public:
  /// Seconds on a monotonic clock (a parameter so that tests can drive time).
  using SecondsClock = std::function<double()>;

  /// @p unit names what is counted ("points", "boxes", "samples").
  ProgressLine(std::FILE* out, ProgressMode mode, const char* unit = "points",
               SecondsClock clock = steady_seconds)
      : m_out(out), m_mode(mode), m_unit(unit), m_clock(std::move(clock)), m_start(m_clock()),
        m_last(m_start) {}
  ~ProgressLine() { finish(); }

  /// The total is a budget, not the work (certify's box budget, a sample cap): the work may end
  /// far sooner, so no ETA is predicted, and the lines say "of at most".
  void total_is_a_budget() { m_budget = true; }

  void operator()(index_t done, index_t total) {
    if (!m_mode.enabled || total <= 0) return;
    const double now = m_clock();
    const double elapsed = now - m_start;
    const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
    const double eta = rate > 0 ? static_cast<double>(total - done) / rate : 0.0;
    m_done = done;
    m_total = total;
    // One line as soon as the rate is known (2 s) when the rest will take a minute or more.
    if (!m_eta_told && !m_budget && elapsed >= kSettle && done < total) {
      m_eta_told = true;
      if (eta >= 60.0) {
        finish_live();
        const std::time_t at = std::time(nullptr) + static_cast<std::time_t>(eta);
        char clock[16];
        std::strftime(clock, sizeof clock, "%H:%M:%S", std::localtime(&at));
        std::fprintf(m_out, "spikemesh: this will take about %.1f more minutes (done at %s)\n",
                     eta / 60.0, clock);
        std::fflush(m_out);
      }
    }
    if (m_mode.plain) {
      if (m_lines > 0 && now - m_last < m_mode.interval) return;
      if (m_lines == 0 && elapsed < m_mode.interval) return;
      m_last = now;
      ++m_lines;
      if (m_budget) {
        std::fprintf(
            m_out, "spikemesh: progress %.4g %s of at most %.4g  %.3g %s/s  elapsed %.1f s\n",
            static_cast<double>(done), m_unit, static_cast<double>(total), rate, m_unit, elapsed);
      } else {
        std::fprintf(m_out,
                     "spikemesh: progress %5.1f%%  %.4g / %.4g %s  %.3g %s/s  elapsed %.1f s  "
                     "ETA %.0f s\n",
                     percent(done, total), static_cast<double>(done), static_cast<double>(total),
                     m_unit, rate, m_unit, elapsed, eta);
      }
      std::fflush(m_out);
      return;
    }
    if (elapsed < kSettle || now - m_last < 0.5) return;
    m_last = now;
    if (m_budget) {
      std::fprintf(m_out, "\r[spikemesh] %.3g %s of at most %.3g  %.3g %s/s   ",
                   static_cast<double>(done), m_unit, static_cast<double>(total), rate, m_unit);
    } else {
      std::fprintf(m_out, "\r[spikemesh] %5.1f%%  %.3g / %.3g %s  %.3g %s/s  ETA %.0f s   ",
                   percent(done, total), static_cast<double>(done), static_cast<double>(total),
                   m_unit, rate, m_unit, eta);
    }
    std::fflush(m_out);
    m_live = true;
  }

  /// Ends the live line; in plain mode writes a closing line when progress lines were written.
  void finish() {
    finish_live();
    if (m_mode.enabled && m_mode.plain && m_lines > 0) {
      const double elapsed = m_clock() - m_start;
      std::fprintf(m_out, "spikemesh: progress done  %.4g / %.4g %s in %.1f s\n",
                   static_cast<double>(m_done), static_cast<double>(m_total), m_unit, elapsed);
      std::fflush(m_out);
      m_lines = 0;
    }
  }

private:
  static constexpr double kSettle = 2.0; ///< seconds before a rate is trusted

  static double steady_seconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  static double percent(index_t done, index_t total) {
    return 100.0 * static_cast<double>(done) / static_cast<double>(total);
  }
  void finish_live() {
    if (m_live) std::fprintf(m_out, "\n");
    m_live = false;
  }

  std::FILE* m_out;
  ProgressMode m_mode;
  const char* m_unit;
  SecondsClock m_clock;
  double m_start, m_last;
  index_t m_done = 0, m_total = 0;
  long m_lines = 0;
  bool m_live = false;
  bool m_eta_told = false;
  bool m_budget = false;
};

} // namespace spikemesh::cli
