//===- Launcher.h - Where ring-run's ranks run ------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// ring-run drives every backend the same way: the root process holds the
// global operands, the launcher moves each rank's shard to the process that
// runs it, runs the compiled entry on every rank, and brings the output
// shards back to the root, which checks and reports.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_TOOLS_RINGRUN_LAUNCHER_H
#define RINGATTN_TOOLS_RINGRUN_LAUNCHER_H

#include "HostTensor.h"

#include "RingAttn/Runtime/GpuBackend.h"
#include "RingAttn/Runtime/ThreadsBackend.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace ringattn {

class Launcher {
public:
  virtual ~Launcher() = default;

  /// The number of ranks of the ring.
  virtual int ranks() const = 0;
  /// This process's index among the job's processes (0 in process).
  virtual int processRank() const { return 0; }
  /// Whether this process holds the global operands, checks and prints.
  virtual bool isRoot() const = 0;
  /// Whether this process runs rank `rank`.
  virtual bool runsRank(int rank) const = 0;
  /// -1 when every process reports `ok` (it read its module, the root its
  /// inputs, ...), else the lowest processRank() that did not: that process
  /// reports its error, the others exit quietly, so an error every process
  /// hit prints once.
  virtual int firstFailure(bool ok) = 0;
  /// Fails, with `error` naming a rank, unless every process computed the
  /// same `fingerprint` of its module and options.
  virtual bool agree(uint64_t fingerprint, std::string &error) = 0;
  /// Gives every process the root's compiled `object` and its cache `key`
  /// (in process: nothing to do).
  virtual void shareObject(std::string &key, std::string &object) {}
  /// Moves shard r from the root to the process that runs rank r.
  virtual void scatter(std::vector<HostTensor> &shards) = 0;
  /// Moves every rank's shard to the root.
  virtual void gather(std::vector<HostTensor> &shards) = 0;
  /// Runs `body(rank)` for every rank once. On the root, the report covers
  /// every rank; `seconds` is the wall time of the slowest rank.
  virtual runtime::RunReport run(const std::function<void(int)> &body,
                                 bool trace, double &seconds) = 0;
  /// Whether the ranks run compiled GPU code, whose operands must be
  /// staged in device memory.
  virtual bool onGpu() const { return false; }
  /// Ends the job's communication (MPI_Finalize): the root checks and
  /// reports afterwards, so no process waits on its float64 reference.
  virtual void finish() {}
};

std::unique_ptr<Launcher> makeThreadsLauncher(const runtime::ThreadsOptions &);

/// One rank per process of MPI_COMM_WORLD; initializes MPI, and finalizes
/// it in finish(). With `nccl`, each process drives one GPU (its node-local
/// rank's) and the ring communicates through NCCL, bootstrapped over MPI.
/// Every collective is bounded by `timeoutSeconds` (see MpiLauncher.cpp).
std::unique_ptr<Launcher> makeMpiLauncher(int &argc, char **&argv,
                                          double timeoutSeconds, bool nccl);
/// N ranks as threads sharing this process's GPU.
std::unique_ptr<Launcher> makeOneGpuLauncher(const runtime::GpuOptions &);

} // namespace ringattn

#endif // RINGATTN_TOOLS_RINGRUN_LAUNCHER_H
