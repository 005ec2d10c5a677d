/// @file test_stats_plumbing.cpp
/// @brief The statistics plumbing around the mesh kernel: the device merge of a launch's
/// per-block partials (math/partials_merge.hpp, run here slot by slot as the merge kernel's
/// threads run it) against Accumulator::merge in block order, bit for bit; and the driver's
/// pipeline (Evaluator::submit/collect/discard, host/driver.cpp) against block-by-block
/// evaluation: the same totals in the same order at every block, stops and resumes included.
#include "spikemesh/constructions.hpp"
#include "spikemesh/driver.hpp"
#include "spikemesh/evaluator.hpp"
#include "spikemesh/math/partials_merge.hpp"

#include "support/random_partials.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace spikemesh {
namespace {

using testing::host_merge;
using testing::random_partials;
using testing::same_bytes;

Accumulator device_merge_on_host(const std::vector<Accumulator>& parts, int count, bool rev) {
  Accumulator out;
  std::memset(static_cast<void*>(&out), 0xff, sizeof out); // garbage: every field is written
  partials::merge_in_block_order(parts.data(), count, &out, rev);
  return out;
}

TEST(PartialsMerge, EqualsAccumulatorMergeInBlockOrderBitForBit) {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    const std::vector<Accumulator> parts = random_partials(seed, 300);
    for (int count : {0, 1, 2, 7, 64, 300}) {
      const Accumulator want = host_merge(parts, count);
      for (bool rev : {false, true})
        EXPECT_TRUE(same_bytes(device_merge_on_host(parts, count, rev), want))
            << "seed " << seed << " count " << count << (rev ? " slots reversed" : "");
    }
    // The data can tell the order: merging the blocks in reverse gives other bits.
    std::vector<Accumulator> reversed(parts.rbegin(), parts.rend());
    EXPECT_FALSE(same_bytes(host_merge(reversed, 300), host_merge(parts, 300)));
  }
}

TEST(PartialsMerge, NoPartialsGiveTheEmptyAccumulator) {
  const std::vector<Accumulator> none;
  EXPECT_TRUE(same_bytes(device_merge_on_host(none, 0, false), Accumulator{}));
}

TEST(PartialsMerge, SlotsCoverEveryFieldOnceAndWarpsShareOneOperation) {
  // Byte ranges of the slots: disjoint, together all of Accumulator (no padding in it).
  std::vector<int> owner(sizeof(Accumulator), -1);
  for (int s = 0; s < partials::kMergeThreads; ++s) {
    const partials::Field f = partials::field_of(s);
    const std::size_t size = f.op == partials::Op::None  ? 0
                             : f.op == partials::Op::Sum ? sizeof(CompensatedSum)
                                                         : sizeof(std::uint64_t);
    for (std::size_t i = 0; i < size; ++i) {
      ASSERT_LT(f.offset + i, owner.size());
      EXPECT_EQ(owner[f.offset + i], -1) << "slots " << owner[f.offset + i] << " and " << s;
      owner[f.offset + i] = s;
    }
  }
  EXPECT_EQ(std::count(owner.begin(), owner.end(), -1), 0);
  // The merge kernel's warps: one operation per warp (no divergence) except the last.
  for (int w = 0; w + 1 < partials::kMergeThreads / 32; ++w) {
    partials::Op op = partials::Op::None;
    for (int l = 0; l < 32; ++l) {
      const partials::Op o = partials::field_of(32 * w + l).op;
      if (o == partials::Op::None) continue;
      if (op == partials::Op::None) op = o;
      EXPECT_EQ(o, op) << "warp " << w << " lane " << l;
    }
  }
}

// ---- the driver's pipeline ---------------------------------------------------------------------

/// An evaluator whose result of a range is made up from the range alone (order-sensitive sums),
/// with a pipeline of the given depth: submitted ranges are evaluated only when collected, so a
/// range the driver drops is never evaluated. Logs every call.
class FakeEvaluator final : public Evaluator {
public:
  explicit FakeEvaluator(int depth) : m_depth(depth) {}
  std::string name() const override { return "fake"; }
  std::string device() const override { return "fake"; }
  index_t chunk_size() const override { return 16; } // driver blocks of 1024 points
  void prepare(const Problem&) override { log += "P"; }
  Accumulator evaluate(IndexRange r) override {
    log += "E";
    return result_of(r);
  }
  int pipeline_depth() const override { return m_depth; }
  void submit(IndexRange r) override {
    if (static_cast<int>(m_pending.size()) >= m_depth) throw std::logic_error("pipeline full");
    log += "S";
    m_pending.push_back(r);
    max_pending = std::max(max_pending, static_cast<int>(m_pending.size()));
  }
  Accumulator collect() override {
    if (m_pending.empty()) throw std::logic_error("nothing submitted");
    log += "C";
    const IndexRange r = m_pending.front();
    m_pending.erase(m_pending.begin());
    return result_of(r);
  }
  void discard() noexcept override {
    if (!m_pending.empty()) log += "D" + std::to_string(m_pending.size());
    m_pending.clear();
  }
  static Accumulator result_of(IndexRange r) {
    Accumulator a;
    a.scalar.points = static_cast<std::uint64_t>(r.size());
    const double x = std::ldexp(1.0 + static_cast<double>(r.begin % 97) / 97.0,
                                static_cast<int>(r.begin / 1024 % 7) * 20 - 60);
    a.scalar.sum_f.add(x);
    a.scalar.sum_f.add(-0.3 * x);
    a.scalar.f_min = -x;
    a.scalar.f_max = x;
    a.bins.f_counts[r.begin / 1024 % kFBins] = static_cast<std::uint64_t>(r.size());
    return a;
  }
  std::string log;
  int max_pending = 0;
  std::size_t pending() const { return m_pending.size(); }

private:
  int m_depth;
  std::vector<IndexRange> m_pending;
};

struct Seen {
  std::vector<index_t> next;
  std::vector<Accumulator> totals;
};

MeshSpec mesh_101() {
  MeshSpec s;
  s.dim = 2;
  s.points_per_axis = {101, 101}; // 10201 points: 9 blocks of 1024 and one of 985
  return s;
}

RunOutput run_fake(FakeEvaluator& ev, Seen* seen, int stop_after = -1,
                   const Accumulator* resume = nullptr, index_t resume_next = -1) {
  static const Case c = build_case(CaseParams{});
  RunOptions o;
  o.precision = Precision::Double;
  o.resume_state = resume;
  o.resume_next = resume_next;
  o.after_block = [seen, stop_after](const Accumulator& total, index_t next) {
    seen->next.push_back(next);
    seen->totals.push_back(total);
    return stop_after < 0 || static_cast<int>(seen->next.size()) < stop_after;
  };
  return run_mesh(c, mesh_101(), ev, o);
}

TEST(DriverPipeline, TotalsInBlockOrderWhateverTheDepth) {
  // Depth 1: the driver's old loop (evaluate block, report, next block), as the reference.
  FakeEvaluator one(1);
  Seen ref;
  const RunOutput r1 = run_fake(one, &ref);
  ASSERT_EQ(ref.next.size(), 10u);
  std::string plain = "P";
  for (int k = 0; k < 10; ++k)
    plain += "SC";
  EXPECT_EQ(one.log, plain);
  Accumulator want; // block after block, merged in order
  for (std::size_t k = 0; k < ref.next.size(); ++k) {
    const index_t begin = k == 0 ? 0 : ref.next[k - 1];
    EXPECT_EQ(ref.next[k], std::min<index_t>(10201, 1024 * static_cast<index_t>(k + 1)));
    want.merge(FakeEvaluator::result_of({begin, ref.next[k]}));
    EXPECT_TRUE(same_bytes(ref.totals[k], want)) << "block " << k;
  }
  for (int depth : {2, 3}) {
    FakeEvaluator ev(depth);
    Seen seen;
    const RunOutput r = run_fake(ev, &seen);
    EXPECT_EQ(ev.max_pending, depth); // blocks really were submitted ahead
    EXPECT_EQ(ev.log.substr(0, 1 + static_cast<std::size_t>(depth) + 1),
              "P" + std::string(static_cast<std::size_t>(depth), 'S') + "C");
    ASSERT_EQ(seen.next, ref.next);
    for (std::size_t k = 0; k < seen.totals.size(); ++k)
      EXPECT_TRUE(same_bytes(seen.totals[k], ref.totals[k])) << "depth " << depth << " block " << k;
    EXPECT_TRUE(same_bytes(r.total, r1.total));
    EXPECT_TRUE(r.complete);
    EXPECT_EQ(ev.pending(), 0u);
  }
}

TEST(DriverPipeline, StopDropsTheBlocksSubmittedAheadAndResumeRepeatsTheBits) {
  FakeEvaluator whole_ev(2);
  Seen whole;
  const RunOutput full = run_fake(whole_ev, &whole);
  FakeEvaluator ev(2);
  Seen seen;
  const RunOutput stopped = run_fake(ev, &seen, 3); // after_block says stop at block 3
  EXPECT_FALSE(stopped.complete);
  EXPECT_EQ(stopped.next, 3 * 1024);
  EXPECT_TRUE(same_bytes(stopped.total, whole.totals[2])); // state through block 3 only
  EXPECT_EQ(ev.log, "PSSCSCSCD1");                         // block 4 was submitted, then dropped
  EXPECT_EQ(ev.pending(), 0u);
  FakeEvaluator rest_ev(2);
  Seen rest;
  const RunOutput resumed = run_fake(rest_ev, &rest, -1, &stopped.total, stopped.next);
  EXPECT_TRUE(resumed.complete);
  EXPECT_TRUE(same_bytes(resumed.total, full.total));
  ASSERT_EQ(rest.next.front(), 4 * 1024);
}

TEST(DriverPipeline, AThrowingCallbackLeavesNothingSubmitted) {
  static const Case c = build_case(CaseParams{});
  FakeEvaluator ev(2);
  RunOptions o;
  o.precision = Precision::Double;
  o.after_block = [](const Accumulator&, index_t next) -> bool {
    if (next >= 2048) throw std::runtime_error("checkpoint write failed");
    return true;
  };
  EXPECT_THROW(run_mesh(c, mesh_101(), ev, o), std::runtime_error);
  EXPECT_EQ(ev.pending(), 0u);
  EXPECT_EQ(ev.log, "PSSCSCD1");
}

TEST(DriverPipeline, DefaultPipelineIsEvaluate) {
  // The base class's submit/collect: evaluate() at submit, results in order.
  class Plain final : public Evaluator {
  public:
    std::string name() const override { return "plain"; }
    std::string device() const override { return "plain"; }
    index_t chunk_size() const override { return 16; }
    void prepare(const Problem&) override {}
    Accumulator evaluate(IndexRange r) override { return FakeEvaluator::result_of(r); }
  } ev;
  EXPECT_EQ(ev.pipeline_depth(), 1);
  EXPECT_THROW(ev.collect(), std::logic_error);
  ev.submit({0, 10});
  ev.submit({10, 30});
  EXPECT_TRUE(same_bytes(ev.collect(), FakeEvaluator::result_of({0, 10})));
  EXPECT_TRUE(same_bytes(ev.collect(), FakeEvaluator::result_of({10, 30})));
  ev.submit({30, 40});
  ev.discard();
  EXPECT_THROW(ev.collect(), std::logic_error);
}

} // namespace
} // namespace spikemesh
