/// @file partials_merge.hpp
/// @brief The merge of a launch's per-block Accumulators in block order, written once for the
/// device's merge kernel (kernels/eval_mesh.cu, one block of kMergeThreads threads: thread s
/// runs merge_slot(s)) and the host (merge_in_block_order(): the slots one after another, in
/// either order).
///
/// Accumulator::merge() combines each field with its own kind of operation and no other field
/// (exact 64-bit addition for counts, CompensatedSum::merge for sums, min or max for extrema),
/// so folding a sequence of partials with merge() is the same as folding every field on its
/// own. A slot is one field: it starts from the field's value in a default Accumulator and folds
/// partials 0, 1, ..., count - 1 in that order with merge()'s operation, so the result equals
///   Accumulator total; for (p = 0; p < count; ++p) total.merge(parts[p]);
/// bit for bit, on the device and the host alike (no FMA contraction anywhere). The order is
/// fixed: block order of one launch. It depends on the grid as today's host merge did: a
/// different grid partitions the range differently, which changes the sums' last bits, never
/// the counts or extrema.
///
/// Slots are grouped so that the 32 lanes of a warp apply one kind of operation (no divergence
/// but in the last warp): warps 0-1 the f-histogram counts, 2 the distance counts, 3 the scalar
/// counts, 4 the distance error sums, 5 the scalar sums, 6 the distance maxima, 7 f_max,
/// max_abs_err and f_min; the other lanes have no field.
#pragma once

#include "spikemesh/config.hpp"
#include "spikemesh/math/point_stats.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>

namespace spikemesh {
namespace partials {

inline constexpr int kMergeThreads = 8 * 32; ///< merge slots (the merge kernel's block)

static_assert(sizeof(Accumulator) == 5 * 8 + 5 * 16 + 3 * 8 + kFBins * 8 + kDistBins * (8 + 16 + 8),
              "a field added to Accumulator needs a merge slot (field_of)");

/// How a slot folds its field.
enum class Op : unsigned char { None, Count, Sum, Min, Max };

/// A slot's field: its operation, its byte offset in an Accumulator and, for Min and Max, the
/// default Accumulator's value of the field (the fold's start).
struct Field {
  Op op = Op::None;
  unsigned offset = 0;
  double start = 0.0;
};

/// The field of merge slot @p slot (0 <= slot < kMergeThreads).
SM_HOST_DEVICE Field field_of(int slot) {
  const int warp = slot / 32, lane = slot % 32;
  const auto scalar = [](std::size_t member) {
    return static_cast<unsigned>(offsetof(Accumulator, scalar) + member);
  };
  const auto bins = [](std::size_t member, int i, std::size_t size) {
    return static_cast<unsigned>(offsetof(Accumulator, bins) + member +
                                 static_cast<std::size_t>(i) * size);
  };
  Field f;
  switch (warp) {
  case 0:
  case 1:
    f.op = Op::Count;
    f.offset = bins(offsetof(BinStats, f_counts), slot, sizeof(std::uint64_t));
    break;
  case 2:
    f.op = Op::Count;
    f.offset = bins(offsetof(BinStats, dist_counts), lane, sizeof(std::uint64_t));
    break;
  case 3: // the scalar counts (no arrays: nothing in local memory)
    f.op = lane < 5 ? Op::Count : Op::None;
    f.offset = scalar(lane == 0   ? offsetof(ScalarStats, points)
                      : lane == 1 ? offsetof(ScalarStats, spike_count)
                      : lane == 2 ? offsetof(ScalarStats, nonfinite_count)
                      : lane == 3 ? offsetof(ScalarStats, correct_count)
                                  : offsetof(ScalarStats, undecided_count));
    break;
  case 4:
    f.op = Op::Sum;
    f.offset = bins(offsetof(BinStats, dist_err_sum), lane, sizeof(CompensatedSum));
    break;
  case 5: // the scalar sums
    f.op = lane < 5 ? Op::Sum : Op::None;
    f.offset = scalar(lane == 0   ? offsetof(ScalarStats, sum_f)
                      : lane == 1 ? offsetof(ScalarStats, sum_f2)
                      : lane == 2 ? offsetof(ScalarStats, sum_abs_err)
                      : lane == 3 ? offsetof(ScalarStats, sum_sq_err)
                                  : offsetof(ScalarStats, sum_sq_truth));
    break;
  case 6:
    f.op = Op::Max;
    f.offset = bins(offsetof(BinStats, dist_err_max), lane, sizeof(double));
    f.start = 0.0; // as BinStats{}
    break;
  case 7:
    if (lane == 0) {
      f.op = Op::Max;
      f.offset = scalar(offsetof(ScalarStats, f_max));
      f.start = -INFINITY; // as ScalarStats{}
    } else if (lane == 1) {
      f.op = Op::Max;
      f.offset = scalar(offsetof(ScalarStats, max_abs_err));
      f.start = 0.0;
    } else if (lane == 2) {
      f.op = Op::Min;
      f.offset = scalar(offsetof(ScalarStats, f_min));
      f.start = INFINITY;
    }
    break;
  default:
    break;
  }
  return f;
}

/// The field at byte @p offset of the Accumulator at @p a (an object of type V lives there).
template <class V>
SM_HOST_DEVICE const V& field_at(const Accumulator* a, unsigned offset) {
  return *reinterpret_cast<const V*>(reinterpret_cast<const unsigned char*>(a) + offset);
}
template <class V>
SM_HOST_DEVICE V& field_at(Accumulator* a, unsigned offset) {
  return *reinterpret_cast<V*>(reinterpret_cast<unsigned char*>(a) + offset);
}

/// Slot @p slot's field of @p out: that field of parts[0], ..., parts[count - 1] folded in
/// block order with Accumulator::merge()'s operation, from the default Accumulator's value.
/// Writes nothing else.
SM_HOST_DEVICE void merge_slot(const Accumulator* parts, int count, int slot, Accumulator* out) {
  const Field f = field_of(slot);
  switch (f.op) {
  case Op::Count: {
    std::uint64_t c = 0;
    for (int p = 0; p < count; ++p)
      c += field_at<std::uint64_t>(parts + p, f.offset);
    field_at<std::uint64_t>(out, f.offset) = c;
    break;
  }
  case Op::Sum: {
    CompensatedSum s;
    for (int p = 0; p < count; ++p)
      s.merge(field_at<CompensatedSum>(parts + p, f.offset));
    field_at<CompensatedSum>(out, f.offset) = s;
    break;
  }
  case Op::Max: {
    double m = f.start;
    for (int p = 0; p < count; ++p) {
      const double o = field_at<double>(parts + p, f.offset);
      m = o > m ? o : m; // as ScalarStats/BinStats::merge
    }
    field_at<double>(out, f.offset) = m;
    break;
  }
  case Op::Min: {
    double m = f.start;
    for (int p = 0; p < count; ++p) {
      const double o = field_at<double>(parts + p, f.offset);
      m = o < m ? o : m;
    }
    field_at<double>(out, f.offset) = m;
    break;
  }
  case Op::None:
    break;
  }
}

/// The device merge on the host: every slot, in slot order or reversed (the result must not
/// depend on it), into @p out (whose previous contents are all overwritten).
inline void merge_in_block_order(const Accumulator* parts, int count, Accumulator* out,
                                 bool reversed_slots = false) {
  for (int i = 0; i < kMergeThreads; ++i)
    merge_slot(parts, count, reversed_slots ? kMergeThreads - 1 - i : i, out);
}

} // namespace partials
} // namespace spikemesh
