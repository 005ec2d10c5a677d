/// @file resources.hpp
/// @brief Memory and set-up work estimated before allocating: a process-wide memory limit
/// (the CLI's --max-memory, default half of the physical memory) and the checks against it.
#pragma once

#include "spikemesh/case.hpp"

#include <cstdint>
#include <string>

namespace spikemesh {

/// Physical memory of this machine in bytes (sysconf); 0 when unknown.
std::uint64_t physical_memory_bytes();

/// Half of physical_memory_bytes() (the machine is shared with the OS and other jobs); 8 GiB
/// when the physical memory is unknown.
std::uint64_t default_memory_limit();

/// Sets the limit require_memory() compares with (bytes > 0).
void set_memory_limit(std::uint64_t bytes);
/// The limit in force: set_memory_limit()'s value, else default_memory_limit().
std::uint64_t memory_limit();

/// Throws InvalidParameter(@p field) when @p bytes exceeds memory_limit(): "WHAT needs about
/// X GiB, more than the --max-memory limit of Y GiB".
void require_memory(double bytes, const std::string& field, const std::string& what);

/// Most multiply-adds a case's set-up (the training-error pass: every training point through
/// the network, single-threaded and not interruptible) may cost: 2e11, about a minute.
inline constexpr double kMaxSetupWork = 2e11;

/// Most extra hidden layers (--extra-depth): each is a few KB of memory and a dataset of the
/// result file; deeper networks are refused before they are built.
inline constexpr int kMaxExtraDepth = 100000;

/// Upper estimate of the bytes a construction case (not from-file) holds while it is built and
/// evaluated: the training set, the network's stored weights (with up to 2x vector growth) and
/// its packed float and double copies, and about 8 KiB per extra layer (4.4 KB measured at
/// width 1). Sparse rows: C1 n^d rows of 3d weights, C2 2 n^d rows of 3d, C3 n^d rows of 2d.
double case_memory_bytes(const CaseParams& p);

/// Multiply-adds of the training-error pass of a construction case: every one of the n^d
/// training points through every stored weight.
double training_pass_work(const CaseParams& p);

} // namespace spikemesh
