/// @file output_file.cpp
/// @brief The output-file protocol (output_file.hpp): checks before work, exclusive unique
/// temporaries, and a rename that refuses to replace another writer's result.
#include "output_file.hpp"

#include "spikemesh/errors.hpp"

#include "run_control.hpp"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <mutex>
#include <sys/file.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace spikemesh::run {
namespace {

/// What was at a checked final name when check_output() looked.
struct Identity {
  bool existed = false;
  dev_t dev = 0;
  ino_t ino = 0;
};

std::mutex g_mutex;
std::map<std::string, Identity> g_checked; // final names checked in this process
unsigned g_counter = 0;

std::string kind_of(mode_t m) {
  if (S_ISDIR(m)) return "a folder";
  if (S_ISLNK(m)) return "a symbolic link";
  if (S_ISFIFO(m)) return "a FIFO";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISSOCK(m)) return "a socket";
  return "a special file";
}

/// Creates a fresh file next to @p path: O_CREAT|O_EXCL|O_NOFOLLOW, a name unique to this
/// process and call (NAME.tmp-PID-N). Returns the descriptor and sets @p tmp.
int create_temporary(const std::string& path, std::string& tmp) {
  for (int attempt = 0;; ++attempt) {
    unsigned n = 0;
    {
      const std::lock_guard<std::mutex> lock(g_mutex);
      n = g_counter++;
    }
    tmp = path + ".tmp-" + std::to_string(getpid()) + "-" + std::to_string(n);
    const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd >= 0) return fd;
    if (errno != EEXIST || attempt >= 64) return -1;
  }
}

/// Renames @p tmp to @p path only if nothing is at @p path (atomic; link() where the file
/// system has no RENAME_NOREPLACE). False when something is there.
bool rename_no_replace(const std::string& tmp, const std::string& path) {
  if (renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) == 0) return true;
  if (errno == EEXIST) return false;
  if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
    throw std::runtime_error("cannot rename " + tmp + " to " + path + ": " + std::strerror(errno));
  if (link(tmp.c_str(), path.c_str()) != 0) {
    if (errno == EEXIST) return false;
    throw std::runtime_error("cannot link " + tmp + " to " + path + ": " + std::strerror(errno));
  }
  unlink(tmp.c_str());
  return true;
}

[[noreturn]] void conflict(const std::string& tmp, const std::string& path) {
  unlink(tmp.c_str());
  throw OutputConflict(path + " was written by another process while this one was computing; "
                              "it keeps that result and this run's result was discarded");
}

/// Moves @p tmp to @p path, refusing when @p path is no longer what check_output() saw.
void commit(const std::string& tmp, const std::string& path) {
  Identity seen;
  bool checked = false;
  {
    const std::lock_guard<std::mutex> lock(g_mutex);
    const auto it = g_checked.find(path);
    if (it != g_checked.end()) {
      seen = it->second;
      checked = true;
    }
  }
  if (!checked) { // a checkpoint or a sidecar: replace whatever regular file is there
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
      const int err = errno;
      unlink(tmp.c_str());
      throw std::runtime_error("cannot rename " + tmp + " to " + path + ": " + std::strerror(err));
    }
    return;
  }
  if (!seen.existed) {
    if (!rename_no_replace(tmp, path)) conflict(tmp, path);
  } else {
    // Every spikemesh process replacing this file locks the old one while it checks and
    // renames, so of two writers exactly one sees the file it checked before work.
    const int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
      if (errno != ENOENT || !rename_no_replace(tmp, path)) conflict(tmp, path);
    } else {
      flock(fd, LOCK_EX);
      struct stat now {};
      const bool same =
          lstat(path.c_str(), &now) == 0 && now.st_dev == seen.dev && now.st_ino == seen.ino;
      if (!same) {
        close(fd);
        conflict(tmp, path);
      }
      const bool renamed = std::rename(tmp.c_str(), path.c_str()) == 0;
      const int err = errno;
      close(fd);
      if (!renamed) {
        unlink(tmp.c_str());
        throw std::runtime_error("cannot rename " + tmp + " to " + path + ": " +
                                 std::strerror(err));
      }
    }
  }
  struct stat st {};
  if (lstat(path.c_str(), &st) == 0) { // our own file now: a second publish may replace it
    const std::lock_guard<std::mutex> lock(g_mutex);
    g_checked[path] = {true, st.st_dev, st.st_ino};
  }
}

} // namespace

std::string folder_of(const std::string& path) {
  const std::size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

bool check_output(const std::string& path, const std::string& option) {
  if (path.empty()) throw InvalidParameter(option, "give a file name");
  if (path.back() == '/') throw InvalidParameter(option, path + " names a folder, not a file");
  Identity id;
  struct stat st {};
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISREG(st.st_mode)) {
      throw InvalidParameter(option, path + " exists and is " + kind_of(st.st_mode) +
                                         ", not a regular file; spikemesh replaces only "
                                         "result files");
    }
    id = {true, st.st_dev, st.st_ino};
  }
  const std::string dir = folder_of(path);
  struct stat ds {};
  if (stat(dir.c_str(), &ds) != 0) {
    throw InvalidParameter(option, "folder " + dir + " of " + path +
                                       " cannot be used: " + std::strerror(errno));
  }
  if (!S_ISDIR(ds.st_mode)) throw InvalidParameter(option, dir + " is not a folder");
  std::string probe;
  int fd = -1;
  int err = 0;
  {
    // A stop (a signal, the time limit) waits until the probe is gone: never a stray file.
    const CooperativeStop probing("checking the output folder");
    fd = create_temporary(path, probe);
    err = errno;
    if (fd >= 0) {
      close(fd);
      unlink(probe.c_str());
    }
  }
  stop_if_immediate();
  if (fd < 0) {
    throw InvalidParameter(option,
                           "cannot create files in folder " + dir + ": " + std::strerror(err));
  }
  const std::lock_guard<std::mutex> lock(g_mutex);
  g_checked[path] = id;
  return id.existed;
}

namespace {

/// publish() without the stop scope.
void publish_now(const std::string& path, const void* data, std::size_t size) {
  std::string tmp;
  const int fd = create_temporary(path, tmp);
  if (fd < 0)
    throw std::runtime_error("cannot create a temporary for " + path + ": " + std::strerror(errno));
  const auto* p = static_cast<const unsigned char*>(data);
  std::size_t done = 0;
  int err = 0;
  while (done < size) {
    const ssize_t n = write(fd, p + done, size - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      err = errno;
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  if (err == 0 && fsync(fd) != 0) err = errno;
  if (close(fd) != 0 && err == 0) err = errno;
  if (err != 0) {
    unlink(tmp.c_str());
    throw std::runtime_error("cannot write " + tmp + ": " + std::strerror(err));
  }
  // Fault injection for tests/cli (never set in normal use): seconds to pause with the
  // temporary complete, or a path (starting with '/') whose creation ends the pause.
  if (const char* pause = std::getenv("SPIKEMESH_TEST_PAUSE_BEFORE_RENAME")) {
    // The line tests wait for (a blocking read, no timing): the temporary is complete.
    std::fprintf(stderr, "spikemesh: test pause before renaming %s\n", tmp.c_str());
    std::fflush(stderr);
    if (pause[0] == '/') {
      for (int i = 0; i < 60000 && access(pause, F_OK) != 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    } else {
      std::this_thread::sleep_for(std::chrono::duration<double>(std::atof(pause)));
    }
  }
  commit(tmp, path);
}

} // namespace

bool same_file(const std::string& a, const std::string& b) {
  struct stat sa {
  }, sb{};
  return stat(a.c_str(), &sa) == 0 && stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

void check_input(const std::string& path, const std::string& what) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0)
    throw InvalidFile(what + " " + path + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) {
    throw InvalidFile(what + " " + path + " is " + kind_of(st.st_mode) +
                      ", not a regular file; spikemesh reads only regular files");
  }
}

void publish(const std::string& path, const void* data, std::size_t size) {
  {
    // A stop waits until the file is renamed or its temporary removed: never a stray temporary.
    const CooperativeStop writing("writing a result file");
    publish_now(path, data, size);
  }
  stop_if_immediate();
}

void remove_regular(const std::string& path) {
  struct stat st {};
  if (lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) unlink(path.c_str());
}

} // namespace spikemesh::run
