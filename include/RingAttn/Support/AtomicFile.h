//===- AtomicFile.h - A file written whole or not at all --------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Every file RingAttn's tools write (ring-run's --output and --trace, the NCCL
// unique id) goes through AtomicFile: the bytes go to a new temporary file
// in the target's directory, created with O_EXCL under a random name; every
// write, the fsync and the close are checked; only then does rename() put
// the file in place. A failure at any step (disk full, file size limit, I/O
// error) removes the temporary file and says what failed and where, and a
// process killed mid-write leaves the old file as it was (and at worst a
// stray `.NAME.XXXXXXXXXXXXXXXX.tmp` next to it).
//
// Targets that cannot be renamed over: a character device or FIFO that
// already exists at the path (/dev/null, /dev/full, /dev/stdout on a
// terminal or pipe) is written directly when Options::devices allows it,
// with every write and the close checked (devices have nothing to fsync).
// Anything else that is not a regular file (a directory, a socket) is an
// error. A symbolic link at the path is replaced by the new file, never
// followed: rename() acts on the link itself.
//
// Header-only because the runtime library, which writes traces and NCCL ids,
// does not link RingAttnSupport.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_SUPPORT_ATOMICFILE_H
#define RINGATTN_SUPPORT_ATOMICFILE_H

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ringattn {

/// 64 random bits as hex, for names nobody can guess ahead of time. Falls
/// back to the clock and pid if the kernel has no getrandom; O_EXCL still
/// keeps a guessed name from being followed or clobbered.
inline std::string randomHex64() {
  uint64_t bits = 0;
  if (::getrandom(&bits, sizeof bits, 0) != static_cast<ssize_t>(sizeof bits))
    bits = static_cast<uint64_t>(
               std::chrono::steady_clock::now().time_since_epoch().count()) ^
           (static_cast<uint64_t>(::getpid()) << 32);
  char text[17];
  std::snprintf(text, sizeof text, "%016llx",
                static_cast<unsigned long long>(bits));
  return text;
}

/// The directory part of `path` ("." for a bare name).
inline std::string directoryOf(const std::string &path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

/// Creates a new file for writing in `directory`, named `.BASE.RANDOM.tmp`,
/// with `mode` (less the umask). Never opens an existing file or follows a
/// symbolic link. Returns the descriptor and sets `name`, or -1 with errno.
inline int createUniqueFile(const std::string &directory,
                            const std::string &base, mode_t mode,
                            std::string &name) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    name = directory + "/." + base + "." + randomHex64() + ".tmp";
    int fd = ::open(name.c_str(),
                    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd >= 0 || errno != EEXIST)
      return fd;
  }
  return -1; // errno is EEXIST
}

class AtomicFile {
public:
  struct Options {
    /// Permissions of a new file, less the umask.
    mode_t mode = 0644;
    /// Whether an existing character device or FIFO at the path is written
    /// directly (see the file comment); if false it is replaced like a file.
    bool devices = true;
  };

  AtomicFile() = default;
  AtomicFile(const AtomicFile &) = delete;
  AtomicFile &operator=(const AtomicFile &) = delete;
  ~AtomicFile() { discard(); }

  /// Starts writing `path`. False with `error` set on failure.
  bool open(const std::string &path, std::string &error) {
    return open(path, Options(), error);
  }
  bool open(const std::string &path, const Options &options,
            std::string &error) {
    discard();
    target = path;
    struct stat existing;
    if (options.devices && ::stat(path.c_str(), &existing) == 0 &&
        !S_ISREG(existing.st_mode)) {
      if (!S_ISCHR(existing.st_mode) && !S_ISFIFO(existing.st_mode))
        return fail("it is not a regular file or a device", 0, error);
      fd = ::open(path.c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC);
      return fd >= 0 || fail("", errno, error);
    }
    size_t slash = path.rfind('/');
    std::string base =
        slash == std::string::npos ? path : path.substr(slash + 1);
    fd = createUniqueFile(directoryOf(path), base, options.mode, temporary);
    if (fd < 0) {
      int why = errno;
      temporary.clear();
      return fail("cannot create a temporary file in " + directoryOf(path), why,
                  error);
    }
    return true;
  }

  /// Appends `size` bytes. False with `error` set (and the temporary file
  /// removed) on failure.
  bool write(const void *data, size_t size, std::string &error) {
    const char *bytes = static_cast<const char *>(data);
    while (size > 0) {
      ssize_t written = ::write(fd, bytes, size);
      if (written < 0 && errno == EINTR)
        continue;
      if (written <= 0)
        return fail("", written < 0 ? errno : EIO, error);
      bytes += written;
      size -= static_cast<size_t>(written);
    }
    return true;
  }
  bool write(const std::string &text, std::string &error) {
    return write(text.data(), text.size(), error);
  }

  /// Makes the file durable and puts it at the path. False with `error` set
  /// (and the old file, if any, untouched) on failure.
  bool commit(std::string &error) {
    if (temporary.empty()) { // a device, written directly
      int result = ::close(fd);
      fd = -1;
      return result == 0 || fail("", errno, error);
    }
    // EINVAL/ENOTSUP: a file system that cannot sync (some FUSE ones);
    // every other error means the bytes may not be on disk.
    if (::fsync(fd) != 0 && errno != EINVAL && errno != ENOTSUP)
      return fail("", errno, error);
    int result = ::close(fd);
    fd = -1;
    if (result != 0)
      return fail("", errno, error);
    if (::rename(temporary.c_str(), target.c_str()) != 0)
      return fail("cannot rename " + temporary + " over it", errno, error);
    temporary.clear();
    syncDirectory();
    return true;
  }

private:
  /// Removes what was written; the target keeps its old contents.
  void discard() {
    if (fd >= 0)
      ::close(fd);
    fd = -1;
    if (!temporary.empty())
      ::unlink(temporary.c_str());
    temporary.clear();
  }

  /// Discards, then sets `error` to "cannot write PATH: WHAT: STRERROR".
  bool fail(const std::string &what, int errnum, std::string &error) {
    discard();
    error = "cannot write " + target;
    if (!what.empty())
      error += ": " + what;
    if (errnum != 0)
      error += std::string(": ") + std::strerror(errnum);
    return false;
  }

  /// The rename is durable once the directory is; best effort, since the
  /// file is already complete and in place.
  void syncDirectory() {
    int dir =
        ::open(directoryOf(target).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
      (void)::fsync(dir);
      ::close(dir);
    }
  }

  std::string target;
  std::string temporary; ///< empty when writing a device directly
  int fd = -1;
};

} // namespace ringattn

#endif // RINGATTN_SUPPORT_ATOMICFILE_H
