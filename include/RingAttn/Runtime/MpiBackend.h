//===- MpiBackend.h - One rank per MPI process ------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The cluster backend: each MPI process of a communicator is one rank of the
// ring; a shift is a non-blocking send and receive issued together
// (MPI_Isend + MPI_Irecv), completed by the wait. Built when MPI is found
// (RINGATTN_ENABLE_MPI); the rest of the runtime does not depend on it.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_RUNTIME_MPIBACKEND_H
#define RINGATTN_RUNTIME_MPIBACKEND_H

#include "RingAttn/Runtime/RunReport.h"

#include <mpi.h>

#include <functional>

namespace ringattn {
namespace runtime {

class BackendRegistry;

struct MpiOptions {
  /// The ring's processes; the rank on the ring is the rank in it.
  MPI_Comm comm = MPI_COMM_WORLD;
  /// How long a rank waits for a peer before the job is aborted (seconds).
  double timeoutSeconds = 60;
};

/// Runs `body(rank)` as this process's rank of `options.comm` and returns
/// its report. MPI must be initialized with MPI_Init_thread at
/// MPI_THREAD_SERIALIZED or above: a progress thread drives the transfers
/// while the rank computes. A failure (a timeout, an MPI error, a byte
/// count that does not match) prints "ringattn: rank k: <what>" to stderr
/// and aborts the whole job with MPI_Abort, so every rank stops within a
/// bounded time instead of waiting for a peer that will never come.
RankReport runOnMpi(const MpiOptions &options,
                    const std::function<void(int rank)> &body);

/// Registers "mpi" and "nccl": one rank per process of MPI_COMM_WORLD
/// (runOnMpi, or runOnNccl on the process's node-local GPU, bootstrapped
/// over MPI). Creating one initializes MPI with the options' argc and argv;
/// finish() finalizes it. Every collective of the job (scatter, gather,
/// agree, ...) is bounded by the options' timeout: past it the job is
/// aborted with a message naming the rank and what it waited for.
void registerMpiBackends(BackendRegistry &registry);

} // namespace runtime
} // namespace ringattn

#endif // RINGATTN_RUNTIME_MPIBACKEND_H
