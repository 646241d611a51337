//===- NcclBootstrap.cpp - Sharing the NCCL unique id through a file ------===//

#include "Format.h"
#include "RingAttn/Runtime/NcclBackend.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>
#include <unistd.h>

namespace ringattn {
namespace runtime {

/// Rank 0's half: the id appears at `path` whole or not at all.
static bool writeUniqueId(const std::string &path, const NcclUniqueId &id,
                          std::string &error) {
  std::string temporary =
      formatString("%s.tmp.%ld", path.c_str(), static_cast<long>(getpid()));
  std::FILE *file = std::fopen(temporary.c_str(), "wb");
  bool ok = file && std::fwrite(id.data(), 1, id.size(), file) == id.size() &&
            std::fflush(file) == 0 && fsync(fileno(file)) == 0;
  int savedErrno = errno;
  if (file && std::fclose(file) != 0 && ok) {
    ok = false;
    savedErrno = errno;
  }
  if (ok && std::rename(temporary.c_str(), path.c_str()) == 0)
    return true;
  if (ok)
    savedErrno = errno;
  std::remove(temporary.c_str());
  error = formatString("cannot write the NCCL unique id to %s: %s",
                       path.c_str(), std::strerror(savedErrno));
  return false;
}

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
    if (std::FILE *file = std::fopen(path.c_str(), "rb")) {
      size_t got = std::fread(id.data(), 1, id.size(), file);
      bool more = std::fgetc(file) != EOF;
      std::fclose(file);
      if (got == id.size() && !more)
        return true;
      error = formatString("%s is not an NCCL unique id (%s than %zu bytes)",
                           path.c_str(), more ? "more" : "fewer", id.size());
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
