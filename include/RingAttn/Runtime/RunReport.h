//===- RunReport.h - What a run of N ranks reports --------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The vocabulary every backend shares (threads, MPI, one GPU, NCCL): the
// report of a run and of each rank, the spans of its Chrome trace, and how a
// rank stops itself.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_RUNTIME_RUNREPORT_H
#define RINGATTN_RUNTIME_RUNREPORT_H

#include <cstdint>
#include <string>
#include <vector>

namespace ringattn {
namespace runtime {

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
  /// GPU backends: how long the rank's compute stream ran, from the first
  /// work of its body to its drain, timed by CUDA events on the device (the
  /// kernels, and the waits for shifts between them); 0 elsewhere.
  double deviceSeconds = 0;
  /// The shifts the rank started and the bytes they sent: the ring's
  /// traffic, which a window cuts (docs/Semantics.md).
  int64_t shifts = 0;
  int64_t bytesSent = 0;
};

struct RunReport {
  bool ok = true;
  std::string error; ///< the first failure, naming its rank
  std::vector<RankReport> ranks;
  std::vector<Span> spans; ///< filled when options.trace
};

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

#endif // RINGATTN_RUNTIME_RUNREPORT_H
