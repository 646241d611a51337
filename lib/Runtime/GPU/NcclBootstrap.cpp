//===- NcclBootstrap.cpp - Sharing the NCCL unique id through a file ------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Whoever holds the unique id can join the job's NCCL communicator, and
// whoever can replace the file can hand the ranks an id of their choosing, so
// the file is treated as a credential:
//  - rank 0 writes it with AtomicFile: a new file, mode 0600, created with
//    O_EXCL | O_NOFOLLOW under a random name in the same directory, then
//    renamed over the path (rename replaces a planted symlink, never
//    follows it);
//  - the readers open it with O_NOFOLLOW and accept only a regular file
//    owned by this user that neither group nor others can write;
//  - the contents carry a magic, a format version and a checksum, so any
//    other file (a raw 128-byte id, a truncated or stale-format file) is
//    refused with a message saying what it is not.
//
// Layout (148 bytes): "RINGNCID" | version (u32 LE) | id (128 bytes) |
// FNV-1a 64 of everything before it (u64 LE).
//
//===----------------------------------------------------------------------===//

#include "Format.h"
#include "RingAttn/Runtime/NcclBackend.h"
#include "RingAttn/Support/AtomicFile.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace ringattn {
namespace runtime {

namespace {

constexpr char idFileMagic[8] = {'R', 'I', 'N', 'G', 'N', 'C', 'I', 'D'};
constexpr uint32_t idFileVersion = 1;
constexpr size_t idOffset = sizeof idFileMagic + 4;
constexpr size_t checksumOffset = idOffset + sizeof(NcclUniqueId);
constexpr size_t idFileSize = checksumOffset + 8;

uint64_t fnv1a64(const unsigned char *bytes, size_t size) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < size; ++i)
    hash = (hash ^ bytes[i]) * 0x100000001b3ull;
  return hash;
}

void putLittleEndian(unsigned char *at, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i)
    at[i] = static_cast<unsigned char>(value >> (8 * i));
}

uint64_t getLittleEndian(const unsigned char *at, int bytes) {
  uint64_t value = 0;
  for (int i = bytes - 1; i >= 0; --i)
    value = value << 8 | at[i];
  return value;
}

/// The file's contents for `id`.
std::string encodeIdFile(const NcclUniqueId &id) {
  unsigned char bytes[idFileSize];
  std::memcpy(bytes, idFileMagic, sizeof idFileMagic);
  putLittleEndian(bytes + sizeof idFileMagic, idFileVersion, 4);
  std::memcpy(bytes + idOffset, id.data(), id.size());
  putLittleEndian(bytes + checksumOffset, fnv1a64(bytes, checksumOffset), 8);
  return std::string(reinterpret_cast<char *>(bytes), idFileSize);
}

/// The id in `bytes`, or false with `problem` saying why they are not one.
bool decodeIdFile(const unsigned char *bytes, size_t size, NcclUniqueId &id,
                  std::string &problem) {
  if (size < sizeof idFileMagic ||
      std::memcmp(bytes, idFileMagic, sizeof idFileMagic) != 0) {
    problem = "is not a RingAttn NCCL unique-id file (no RINGNCID magic; "
              "was it written by another program, or by an older ring-run?)";
    return false;
  }
  uint64_t version =
      size >= idOffset ? getLittleEndian(bytes + sizeof idFileMagic, 4) : 0;
  if (version != idFileVersion) {
    problem =
        formatString("has unique-id file format version %llu; this "
                     "build reads version %u",
                     static_cast<unsigned long long>(version), idFileVersion);
    return false;
  }
  if (size != idFileSize) {
    problem = formatString("has %zu bytes; a unique-id file has %zu", size,
                           idFileSize);
    return false;
  }
  if (getLittleEndian(bytes + checksumOffset, 8) !=
      fnv1a64(bytes, checksumOffset)) {
    problem = "fails its checksum (corrupt or partly overwritten)";
    return false;
  }
  std::memcpy(id.data(), bytes + idOffset, id.size());
  return true;
}

/// Rank 0's half: the id appears at `path` whole or not at all, readable
/// by this user only.
bool writeUniqueId(const std::string &path, const NcclUniqueId &id,
                   std::string &error) {
  AtomicFile file;
  AtomicFile::Options options;
  options.mode = 0600;
  options.devices = false; // whatever is at the path is replaced
  if (file.open(path, options, error) && file.write(encodeIdFile(id), error) &&
      file.commit(error))
    return true;
  error = "cannot share the NCCL unique id: " + error;
  return false;
}

/// Whether the opened file is one only this user could have written.
bool trustworthy(int fd, std::string &problem) {
  struct stat info;
  if (::fstat(fd, &info) != 0) {
    problem = std::string("cannot be examined: ") + std::strerror(errno);
    return false;
  }
  if (!S_ISREG(info.st_mode)) {
    problem = "is not a regular file";
    return false;
  }
  if (info.st_uid != ::geteuid()) {
    problem = formatString("is owned by uid %u, not by this user (uid %u)",
                           static_cast<unsigned>(info.st_uid),
                           static_cast<unsigned>(::geteuid()));
    return false;
  }
  if (info.st_mode & (S_IWGRP | S_IWOTH)) {
    problem = formatString("is writable by group or others (mode %04o), so "
                           "anyone could have put an id there",
                           static_cast<unsigned>(info.st_mode & 07777));
    return false;
  }
  return true;
}

/// Reads an id file that exists; false with `problem` if it is not one.
bool readIdFile(int fd, NcclUniqueId &id, std::string &problem) {
  if (!trustworthy(fd, problem))
    return false;
  unsigned char bytes[idFileSize + 1]; // one more, to see a longer file
  size_t size = 0;
  while (size < sizeof bytes) {
    ssize_t got = ::read(fd, bytes + size, sizeof bytes - size);
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0) {
      problem = std::string("cannot be read: ") + std::strerror(errno);
      return false;
    }
    if (got == 0)
      break;
    size += static_cast<size_t>(got);
  }
  return decodeIdFile(bytes, size, id, problem);
}

} // namespace

bool exchangeUniqueIdThroughFile(const std::string &path, int rank,
                                 double timeoutSeconds, NcclUniqueId &id,
                                 std::string &error) {
  if (rank == 0)
    return writeUniqueId(path, id, error);

  auto deadline =
      std::chrono::steady_clock::now() +
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::duration<double>(std::min(timeoutSeconds, 1e9)));
  for (;;) {
    // O_NONBLOCK: a FIFO planted at the path must not block the open.
    int fd = ::open(path.c_str(),
                    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd >= 0) {
      std::string problem;
      bool ok = readIdFile(fd, id, problem);
      ::close(fd);
      if (!ok)
        error = "the NCCL unique-id file " + path + " " + problem;
      return ok;
    }
    if (errno == ELOOP) {
      error = formatString("the NCCL unique-id file %s is a symbolic link; "
                           "it is not followed",
                           path.c_str());
      return false;
    }
    if (errno != ENOENT) {
      error = formatString("cannot read the NCCL unique id from %s: %s",
                           path.c_str(), std::strerror(errno));
      return false;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      error = formatString("timed out after %g s waiting for rank 0 to "
                           "write the NCCL unique id to %s",
                           timeoutSeconds, path.c_str());
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

} // namespace runtime
} // namespace ringattn
