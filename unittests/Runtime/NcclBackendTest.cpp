//===- NcclBackendTest.cpp - The NCCL backend on the test doubles ---------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Each thread runs runOnNccl as one rank, over the fake NCCL (FakeNccl.cpp,
// ranks of one process meeting by unique id) and the fake driver. The ranks
// share their unique id through a file, as separate processes would.
//
//===----------------------------------------------------------------------===//

#include "RingAttn/Runtime/NcclBackend.h"
#include "GpuTestSupport.h"
#include "RingAttn/Runtime/GpuBackend.h"
#include "RingAttn/Runtime/RingRuntime.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <thread>
#include <vector>

using namespace ringattn::runtime;
using ringattn::testing::fakeControl;
using ringattn::testing::FakeFillKernel;
using ringattn::testing::FakeHungKernels;
using ringattn::testing::secondsSince;
using ringattn::testing::temporaryDirectory;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

namespace {

int64_t floorMod(int64_t value, int64_t n) { return ((value % n) + n) % n; }

constexpr size_t words = 129;

std::vector<int64_t> blockOf(int origin) {
  std::vector<int64_t> block(words);
  for (size_t i = 0; i < words; ++i)
    block[i] = origin * 7919 + static_cast<int64_t>(i);
  return block;
}

/// One rank's device buffers, allocated before its body runs.
struct RankBuffers {
  void *current = nullptr;
  void *next = nullptr;
};

/// Runs `body` on `ranks` threads, each as a rank of one NCCL ring, and
/// returns their reports. `present` leaves ranks out (a missing peer).
std::vector<RankReport>
runRing(int ranks, double timeoutSeconds,
        const std::function<void(int rank)> &body,
        const std::vector<bool> &present = {},
        double drainTimeoutSeconds = NcclOptions().drainTimeoutSeconds) {
  std::string idFile = temporaryDirectory() + "/nccl-id";
  std::vector<RankReport> reports(ranks);
  std::vector<std::thread> threads;
  for (int rank = 0; rank < ranks; ++rank) {
    if (!present.empty() && !present[rank]) {
      reports[rank].ok = false;
      reports[rank].error = "not started";
      continue;
    }
    threads.emplace_back([&, rank] {
      NcclOptions options;
      options.rank = rank;
      options.size = ranks;
      options.timeoutSeconds = timeoutSeconds;
      options.drainTimeoutSeconds = drainTimeoutSeconds;
      options.exchangeUniqueId = [&](NcclUniqueId &id, std::string &error) {
        return exchangeUniqueIdThroughFile(idFile, rank, timeoutSeconds, id,
                                           error);
      };
      reports[rank] = runOnNccl(options, body);
    });
  }
  for (std::thread &thread : threads)
    thread.join();
  return reports;
}

class NcclRing : public ::testing::TestWithParam<std::tuple<int, int>> {};

TEST_P(NcclRing, BlocksTravelTheRing) {
  auto [ranks, offset] = GetParam();
  constexpr int steps = 9;
  constexpr int64_t bytes = words * sizeof(int64_t);
  // Real ranks are processes that each allocate their own device memory; on
  // the fake driver every thread's is the host's, so the test stages it.
  std::vector<RankBuffers> buffers(ranks);
  std::string error;
  for (int rank = 0; rank < ranks; ++rank) {
    buffers[rank].current = gpuAlloc(bytes, error);
    buffers[rank].next = gpuAlloc(bytes, error);
    std::vector<int64_t> block = blockOf(rank);
    ASSERT_TRUE(
        gpuCopyToDevice(buffers[rank].current, block.data(), bytes, error))
        << error;
  }
  std::vector<RankReport> reports = runRing(ranks, 10, [&](int rank) {
    RankBuffers &mine = buffers[rank];
    for (int step = 0; step < steps; ++step) {
      ringattn_shift_wait(
          ringattn_shift_start(mine.current, mine.next, bytes, offset));
      std::swap(mine.current, mine.next);
    }
  });
  for (int rank = 0; rank < ranks; ++rank) {
    ASSERT_TRUE(reports[rank].ok) << reports[rank].error;
    int origin = static_cast<int>(floorMod(rank - steps * offset, ranks));
    std::vector<int64_t> result(words);
    ASSERT_TRUE(
        gpuCopyToHost(result.data(), buffers[rank].current, bytes, error))
        << error;
    EXPECT_EQ(result, blockOf(origin)) << "rank " << rank;
    gpuFree(buffers[rank].current, error);
    gpuFree(buffers[rank].next, error);
  }
  auto lastBlocking =
      fakeControl<int (*)()>(RINGATTN_FAKE_NCCL_PATH, "fakeNcclLastBlocking");
  EXPECT_EQ(lastBlocking(), 0) << "the communicator must be non-blocking";
}

std::string
ringName(const ::testing::TestParamInfo<std::tuple<int, int>> &info) {
  int ranks = std::get<0>(info.param);
  int offset = std::get<1>(info.param);
  return std::to_string(ranks) + "Ranks" + (offset < 0 ? "Minus" : "") +
         std::to_string(std::abs(offset)) + "Offset";
}

INSTANTIATE_TEST_SUITE_P(Rings, NcclRing,
                         ::testing::Values(std::make_tuple(2, 1),
                                           std::make_tuple(3, 1),
                                           std::make_tuple(4, -1),
                                           std::make_tuple(5, 2)),
                         ringName);

TEST(Nccl, RingOfOneNeedsNoExchange) {
  int64_t value = 42, received = 0;
  std::string error;
  void *device[2] = {gpuAlloc(8, error), gpuAlloc(8, error)};
  ASSERT_TRUE(gpuCopyToDevice(device[0], &value, 8, error)) << error;
  RankReport report = runOnNccl(NcclOptions(), [&](int) {
    ringattn_shift_wait(ringattn_shift_start(device[0], device[1], 8, 1));
  });
  EXPECT_TRUE(report.ok) << report.error;
  ASSERT_TRUE(gpuCopyToHost(&received, device[1], 8, error)) << error;
  EXPECT_EQ(received, 42);
  EXPECT_GE(report.seconds, report.busySeconds);
  gpuFree(device[0], error);
  gpuFree(device[1], error);
}

TEST(Nccl, MissingPeerTimesOutCreatingTheCommunicator) {
  auto begin = std::chrono::steady_clock::now();
  std::vector<RankReport> reports =
      runRing(2, 0.3, [](int) {}, /*present=*/{true, false});
  EXPECT_LT(secondsSince(begin), 5);
  EXPECT_FALSE(reports[0].ok);
  EXPECT_EQ(reports[0].error, "rank 0: timed out after 0.3 s creating the "
                              "NCCL communicator of 2 ranks (is every rank "
                              "running, with the same unique id?)");
}

TEST(Nccl, MissingRankZeroTimesOutSharingTheId) {
  std::vector<RankReport> reports =
      runRing(2, 0.2, [](int) {}, /*present=*/{false, true});
  EXPECT_FALSE(reports[1].ok);
  EXPECT_THAT(reports[1].error,
              HasSubstr("rank 1: sharing the NCCL unique id failed: timed out "
                        "after 0.2 s waiting for rank 0 to write the NCCL "
                        "unique id to "));
}

// Rank 1 fails before its first shift and aborts its communicator; rank 0,
// blocked issuing the shift, learns it from NCCL long before its timeout.
TEST(Nccl, FailedPeerIsReportedAsARemoteError) {
  char buffers[2][2][8] = {};
  std::atomic<bool> rankZeroRunning{false};
  auto begin = std::chrono::steady_clock::now();
  std::vector<RankReport> reports = runRing(2, 30, [&](int rank) {
    if (rank == 0)
      rankZeroRunning = true;
    if (rank == 1) {
      while (!rankZeroRunning) // past creating its communicator
        std::this_thread::yield();
      failRank("injected"); // short: no heap string left behind by the jump
    }
    ringattn_shift_wait(
        ringattn_shift_start(buffers[rank][0], buffers[rank][1], 8, 1));
  });
  EXPECT_LT(secondsSince(begin), 10);
  EXPECT_EQ(reports[1].error, "rank 1: injected");
  EXPECT_EQ(reports[0].error,
            "rank 0: shift 0: issuing the transfer failed: remote process "
            "exited or there was a network error (ncclResult_t 6); NCCL "
            "says: fake NCCL: rank 1 aborted");
}

TEST(Nccl, MismatchedSizesAreAnError) {
  char buffers[2][2][16] = {};
  std::vector<RankReport> reports = runRing(2, 10, [&](int rank) {
    ringattn_shift_wait(ringattn_shift_start(buffers[rank][0], buffers[rank][1],
                                             rank == 0 ? 8 : 16, 1));
  });
  for (int rank = 0; rank < 2; ++rank) {
    EXPECT_FALSE(reports[rank].ok);
    EXPECT_THAT(reports[rank].error,
                MatchesRegex("rank [01]: shift 0: .*invalid usage.*fake NCCL: "
                             "rank [01] sends (8|16) bytes but rank [01] "
                             "receives (8|16).*"));
  }
}

TEST(Nccl, ShiftsLeftUnwaitedAreReported) {
  char buffers[8] = {};
  RankReport report = runOnNccl(NcclOptions(), [&](int) {
    ringattn_shift_start(buffers, buffers, 8, 0);
  });
  EXPECT_EQ(report.error, "rank 0: returned with 1 shift(s) not waited");
}

TEST(Nccl, WaitingForAForeignShiftIsAnError) {
  RankReport report = runOnNccl(NcclOptions(), [&](int) {
    int notAShift = 0;
    ringattn_shift_wait(reinterpret_cast<RingShift *>(&notAShift));
  });
  EXPECT_EQ(report.error, "rank 0: ringattn_shift_wait got a shift this rank "
                          "did not start or already waited");
}

TEST(Nccl, InvalidOptionsAreRefused) {
  NcclOptions options;
  options.drainTimeoutSeconds = 0;
  RankReport report = runOnNccl(options, [](int) {});
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.error, "rank 0: runOnNccl: drainTimeoutSeconds must be "
                          "positive (got 0)");
  options.drainTimeoutSeconds = -1;
  report = runOnNccl(options, [](int) {});
  EXPECT_EQ(report.error, "rank 0: runOnNccl: drainTimeoutSeconds must be "
                          "positive (got -1)");
}

// A kernel that never finishes fails its rank once the drain deadline
// passes, instead of holding the process (and a borrowed GPU) forever.
TEST(Nccl, HungKernelFailsTheRankAtTheDrainDeadline) {
  FakeFillKernel fill;
  std::string error;
  void *device = gpuAlloc(8 * sizeof(float), error);
  ASSERT_NE(device, nullptr) << error;
  std::vector<RankReport> reports;
  auto begin = std::chrono::steady_clock::now();
  {
    FakeHungKernels hung;
    reports = runRing(
        2, 10,
        [&](int rank) {
          if (rank == 1)
            fill.launch(device, 8, 1);
        },
        /*present=*/{}, /*drainTimeoutSeconds=*/0.3);
  }
  double seconds = secondsSince(begin);
  EXPECT_GE(seconds, 0.3);
  EXPECT_LT(seconds, 5);
  EXPECT_FALSE(reports[1].ok);
  EXPECT_EQ(reports[1].error,
            "rank 1: timed out after 0.3 s waiting for its kernels to "
            "finish (the compute stream did not drain): a kernel may be hung");
  gpuFree(device, error);
}

// Each rank reports its compute stream's time from the body's start to its
// drain (the fake driver times events by when they were recorded).
TEST(Nccl, RanksReportTheirDeviceTime) {
  std::vector<RankReport> reports = runRing(2, 10, [](int) {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
  });
  for (const RankReport &report : reports) {
    ASSERT_TRUE(report.ok) << report.error;
    EXPECT_TRUE(std::isfinite(report.deviceSeconds));
    EXPECT_GE(report.deviceSeconds, 0.025);
    EXPECT_LE(report.deviceSeconds, report.seconds + 0.01);
  }
}

} // namespace
