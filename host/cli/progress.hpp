/// @file progress.hpp
/// @brief A progress line (points done, rate, ETA) on stderr for runs longer than ~2 s.
#pragma once

#include "spikemesh/config.hpp"

#include <chrono>
#include <cstdio>

namespace spikemesh::cli {

/// Rewrites one line on @p out at most twice a second, starting after @p delay_s seconds.
class ProgressLine {
public:
  /// @p unit names what is counted ("points", "boxes", "samples").
  ProgressLine(std::FILE* out, bool enabled, double delay_s = 2.0, const char* unit = "points")
      : m_out(out), m_enabled(enabled), m_delay(delay_s), m_unit(unit), m_start(Clock::now()),
        m_last(m_start) {}
  ~ProgressLine() { finish(); }

  void operator()(index_t done, index_t total) {
    if (!m_enabled) return;
    const auto now = Clock::now();
    const double elapsed = std::chrono::duration<double>(now - m_start).count();
    if (elapsed < m_delay || std::chrono::duration<double>(now - m_last).count() < 0.5) return;
    m_last = now;
    const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
    const double eta = rate > 0 ? static_cast<double>(total - done) / rate : 0.0;
    std::fprintf(m_out, "\r[spikemesh] %5.1f%%  %.3g / %.3g %s  %.3g %s/s  ETA %.0f s   ",
                 100.0 * static_cast<double>(done) / static_cast<double>(total),
                 static_cast<double>(done), static_cast<double>(total), m_unit, rate, m_unit, eta);
    std::fflush(m_out);
    m_printed = true;
  }

  void finish() {
    if (m_printed) std::fprintf(m_out, "\n");
    m_printed = false;
  }

private:
  using Clock = std::chrono::steady_clock;
  std::FILE* m_out;
  bool m_enabled;
  double m_delay;
  const char* m_unit;
  Clock::time_point m_start, m_last;
  bool m_printed = false;
};

} // namespace spikemesh::cli
