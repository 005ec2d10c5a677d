/// @file signals.hpp
/// @brief SIGTERM / SIGINT / SIGUSR1 ask a run to stop at the next block boundary with a
/// checkpoint (Slurm: `sbatch --signal=B:USR1@120`); SIGXFSZ becomes a write error.
#pragma once

namespace spikemesh::cli {

/// Installs the handlers (idempotent).
void install_stop_handlers();

/// True once a stop signal arrived.
bool stop_requested();

} // namespace spikemesh::cli
