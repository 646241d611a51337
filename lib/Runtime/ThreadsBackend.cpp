//===- ThreadsBackend.cpp - Ranks as threads; the C ABI on them -----------===//
//
// runOnThreads starts one thread per rank and binds it (RankBinding.h) to
// its RankState, so that the C ABI of RingRuntime.h acts on the calling rank.
//
// A runtime call that fails or finds the ring failed must not return into
// compiled code. The rank's thread wrapper sets a setjmp point before calling
// the body and the failing call longjmps back to it. longjmp runs no
// destructors, so the frames it abandons must own nothing: the runtime
// returns from every function holding a lock or a std::string before it
// jumps, compiled code has no destructors, and bodies must not keep objects
// with non-trivial destructors alive across runtime calls (see
// ThreadsBackend.h).
//
//===----------------------------------------------------------------------===//

#include "Communicator.h"
#include "Format.h"
#include "RankBinding.h"

#include <cstdio>
#include <cstdlib>

using namespace ringattn::runtime;

/// The rank the calling thread runs, or null outside runOnThreads' ranks.
static thread_local RankState *boundRank = nullptr;

static RankState &currentRank(const char *function) {
  if (!boundRank) {
    std::fprintf(stderr,
                 "ringattn: %s called on a thread that runOnThreads did not "
                 "start; the ring runtime only works inside a rank's body\n",
                 function);
    std::abort();
  }
  return *boundRank;
}

/// Leaves the rank's body for its thread wrapper (see the file comment).
[[noreturn]] static void unwindRank(RankState &rank) {
  std::longjmp(rank.unwindTarget, 1);
}

//===----------------------------------------------------------------------===//
// The C ABI on a threads rank
//===----------------------------------------------------------------------===//

namespace {
class ThreadsBinding final : public ringattn::runtime::RankBinding {
public:
  explicit ThreadsBinding(RankState &rank) : rank_(rank) {}

  int64_t rank() override {
    if (!rank_.comm.checkRunning(rank_))
      unwindRank(rank_);
    return rank_.index;
  }

  int64_t size() override {
    if (!rank_.comm.checkRunning(rank_))
      unwindRank(rank_);
    return rank_.comm.size();
  }

  RingShift *shiftStart(void *src, void *dst, int64_t bytes,
                        int64_t offset) override {
    RingShift *shift = rank_.comm.startShift(rank_, src, dst, bytes, offset);
    if (!shift)
      unwindRank(rank_);
    rank_.beginCompute(shift->seq);
    return shift;
  }

  void shiftWait(RingShift *shift) override {
    rank_.endCompute();
    if (!rank_.comm.waitShift(rank_, shift))
      unwindRank(rank_);
    rank_.markTailStart();
  }

private:
  RankState &rank_;
};
} // namespace

/// Returns true if the body returned, false if a runtime call unwound it.
/// Nothing here is modified between setjmp and longjmp.
static bool callBody(RankState &rank, const std::function<void(int)> &body) {
  if (setjmp(rank.unwindTarget) != 0)
    return false;
  body(rank.index);
  return true;
}

/// A rank's thread. It shares ownership of the communicator, so everything
/// it may touch stays alive even if runOnThreads gives up on it.
static void runRank(std::shared_ptr<Communicator> comm, int index) {
  RankState &rank = comm->rank(index);
  ThreadsBinding binding(rank);
  boundRank = &rank;
  bindRank(&binding);
  rank.bodyBegin = Clock::now();
  rank.markTailStart();
  bool returned = callBody(rank, comm->body());
  bindRank(nullptr);
  boundRank = nullptr;
  comm->finishRank(rank, returned);
}

//===----------------------------------------------------------------------===//
// C++ API
//===----------------------------------------------------------------------===//

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
  comm->startCopyEngines();
  std::vector<std::thread> threads;
  for (int index = 0; index < options.ranks; ++index)
    threads.emplace_back(runRank, comm, index);

  std::vector<bool> finished = comm->awaitRanks();
  for (int index = 0; index < options.ranks; ++index) {
    if (finished[index])
      threads[index].join();
    else
      threads[index].detach(); // reported; it keeps `comm` alive
  }
  comm->stopCopyEngines();
  return comm->collectReport();
}

void failRank(const std::string &message) {
  RankState &rank = currentRank("failRank");
  rank.comm.failAndStop(
      rank, formatString("rank %d: %s", rank.index, message.c_str()));
  unwindRank(rank);
}

} // namespace runtime
} // namespace ringattn
