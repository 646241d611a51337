//===- MpiBackend.cpp - One rank per MPI process --------------------------===//
//
// A shift posts MPI_Irecv and MPI_Isend together, so every rank of a ring of
// any size can make progress: no rank blocks in a send while its neighbour
// blocks in another. The wait polls MPI_Testall against a deadline, since MPI
// has no timed wait; on failure the job is aborted (MPI_Abort), which is the
// only way to stop ranks blocked in other processes.
//
//===----------------------------------------------------------------------===//

#include "RingAttn/Runtime/MpiBackend.h"

#include "Format.h"
#include "RankBinding.h"

#include <chrono>
#include <climits>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <thread>

namespace ringattn {
namespace runtime {
namespace {

using Clock = std::chrono::steady_clock;

double threadCpuSeconds() {
  timespec now;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return now.tv_sec + now.tv_nsec * 1e-9;
}

/// One shift in flight: its receive and send requests.
struct MpiShift {
  int64_t seq;
  int64_t bytes;
  int sendTo, receiveFrom;
  MPI_Request requests[2];
};

class MpiBinding final : public RankBinding {
public:
  MpiBinding(const MpiOptions &options) : options_(options) {
    MPI_Comm_rank(options.comm, &rank_);
    MPI_Comm_size(options.comm, &size_);
    MPI_Comm_set_errhandler(options.comm, MPI_ERRORS_RETURN);
    MPI_Comm_get_attr(options.comm, MPI_TAG_UB, &tagUpperBound_, &hasTagUb_);
  }

  int64_t rank() override { return rank_; }
  int64_t size() override { return size_; }

  RingShift *shiftStart(void *src, void *dst, int64_t bytes,
                        int64_t offset) override {
    auto *shift = new MpiShift();
    shift->seq = nextSeq_++;
    shift->bytes = bytes;
    int step = static_cast<int>(((offset % size_) + size_) % size_);
    shift->sendTo = (rank_ + step) % size_;
    shift->receiveFrom = (rank_ - step + size_) % size_;
    if (bytes < 0 || bytes > INT_MAX)
      abortJob(formatString("shift %lld moves %lld bytes; the MPI backend "
                            "sends at most %d bytes per shift",
                            static_cast<long long>(shift->seq),
                            static_cast<long long>(bytes), INT_MAX));
    // Messages between two ranks do not overtake each other, so the tag
    // only guards against a peer that issued a different shift sequence.
    int tag = static_cast<int>(shift->seq % tagLimit());
    int count = static_cast<int>(bytes);
    check(MPI_Irecv(dst, count, MPI_BYTE, shift->receiveFrom, tag,
                    options_.comm, &shift->requests[0]),
          "MPI_Irecv", shift);
    check(MPI_Isend(src, count, MPI_BYTE, shift->sendTo, tag, options_.comm,
                    &shift->requests[1]),
          "MPI_Isend", shift);
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
    auto pause = std::chrono::microseconds(20);
    MPI_Status statuses[2];
    for (;;) {
      int done = 0;
      check(MPI_Testall(2, shift->requests, &done, statuses), "MPI_Testall",
            shift);
      if (done)
        break;
      if (Clock::now() > deadline)
        abortJob(formatString(
            "timed out after %g s waiting for shift %lld (receive from rank "
            "%d, send to rank %d)",
            options_.timeoutSeconds, static_cast<long long>(shift->seq),
            shift->receiveFrom, shift->sendTo));
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::microseconds(1000));
    }
    int received = 0;
    MPI_Get_count(&statuses[0], MPI_BYTE, &received);
    if (received != shift->bytes)
      abortJob(formatString("shift %lld expects %lld bytes but rank %d sent "
                            "%d",
                            static_cast<long long>(shift->seq),
                            static_cast<long long>(shift->bytes),
                            shift->receiveFrom, received));
    delete shift;
    beginCompute(); // the tail, until the next shift or the end
  }

  /// The body starts: until its first shift, it computes.
  void start() { beginCompute(); }
  /// Closes the open span at the end of the body.
  void finish() { endCompute(); }

  RankReport report;

  [[noreturn]] void abortJob(const std::string &what) {
    std::fprintf(stderr, "ringattn: rank %d: %s\n", rank_, what.c_str());
    std::fflush(stderr);
    MPI_Abort(options_.comm, 1);
    std::abort(); // MPI_Abort does not return
  }

private:
  void check(int code, const char *call, const MpiShift *shift) {
    if (code == MPI_SUCCESS)
      return;
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    MPI_Error_string(code, text, &length);
    abortJob(formatString("%s failed in shift %lld: %s", call,
                          static_cast<long long>(shift->seq), text));
  }

  int tagLimit() const {
    return hasTagUb_ && *tagUpperBound_ > 0 ? *tagUpperBound_ : 32767;
  }

  void beginCompute() {
    computeBeginWall_ = Clock::now();
    computeBeginCpu_ = threadCpuSeconds();
  }
  void endCompute() {
    report.busySeconds +=
        std::chrono::duration<double>(Clock::now() - computeBeginWall_).count();
    report.busyCpuSeconds += threadCpuSeconds() - computeBeginCpu_;
  }

  MpiOptions options_;
  int rank_ = 0, size_ = 1;
  int *tagUpperBound_ = nullptr;
  int hasTagUb_ = 0;
  int64_t nextSeq_ = 0;
  bool computeOpen_ = false;
  Clock::time_point computeBeginWall_;
  double computeBeginCpu_ = 0;
};

} // namespace

RankReport runOnMpi(const MpiOptions &options,
                    const std::function<void(int rank)> &body) {
  MpiBinding binding(options);
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
