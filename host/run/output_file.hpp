/// @file output_file.hpp
/// @brief The output-file protocol of every command: a final name is checked before any work
/// (an existing non-regular file, a missing or unwritable folder: exit 2), the file is written
/// to a temporary created exclusively in the target's folder (O_CREAT|O_EXCL|O_NOFOLLOW, a name
/// unique to the process), synced, and renamed over the final name only if nobody else wrote
/// that name meanwhile (two concurrent writers: the first to finish wins, the other fails).
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

namespace spikemesh::run {

/// Another process wrote the final name while this one was computing (exit code 1): the file
/// holds the other process's result and this one's was discarded.
class OutputConflict : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// Checks @p path as a final output name before any work and remembers what was there (for the
/// conflict check of publish()). Throws InvalidParameter(@p option) when @p path exists and is
/// not a regular file (a FIFO, a device, a folder, a symbolic link), or when its folder is
/// missing or no file can be created in it (probed by creating and removing a temporary).
/// Returns whether a regular file is there (it will be replaced).
bool check_output(const std::string& path, const std::string& option = "out");

/// Writes @p size bytes to a fresh temporary next to @p path and renames it over @p path. If
/// check_output(@p path) was called in this process and @p path changed since (another writer
/// finished first), throws OutputConflict and leaves @p path alone. A planted symbolic link at
/// any name is never followed; nothing but @p path is ever replaced.
void publish(const std::string& path, const void* data, std::size_t size);

/// Removes @p path when it is a regular file (a stale checkpoint); never follows a link.
void remove_regular(const std::string& path);

/// Whether @p a and @p b name the same existing file (device and inode; links followed).
bool same_file(const std::string& a, const std::string& b);

/// Throws InvalidFile ("@p what @p path ...") unless @p path is an existing regular file (links
/// followed): a FIFO, a device or a folder is never opened for reading.
void check_input(const std::string& path, const std::string& what);

/// The folder of @p path ("." for a bare name).
std::string folder_of(const std::string& path);

} // namespace spikemesh::run
