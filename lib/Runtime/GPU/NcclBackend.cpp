//===- NcclBackend.cpp - One rank per GPU over NCCL -----------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// A shift k on this rank:
//
//   record ready[k] on the compute stream; the communication stream waits
//   for it (the source is final and the destination free from there on);
//   ncclGroupStart; ncclSend to rank + offset; ncclRecv from rank - offset;
//   ncclGroupEnd: send and receive go out together, so a ring of any size
//   cannot deadlock; record done[k] on the communication stream.
//
// Waiting, the compute stream waits for done[k] and the host polls done[k]
// and the communicator's asynchronous error against the timeout.
//
// The body's end records `drained` on the compute stream and polls it
// against drainTimeoutSeconds, so a hung kernel fails the rank instead of
// holding it forever; `started`, recorded when the body starts, and
// `drained` time the rank's device work.
//
// The communicator is non-blocking (NCCL 2.17's config), so no NCCL call
// blocks on a peer that never comes: creating it and each group may answer
// ncclInProgress, and the host polls for completion against the timeout. A
// timeout or an NCCL error aborts the communicator (which stops its kernels
// on the device) and fails the rank; its peers then fail within their own
// timeouts or on NCCL's remote error.
//
// Events live in a ring of `eventSlots`, created once, so a shift allocates
// nothing; a rank may have that many shifts in flight.
//
//===----------------------------------------------------------------------===//

#include "RingAttn/Runtime/NcclBackend.h"

#include "CudaDriver.h"
#include "EventWait.h"
#include "Format.h"
#include "GpuRuntimeWrappers.h"
#include "IdleDeviceBlocks.h"
#include "NcclLibrary.h"
#include "RankBinding.h"
#include "RankClock.h"

#include <chrono>
#include <csetjmp>
#include <cstdarg>
#include <cstring>
#include <ctime>
#include <thread>

namespace ringattn {
namespace runtime {

using namespace cuda;
using namespace nccl;

namespace {

using Clock = std::chrono::steady_clock;

constexpr int eventSlots = 16;

Clock::time_point deadlineAfter(double seconds) {
  return Clock::now() +
         std::chrono::duration_cast<Clock::duration>(
             std::chrono::duration<double>(std::min(seconds, 1e9)));
}

/// A shift in flight on its slot.
struct NcclShift {
  bool used = false;
  int64_t seq = 0;
  int sendTo = 0;
  int receiveFrom = 0;
};

/// This process's rank: its communicator, streams and events, and the C ABI
/// on it.
class NcclBinding final : public RankBinding {
public:
  NcclBinding(const NcclOptions &options, const Driver *cu,
              const NcclLibrary *nccl)
      : rank_(options.rank), size_(options.size),
        timeoutSeconds_(options.timeoutSeconds),
        drainTimeoutSeconds_(options.drainTimeoutSeconds), cu_(cu),
        nccl_(nccl) {}
  ~NcclBinding() override;
  NcclBinding(const NcclBinding &) = delete;
  NcclBinding &operator=(const NcclBinding &) = delete;

  /// Creates the streams, the events and the communicator; "" or why not.
  std::string open(const NcclUniqueId &id);
  /// Flushes and destroys the communicator after a good run; "" or why not.
  std::string close();

  /// Around the body (inside its setjmp region). finishBody waits, up to
  /// the drain timeout, until the body's work on the device is done.
  void startBody();
  void finishBody();

  void *computeStream() override { return compute_; }

  int64_t rank() override { return rank_; }
  int64_t size() override { return size_; }
  RingShift *shiftStart(void *src, void *dst, int64_t bytes,
                        int64_t offset) override;
  void shiftWait(RingShift *shift) override;
  [[noreturn]] void fail(const char *message) override;

  std::jmp_buf unwindTarget;
  RankReport report;

private:
  /// Fails with a CUDA error of `call` during shift `seq` (negative: none).
  [[noreturn]] void failCuda(int64_t seq, const char *call, CUresult result);
  [[noreturn]] void failNccl(int64_t seq, const char *what,
                             ncclResult_t result);
  void checkCuda(int64_t seq, const char *call, CUresult result) {
    if (result != CUDA_SUCCESS)
      failCuda(seq, call, result);
  }
  /// The communicator's state: ncclSuccess, ncclInProgress, or its error.
  ncclResult_t state(int64_t seq);
  /// Fails shift `seq` if the communicator has an error.
  void checkState(int64_t seq);
  void abortCommunicator();
  /// Polls a non-blocking communicator call that returned `result` until it
  /// completes. On failure or timeout aborts the communicator and returns
  /// "<what> failed: <why>" or "timed out after T s <what><timeoutHint>";
  /// else "".
  std::string settle(ncclResult_t result, const std::string &what,
                     const char *timeoutHint = "");
  void beginCompute();
  void endCompute();

  const int rank_, size_;
  const double timeoutSeconds_;
  const double drainTimeoutSeconds_;
  const Driver *const cu_;
  const NcclLibrary *const nccl_;
  ncclComm_t comm_ = nullptr;
  CUstream compute_ = nullptr;
  CUstream commStream_ = nullptr;
  CUevent ready_[eventSlots] = {};
  CUevent done_[eventSlots] = {};
  CUevent started_ = nullptr; ///< compute stream at the body's start
  CUevent drained_ = nullptr; ///< compute stream at the body's end
  NcclShift shifts_[eventSlots];
  int64_t nextSeq_ = 0;

  bool computeOpen_ = false;
  RankClock computeClock_;
};

} // namespace

//===----------------------------------------------------------------------===//
// Setting up and tearing down
//===----------------------------------------------------------------------===//

std::string NcclBinding::open(const NcclUniqueId &id) {
  auto cudaError = [&](const char *call, CUresult result) {
    char message[512];
    formatError(message, sizeof(message), cu_, call, result);
    return std::string(message);
  };
  for (CUstream *stream : {&compute_, &commStream_})
    if (CUresult result = cu_->cuStreamCreate(stream, CU_STREAM_NON_BLOCKING))
      return cudaError("cuStreamCreate", result);
  for (int slot = 0; slot < eventSlots; ++slot)
    for (CUevent *event : {&ready_[slot], &done_[slot]})
      if (CUresult result = cu_->cuEventCreate(event, CU_EVENT_DISABLE_TIMING))
        return cudaError("cuEventCreate", result);
  // Timed: their interval is the rank's device time.
  for (CUevent *event : {&started_, &drained_})
    if (CUresult result = cu_->cuEventCreate(event, CU_EVENT_DEFAULT))
      return cudaError("cuEventCreate", result);

  ncclConfig_t config;
  config.blocking = 0; // never block on a peer; we poll with a timeout
  ncclUniqueId ncclId;
  std::memcpy(ncclId.internal, id.data(), sizeof(ncclId.internal));
  return settle(
      nccl_->ncclCommInitRankConfig(&comm_, size_, ncclId, rank_, &config),
      formatString("creating the NCCL communicator of %d ranks", size_),
      " (is every rank running, with the same unique id?)");
}

std::string NcclBinding::settle(ncclResult_t result, const std::string &what,
                                const char *timeoutHint) {
  Clock::time_point deadline = deadlineAfter(timeoutSeconds_);
  while (result == ncclInProgress) {
    if (Clock::now() > deadline) {
      abortCommunicator();
      return formatString("timed out after %g s ", timeoutSeconds_) + what +
             timeoutHint;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ncclResult_t query = nccl_->ncclCommGetAsyncError(comm_, &result);
    if (query != ncclSuccess)
      result = query;
  }
  if (result != ncclSuccess) {
    std::string why = describe(*nccl_, result, comm_);
    abortCommunicator();
    return what + " failed: " + why;
  }
  return "";
}

std::string NcclBinding::close() {
  std::string error =
      settle(nccl_->ncclCommFinalize(comm_), "flushing the NCCL communicator");
  if (!error.empty())
    return error;
  ncclResult_t result = nccl_->ncclCommDestroy(comm_);
  comm_ = nullptr;
  if (result != ncclSuccess)
    return "ncclCommDestroy failed: " + describe(*nccl_, result, nullptr);
  return "";
}

void NcclBinding::abortCommunicator() {
  if (!comm_)
    return;
  nccl_->ncclCommAbort(comm_); // best effort: we are failing already
  comm_ = nullptr;
}

NcclBinding::~NcclBinding() {
  abortCommunicator();
  // Releases are asynchronous; work still queued completes first.
  for (int slot = 0; slot < eventSlots; ++slot)
    for (CUevent event : {ready_[slot], done_[slot]})
      if (event)
        cu_->cuEventDestroy_v2(event);
  for (CUevent event : {started_, drained_})
    if (event)
      cu_->cuEventDestroy_v2(event);
  for (CUstream stream : {compute_, commStream_})
    if (stream)
      cu_->cuStreamDestroy_v2(stream);
}

//===----------------------------------------------------------------------===//
// Failing
//===----------------------------------------------------------------------===//

void NcclBinding::fail(const char *message) {
  if (report.error.empty())
    report.error = formatString("rank %d: %s", rank_, message);
  abortCommunicator();
  std::longjmp(unwindTarget, 1);
}

void NcclBinding::failCuda(int64_t seq, const char *call, CUresult result) {
  char error[512];
  formatError(error, sizeof(error), cu_, call, result);
  if (seq < 0)
    fail(error);
  failf("shift %lld: %s", static_cast<long long>(seq), error);
}

void NcclBinding::failNccl(int64_t seq, const char *what, ncclResult_t result) {
  char error[768];
  {
    std::string why = describe(*nccl_, result, comm_);
    std::snprintf(error, sizeof(error), "%s", why.c_str());
  }
  failf("shift %lld: %s failed: %s", static_cast<long long>(seq), what, error);
}

ncclResult_t NcclBinding::state(int64_t seq) {
  ncclResult_t state = ncclSuccess;
  if (ncclResult_t result = nccl_->ncclCommGetAsyncError(comm_, &state))
    failNccl(seq, "ncclCommGetAsyncError", result);
  return state;
}

void NcclBinding::checkState(int64_t seq) {
  ncclResult_t now = state(seq);
  if (now != ncclSuccess && now != ncclInProgress)
    failNccl(seq, "the transfer", now);
}

//===----------------------------------------------------------------------===//
// The body and its shifts
//===----------------------------------------------------------------------===//

void NcclBinding::beginCompute() { computeClock_.begin(); }

void NcclBinding::endCompute() {
  RankClock::Elapsed elapsed = computeClock_.elapsed();
  report.busySeconds += elapsed.wallSeconds;
  report.busyCpuSeconds += elapsed.cpuSeconds;
}

void NcclBinding::startBody() {
  checkCuda(-1, "cuEventRecord", cu_->cuEventRecord(started_, compute_));
  beginCompute();
}

void NcclBinding::finishBody() {
  int pending = 0;
  for (const NcclShift &shift : shifts_)
    pending += shift.used;
  if (pending)
    failf("returned with %d shift(s) not waited", pending);
  // Kernels may legitimately run long, so the deadline is generous.
  checkCuda(-1, "cuEventRecord", cu_->cuEventRecord(drained_, compute_));
  CUresult result =
      awaitEvent(*cu_, drained_, deadlineAfter(drainTimeoutSeconds_), [] {});
  if (result == CUDA_ERROR_NOT_READY)
    failDrainTimeout(*this, drainTimeoutSeconds_);
  checkCuda(-1, "cuEventQuery", result);
  float ms = 0;
  checkCuda(-1, "cuEventElapsedTime",
            cu_->cuEventElapsedTime(&ms, started_, drained_));
  report.deviceSeconds = ms * 1e-3;
  idleDeviceScratch(*this); // drained: the next run may take its blocks
  endCompute();
}

RingShift *NcclBinding::shiftStart(void *src, void *dst, int64_t bytes,
                                   int64_t offset) {
  int64_t seq = nextSeq_++;
  int slot = static_cast<int>(seq % eventSlots);
  if (shifts_[slot].used)
    failf("shift %lld started while shift %lld is still in flight; a rank "
          "may have at most %d shifts in flight",
          static_cast<long long>(seq),
          static_cast<long long>(shifts_[slot].seq), eventSlots);
  if (bytes < 0)
    failf("shift %lld has a negative size (%lld bytes)",
          static_cast<long long>(seq), static_cast<long long>(bytes));
  report.shifts += 1;
  report.bytesSent += bytes;
  int step = static_cast<int>(((offset % size_) + size_) % size_);
  int sendTo = (rank_ + step) % size_;
  int receiveFrom = (rank_ - step + size_) % size_;

  checkCuda(seq, "cuEventRecord", cu_->cuEventRecord(ready_[slot], compute_));
  checkCuda(seq, "cuStreamWaitEvent",
            cu_->cuStreamWaitEvent(commStream_, ready_[slot], 0));
  ncclResult_t started = nccl_->ncclGroupStart();
  if (started != ncclSuccess)
    failNccl(seq, "ncclGroupStart", started);
  size_t count = static_cast<size_t>(bytes);
  ncclResult_t sent =
      nccl_->ncclSend(src, count, ncclUint8, sendTo, comm_, commStream_);
  ncclResult_t received = sent == ncclSuccess
                              ? nccl_->ncclRecv(dst, count, ncclUint8,
                                                receiveFrom, comm_, commStream_)
                              : ncclSuccess;
  ncclResult_t ended = nccl_->ncclGroupEnd(); // always closes the group
  if (sent != ncclSuccess)
    failNccl(seq, "ncclSend", sent);
  if (received != ncclSuccess)
    failNccl(seq, "ncclRecv", received);
  if (ended != ncclSuccess && ended != ncclInProgress)
    failNccl(seq, "ncclGroupEnd", ended);
  // A non-blocking group may still be connecting to the peers; its kernels
  // are on the stream only once that is done, and done[k] must follow them.
  Clock::time_point deadline = deadlineAfter(timeoutSeconds_);
  for (int round = 0; ended == ncclInProgress; ++round) {
    ended = state(seq);
    if (ended != ncclSuccess && ended != ncclInProgress)
      failNccl(seq, "issuing the transfer", ended);
    if (ended == ncclInProgress && Clock::now() > deadline)
      failf("timed out after %g s issuing shift %lld (send to rank %d, "
            "receive from rank %d): NCCL could not reach the peers",
            timeoutSeconds_, static_cast<long long>(seq), sendTo, receiveFrom);
    backOff(round);
  }
  checkCuda(seq, "cuEventRecord", cu_->cuEventRecord(done_[slot], commStream_));

  shifts_[slot] = {true, seq, sendTo, receiveFrom};
  if (!computeOpen_) {
    computeOpen_ = true;
    beginCompute();
  }
  return reinterpret_cast<RingShift *>(&shifts_[slot]);
}

void NcclBinding::shiftWait(RingShift *handle) {
  auto *shift = reinterpret_cast<NcclShift *>(handle);
  if (shift < shifts_ || shift >= shifts_ + eventSlots || !shift->used)
    failf("ringattn_shift_wait got a shift this rank did not start or "
          "already waited");
  int slot = static_cast<int>(shift - shifts_);
  if (computeOpen_) {
    endCompute();
    computeOpen_ = false;
  }
  int64_t seq = shift->seq;
  checkCuda(seq, "cuStreamWaitEvent",
            cu_->cuStreamWaitEvent(compute_, done_[slot], 0));
  CUresult result =
      awaitEvent(*cu_, done_[slot], deadlineAfter(timeoutSeconds_),
                 [&] { checkState(seq); });
  if (result != CUDA_SUCCESS && result != CUDA_ERROR_NOT_READY)
    failCuda(seq, "cuEventQuery", result);
  // Asked again once the event completed: an aborted transfer completes
  // too, and only the communicator knows it failed.
  checkState(seq);
  if (result == CUDA_ERROR_NOT_READY)
    failf("timed out after %g s waiting for shift %lld (receive from rank "
          "%d, send to rank %d)",
          timeoutSeconds_, static_cast<long long>(seq), shift->receiveFrom,
          shift->sendTo);
  shift->used = false;
  beginCompute(); // the tail, until the next shift or the end
}

//===----------------------------------------------------------------------===//
// runOnNccl
//===----------------------------------------------------------------------===//

/// Returns true if the body returned, false if a runtime call unwound it.
/// Nothing here is modified between setjmp and longjmp.
static bool callBody(NcclBinding &binding, int rank,
                     const std::function<void(int)> &body) {
  if (setjmp(binding.unwindTarget) != 0)
    return false;
  binding.startBody();
  body(rank);
  binding.finishBody();
  return true;
}

/// Why `options` cannot run, or "".
static std::string validate(const NcclOptions &options) {
  if (options.size < 1)
    return formatString("runOnNccl: size must be at least 1 (got %d)",
                        options.size);
  if (options.rank < 0 || options.rank >= options.size)
    return formatString("runOnNccl: rank %d is not in [0, %d)", options.rank,
                        options.size);
  if (options.device < 0)
    return formatString("runOnNccl: device must not be negative (got %d)",
                        options.device);
  if (!(options.timeoutSeconds > 0))
    return formatString("runOnNccl: timeoutSeconds must be positive (got %g)",
                        options.timeoutSeconds);
  if (!(options.drainTimeoutSeconds > 0))
    return formatString("runOnNccl: drainTimeoutSeconds must be positive "
                        "(got %g)",
                        options.drainTimeoutSeconds);
  if (options.size > 1 && !options.exchangeUniqueId)
    return "runOnNccl: a ring of more than one rank needs exchangeUniqueId "
           "to share rank 0's NCCL unique id";
  return "";
}

RankReport runOnNccl(const NcclOptions &options,
                     const std::function<void(int rank)> &body) {
  RankReport failed;
  failed.ok = false;
  auto failure = [&](const std::string &what) {
    failed.error = formatString("rank %d: %s", options.rank, what.c_str());
    return failed;
  };
  std::string why = validate(options);
  if (!why.empty())
    return failure(why);
  const NcclLibrary *nccl = ncclLibrary(why);
  if (!nccl)
    return failure(why);
  selectDevice(options.device);
  const Driver *cu = makeContextCurrent(why);
  if (!cu)
    return failure(why);

  NcclUniqueId id{};
  if (options.rank == 0) {
    ncclUniqueId made;
    if (ncclResult_t result = nccl->ncclGetUniqueId(&made))
      return failure("ncclGetUniqueId failed: " +
                     describe(*nccl, result, nullptr));
    std::memcpy(id.data(), made.internal, id.size());
  }
  if (options.exchangeUniqueId && !options.exchangeUniqueId(id, why))
    return failure("sharing the NCCL unique id failed: " + why);

  NcclBinding binding(options, cu, nccl);
  why = binding.open(id);
  if (!why.empty())
    return failure(why);

  Clock::time_point begin = Clock::now();
  bindRank(&binding);
  bool returned = callBody(binding, options.rank, body);
  bindRank(nullptr);
  RankReport report = binding.report;
  report.seconds = std::chrono::duration<double>(Clock::now() - begin).count();
  if (returned) {
    why = binding.close();
    if (!why.empty())
      report.error = formatString("rank %d: %s", options.rank, why.c_str());
  }
  report.ok = report.error.empty();
  return report;
}

} // namespace runtime
} // namespace ringattn
