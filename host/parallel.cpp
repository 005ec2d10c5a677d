/// @file parallel.cpp
/// @brief MPI glue (or its single-process stand-in when SPIKEMESH_HAS_MPI is not defined).
#include "spikemesh/parallel.hpp"

#include <algorithm>
#include <cstdlib>
#include <vector>

#if defined(SPIKEMESH_HAS_MPI)
#include <mpi.h>
#endif

namespace spikemesh::parallel {

IndexRange share(IndexRange whole, index_t block, int r, int ranks) {
  const index_t first_block = whole.begin / block;
  const index_t blocks = whole.size() == 0 ? 0 : (whole.end - 1) / block + 1 - first_block;
  const index_t b0 = first_block + blocks * r / ranks;
  const index_t b1 = first_block + blocks * (r + 1) / ranks;
  return {std::clamp(b0 * block, whole.begin, whole.end),
          std::clamp(b1 * block, whole.begin, whole.end)};
}

#if defined(SPIKEMESH_HAS_MPI)

namespace {
bool g_active = false; ///< MPI_Init was called (launched by mpirun or srun)
} // namespace

void init(int* argc, char*** argv) {
  // Initialise only under a launcher: a plain run stays a plain process (no singleton daemon,
  // no shared-memory segments, nothing that a file-size limit or a sandbox could break).
  const bool launched = std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMIX_RANK") ||
                        std::getenv("PMI_SIZE") || std::getenv("PMI_RANK");
  int ready = 0;
  MPI_Initialized(&ready);
  if (launched && !ready) MPI_Init(argc, argv);
  MPI_Initialized(&ready);
  g_active = ready != 0;
}

void finalize() {
  if (!g_active) return;
  int done = 0;
  MPI_Finalized(&done);
  if (!done) MPI_Finalize();
}

int rank() {
  int r = 0;
  if (g_active) MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

int size() {
  int s = 1;
  if (g_active) MPI_Comm_size(MPI_COMM_WORLD, &s);
  return s;
}

bool built_with_mpi() {
  return true;
}

Accumulator merge_on_root(const Accumulator& local) {
  const int n = size();
  if (!g_active) return local;
  if (n == 1) return local;
  std::vector<Accumulator> all(rank() == 0 ? static_cast<std::size_t>(n) : 0);
  // Accumulator is trivially copyable: sent as bytes, merged in rank order on rank 0.
  MPI_Gather(&local, sizeof(Accumulator), MPI_BYTE, all.data(), sizeof(Accumulator), MPI_BYTE, 0,
             MPI_COMM_WORLD);
  if (rank() != 0) return local;
  Accumulator total;
  for (const Accumulator& a : all)
    total.merge(a);
  return total;
}

double max_over_ranks(double v) {
  if (!g_active) return v;
  double out = v;
  MPI_Allreduce(&v, &out, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  return out;
}

bool any_rank(bool flag) {
  if (!g_active) return flag;
  int in = flag ? 1 : 0, out = 0;
  MPI_Allreduce(&in, &out, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  return out != 0;
}

#else

void init(int*, char***) {}
void finalize() {}
int rank() {
  return 0;
}
int size() {
  return 1;
}
bool built_with_mpi() {
  return false;
}
Accumulator merge_on_root(const Accumulator& local) {
  return local;
}
double max_over_ranks(double v) {
  return v;
}
bool any_rank(bool flag) {
  return flag;
}

#endif

} // namespace spikemesh::parallel
