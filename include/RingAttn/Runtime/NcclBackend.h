//===- NcclBackend.h - One rank per GPU over NCCL ---------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The multi-GPU backend: each process (one per GPU) is one rank; a shift is
// an NCCL send and receive issued together on the rank's communication
// stream, ordered against its compute stream with events. NCCL and the CUDA
// driver are loaded at run time; without them runOnNccl reports why.
//
// Bootstrap: the ranks must agree on an NCCL unique id, which rank 0 makes.
// The caller moves it with `exchangeUniqueId`: MPI_Bcast in an MPI job, or
// exchangeUniqueIdThroughFile on a shared file system.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_RUNTIME_NCCLBACKEND_H
#define RINGATTN_RUNTIME_NCCLBACKEND_H

#include "RingAttn/Runtime/RunReport.h"

#include <array>
#include <functional>
#include <string>

namespace ringattn {
namespace runtime {

/// The bytes of an ncclUniqueId.
using NcclUniqueId = std::array<char, 128>;

struct NcclOptions {
  int rank = 0;
  int size = 1;
  /// The CUDA device this rank uses (made the process's selected device).
  int device = 0;
  /// How long a rank waits for its peers (communicator creation, a shift,
  /// shutdown) before it aborts the communicator and fails (seconds).
  double timeoutSeconds = 60;
  /// How long the rank waits at its end for its kernels to finish (seconds).
  /// Kernels may run long, but a hung one must fail the rank, not hold the
  /// process forever.
  double drainTimeoutSeconds = 600;
  /// Makes every rank's `id` equal rank 0's. Called on every rank, with
  /// rank 0's `id` already made by ncclGetUniqueId; returns false with
  /// `error` if it cannot. May be empty only for a ring of one.
  std::function<bool(NcclUniqueId &id, std::string &error)> exchangeUniqueId;
};

/// Runs `body(rank)` as rank `options.rank` of a ring of `options.size`
/// NCCL ranks, on the calling thread, with the C ABI of RingRuntime.h and
/// the mgpu* wrappers bound to it (see docs/Runtime.md). Buffers given to
/// shifts must be device memory. When `body` returns, the rank waits for
/// its compute stream to drain and reports its device time. A failure (no
/// GPU or NCCL, a peer missing past the timeout, kernels still running past
/// the drain timeout, an NCCL or CUDA error) aborts this rank's communicator
/// and returns a report "rank k: ..."; the peers then fail within their own
/// timeout. A failing call leaves `body` by longjmp, so `body` must not hold
/// objects with non-trivial destructors across runtime calls.
RankReport runOnNccl(const NcclOptions &options,
                     const std::function<void(int rank)> &body);

/// An exchangeUniqueId through a file every rank can see: rank 0 writes
/// `id` to `path` atomically (a temporary file, then rename); the others
/// wait up to `timeoutSeconds` for it to appear and read it. `path` must
/// not exist before the job starts (name it after the job): a stale file
/// would hand the readers an old id.
bool exchangeUniqueIdThroughFile(const std::string &path, int rank,
                                 double timeoutSeconds, NcclUniqueId &id,
                                 std::string &error);

} // namespace runtime
} // namespace ringattn

#endif // RINGATTN_RUNTIME_NCCLBACKEND_H
