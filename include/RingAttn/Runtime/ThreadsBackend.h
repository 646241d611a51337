//===- ThreadsBackend.h - N ranks as threads of one process -----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The embedded backend: each rank is a thread; each rank's outgoing link is a
// copy engine (its own thread) that moves shifted buffers while the ranks
// compute, optionally slowed to a modelled interconnect.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_RUNTIME_THREADSBACKEND_H
#define RINGATTN_RUNTIME_THREADSBACKEND_H

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace ringattn {
namespace runtime {

/// An emulated interconnect. A transfer of `bytes` completes no sooner than
/// `latencyUs + bytes / (gbps * 1e9 / 8)` after it starts; gbps = 0 means
/// memcpy speed.
struct LinkModel {
  double gbps = 0;
  double latencyUs = 0;
};

struct ThreadsOptions {
  int ranks = 1;
  LinkModel link;
  /// How long a rank waits for a peer before giving up (seconds).
  double timeoutSeconds = 60;
  /// Record compute and transfer spans for a Chrome trace.
  bool trace = false;
  /// Benchmarks only: shifts still match and synchronize the ranks, but no
  /// byte moves and no link time passes, so a run times the schedule with
  /// its communication removed. Results are wrong by design.
  bool dropTransfers = false;
};

/// A span of a Chrome trace. Compute spans cover what a rank does between
/// starting a shift and waiting for it (and after its last wait); transfer
/// spans cover a copy engine moving one buffer.
struct Span {
  enum class Kind { Compute, Transfer };
  Kind kind;
  int rank;       ///< the rank computing, or the sending rank
  int64_t step;   ///< shift sequence number on that rank
  int64_t bytes;  ///< transfer size (0 for compute)
  double beginUs; ///< microseconds since the run started
  double endUs;
};

/// A rank that was still running when its ring failed reports
/// "rank k: stopped because <first error>", even if its body then returned.
struct RankReport {
  bool ok = true;
  std::string error;      ///< "rank 2: ..." when !ok
  double seconds = 0;     ///< wall time of the rank's body
  double busySeconds = 0; ///< sum of its compute spans (wall time)
  /// CPU time of the rank's thread over the same spans: its work, even when
  /// ranks outnumber cores and share them.
  double busyCpuSeconds = 0;
};

struct RunReport {
  bool ok = true;
  std::string error; ///< the first failure, naming its rank
  std::vector<RankReport> ranks;
  std::vector<Span> spans; ///< filled when options.trace
};

/// Runs `body(rank)` on `options.ranks` threads, each bound to a shared
/// communicator so that the C ABI in RingRuntime.h acts on it. Returns when
/// every rank has finished or stopped; a rank that failed, timed out, or
/// could not be stopped within the timeout is reported, never waited for
/// forever.
///
/// A rank stops by longjmp out of the runtime call back to its thread, which
/// runs no destructors: `body` must not hold objects with non-trivial
/// destructors (containers, strings, locks) across runtime calls. A rank that
/// does not stop within the timeout after its ring failed is detached and
/// keeps running its own copy of `body`, so whatever that copy refers to must
/// outlive it.
RunReport runOnThreads(const ThreadsOptions &options,
                       const std::function<void(int rank)> &body);

/// Stops the calling rank with `message` (and with it every rank of its
/// ring), as a failed runtime call would: the rank's error becomes
/// "rank k: <message>". Only valid inside a rank run by a backend
/// (runOnThreads, runOnOneGpu, runOnNccl; runOnMpi aborts the job); like any
/// stop, it leaves the body by longjmp, so the caller's frames are not
/// destroyed.
[[noreturn]] void failRank(const std::string &message);

/// Writes `spans` as a Chrome trace (JSON, for chrome://tracing or Perfetto):
/// one track per rank for compute and one per copy engine for transfers.
bool writeChromeTrace(const std::string &path, const std::vector<Span> &spans,
                      std::string &error);

} // namespace runtime
} // namespace ringattn

#endif // RINGATTN_RUNTIME_THREADSBACKEND_H
