/// @file parallel.cpp
/// @brief MPI glue (or its single-process stand-in when SPIKEMESH_HAS_MPI is not defined).
#include "spikemesh/parallel.hpp"

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <string>
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

namespace {

/// The integer value of environment variable @p name, or @p absent when unset or not a number.
[[maybe_unused]] long env_long(const char* name, long absent) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return absent;
  char* end = nullptr;
  const long x = std::strtol(v, &end, 10);
  return *end == '\0' ? x : absent;
}

} // namespace

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

RankError first_error(bool failed, int kind, const std::string& message) {
  RankError e;
  if (!g_active) {
    if (failed) e = {0, kind, message};
    return e;
  }
  const int me = rank();
  int in = failed ? me : std::numeric_limits<int>::max(), first = in;
  MPI_Allreduce(&in, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  if (first == std::numeric_limits<int>::max()) return e;
  int head[2] = {kind, static_cast<int>(std::min<std::size_t>(message.size(), 4096))};
  MPI_Bcast(head, 2, MPI_INT, first, MPI_COMM_WORLD);
  std::string text = me == first ? message.substr(0, static_cast<std::size_t>(head[1]))
                                 : std::string(static_cast<std::size_t>(head[1]), ' ');
  MPI_Bcast(text.data(), head[1], MPI_CHAR, first, MPI_COMM_WORLD);
  e.rank = first;
  e.kind = head[0];
  e.message = text;
  return e;
}

std::string broadcast_from_root(const std::string& text) {
  if (!g_active) return text;
  long long n = static_cast<long long>(text.size());
  MPI_Bcast(&n, 1, MPI_LONG_LONG, 0, MPI_COMM_WORLD);
  std::string out = rank() == 0 ? text : std::string(static_cast<std::size_t>(n), ' ');
  MPI_Bcast(out.data(), static_cast<int>(n), MPI_CHAR, 0, MPI_COMM_WORLD);
  return out;
}

std::string launcher_without_mpi() {
  return "";
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
RankError first_error(bool failed, int kind, const std::string& message) {
  RankError e;
  if (failed) e = {0, kind, message};
  return e;
}
std::string broadcast_from_root(const std::string& text) {
  return text;
}
std::string launcher_without_mpi() {
  // Several tasks of one launch: a size above 1 or a rank above 0. SLURM_NTASKS alone is not
  // used: a batch script of an --ntasks=4 job has it without being one of 4 ranks.
  const char* sizes[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_STEP_NUM_TASKS"};
  const char* ranks[] = {"OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK", "SLURM_PROCID"};
  for (const char* v : sizes) {
    if (env_long(v, 1) > 1) return std::string(v) + "=" + std::getenv(v);
  }
  for (const char* v : ranks) {
    if (env_long(v, 0) > 0) return std::string(v) + "=" + std::getenv(v);
  }
  return "";
}

#endif

} // namespace spikemesh::parallel
