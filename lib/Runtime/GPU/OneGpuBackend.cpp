//===- OneGpuBackend.cpp - N ranks as threads sharing one GPU -------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The ranks are threads around the threads backend's Communicator, which
// matches shifts exactly as it does for CPU ranks; only the bytes move
// differently. Each rank owns two streams: its compute stream, which compiled
// code launches onto (mgpuStreamCreate returns it), and a communication
// stream on which its outgoing copies run.
//
// A shift, sender s to receiver r, as sequence number k:
//
//   s and r each record ready[k] on their compute stream when they start
//   shift k: their buffers are final (s's source) or free (r's destination)
//   once the work issued before that point has run.
//   The one posting second issues, on s's communication stream: wait for
//   s.ready[k] and r.ready[k], copy device to device, record s.sent[k] and
//   r.arrived[k].
//   Waiting, each rank makes its compute stream wait for its sent[k] and
//   arrived[k] and polls them from the host against the timeout, so a copy
//   that never completes is an error naming the rank and the shift.
//
// Events live in a ring of `eventSlots` per rank, created once per run, so a
// shift allocates nothing. Every event is recorded and read only for shifts
// of the rank that owns it, and slot k is reused by shift k + eventSlots
// only after the owner waited shift k (a rank may not have more shifts in
// flight), so no event is re-recorded while someone still needs it.
//
//===----------------------------------------------------------------------===//

#include "CudaDriver.h"
#include "EventWait.h"
#include "Format.h"
#include "GpuRuntimeWrappers.h"
#include "IdleDeviceBlocks.h"
#include "InProcessBackend.h"
#include "RankThreads.h"
#include "RingAttn/Runtime/BackendRegistry.h"
#include "RingAttn/Runtime/GpuBackend.h"

#include <cstdarg>

namespace ringattn {
namespace runtime {

using namespace cuda;

namespace {

/// Shifts a rank may have in flight at once (a double-buffered K and V ring
/// needs two).
constexpr int eventSlots = 16;

/// One rank's streams and events.
struct GpuRank {
  CUstream compute = nullptr;
  CUstream comm = nullptr;          ///< runs the rank's outgoing copies
  CUevent ready[eventSlots] = {};   ///< compute stream at shift start
  CUevent sent[eventSlots] = {};    ///< outgoing copy done
  CUevent arrived[eventSlots] = {}; ///< incoming copy done
  CUevent begun[eventSlots] = {};   ///< outgoing copy started (trace only)
  CUevent started = nullptr;        ///< compute stream at the body's start
  CUevent drained = nullptr;        ///< compute stream at the end
};

/// The device side of a run, shared by the ranks, the transport and the run
/// (whichever lets go last releases it).
class GpuRing {
public:
  GpuRing(const Driver *cu, int ranks) : cu(cu), ranks(ranks) {}
  ~GpuRing();
  GpuRing(const GpuRing &) = delete;
  GpuRing &operator=(const GpuRing &) = delete;

  /// Creates the streams and events; false with `error` on failure.
  bool create(bool trace, std::string &error);

  const Driver *const cu;
  std::vector<GpuRank> ranks;
  /// Trace clock: `origin` was recorded when the host clock read originUs.
  CUevent origin = nullptr;
  double originUs = 0;
};

/// Issues matched shifts as device copies (see the file comment).
class DeviceCopyTransport final : public Transport {
public:
  DeviceCopyTransport(std::shared_ptr<GpuRing> ring, bool trace)
      : ring_(std::move(ring)), trace_(trace) {}
  std::string issue(const RingShift &sender,
                    const RingShift &receiver) override;

private:
  std::shared_ptr<GpuRing> ring_;
  bool trace_;
};

/// A shift in flight on its rank's slot.
struct SlotUse {
  const RingShift *shift = nullptr; ///< null when the slot is free
  int64_t seq = 0;
  int64_t bytes = 0;
  int sendTo = 0;
  int receiveFrom = 0;
};

/// The C ABI on a rank of the ring: the communicator's matching, plus the
/// events that order copies against the rank's compute stream.
class GpuRankBinding final : public CommunicatorBinding {
public:
  GpuRankBinding(RankState &rank, std::shared_ptr<GpuRing> ring,
                 const GpuOptions &options)
      : CommunicatorBinding(rank), ring_(std::move(ring)), options_(options),
        self_(ring_->ranks[rank.index]) {}

  RingShift *shiftStart(void *src, void *dst, int64_t bytes,
                        int64_t offset) override;
  void shiftWait(RingShift *shift) override;
  void *computeStream() override { return self_.compute; }

  /// Before the body: the context for this thread.
  void begin();
  /// After the body returned: waits until its work on the device is done.
  void end();

private:
  /// Fails the rank with a CUDA error of `call` during shift `seq` (or
  /// outside any shift if `seq` is negative).
  [[noreturn]] void failCuda(int64_t seq, const char *call, CUresult result);
  void check(int64_t seq, const char *call, CUresult result) {
    if (result != CUDA_SUCCESS)
      failCuda(seq, call, result);
  }
  /// Polls `event` until it completes; fails the rank if the ring fails,
  /// the driver errs, or `deadline` passes first: then the copy of shift
  /// `seq` `direction` rank `peer` ("to" or "from") is late, or for a
  /// negative `seq`, the rank's kernels did not finish.
  void await(CUevent event, Clock::time_point deadline, int64_t seq,
             const char *direction, int peer);
  void recordTransferSpan(int slot, const SlotUse &use);

  std::shared_ptr<GpuRing> ring_;
  const GpuOptions options_;
  GpuRank &self_;
  SlotUse slots_[eventSlots];
};

/// The GPU binding of the calling rank thread, for the body's prologue and
/// epilogue.
thread_local GpuRankBinding *threadBinding = nullptr;

} // namespace

//===----------------------------------------------------------------------===//
// GpuRing
//===----------------------------------------------------------------------===//

bool GpuRing::create(bool trace, std::string &error) {
  auto fail = [&](const char *call, CUresult result) {
    char message[512];
    formatError(message, sizeof(message), cu, call, result);
    error = message;
    return false;
  };
  auto makeEvent = [&](CUevent &event, bool timed) {
    CUresult result = cu->cuEventCreate(
        &event, timed ? CU_EVENT_DEFAULT : CU_EVENT_DISABLE_TIMING);
    return result == CUDA_SUCCESS || fail("cuEventCreate", result);
  };
  for (GpuRank &rank : ranks) {
    for (CUstream *stream : {&rank.compute, &rank.comm})
      if (CUresult result = cu->cuStreamCreate(stream, CU_STREAM_NON_BLOCKING))
        return fail("cuStreamCreate", result);
    for (int slot = 0; slot < eventSlots; ++slot)
      if (!makeEvent(rank.ready[slot], false) ||
          !makeEvent(rank.sent[slot], trace) ||
          !makeEvent(rank.arrived[slot], false) ||
          (trace && !makeEvent(rank.begun[slot], true)))
        return false;
    // Timed: their interval is the rank's device time.
    if (!makeEvent(rank.started, true) || !makeEvent(rank.drained, true))
      return false;
  }
  return !trace || makeEvent(origin, true);
}

GpuRing::~GpuRing() {
  // Possibly on a detached rank's thread, at its end: make sure the context
  // is current. Releases are asynchronous; pending work still completes.
  std::string why;
  if (!makeContextCurrent(why))
    return;
  auto destroy = [&](CUevent event) {
    if (event)
      cu->cuEventDestroy_v2(event);
  };
  for (GpuRank &rank : ranks) {
    for (int slot = 0; slot < eventSlots; ++slot) {
      destroy(rank.ready[slot]);
      destroy(rank.sent[slot]);
      destroy(rank.arrived[slot]);
      destroy(rank.begun[slot]);
    }
    destroy(rank.started);
    destroy(rank.drained);
    for (CUstream stream : {rank.compute, rank.comm})
      if (stream)
        cu->cuStreamDestroy_v2(stream);
  }
  destroy(origin);
}

//===----------------------------------------------------------------------===//
// DeviceCopyTransport
//===----------------------------------------------------------------------===//

std::string DeviceCopyTransport::issue(const RingShift &sender,
                                       const RingShift &receiver) {
  const Driver *cu = ring_->cu;
  GpuRank &from = ring_->ranks[sender.rank];
  GpuRank &to = ring_->ranks[receiver.rank];
  int slot = static_cast<int>(sender.seq % eventSlots);
  CUstream stream = from.comm;
  char message[512];
  auto check = [&](const char *call, CUresult result) {
    if (result == CUDA_SUCCESS)
      return true;
    formatError(message, sizeof(message), cu, call, result);
    return false;
  };
  bool ok =
      check("cuStreamWaitEvent",
            cu->cuStreamWaitEvent(stream, from.ready[slot], 0)) &&
      check("cuStreamWaitEvent",
            cu->cuStreamWaitEvent(stream, to.ready[slot], 0)) &&
      (!trace_ ||
       check("cuEventRecord", cu->cuEventRecord(from.begun[slot], stream))) &&
      (sender.bytes == 0 ||
       check("cuMemcpyAsync",
             cu->cuMemcpyAsync(reinterpret_cast<CUdeviceptr>(receiver.dst),
                               reinterpret_cast<CUdeviceptr>(sender.src),
                               static_cast<size_t>(sender.bytes), stream))) &&
      check("cuEventRecord", cu->cuEventRecord(from.sent[slot], stream)) &&
      check("cuEventRecord", cu->cuEventRecord(to.arrived[slot], stream));
  return ok ? std::string() : std::string(message);
}

//===----------------------------------------------------------------------===//
// GpuRankBinding
//===----------------------------------------------------------------------===//

void GpuRankBinding::failCuda(int64_t seq, const char *call, CUresult result) {
  char error[512];
  formatError(error, sizeof(error), ring_->cu, call, result);
  if (seq < 0)
    fail(error);
  failf("shift %lld: %s", static_cast<long long>(seq), error);
}

void GpuRankBinding::begin() {
  char message[512];
  {
    std::string why;
    if (makeContextCurrent(why)) {
      check(-1, "cuEventRecord",
            ring_->cu->cuEventRecord(self_.started, self_.compute));
      return;
    }
    std::snprintf(message, sizeof(message), "%s", why.c_str());
  }
  fail(message);
}

void GpuRankBinding::end() {
  check(-1, "cuEventRecord",
        ring_->cu->cuEventRecord(self_.drained, self_.compute));
  // Kernels may legitimately run long, so the deadline is generous; a
  // failing ring stops the wait earlier.
  Clock::time_point deadline =
      Clock::now() + secondsToDuration(options_.drainTimeoutSeconds);
  await(self_.drained, deadline, -1, nullptr, 0);
  float ms = 0;
  check(-1, "cuEventElapsedTime",
        ring_->cu->cuEventElapsedTime(&ms, self_.started, self_.drained));
  rank_.deviceSeconds = ms * 1e-3;
  idleDeviceScratch(*this); // drained: the next run may take its blocks
}

RingShift *GpuRankBinding::shiftStart(void *src, void *dst, int64_t bytes,
                                      int64_t offset) {
  // The communicator numbers this rank's shifts in order; only this thread
  // changes the count.
  int64_t seq = rank_.nextSeq;
  int slot = static_cast<int>(seq % eventSlots);
  if (slots_[slot].shift)
    failf("shift %lld started while shift %lld is still in flight; a rank "
          "may have at most %d shifts in flight",
          static_cast<long long>(seq), static_cast<long long>(slots_[slot].seq),
          eventSlots);
  check(seq, "cuEventRecord",
        ring_->cu->cuEventRecord(self_.ready[slot], self_.compute));
  RingShift *shift = CommunicatorBinding::shiftStart(src, dst, bytes, offset);
  slots_[slot] = {shift, shift->seq, shift->bytes, shift->sendTo,
                  shift->receiveFrom};
  return shift;
}

void GpuRankBinding::shiftWait(RingShift *shift) {
  int slot = -1;
  for (int i = 0; i < eventSlots; ++i)
    if (shift && slots_[i].shift == shift)
      slot = i;
  if (slot < 0) {
    // Not a shift of this rank: the communicator fails the rank with the
    // message it gives any backend.
    CommunicatorBinding::shiftWait(shift);
    return;
  }
  SlotUse use = slots_[slot];

  rank_.endCompute();
  if (!rank_.comm.waitShift(rank_, shift)) // both copies issued, or dropped
    unwind();
  if (!options_.dropTransfers) {
    CUstream compute = self_.compute;
    CUevent sent = self_.sent[slot], arrived = self_.arrived[slot];
    const Driver *cu = ring_->cu;
    check(use.seq, "cuStreamWaitEvent",
          cu->cuStreamWaitEvent(compute, sent, 0));
    check(use.seq, "cuStreamWaitEvent",
          cu->cuStreamWaitEvent(compute, arrived, 0));
    Clock::time_point deadline =
        Clock::now() + secondsToDuration(options_.timeoutSeconds);
    await(sent, deadline, use.seq, "to", use.sendTo);
    await(arrived, deadline, use.seq, "from", use.receiveFrom);
    if (options_.trace)
      recordTransferSpan(slot, use);
  }
  slots_[slot] = SlotUse();
  rank_.markTailStart();
}

void GpuRankBinding::await(CUevent event, Clock::time_point deadline,
                           int64_t seq, const char *direction, int peer) {
  CUresult result = awaitEvent(*ring_->cu, event, deadline, [&] {
    if (!rank_.comm.checkRunning(rank_))
      unwind();
  });
  if (result == CUDA_SUCCESS)
    return;
  if (result != CUDA_ERROR_NOT_READY)
    failCuda(seq, "cuEventQuery", result);
  if (seq < 0)
    failDrainTimeout(*this, options_.drainTimeoutSeconds);
  failf("timed out after %g s waiting for shift %lld on the GPU: the copy %s "
        "rank %d did not complete",
        options_.timeoutSeconds, static_cast<long long>(seq), direction, peer);
}

void GpuRankBinding::recordTransferSpan(int slot, const SlotUse &use) {
  const Driver *cu = ring_->cu;
  float beginMs = 0, endMs = 0;
  check(use.seq, "cuEventElapsedTime",
        cu->cuEventElapsedTime(&beginMs, ring_->origin, self_.begun[slot]));
  check(use.seq, "cuEventElapsedTime",
        cu->cuEventElapsedTime(&endMs, ring_->origin, self_.sent[slot]));
  rank_.spans.push_back({Span::Kind::Transfer, rank_.index, use.seq, use.bytes,
                         ring_->originUs + beginMs * 1e3,
                         ring_->originUs + endMs * 1e3});
}

//===----------------------------------------------------------------------===//
// runOnOneGpu
//===----------------------------------------------------------------------===//

static RunReport failedRun(std::string error) {
  RunReport report;
  report.ok = false;
  report.error = std::move(error);
  return report;
}

RunReport runOnOneGpu(const GpuOptions &options,
                      const std::function<void(int rank)> &body) {
  if (options.ranks < 1)
    return failedRun(formatString(
        "runOnOneGpu: ranks must be at least 1 (got %d)", options.ranks));
  if (!(options.timeoutSeconds > 0))
    return failedRun(formatString("runOnOneGpu: timeoutSeconds must be "
                                  "positive (got %g)",
                                  options.timeoutSeconds));
  if (!(options.drainTimeoutSeconds > 0))
    return failedRun(formatString("runOnOneGpu: drainTimeoutSeconds must be "
                                  "positive (got %g)",
                                  options.drainTimeoutSeconds));
  std::string why;
  const Driver *cu = makeContextCurrent(why);
  if (!cu)
    return failedRun("runOnOneGpu: " + why);
  auto ring = std::make_shared<GpuRing>(cu, options.ranks);
  if (!ring->create(options.trace, why))
    return failedRun("runOnOneGpu: " + why);

  ThreadsOptions threads;
  threads.ranks = options.ranks;
  threads.timeoutSeconds = options.timeoutSeconds;
  threads.trace = options.trace;
  threads.dropTransfers = options.dropTransfers;
  // The wrapper owns nothing on its frame: a stopped rank longjmps past it.
  auto rankBody = [body](int rank) {
    threadBinding->begin();
    body(rank);
    threadBinding->end();
  };
  auto comm = std::make_shared<Communicator>(
      threads, rankBody,
      std::make_shared<DeviceCopyTransport>(ring, options.trace));

  if (options.trace) {
    // Align the device clock of the transfer spans with the host clock.
    CUresult result = cu->cuEventRecord(ring->origin, ring->ranks[0].compute);
    if (result == CUDA_SUCCESS)
      result = cu->cuEventSynchronize(ring->origin);
    if (result != CUDA_SUCCESS)
      return failedRun("runOnOneGpu: " + describe(cu, result));
    ring->originUs = comm->nowUs();
  }

  return runRankThreads(comm, [ring, options](RankState &rank) {
    auto binding = std::make_unique<GpuRankBinding>(rank, ring, options);
    threadBinding = binding.get();
    return binding;
  });
}

void registerOneGpuBackend(BackendRegistry &registry) {
  BackendInfo info{"gpu", "N ranks as threads sharing this process's GPU",
                   /*onGpu=*/true};
  registry.add(info, [info](const BackendOptions &options, std::string &) {
    GpuOptions gpu;
    gpu.ranks = options.ranks;
    gpu.timeoutSeconds = options.timeoutSeconds;
    gpu.dropTransfers = options.dropTransfers;
    return makeInProcessBackend(
        info, options.ranks,
        [gpu](bool trace, const std::function<void(int)> &body) {
          GpuOptions traced = gpu;
          traced.trace = trace;
          return runOnOneGpu(traced, body);
        });
  });
}

} // namespace runtime
} // namespace ringattn
