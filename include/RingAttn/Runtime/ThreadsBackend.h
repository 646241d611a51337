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

#include "RingAttn/Runtime/Backend.h"
#include "RingAttn/Runtime/RunReport.h"

#include <functional>

namespace ringattn {
namespace runtime {

class BackendRegistry;

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

/// Registers "threads": runOnThreads behind the Backend interface, with
/// BackendOptions' ranks, link, timeout and dropTransfers.
void registerThreadsBackend(BackendRegistry &registry);

} // namespace runtime
} // namespace ringattn

#endif // RINGATTN_RUNTIME_THREADSBACKEND_H
