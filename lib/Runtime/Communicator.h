//===- Communicator.h - Shared state of a threads-backend ring -*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Internal to the runtime. A Communicator holds the ranks, their posted
// shifts, the copy engines that move them, and the ring's failure state. One
// mutex guards everything shared: a ring has few ranks and a handful of
// operations per step, so contention is negligible and one lock keeps abort
// and matching easy to reason about.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_LIB_RUNTIME_COMMUNICATOR_H
#define RINGATTN_LIB_RUNTIME_COMMUNICATOR_H

#include "RankClock.h"
#include "RingAttn/Runtime/RingRuntime.h"
#include "RingAttn/Runtime/ThreadsBackend.h"

#include <chrono>
#include <condition_variable>
#include <csetjmp>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

/// One rank's k-th shift: both its send half and its receive half. The
/// fields up to `receiveFrom` never change once posted; the flags are guarded
/// by the communicator's mutex.
struct RingShift {
  int rank;
  int64_t seq;
  const void *src;
  void *dst;
  int64_t bytes;
  int sendTo;
  int receiveFrom;
  bool sent = false;     ///< the copy out of `src` has completed
  bool received = false; ///< the copy into `dst` has completed
};

namespace ringattn {
namespace runtime {

using Clock = std::chrono::steady_clock;

class Communicator;

/// A matched send and receive, waiting on the sender's copy engine.
struct Transfer {
  RingShift *sender;
  RingShift *receiver;
};

/// One rank: the thread-private part its thread uses without locking, and
/// the part other threads see under the communicator's mutex.
struct RankState {
  RankState(Communicator &comm, int index) : comm(comm), index(index) {}

  Communicator &comm;
  const int index;

  // Owned by the rank's thread; runOnThreads reads them only once the rank
  // has `finished` (never for an abandoned rank, which may still run).
  std::jmp_buf unwindTarget;
  int64_t nextSeq = 0;
  Clock::time_point bodyBegin;
  bool computeOpen = false;  ///< a shift started and not yet waited for
  int64_t computeStep = 0;   ///< the shift that opened the compute span
  double computeBeginUs = 0; ///< where the open (or tail) span began
  RankClock computeClock;    ///< started at computeBeginUs
  double busySeconds = 0;
  double busyCpuSeconds = 0;
  double deviceSeconds = 0; ///< set by GPU bindings at the body's end
  std::vector<Span> spans;

  /// Opens a compute span when a shift starts (if none is open).
  void beginCompute(int64_t step);
  /// Closes the open compute span; a rank waits for a shift.
  void endCompute();
  /// The body began or a wait returned: if the body ends before it starts
  /// another shift, the time from here to the end is a compute span.
  void markTailStart();
  /// Closes the span still open when the body ends.
  void endBody();

  // Guarded by the communicator's mutex.
  std::vector<std::unique_ptr<RingShift>> shifts; ///< started, not waited
  RankReport report;
  int copiesInProgress = 0; ///< memcpys touching this rank's buffers
  bool finished = false;
  bool abandoned = false; ///< runOnThreads gave up waiting and detached it
  std::condition_variable progress;
};

/// How matched shifts move their bytes, when not by the copy engines. The
/// one-GPU backend issues an asynchronous device copy instead.
class Transport {
public:
  virtual ~Transport() = default;
  /// Starts moving `sender`'s bytes into `receiver`'s buffer. Called with the
  /// communicator's mutex held, once per matched pair, in matching order, so
  /// it must not block. Once it returns, the communicator counts the pair as
  /// sent and received: completing the move is the backend's business (the
  /// GPU backend waits on an event). Returns "" or why the move failed.
  virtual std::string issue(const RingShift &sender,
                            const RingShift &receiver) = 0;
};

/// One rank's outgoing link: a thread doing that rank's transfers in order.
struct CopyEngine {
  std::deque<Transfer> queue; ///< guarded by the communicator's mutex
  std::condition_variable work;
  std::vector<Span> spans; ///< engine thread only; read after it is joined
  std::thread thread;
};

class Communicator {
public:
  /// Transfers go through `transport` if given, else through copy engines.
  Communicator(const ThreadsOptions &options,
               std::function<void(int rank)> body,
               std::shared_ptr<Transport> transport = nullptr);

  int size() const { return static_cast<int>(ranks_.size()); }
  RankState &rank(int index) { return *ranks_[index]; }
  /// A copy of the caller's body: a detached rank may outlive the caller.
  const std::function<void(int rank)> &body() const { return body_; }
  /// Microseconds since the run began: now, or at `time`.
  double nowUs() const;
  double usAt(Clock::time_point time) const;
  bool tracing() const { return options_.trace; }

  // Rank-side operations, called by the C ABI on the rank's own thread. Each
  // returns false (or null) when the rank must stop; by then no lock is held
  // and no copy touches the rank's buffers, so the caller may longjmp away.
  bool checkRunning(RankState &rank);
  RingShift *startShift(RankState &rank, const void *src, void *dst,
                        int64_t bytes, int64_t offset);
  bool waitShift(RankState &rank, RingShift *shift);
  /// Fails `rank` with `message` (and the ring with it).
  void failAndStop(RankState &rank, const std::string &message);
  /// Publishes the rank's report once its body returned or unwound.
  void finishRank(RankState &rank, bool returned);

  /// Marks a rank whose thread could not be created as failed with
  /// `message` (the first such failure fails the ring), and as finished.
  void rankDidNotStart(int index, const std::string &message);

  // runRankThreads' side. The copy engines exist only without a transport.
  /// Starts the copy engines; false, with `error`, when a thread could not
  /// be created (the ones started are stopped again).
  bool startCopyEngines(std::string &error);
  /// Waits for every rank to finish, or, once the ring failed, for at most
  /// the timeout; marks the ranks still running as abandoned and returns
  /// which ranks finished.
  std::vector<bool> awaitRanks();
  void stopCopyEngines();
  RunReport collectReport();

private:
  // Everything below that takes a lock reference expects mutex_ held.
  void fail(int rankIndex, const std::string &message);
  void stop(std::unique_lock<std::mutex> &lock, RankState &rank);
  RingShift *findShift(int rankIndex, int64_t seq);
  void match(RingShift *sender, RingShift *receiver);
  void runCopyEngine(int index);

  const ThreadsOptions options_;
  const std::function<void(int rank)> body_;
  const std::shared_ptr<Transport> transport_;
  const Clock::time_point runBegin_;
  std::vector<std::unique_ptr<RankState>> ranks_;
  std::vector<std::unique_ptr<CopyEngine>> engines_;

  std::mutex mutex_;
  bool aborted_ = false;
  std::string firstError_;
  Clock::time_point abortTime_;
  bool stopping_ = false; ///< copy engines should exit
  std::condition_variable rankFinished_;
};

/// A duration of `seconds`, for deadlines.
Clock::duration secondsToDuration(double seconds);

} // namespace runtime
} // namespace ringattn

#endif // RINGATTN_LIB_RUNTIME_COMMUNICATOR_H
