//===- Backend.h - Where a ring's ranks run ---------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// A driver program (ring-run, an AOT program, a framework op) runs compiled
// ring code the same way on every backend: the root process holds the
// global operands, the backend moves each rank's shard to the process that
// runs it, runs the compiled entry on every rank, and brings the output
// shards back to the root, which checks and reports. Backends are created by
// name from a BackendRegistry (BackendRegistry.h), as IREE's HAL drivers are.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_RUNTIME_BACKEND_H
#define RINGATTN_RUNTIME_BACKEND_H

#include "RingAttn/Runtime/RunReport.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
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

/// What a backend is, known before one is created: a driver decides from it
/// where operands live and whether the job's size is its own to choose.
struct BackendInfo {
  std::string name;
  std::string description;
  /// Ranks run compiled GPU code, whose operands must be in device memory.
  bool onGpu = false;
  /// Each rank is a process of a job (MPI): the job's size is the ring's,
  /// and every process runs the whole driver.
  bool processPerRank = false;
};

/// What every backend is created with; each reads the fields it needs.
struct BackendOptions {
  /// In-process backends: the ring's size. Process backends take the job's.
  int ranks = 1;
  /// How long a rank or process waits for a peer before failing (seconds).
  double timeoutSeconds = 60;
  /// The threads backend's emulated interconnect.
  LinkModel link;
  /// Benchmarks only: shifts match and synchronize the ranks but move no
  /// byte, so a run times the schedule without communication. Results are
  /// wrong by design.
  bool dropTransfers = false;
  /// Process backends: the program's arguments, for MPI_Init_thread (null
  /// is allowed).
  int *argc = nullptr;
  char ***argv = nullptr;
};

/// One rank's shard of an operand, in host memory.
struct ShardBuffer {
  void *data = nullptr;
  size_t bytes = 0;
};

/// While one lives, the process that made it tells the job's other
/// processes that it is alive (Backend::beatWhileWorking).
class Heartbeat {
public:
  virtual ~Heartbeat() = default;
};

class Backend {
public:
  virtual ~Backend() = default;

  virtual const BackendInfo &info() const = 0;
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
  /// Fails, with `error` naming a process, unless every process computed
  /// the same `fingerprint` of what it was asked to run.
  virtual bool agree(uint64_t fingerprint, std::string &error) = 0;
  /// Gives every process the root's compiled `object` and its cache `key`
  /// (in process: nothing to do).
  virtual void shareObject(std::string &key, std::string &object) {}
  /// Moves shard r from the root to the process that runs rank r. Every
  /// process passes one buffer per rank, sized on the processes that hold or
  /// run that rank.
  virtual void scatter(const std::vector<ShardBuffer> &shards) = 0;
  /// Moves every rank's shard to the root.
  virtual void gather(const std::vector<ShardBuffer> &shards) = 0;
  /// Runs `body(rank)` for every rank this process runs, once. On the root,
  /// the report covers every rank; `seconds` is the wall time of the
  /// slowest rank. A failed ring is `!ok` with the first error, naming its
  /// rank (process backends abort the job instead).
  virtual RunReport run(const std::function<void(int)> &body, bool trace,
                        double &seconds) = 0;
  /// Ends the job's communication (MPI_Finalize): the root checks and
  /// reports afterwards, so no process waits on its float64 reference.
  virtual void finish() {}
  /// Starts telling the other processes that this one is alive while it
  /// works on a step of its own (lowering, compiling, reading inputs), until
  /// the heartbeat is destroyed: a peer waiting on it gives up only after
  /// the timeout passes without a sign of life, so a slow compile is not
  /// taken for a stopped process. The process must not communicate
  /// meanwhile. In process: nothing to tell (nullptr).
  virtual std::unique_ptr<Heartbeat> beatWhileWorking() { return nullptr; }

  bool onGpu() const { return info().onGpu; }
};

} // namespace runtime
} // namespace ringattn

#endif // RINGATTN_RUNTIME_BACKEND_H
