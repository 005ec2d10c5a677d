/// @file rank_agreement.cpp
/// @brief MPI ranks agree before computing: on errors (the first one, with its rank and exit
/// code, reaches rank 0) and on the run's fingerprint (case, mesh, options).
#include "spikemesh/checkpoint.hpp"
#include "spikemesh/errors.hpp"
#include "spikemesh/parallel.hpp"

#include "commands.hpp"

#include <exception>
#include <stdexcept>

namespace spikemesh::cli {

void agree_on_errors(const std::function<void()>& f) {
  std::exception_ptr error;
  int kind = 0;
  std::string what;
  try {
    f();
  } catch (const std::invalid_argument& e) { // InvalidParameter, InvalidFile: input errors
    error = std::current_exception();
    kind = 2;
    what = e.what();
  } catch (const CLI::ParseError& e) {
    error = std::current_exception();
    kind = 2;
    what = e.what();
  } catch (const std::exception& e) {
    error = std::current_exception();
    kind = 1;
    what = e.what();
  } catch (...) {
    error = std::current_exception();
    kind = 1;
    what = "unknown error";
  }
  const parallel::RankError first = parallel::first_error(error != nullptr, kind, what);
  if (first.rank < 0) return;
  if (parallel::size() == 1) std::rethrow_exception(error);
  // Every rank throws the first failure's kind (the same exit code everywhere); rank 0 prints it.
  const std::string message = "rank " + std::to_string(first.rank) + ": " + first.message;
  if (first.kind == 2) throw std::invalid_argument(message);
  throw std::runtime_error(message);
}

void agree_on_fingerprint(const std::string& fingerprint) {
  if (parallel::size() == 1) return;
  const std::string root = parallel::broadcast_from_root(fingerprint);
  agree_on_errors([&] {
    if (fingerprint != root) {
      throw std::invalid_argument("the ranks were given different runs (" +
                                  fingerprint_difference(root, fingerprint, "rank 0", "this rank") +
                                  "); every rank must get the same options");
    }
  });
}

} // namespace spikemesh::cli
