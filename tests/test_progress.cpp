/// @file test_progress.cpp
/// @brief The batch progress lines and the early ETA line on a driven clock (no real time).
#include "../host/cli/progress.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace spikemesh::cli {
namespace {

/// Everything written to @p f so far.
std::string contents(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string s;
  for (int ch; (ch = std::fgetc(f)) != EOF;)
    s += static_cast<char>(ch);
  return s;
}

int count(const std::string& s, const std::string& what) {
  int n = 0;
  for (std::size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1))
    ++n;
  return n;
}

ProgressMode plain(double interval) {
  ProgressMode m;
  m.enabled = true;
  m.plain = true;
  m.interval = interval;
  return m;
}

TEST(Progress, ABudgetGetsNoEta) {
  // certify's box budget: 1e6 boxes at most, 1e3 a second; the work may end at any time, so no
  // "more minutes" line and no ETA, but the count, the cap and the rate.
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  double t = 0.0;
  {
    ProgressLine p(f, plain(60.0), "boxes", [&t] { return t; });
    p.total_is_a_budget();
    for (int k = 1; k <= 20; ++k) {
      t = 10.0 * k;
      p(static_cast<index_t>(1e4) * k, static_cast<index_t>(1e6));
    }
  }
  const std::string s = contents(f);
  std::fclose(f);
  EXPECT_EQ(count(s, "more minutes"), 0) << s;
  EXPECT_EQ(count(s, "ETA"), 0) << s;
  EXPECT_NE(s.find("progress 6e+04 boxes of at most 1e+06  1e+03 boxes/s  elapsed 60.0 s"),
            std::string::npos)
      << s;
}

TEST(Progress, PlainLinesEveryIntervalWithRateAndEta) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  double t = 0.0;
  {
    ProgressLine p(f, plain(60.0), "points", [&t] { return t; });
    // 1e6 points a second for 200 s of a 250 s run, an update every 10 s.
    for (int k = 1; k <= 20; ++k) {
      t = 10.0 * k;
      p(static_cast<index_t>(1e7) * k, static_cast<index_t>(2.5e8));
    }
  }
  const std::string s = contents(f);
  std::fclose(f);
  EXPECT_EQ(count(s, "spikemesh: progress "), 4) << s; // at 60, 120, 180 s, then "done"
  EXPECT_NE(s.find("24.0%  6e+07 / 2.5e+08 points  1e+06 points/s  elapsed 60.0 s  ETA 190 s"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("progress done  2e+08 / 2.5e+08 points in 200.0 s"), std::string::npos) << s;
  // After 10 s (past the 2 s settling time) 240 s were left: one ETA line, first of all.
  EXPECT_EQ(count(s, "this will take about 4.0 more minutes"), 1) << s;
  EXPECT_EQ(s.find("spikemesh: this will take"), 0u) << s;
  EXPECT_EQ(s.find('\r'), std::string::npos);
}

TEST(Progress, IntervalZeroWritesEveryUpdateAndShortRunsGetNoEta) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  double t = 0.0;
  {
    ProgressLine p(f, plain(0.0), "boxes", [&t] { return t; });
    for (int k = 1; k <= 5; ++k) {
      t = 3.0 * k; // 15 s in all: no ETA line
      p(k, 5);
    }
  }
  const std::string s = contents(f);
  std::fclose(f);
  EXPECT_EQ(count(s, "boxes/s"), 5) << s;
  EXPECT_EQ(count(s, "progress done  5 / 5 boxes"), 1) << s;
  EXPECT_EQ(count(s, "this will take"), 0) << s;
}

TEST(Progress, DisabledWritesNothing) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  double t = 0.0;
  {
    ProgressMode off = plain(0.0);
    off.enabled = false;
    ProgressLine p(f, off, "points", [&t] { return t; });
    for (int k = 1; k <= 5; ++k) {
      t = 100.0 * k;
      p(k, 100);
    }
  }
  EXPECT_EQ(contents(f), "");
  std::fclose(f);
}

} // namespace
} // namespace spikemesh::cli
