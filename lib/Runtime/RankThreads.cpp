//===- RankThreads.cpp - A communicator's ranks as threads ----------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Each rank runs on a thread of its own, bound (RankBinding.h) to its
// RankState, so that the C ABI of RingRuntime.h acts on the calling rank.
//
// A runtime call that fails or finds the ring failed must not return into
// compiled code. The rank's thread sets a setjmp point before calling the
// body and the failing call longjmps back to it. longjmp runs no
// destructors, so the frames it abandons must own nothing: the runtime
// returns from every function holding a lock or a std::string before it
// jumps, compiled code has no destructors, and bodies must not keep objects
// with non-trivial destructors alive across runtime calls (see
// ThreadsBackend.h).
//
//===----------------------------------------------------------------------===//

#include "RankThreads.h"
#include "Format.h"

#include <csetjmp>
#include <system_error>
#include <thread>

namespace ringattn {
namespace runtime {

//===----------------------------------------------------------------------===//
// CommunicatorBinding
//===----------------------------------------------------------------------===//

void CommunicatorBinding::unwind() { std::longjmp(rank_.unwindTarget, 1); }

int64_t CommunicatorBinding::rank() {
  if (!rank_.comm.checkRunning(rank_))
    unwind();
  return rank_.index;
}

int64_t CommunicatorBinding::size() {
  if (!rank_.comm.checkRunning(rank_))
    unwind();
  return rank_.comm.size();
}

RingShift *CommunicatorBinding::shiftStart(void *src, void *dst, int64_t bytes,
                                           int64_t offset) {
  RingShift *shift = rank_.comm.startShift(rank_, src, dst, bytes, offset);
  if (!shift)
    unwind();
  rank_.beginCompute(shift->seq);
  return shift;
}

void CommunicatorBinding::shiftWait(RingShift *shift) {
  rank_.endCompute();
  if (!rank_.comm.waitShift(rank_, shift))
    unwind();
  rank_.markTailStart();
}

void CommunicatorBinding::fail(const char *message) {
  // The formatted message is gone before the jump.
  rank_.comm.failAndStop(rank_,
                         formatString("rank %d: %s", rank_.index, message));
  unwind();
}

//===----------------------------------------------------------------------===//
// Rank threads
//===----------------------------------------------------------------------===//

/// Returns true if the body returned, false if a runtime call unwound it.
/// Nothing here is modified between setjmp and longjmp.
static bool callBody(RankState &rank, const std::function<void(int)> &body) {
  if (setjmp(rank.unwindTarget) != 0)
    return false;
  body(rank.index);
  return true;
}

/// A rank's thread. It shares ownership of the communicator, so everything
/// it may touch stays alive even if runRankThreads gives up on it.
static void runRank(std::shared_ptr<Communicator> comm, int index,
                    BindingFactory makeBinding) {
  RankState &rank = comm->rank(index);
  std::unique_ptr<CommunicatorBinding> binding = makeBinding(rank);
  bindRank(binding.get());
  rank.bodyBegin = Clock::now();
  rank.markTailStart();
  bool returned = callBody(rank, comm->body());
  bindRank(nullptr);
  comm->finishRank(rank, returned);
}

RunReport runRankThreads(const std::shared_ptr<Communicator> &comm,
                         const BindingFactory &makeBinding) {
  std::string error;
  if (!comm->startCopyEngines(error)) {
    for (int index = 0; index < comm->size(); ++index)
      comm->rankDidNotStart(index, error);
    return comm->collectReport();
  }
  // A system out of threads fails the ring like a rank that failed: the
  // ranks started stop, and the run reports why.
  std::vector<std::thread> threads(comm->size());
  for (int index = 0; index < comm->size(); ++index) {
    try {
      threads[index] = std::thread(runRank, comm, index, makeBinding);
    } catch (const std::system_error &e) {
      comm->rankDidNotStart(
          index, formatString("rank %d: could not start its thread (%s); the "
                              "system allows fewer threads than %d ranks",
                              index, e.what(), comm->size()));
    }
  }

  std::vector<bool> finished = comm->awaitRanks();
  for (int index = 0; index < comm->size(); ++index) {
    if (!threads[index].joinable())
      continue; // never started
    if (finished[index])
      threads[index].join();
    else
      threads[index].detach(); // reported; it keeps `comm` alive
  }
  comm->stopCopyEngines();
  return comm->collectReport();
}

} // namespace runtime
} // namespace ringattn
