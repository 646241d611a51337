//===- OneGpuBackendTest.cpp - N ranks on one (fake) GPU ------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Runs with the fake driver (FakeCudaDriver.cpp), so the device copies are
// host copies that happen when issued, and a stream can be made to stall.
// What is checked is the backend's own logic: matching, event slots, the
// compute streams compiled code gets, timeouts and failures.
//
// As in ThreadsBackendTest.cpp, rank bodies keep their buffers outside the
// body: a stopped rank leaves it by longjmp.
//
//===----------------------------------------------------------------------===//

#include "CudaDriver.h"
#include "GpuRuntimeWrappers.h"
#include "GpuTestSupport.h"
#include "IdleDeviceBlocks.h"
#include "RingAttn/Runtime/GpuBackend.h"
#include "RingAttn/Runtime/RingRuntime.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <ostream>
#include <thread>
#include <vector>

using namespace ringattn::runtime;
using ringattn::testing::deviceAllocationsMade;
using ringattn::testing::fakeControl;
using ringattn::testing::FakeFillKernel;
using ringattn::testing::FakeHungKernels;
using ringattn::testing::liveDeviceAllocations;
using ringattn::testing::secondsSince;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

namespace {

int64_t floorMod(int64_t value, int64_t n) { return ((value % n) + n) % n; }

/// Two device buffers per rank, the first holding `origin`'s block.
class DeviceBlocks {
public:
  static constexpr size_t words = 257;
  static constexpr int64_t bytes = words * sizeof(int64_t);

  explicit DeviceBlocks(int ranks) {
    std::string error;
    for (int rank = 0; rank < ranks; ++rank) {
      for (void **buffer : {&current_.emplace_back(), &next_.emplace_back()}) {
        *buffer = gpuAlloc(bytes, error);
        EXPECT_NE(*buffer, nullptr) << error;
      }
      std::vector<int64_t> block = blockOf(rank);
      EXPECT_TRUE(gpuCopyToDevice(current_[rank], block.data(), bytes, error))
          << error;
    }
  }
  ~DeviceBlocks() {
    std::string error;
    for (void *buffer : current_)
      EXPECT_TRUE(gpuFree(buffer, error)) << error;
    for (void *buffer : next_)
      EXPECT_TRUE(gpuFree(buffer, error)) << error;
  }

  static std::vector<int64_t> blockOf(int origin) {
    std::vector<int64_t> block(words);
    for (size_t i = 0; i < words; ++i)
      block[i] = origin * 1000003 + static_cast<int64_t>(i);
    return block;
  }

  /// What rank `rank`'s current buffer holds now (read from the device).
  std::vector<int64_t> current(int rank) const {
    std::vector<int64_t> block(words);
    std::string error;
    EXPECT_TRUE(gpuCopyToHost(block.data(), current_[rank], bytes, error))
        << error;
    return block;
  }

  void *&currentOf(int rank) { return current_[rank]; }
  void *&nextOf(int rank) { return next_[rank]; }

private:
  std::vector<void *> current_, next_;
};

GpuOptions ringOf(int ranks, double timeoutSeconds = 10) {
  GpuOptions options;
  options.ranks = ranks;
  options.timeoutSeconds = timeoutSeconds;
  return options;
}

TEST(OneGpu, FakeDeviceIsAvailable) {
  std::string why;
  EXPECT_TRUE(gpuAvailable(why)) << why;
  EXPECT_EQ(gpuDeviceName(), "RingAttn fake GPU");
}

//===----------------------------------------------------------------------===//
// Moving blocks around the ring
//===----------------------------------------------------------------------===//

struct RingCase {
  int ranks;
  int offset;
  int steps;
};

class OneGpuRing : public ::testing::TestWithParam<RingCase> {};

TEST_P(OneGpuRing, BlocksTravelTheRing) {
  RingCase ring = GetParam();
  DeviceBlocks blocks(ring.ranks);
  RunReport report = runOnOneGpu(ringOf(ring.ranks), [&](int rank) {
    for (int step = 0; step < ring.steps; ++step) {
      RingShift *shift =
          ringattn_shift_start(blocks.currentOf(rank), blocks.nextOf(rank),
                               DeviceBlocks::bytes, ring.offset);
      ringattn_shift_wait(shift);
      std::swap(blocks.currentOf(rank), blocks.nextOf(rank));
    }
  });
  ASSERT_TRUE(report.ok) << report.error;
  ASSERT_EQ(report.ranks.size(), static_cast<size_t>(ring.ranks));
  for (int rank = 0; rank < ring.ranks; ++rank) {
    int origin =
        static_cast<int>(floorMod(rank - ring.steps * ring.offset, ring.ranks));
    EXPECT_EQ(blocks.current(rank), DeviceBlocks::blockOf(origin))
        << "rank " << rank << " should hold rank " << origin << "'s block";
  }
}

void PrintTo(const RingCase &ring, std::ostream *os) {
  *os << ring.ranks << " ranks, offset " << ring.offset << ", " << ring.steps
      << " steps";
}

std::string ringName(const ::testing::TestParamInfo<RingCase> &info) {
  const RingCase &ring = info.param;
  return std::to_string(ring.ranks) + "Ranks" +
         (ring.offset < 0 ? "Minus" : "") +
         std::to_string(std::abs(ring.offset)) + "Offset" +
         std::to_string(ring.steps) + "Steps";
}

INSTANTIATE_TEST_SUITE_P(Rings, OneGpuRing,
                         ::testing::Values(RingCase{1, 1, 3}, RingCase{2, 1, 5},
                                           RingCase{3, -1, 7},
                                           RingCase{5, 2, 40},
                                           RingCase{8, 3, 17}),
                         ringName);

// K and V travel together: two shifts in flight at once, many steps, so
// every event slot is reused.
TEST(OneGpu, TwoShiftsInFlightReuseSlots) {
  constexpr int ranks = 3, steps = 50;
  DeviceBlocks keys(ranks), values(ranks);
  RunReport report = runOnOneGpu(ringOf(ranks), [&](int rank) {
    for (int step = 0; step < steps; ++step) {
      RingShift *k = ringattn_shift_start(
          keys.currentOf(rank), keys.nextOf(rank), DeviceBlocks::bytes, 1);
      RingShift *v = ringattn_shift_start(
          values.currentOf(rank), values.nextOf(rank), DeviceBlocks::bytes, 1);
      ringattn_shift_wait(v); // out of order on purpose
      ringattn_shift_wait(k);
      std::swap(keys.currentOf(rank), keys.nextOf(rank));
      std::swap(values.currentOf(rank), values.nextOf(rank));
    }
  });
  ASSERT_TRUE(report.ok) << report.error;
  for (int rank = 0; rank < ranks; ++rank) {
    int origin = static_cast<int>(floorMod(rank - steps, ranks));
    EXPECT_EQ(keys.current(rank), DeviceBlocks::blockOf(origin));
    EXPECT_EQ(values.current(rank), DeviceBlocks::blockOf(origin));
  }
}

TEST(OneGpu, DroppedTransfersMoveNothing) {
  DeviceBlocks blocks(2);
  GpuOptions options = ringOf(2);
  options.dropTransfers = true;
  RunReport report = runOnOneGpu(options, [&](int rank) {
    ringattn_shift_wait(ringattn_shift_start(
        blocks.currentOf(rank), blocks.nextOf(rank), DeviceBlocks::bytes, 1));
    std::swap(blocks.currentOf(rank), blocks.nextOf(rank));
    ringattn_shift_wait(ringattn_shift_start(
        blocks.currentOf(rank), blocks.nextOf(rank), DeviceBlocks::bytes, 1));
    std::swap(blocks.currentOf(rank), blocks.nextOf(rank));
  });
  ASSERT_TRUE(report.ok) << report.error;
  for (int rank = 0; rank < 2; ++rank)
    EXPECT_EQ(blocks.current(rank), DeviceBlocks::blockOf(rank));
}

TEST(OneGpu, TraceHasDeviceTransferSpans) {
  constexpr int ranks = 3, steps = 4;
  DeviceBlocks blocks(ranks);
  GpuOptions options = ringOf(ranks);
  options.trace = true;
  RunReport report = runOnOneGpu(options, [&](int rank) {
    for (int step = 0; step < steps; ++step) {
      ringattn_shift_wait(ringattn_shift_start(
          blocks.currentOf(rank), blocks.nextOf(rank), DeviceBlocks::bytes, 1));
      std::swap(blocks.currentOf(rank), blocks.nextOf(rank));
    }
  });
  ASSERT_TRUE(report.ok) << report.error;
  int transfers = 0, computes = 0;
  for (const Span &span : report.spans) {
    EXPECT_LE(span.beginUs, span.endUs);
    if (span.kind == Span::Kind::Transfer) {
      ++transfers;
      EXPECT_EQ(span.bytes, DeviceBlocks::bytes);
    } else {
      ++computes;
    }
  }
  EXPECT_EQ(transfers, ranks * steps);
  EXPECT_GT(computes, 0);
}

//===----------------------------------------------------------------------===//
// Streams compiled code gets
//===----------------------------------------------------------------------===//

TEST(OneGpu, RanksGetTheirOwnComputeStream) {
  constexpr int ranks = 3;
  CUstream_st *first[ranks] = {}, *second[ranks] = {};
  RunReport report = runOnOneGpu(ringOf(ranks), [&](int rank) {
    first[rank] = mgpuStreamCreate();
    mgpuStreamDestroy(first[rank]); // the backend's: left alone
    second[rank] = mgpuStreamCreate();
    mgpuStreamSynchronize(second[rank]);
  });
  ASSERT_TRUE(report.ok) << report.error;
  for (int rank = 0; rank < ranks; ++rank) {
    EXPECT_NE(first[rank], nullptr);
    EXPECT_EQ(first[rank], second[rank]);
    for (int other = 0; other < rank; ++other)
      EXPECT_NE(first[rank], first[other]);
  }
  // Outside a rank, a stream of its own.
  auto streamsCreated =
      fakeControl<int (*)()>(RINGATTN_FAKE_CUDA_PATH, "fakeCudaStreamsCreated");
  int before = streamsCreated();
  CUstream_st *own = mgpuStreamCreate();
  EXPECT_EQ(streamsCreated(), before + 1);
  for (CUstream_st *stream : first)
    EXPECT_NE(own, stream);
  mgpuStreamDestroy(own);
  EXPECT_EQ(streamsCreated(), before);
}

// The module is loaded where a JIT loads it (the main thread, in a global
// constructor); the kernels launch on the rank threads, which must have the
// context current.
TEST(OneGpu, KernelsLaunchFromRankThreads) {
  constexpr int ranks = 4;
  FakeFillKernel fill;
  DeviceBlocks blocks(ranks);
  RunReport report = runOnOneGpu(ringOf(ranks), [&](int rank) {
    fill.launch(blocks.currentOf(rank), 8, static_cast<float>(rank) + 0.5f);
  });
  ASSERT_TRUE(report.ok) << report.error;
  for (int rank = 0; rank < ranks; ++rank) {
    std::vector<int64_t> block = blocks.current(rank);
    const float *values = reinterpret_cast<const float *>(block.data());
    for (int i = 0; i < 8; ++i)
      EXPECT_EQ(values[i], rank + 0.5f);
  }
}

//===----------------------------------------------------------------------===//
// Device scratch between runs (IdleDeviceBlocks.h)
//===----------------------------------------------------------------------===//

/// Gives the pool's blocks back to the (fake) driver, so that no test sees
/// another's.
void emptyIdlePool() {
  std::string why;
  const cuda::Driver *cu = cuda::makeContextCurrent(why);
  ASSERT_NE(cu, nullptr) << why;
  IdleDeviceBlocks::process().freeAll(*cu, cuda::selectedDevice(why));
  EXPECT_EQ(IdleDeviceBlocks::process().idleBlocks(), 0u);
}

/// Each rank allocates `bytes` of scratch, frees it, allocates and frees it
/// again, as compiled code does between kernels; `same` records whether the
/// second allocation got the first's block back.
std::function<void(int)> allocateTwice(uint64_t bytes, std::vector<int> &same) {
  return [bytes, &same](int rank) {
    CUstream_st *stream = mgpuStreamCreate();
    void *first = mgpuMemAlloc(bytes, stream, false);
    mgpuMemFree(first, stream);
    void *second = mgpuMemAlloc(bytes, stream, false);
    same[rank] = first == second;
    mgpuMemFree(second, stream);
  };
}

// A block a call frees is the rank's again for the same call (no cuMemFree,
// which waits for the device, between kernels), and the blocks of a run
// that drained serve the next run: it allocates nothing. (Ranks of one run
// may share too: a rank that drained gives its blocks before the others
// finish, so a ring of several allocates between 1 and N blocks.)
TEST(OneGpu, DeviceScratchIsReusedWithinACallAndAcrossRuns) {
  emptyIdlePool();
  std::vector<int> same(1, 0);
  int before = deviceAllocationsMade();
  RunReport first = runOnOneGpu(ringOf(1), allocateTwice(4000, same));
  ASSERT_TRUE(first.ok) << first.error;
  EXPECT_EQ(same[0], 1);
  EXPECT_EQ(deviceAllocationsMade() - before, 1);
  EXPECT_EQ(IdleDeviceBlocks::process().idleBlocks(), 1u);
  EXPECT_EQ(IdleDeviceBlocks::process().idleBytes(), 4000u);

  RunReport second = runOnOneGpu(ringOf(1), allocateTwice(4000, same));
  ASSERT_TRUE(second.ok) << second.error;
  EXPECT_EQ(deviceAllocationsMade() - before, 1) << "the second run allocated";
  EXPECT_EQ(IdleDeviceBlocks::process().idleBlocks(), 1u);

  constexpr int ranks = 4;
  same.assign(ranks, 0);
  RunReport ring = runOnOneGpu(ringOf(ranks), allocateTwice(4000, same));
  ASSERT_TRUE(ring.ok) << ring.error;
  EXPECT_EQ(same, std::vector<int>(ranks, 1));
  int made = deviceAllocationsMade() - before;
  EXPECT_GE(made, 1);
  EXPECT_LE(made, ranks);
  EXPECT_EQ(IdleDeviceBlocks::process().idleBlocks(), size_t(made));
  emptyIdlePool();
}

// A rank that failed may still have work queued on its stream: its blocks go
// back to the driver (cuMemFree waits for the device), never to the pool.
TEST(OneGpu, AFailedRanksScratchIsNotPooled) {
  emptyIdlePool();
  int live = liveDeviceAllocations();
  RunReport report = runOnOneGpu(ringOf(1), [](int) {
    CUstream_st *stream = mgpuStreamCreate();
    mgpuMemAlloc(5000, stream, false);
    int notAShift = 0; // a runtime error: the rank stops
    ringattn_shift_wait(reinterpret_cast<RingShift *>(&notAShift));
  });
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(IdleDeviceBlocks::process().idleBlocks(), 0u);
  EXPECT_EQ(liveDeviceAllocations(), live);
}

// Out of device memory, the pool's idle blocks go back to the driver and
// the allocation is tried again.
TEST(OneGpu, OutOfMemoryEmptiesTheIdlePoolAndRetries) {
  emptyIdlePool();
  std::vector<int> same(1, 0);
  ASSERT_TRUE(runOnOneGpu(ringOf(1), allocateTwice(3000, same)).ok);
  ASSERT_EQ(IdleDeviceBlocks::process().idleBlocks(), 1u);
  auto failNext = fakeControl<void (*)(const char *, int)>(
      RINGATTN_FAKE_CUDA_PATH, "fakeCudaFailNext");
  failNext("cuMemAlloc", 2); // CUDA_ERROR_OUT_OF_MEMORY, once
  RunReport report = runOnOneGpu(ringOf(1), allocateTwice(6000, same));
  ASSERT_TRUE(report.ok) << report.error;
  EXPECT_EQ(IdleDeviceBlocks::process().idleBytes(), 6000u)
      << "the 3000-byte block went back to the driver";
  emptyIdlePool();
}

// The pool holds at most kIdleBytesLimit; a block beyond it is freed.
TEST(OneGpu, IdlePoolIsBounded) {
  emptyIdlePool();
  std::string why;
  const cuda::Driver *cu = cuda::makeContextCurrent(why);
  ASSERT_NE(cu, nullptr) << why;
  int live = liveDeviceAllocations();
  void *block = gpuAlloc(64, why);
  ASSERT_NE(block, nullptr) << why;
  IdleDeviceBlocks::process().give(*cu, 0,
                                   reinterpret_cast<cuda::CUdeviceptr>(block),
                                   IdleDeviceBlocks::kIdleBytesLimit + 1);
  EXPECT_EQ(IdleDeviceBlocks::process().idleBlocks(), 0u);
  EXPECT_EQ(liveDeviceAllocations(), live);
}

//===----------------------------------------------------------------------===//
// Failures
//===----------------------------------------------------------------------===//

TEST(OneGpu, StuckTransferTimesOutNamingRankAndShift) {
  DeviceBlocks blocks(2);
  auto stall = fakeControl<void (*)(bool)>(RINGATTN_FAKE_CUDA_PATH,
                                           "fakeCudaStallCopies");
  stall(true);
  auto begin = std::chrono::steady_clock::now();
  RunReport report = runOnOneGpu(ringOf(2, 0.3), [&](int rank) {
    ringattn_shift_wait(ringattn_shift_start(
        blocks.currentOf(rank), blocks.nextOf(rank), DeviceBlocks::bytes, 1));
  });
  stall(false);
  EXPECT_LT(secondsSince(begin), 5);
  EXPECT_FALSE(report.ok);
  EXPECT_THAT(report.error,
              MatchesRegex("rank [01]: timed out after 0.3 s waiting for "
                           "shift 0 on the GPU: the copy to rank [01] did "
                           "not complete"));
}

TEST(OneGpu, CudaErrorInARankFailsTheRing) {
  constexpr int ranks = 3;
  FakeFillKernel fill;
  DeviceBlocks blocks(ranks);
  auto failNext = fakeControl<void (*)(const char *, int)>(
      RINGATTN_FAKE_CUDA_PATH, "fakeCudaFailNext");
  failNext("cuLaunchKernel", 719);
  RunReport report = runOnOneGpu(ringOf(ranks), [&](int rank) {
    if (rank == 1)
      fill.launch(blocks.currentOf(rank), 1, 1);
    ringattn_shift_wait(ringattn_shift_start(
        blocks.currentOf(rank), blocks.nextOf(rank), DeviceBlocks::bytes, 1));
  });
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.error, "rank 1: CUDA error in cuLaunchKernel: "
                          "CUDA_ERROR_LAUNCH_FAILED: unspecified launch "
                          "failure");
  ASSERT_EQ(report.ranks.size(), 3u);
  EXPECT_EQ(report.ranks[1].error, report.error);
  EXPECT_THAT(report.ranks[0].error,
              HasSubstr("rank 0: stopped because rank 1: CUDA error"));
}

TEST(OneGpu, TooManyShiftsInFlightIsAnError) {
  DeviceBlocks blocks(1);
  RunReport report = runOnOneGpu(ringOf(1), [&](int) {
    for (int i = 0; i < 17; ++i)
      ringattn_shift_start(blocks.currentOf(0), blocks.nextOf(0),
                           DeviceBlocks::bytes, 0);
  });
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.error, "rank 0: shift 16 started while shift 0 is still in "
                          "flight; a rank may have at most 16 shifts in "
                          "flight");
}

TEST(OneGpu, WaitingForAForeignShiftIsAnError) {
  RunReport report = runOnOneGpu(ringOf(1), [&](int) {
    int notAShift = 0;
    ringattn_shift_wait(reinterpret_cast<RingShift *>(&notAShift));
  });
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.error, "rank 0: ringattn_shift_wait got a shift this rank "
                          "did not start or already waited");
}

TEST(OneGpu, ShiftsLeftUnwaitedAreReported) {
  DeviceBlocks blocks(2);
  RunReport report = runOnOneGpu(ringOf(2), [&](int rank) {
    ringattn_shift_start(blocks.currentOf(rank), blocks.nextOf(rank),
                         DeviceBlocks::bytes, 1);
  });
  EXPECT_FALSE(report.ok);
  EXPECT_THAT(report.error,
              MatchesRegex("rank [01]: returned with 1 shift\\(s\\) "
                           "not waited"));
}

TEST(OneGpu, InvalidOptionsAreRefused) {
  RunReport report = runOnOneGpu(ringOf(0), [](int) {});
  EXPECT_EQ(report.error, "runOnOneGpu: ranks must be at least 1 (got 0)");
  report = runOnOneGpu(ringOf(2, 0), [](int) {});
  EXPECT_EQ(report.error,
            "runOnOneGpu: timeoutSeconds must be positive (got 0)");
  GpuOptions noDrain = ringOf(2);
  noDrain.drainTimeoutSeconds = 0;
  report = runOnOneGpu(noDrain, [](int) {});
  EXPECT_EQ(report.error,
            "runOnOneGpu: drainTimeoutSeconds must be positive (got 0)");
}

// A kernel that never finishes fails its rank once the drain deadline
// passes, instead of holding the process (and a borrowed GPU) forever.
TEST(OneGpu, HungKernelFailsTheRankAtTheDrainDeadline) {
  FakeFillKernel fill;
  DeviceBlocks blocks(1);
  GpuOptions options = ringOf(1);
  options.drainTimeoutSeconds = 0.3;
  auto begin = std::chrono::steady_clock::now();
  RunReport report;
  {
    FakeHungKernels hung;
    report = runOnOneGpu(
        options, [&](int rank) { fill.launch(blocks.currentOf(rank), 8, 1); });
  }
  EXPECT_LT(secondsSince(begin), 5);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.error,
            "rank 0: timed out after 0.3 s waiting for its kernels to "
            "finish (the compute stream did not drain): a kernel may be hung");
}

// Each rank reports its compute stream's time from the body's first work to
// its drain (the fake driver times events by when they were recorded).
TEST(OneGpu, RanksReportTheirDeviceTime) {
  RunReport report = runOnOneGpu(ringOf(2), [](int) {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
  });
  ASSERT_TRUE(report.ok) << report.error;
  ASSERT_EQ(report.ranks.size(), 2u);
  for (const RankReport &rank : report.ranks) {
    EXPECT_GE(rank.deviceSeconds, 0.025);
    EXPECT_LE(rank.deviceSeconds, rank.seconds + 0.01);
  }
}

} // namespace
