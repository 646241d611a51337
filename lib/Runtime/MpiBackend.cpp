//===- MpiBackend.cpp - One rank per MPI process --------------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// A shift posts MPI_Irecv and MPI_Isend together, so every rank of a ring of
// any size can make progress: no rank blocks in a send while its neighbour
// blocks in another.
//
// MPI moves a large message only while some thread of the process is inside
// MPI (rendezvous protocols), and the rank's thread is in compiled code until
// it waits. So a progress thread owns all MPI traffic during a run: it posts
// the requests of each shift and tests them until they complete, while the
// rank computes. Only it calls MPI during the body, which MPI_THREAD_SERIALIZED
// allows. The wait blocks on a condition variable against a deadline; on any
// failure the job is aborted (MPI_Abort), the only way to stop ranks blocked
// in other processes.
//
//===----------------------------------------------------------------------===//

#include "RingAttn/Runtime/MpiBackend.h"

#include "Format.h"
#include "RankBinding.h"
#include "RankClock.h"

#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <mutex>
#include <thread>

namespace ringattn {
namespace runtime {
namespace {

using Clock = std::chrono::steady_clock;

/// One shift: what to send and receive, then its requests and outcome.
struct MpiShift {
  int64_t seq;
  void *src, *dst;
  int count;
  int tag;
  int sendTo, receiveFrom;
  MPI_Request requests[2] = {MPI_REQUEST_NULL, MPI_REQUEST_NULL};
  bool done = false; ///< guarded by the progress engine's mutex
  int received = 0;  ///< bytes that arrived
};

/// The thread that drives MPI while the rank computes.
class ProgressEngine {
public:
  explicit ProgressEngine(MPI_Comm comm)
      : comm_(comm), thread_([this] { loop(); }) {}

  ~ProgressEngine() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    work_.notify_one();
    thread_.join();
  }

  void post(MpiShift *shift) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      toPost_.push_back(shift);
    }
    work_.notify_one();
  }

  /// Waits until `shift` completed (true), MPI failed (false, `error` set)
  /// or the deadline passed (false, `error` empty).
  bool wait(MpiShift *shift, Clock::time_point deadline, std::string &error) {
    std::unique_lock<std::mutex> lock(mutex_);
    bool finished = done_.wait_until(
        lock, deadline, [&] { return shift->done || !error_.empty(); });
    error = error_;
    return finished && error_.empty();
  }

private:
  void loop() {
    std::vector<MpiShift *> active;
    for (;;) {
      std::vector<MpiShift *> fresh;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        if (active.empty())
          work_.wait(lock, [&] { return stopping_ || !toPost_.empty(); });
        if (stopping_)
          return;
        fresh.assign(toPost_.begin(), toPost_.end());
        toPost_.clear();
      }
      for (MpiShift *shift : fresh) {
        if (!call(MPI_Irecv(shift->dst, shift->count, MPI_BYTE,
                            shift->receiveFrom, shift->tag, comm_,
                            &shift->requests[0]),
                  "MPI_Irecv", shift) ||
            !call(MPI_Isend(shift->src, shift->count, MPI_BYTE, shift->sendTo,
                            shift->tag, comm_, &shift->requests[1]),
                  "MPI_Isend", shift))
          return;
        active.push_back(shift);
      }
      for (size_t i = 0; i < active.size();) {
        MpiShift *shift = active[i];
        int complete = 0;
        MPI_Status statuses[2];
        if (!call(MPI_Testall(2, shift->requests, &complete, statuses),
                  "MPI_Testall", shift))
          return;
        if (!complete) {
          ++i;
          continue;
        }
        MPI_Get_count(&statuses[0], MPI_BYTE, &shift->received);
        {
          std::lock_guard<std::mutex> lock(mutex_);
          shift->done = true;
        }
        done_.notify_all();
        active.erase(active.begin() + i);
      }
      // Poll gently: the rank's compute thread needs the core more than a
      // transfer needs a test every microsecond.
      if (!active.empty())
        std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }

  bool call(int code, const char *what, const MpiShift *shift) {
    if (code == MPI_SUCCESS)
      return true;
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    MPI_Error_string(code, text, &length);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      error_ = formatString("%s failed in shift %lld: %s", what,
                            static_cast<long long>(shift->seq), text);
    }
    done_.notify_all();
    return false;
  }

  MPI_Comm comm_;
  std::mutex mutex_;
  std::condition_variable work_, done_;
  std::deque<MpiShift *> toPost_;
  std::string error_;
  bool stopping_ = false;
  std::thread thread_; // last: starts once the rest is initialized
};

class MpiBinding final : public RankBinding {
public:
  explicit MpiBinding(const MpiOptions &options) : options_(options) {
    MPI_Comm_rank(options.comm, &rank_);
    MPI_Comm_size(options.comm, &size_);
    MPI_Comm_set_errhandler(options.comm, MPI_ERRORS_RETURN);
    int *upperBound = nullptr, found = 0;
    MPI_Comm_get_attr(options.comm, MPI_TAG_UB, &upperBound, &found);
    tagLimit_ = found && *upperBound > 0 ? *upperBound : 32767;
  }

  int64_t rank() override { return rank_; }
  int64_t size() override { return size_; }

  RingShift *shiftStart(void *src, void *dst, int64_t bytes,
                        int64_t offset) override {
    int64_t seq = nextSeq_++;
    if (bytes < 0 || bytes > INT_MAX)
      abortJob(formatString("shift %lld moves %lld bytes; the MPI backend "
                            "sends at most %d bytes per shift",
                            static_cast<long long>(seq),
                            static_cast<long long>(bytes), INT_MAX));
    report.shifts += 1;
    report.bytesSent += bytes;
    auto *shift = new MpiShift();
    shift->seq = seq;
    shift->src = src;
    shift->dst = dst;
    shift->count = static_cast<int>(bytes);
    // Messages between two ranks do not overtake each other; the tag only
    // catches a peer that issued a different sequence of shifts.
    shift->tag = static_cast<int>(seq % tagLimit_);
    int step = static_cast<int>(((offset % size_) + size_) % size_);
    shift->sendTo = (rank_ + step) % size_;
    shift->receiveFrom = (rank_ - step + size_) % size_;
    progress_->post(shift);
    if (!computeOpen_) {
      computeOpen_ = true;
      beginCompute();
    }
    return reinterpret_cast<RingShift *>(shift);
  }

  void shiftWait(RingShift *handle) override {
    auto *shift = reinterpret_cast<MpiShift *>(handle);
    if (computeOpen_) {
      endCompute();
      computeOpen_ = false;
    }
    Clock::time_point deadline =
        Clock::now() + std::chrono::duration_cast<Clock::duration>(
                           std::chrono::duration<double>(
                               std::min(options_.timeoutSeconds, 1e9)));
    std::string error;
    if (!progress_->wait(shift, deadline, error))
      abortJob(!error.empty()
                   ? error
                   : formatString("timed out after %g s waiting for shift "
                                  "%lld (receive from rank %d, send to rank "
                                  "%d)",
                                  options_.timeoutSeconds,
                                  static_cast<long long>(shift->seq),
                                  shift->receiveFrom, shift->sendTo));
    if (shift->received != shift->count)
      abortJob(formatString("shift %lld expects %d bytes but rank %d sent %d",
                            static_cast<long long>(shift->seq), shift->count,
                            shift->receiveFrom, shift->received));
    delete shift;
    beginCompute(); // the tail, until the next shift or the end
  }

  /// The body starts (and, with it, the progress thread).
  void start() {
    progress_ = std::make_unique<ProgressEngine>(options_.comm);
    beginCompute();
  }
  /// The body ended: close the open span, stop the progress thread.
  void finish() {
    endCompute();
    progress_.reset();
  }

  [[noreturn]] void fail(const char *message) override { abortJob(message); }

  [[noreturn]] void abortJob(const std::string &what) {
    std::fprintf(stderr, "ringattn: rank %d: %s\n", rank_, what.c_str());
    std::fflush(stderr);
    MPI_Abort(options_.comm, 1);
    std::abort(); // MPI_Abort does not return
  }

  RankReport report;

private:
  void beginCompute() { computeClock_.begin(); }
  void endCompute() {
    RankClock::Elapsed elapsed = computeClock_.elapsed();
    report.busySeconds += elapsed.wallSeconds;
    report.busyCpuSeconds += elapsed.cpuSeconds;
  }

  MpiOptions options_;
  int rank_ = 0, size_ = 1, tagLimit_ = 32767;
  int64_t nextSeq_ = 0;
  std::unique_ptr<ProgressEngine> progress_;
  bool computeOpen_ = false;
  RankClock computeClock_;
};

} // namespace

RankReport runOnMpi(const MpiOptions &options,
                    const std::function<void(int rank)> &body) {
  MpiBinding binding(options);
  int level = MPI_THREAD_SINGLE;
  MPI_Query_thread(&level);
  if (level < MPI_THREAD_SERIALIZED)
    binding.abortJob("runOnMpi needs MPI initialized with MPI_Init_thread "
                     "at MPI_THREAD_SERIALIZED or above (a progress thread "
                     "drives the transfers)");
  if (!(options.timeoutSeconds > 0))
    binding.abortJob(formatString("runOnMpi: timeoutSeconds must be positive "
                                  "(got %g)",
                                  options.timeoutSeconds));
  Clock::time_point begin = Clock::now();
  bindRank(&binding);
  binding.start();
  body(static_cast<int>(binding.rank()));
  binding.finish();
  bindRank(nullptr);
  binding.report.seconds =
      std::chrono::duration<double>(Clock::now() - begin).count();
  return binding.report;
}

} // namespace runtime
} // namespace ringattn
