/// @file parallel.hpp
/// @brief MPI, when built with it (SPIKEMESH_MPI): ranks split the index range in contiguous
/// blocks; accumulators are merged on rank 0 in rank order. Without MPI every function is the
/// single-process identity.
#pragma once

#include "spikemesh/math/point_stats.hpp"

#include <string>

namespace spikemesh::parallel {

/// Initialises MPI if the build has it (call once, first thing in main).
void init(int* argc, char*** argv);
/// Finalises MPI (call before returning from main).
void finalize();

int rank();
int size();
/// Whether this binary was built with MPI.
bool built_with_mpi();

/// Granularity of `--shard i/N` shares: the CPU chunk, so that a shard's chunks are the single
/// run's chunks and shards of any backend tile the same way.
inline constexpr index_t kShardBlock = index_t(1) << 14;

/// Rank @p r's share of [begin, end): contiguous whole blocks of @p block indices.
IndexRange share(IndexRange whole, index_t block, int r, int ranks);

/// On rank 0: every rank's @p local merged in rank order; elsewhere: @p local unchanged.
Accumulator merge_on_root(const Accumulator& local);

/// Maximum of @p v over ranks (on every rank).
double max_over_ranks(double v);

/// The first failure over the ranks: the lowest rank whose @p failed is true, with its @p kind
/// (an exit code) and @p message, known on every rank; rank = -1 when no rank failed.
/// Collective.
struct RankError {
  int rank = -1;
  int kind = 0;
  std::string message;
};
RankError first_error(bool failed, int kind, const std::string& message);

/// Rank 0's @p text on every rank (collective).
std::string broadcast_from_root(const std::string& text);

/// For a build without MPI: a description of the launcher variables that say this process is
/// one of several ranks (OMPI_COMM_WORLD_SIZE, PMI_SIZE or SLURM_STEP_NUM_TASKS above 1, or
/// OMPI_COMM_WORLD_RANK, PMI_RANK, PMIX_RANK or SLURM_PROCID above 0), else "". A plain
/// process, `mpirun -np 1` and a one-task Slurm step give "". With MPI: always "". The CLI
/// refuses such a launch unless the command only reads (info, list) or names its --shard.
std::string launcher_without_mpi();

/// True on every rank when @p flag is true on any rank (collective; agrees on errors before
/// any other collective call so that one failing rank never deadlocks the others).
bool any_rank(bool flag);

} // namespace spikemesh::parallel
