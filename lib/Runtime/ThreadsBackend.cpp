//===- ThreadsBackend.cpp - Ranks as threads, bytes by copy engines -------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// runOnThreads runs each rank on a thread bound to the plain communicator
// binding (RankThreads.h); the communicator's copy engines move the bytes.
//
//===----------------------------------------------------------------------===//

#include "Format.h"
#include "InProcessBackend.h"
#include "RankThreads.h"

#include "RingAttn/Runtime/BackendRegistry.h"

#include <cstdio>
#include <cstdlib>

namespace ringattn {
namespace runtime {

/// Why `options` cannot run, or "" if they can.
static std::string validate(const ThreadsOptions &options) {
  if (options.ranks < 1)
    return formatString("runOnThreads: ranks must be at least 1 (got %d)",
                        options.ranks);
  if (!(options.timeoutSeconds > 0))
    return formatString("runOnThreads: timeoutSeconds must be positive "
                        "(got %g)",
                        options.timeoutSeconds);
  if (!(options.link.gbps >= 0) || !(options.link.latencyUs >= 0))
    return formatString("runOnThreads: the link model must not be negative "
                        "(gbps %g, latencyUs %g)",
                        options.link.gbps, options.link.latencyUs);
  return "";
}

RunReport runOnThreads(const ThreadsOptions &options,
                       const std::function<void(int rank)> &body) {
  std::string invalid = validate(options);
  if (!invalid.empty()) {
    RunReport report;
    report.ok = false;
    report.error = invalid;
    return report;
  }
  auto comm = std::make_shared<Communicator>(options, body);
  return runRankThreads(comm, [](RankState &rank) {
    return std::make_unique<CommunicatorBinding>(rank);
  });
}

void registerThreadsBackend(BackendRegistry &registry) {
  BackendInfo info{"threads", "N ranks as threads of this process"};
  registry.add(info, [info](const BackendOptions &options, std::string &) {
    ThreadsOptions threads;
    threads.ranks = options.ranks;
    threads.link = options.link;
    threads.timeoutSeconds = options.timeoutSeconds;
    threads.dropTransfers = options.dropTransfers;
    return makeInProcessBackend(
        info, options.ranks,
        [threads](bool trace, const std::function<void(int)> &body) {
          ThreadsOptions traced = threads;
          traced.trace = trace;
          return runOnThreads(traced, body);
        });
  });
}

void failRank(const std::string &message) {
  RankBinding *binding = boundRank();
  if (!binding) {
    std::fprintf(stderr,
                 "ringattn: failRank called on a thread with no rank bound; "
                 "it only works inside a rank run by a backend\n");
    std::abort();
  }
  binding->fail(message.c_str());
  std::abort(); // fail() does not return; the compiler cannot see that
}

} // namespace runtime
} // namespace ringattn
