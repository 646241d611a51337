//===- ThreadsBackendTest.cpp - The threads backend and its C ABI ---------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Rank bodies here keep their buffers and results outside the body: a rank
// that fails or is stopped leaves its body by longjmp, which would skip the
// destructors of anything the body owned.
//
//===----------------------------------------------------------------------===//

#include "RingAttn/Runtime/ThreadsBackend.h"
#include "RingAttn/Runtime/RingRuntime.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

using namespace ringattn::runtime;

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point begin) {
  return std::chrono::duration<double>(Clock::now() - begin).count();
}

/// Keeps a core busy for `seconds`, like a block of attention would.
void computeFor(double seconds) {
  Clock::time_point begin = Clock::now();
  while (secondsSince(begin) < seconds) {
  }
}

ThreadsOptions ringOf(int ranks, double timeoutSeconds) {
  ThreadsOptions options;
  options.ranks = ranks;
  options.timeoutSeconds = timeoutSeconds;
  return options;
}

int64_t floorMod(int64_t value, int64_t n) { return ((value % n) + n) % n; }

/// A buffer that travels the ring: [origin rank, hops, payload...].
using Block = std::vector<int64_t>;
constexpr size_t payloadSize = 509; // odd, so sizes are not powers of two

int64_t payloadAt(int64_t origin, size_t i) {
  return origin * 1000003 + static_cast<int64_t>(i);
}

Block makeBlock(int origin) {
  Block block(2 + payloadSize);
  block[0] = origin;
  block[1] = 0;
  for (size_t i = 0; i < payloadSize; ++i)
    block[2 + i] = payloadAt(origin, i);
  return block;
}

bool holds(const int64_t *block, int64_t origin, int64_t hops) {
  if (block[0] != origin || block[1] != hops)
    return false;
  for (size_t i = 0; i < payloadSize; ++i)
    if (block[2 + i] != payloadAt(origin, i))
      return false;
  return true;
}

constexpr int64_t blockBytes = (2 + payloadSize) * sizeof(int64_t);

//===----------------------------------------------------------------------===//
// Ordering
//===----------------------------------------------------------------------===//

class RingOrderTest : public ::testing::TestWithParam<int> {};

// Every rank forwards what it received (double-buffered), so after s + 1
// shifts by `offset` a rank holds the block that started at rank
// r - (s + 1) * offset, having made s + 1 hops.
TEST_P(RingOrderTest, ForwardedBlocksArriveInOrder) {
  const int n = GetParam();
  for (int64_t offset : {int64_t(1), int64_t(-1), int64_t(0), int64_t(n + 2),
                         int64_t(-2 * n - 3)}) {
    SCOPED_TRACE("offset " + std::to_string(offset));
    const int steps = 3 * n;
    std::vector<Block> first(n), second(n, Block(2 + payloadSize));
    for (int r = 0; r < n; ++r)
      first[r] = makeBlock(r);
    std::vector<std::string> mismatch(n);

    RunReport report = runOnThreads(ringOf(n, 10), [&](int r) {
      int64_t *send = first[r].data(), *receive = second[r].data();
      for (int s = 0; s < steps; ++s) {
        ++send[1];
        RingShift *shift =
            ringattn_shift_start(send, receive, blockBytes, offset);
        ringattn_shift_wait(shift);
        int64_t origin = floorMod(r - (s + 1) * offset, n);
        if (!holds(receive, origin, s + 1) && mismatch[r].empty())
          mismatch[r] = "rank " + std::to_string(r) + " after shift " +
                        std::to_string(s) + " holds origin " +
                        std::to_string(receive[0]) + " hops " +
                        std::to_string(receive[1]) + ", expected origin " +
                        std::to_string(origin);
        std::swap(send, receive);
      }
    });

    ASSERT_TRUE(report.ok) << report.error;
    ASSERT_EQ(report.ranks.size(), static_cast<size_t>(n));
    for (int r = 0; r < n; ++r) {
      EXPECT_TRUE(report.ranks[r].ok) << report.ranks[r].error;
      EXPECT_EQ(mismatch[r], "");
    }
    EXPECT_TRUE(report.spans.empty()) << "spans without options.trace";
  }
}

INSTANTIATE_TEST_SUITE_P(RingSizes, RingOrderTest,
                         ::testing::Values(1, 2, 3, 5, 8, 16));

// Two shifts in flight at once, waited in the order they were started.
TEST(ThreadsBackend, OverlappingShiftsMatchBySequence) {
  const int n = 3;
  std::vector<Block> a(n), b(n), gotA(n, Block(2 + payloadSize)),
      gotB(n, Block(2 + payloadSize));
  for (int r = 0; r < n; ++r) {
    a[r] = makeBlock(r);
    b[r] = makeBlock(r + 10);
  }
  RunReport report = runOnThreads(ringOf(n, 10), [&](int r) {
    RingShift *forward =
        ringattn_shift_start(a[r].data(), gotA[r].data(), blockBytes, 1);
    RingShift *backward =
        ringattn_shift_start(b[r].data(), gotB[r].data(), blockBytes, -1);
    ringattn_shift_wait(forward);
    ringattn_shift_wait(backward);
  });
  ASSERT_TRUE(report.ok) << report.error;
  for (int r = 0; r < n; ++r) {
    EXPECT_TRUE(holds(gotA[r].data(), floorMod(r - 1, n), 0)) << r;
    EXPECT_TRUE(holds(gotB[r].data(), floorMod(r + 1, n) + 10, 0)) << r;
    // Each rank reports the traffic it started: two shifts of a block.
    EXPECT_EQ(report.ranks[r].shifts, 2) << r;
    EXPECT_EQ(report.ranks[r].bytesSent, 2 * blockBytes) << r;
  }
}

//===----------------------------------------------------------------------===//
// Link model
//===----------------------------------------------------------------------===//

TEST(ThreadsBackend, TransferTakesAtLeastTheModelledTime) {
  const int n = 2;
  const int64_t bytes = 1 << 20;
  ThreadsOptions options = ringOf(n, 10);
  options.link.gbps = 0.2;
  options.link.latencyUs = 10000;
  const double modelled = 10000e-6 + bytes / (0.2e9 / 8); // ~52 ms
  std::vector<std::vector<char>> send(n, std::vector<char>(bytes, 1)),
      receive(n, std::vector<char>(bytes, 0));
  std::vector<double> elapsed(n);

  RunReport report = runOnThreads(options, [&](int r) {
    Clock::time_point begin = Clock::now();
    ringattn_shift_wait(
        ringattn_shift_start(send[r].data(), receive[r].data(), bytes, 1));
    elapsed[r] = secondsSince(begin);
  });

  ASSERT_TRUE(report.ok) << report.error;
  for (int r = 0; r < n; ++r) {
    // A deadline is rounded to the clock's tick, hence the microsecond.
    EXPECT_GE(elapsed[r], modelled - 1e-6) << "rank " << r;
    EXPECT_LT(elapsed[r], modelled + 2) << "rank " << r;
    EXPECT_EQ(receive[r], send[r]);
  }
}

/// One run of `steps` ring steps that each compute for `compute` seconds
/// while a shift of the same modelled length is in flight. Returns the
/// first step whose transfer does not lie at least half inside its compute
/// span (shift_start to shift_wait), or "" when every step overlaps.
/// Serialized, the transfer would begin when the compute ends and the two
/// would not intersect at all.
std::string firstStepWithoutOverlap(int n, int steps, double compute) {
  ThreadsOptions options = ringOf(n, 10);
  options.trace = true;
  options.link.gbps = 0.1;
  const int64_t bytes = static_cast<int64_t>(compute * 0.1e9 / 8);
  std::vector<std::vector<char>> send(n, std::vector<char>(bytes)),
      receive(n, std::vector<char>(bytes));

  Clock::time_point begin = Clock::now();
  RunReport report = runOnThreads(options, [&](int r) {
    for (int s = 0; s < steps; ++s) {
      RingShift *shift =
          ringattn_shift_start(send[r].data(), receive[r].data(), bytes, 1);
      computeFor(compute);
      ringattn_shift_wait(shift);
    }
  });
  double total = secondsSince(begin);

  EXPECT_TRUE(report.ok) << report.error;
  EXPECT_GE(total, steps * compute);
  for (const RankReport &rank : report.ranks) {
    EXPECT_GE(rank.busySeconds, steps * compute);
    EXPECT_LE(rank.busySeconds, rank.seconds);
  }
  std::map<std::pair<int, int64_t>, const Span *> computeSpans, transferSpans;
  for (const Span &span : report.spans)
    (span.kind == Span::Kind::Compute ? computeSpans
                                      : transferSpans)[{span.rank, span.step}] =
        &span;
  for (int r = 0; r < n; ++r)
    for (int64_t s = 0; s < steps; ++s) {
      const Span *work = computeSpans[{r, s}],
                 *transfer = transferSpans[{r, s}];
      if (!work || !transfer)
        return "rank " + std::to_string(r) + " step " + std::to_string(s) +
               ": no span traced";
      double overlapUs = std::min(work->endUs, transfer->endUs) -
                         std::max(work->beginUs, transfer->beginUs);
      if (overlapUs < 0.5 * compute * 1e6)
        return "rank " + std::to_string(r) + " step " + std::to_string(s) +
               ": compute [" + std::to_string(work->beginUs) + ", " +
               std::to_string(work->endUs) + "] us, transfer [" +
               std::to_string(transfer->beginUs) + ", " +
               std::to_string(transfer->endUs) + "] us";
    }
  return "";
}

// Each step's transfer runs while its rank computes, judged on the trace
// rather than on the total time. A loaded machine can deschedule a rank's
// peer for longer than a step, which delays that step's transfer however
// the runtime schedules it; so the property must hold in one of three runs.
// A runtime that serializes transfer and compute fails all three.
TEST(ThreadsBackend, ComputeOverlapsTransfers) {
  std::string failures;
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::string failure =
        firstStepWithoutOverlap(/*n=*/2, /*steps=*/3, /*compute=*/0.06);
    if (failure.empty())
      return;
    failures += "\n" + failure;
  }
  ADD_FAILURE() << "no run overlapped every step:" << failures;
}

/// CPU time of the calling thread.
double threadCpuSeconds() {
  timespec now;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return now.tv_sec + now.tv_nsec * 1e-9;
}

TEST(ThreadsBackend, BusyCpuTimeCountsWorkNotWaiting) {
  // Rank 0 burns 80 ms of its own CPU time between start and wait (however
  // long that takes on a loaded machine), rank 1 sleeps: both are "busy" on
  // the wall clock, only rank 0 on its CPU clock.
  std::vector<std::vector<char>> send(2, std::vector<char>(64)),
      receive(2, std::vector<char>(64));
  RunReport report = runOnThreads(ringOf(2, 10), [&](int r) {
    RingShift *shift =
        ringattn_shift_start(send[r].data(), receive[r].data(), 64, 1);
    if (r == 0) {
      double begin = threadCpuSeconds();
      while (threadCpuSeconds() - begin < 0.08) {
      }
    } else
      std::this_thread::sleep_for(std::chrono::milliseconds(80));
    ringattn_shift_wait(shift);
  });
  ASSERT_TRUE(report.ok) << report.error;
  EXPECT_GE(report.ranks[0].busyCpuSeconds, 0.08);
  EXPECT_LT(report.ranks[1].busyCpuSeconds, 0.03);
  EXPECT_GE(report.ranks[1].busySeconds, 0.08);
}

TEST(ThreadsBackend, DroppedTransfersSynchronizeWithoutMovingData) {
  ThreadsOptions options = ringOf(3, 10);
  options.dropTransfers = true;
  options.link.latencyUs = 2e6; // would take 2 s per shift if modelled
  std::vector<std::vector<char>> send(3, std::vector<char>(32, 'x')),
      receive(3, std::vector<char>(32, 'o'));
  Clock::time_point begin = Clock::now();
  RunReport report = runOnThreads(options, [&](int r) {
    for (int s = 0; s < 4; ++s)
      ringattn_shift_wait(
          ringattn_shift_start(send[r].data(), receive[r].data(), 32, 1));
  });
  ASSERT_TRUE(report.ok) << report.error;
  EXPECT_LT(secondsSince(begin), 1.0);
  for (const std::vector<char> &buffer : receive)
    EXPECT_EQ(std::string(buffer.begin(), buffer.end()), std::string(32, 'o'));
}

//===----------------------------------------------------------------------===//
// Failures
//===----------------------------------------------------------------------===//

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

TEST(ThreadsBackend, MissingPeerTimesOut) {
  const int n = 3;
  const double timeout = 0.3;
  std::vector<Block> send(n, makeBlock(0)), receive(n, makeBlock(0));

  Clock::time_point begin = Clock::now();
  // Rank 2 may be abandoned, and then outlives this frame: it copies what
  // it reads.
  RunReport report = runOnThreads(ringOf(n, timeout), [&send, &receive,
                                                       timeout](int r) {
    if (r == 2) { // never shifts
      std::this_thread::sleep_for(std::chrono::duration<double>(2 * timeout));
      return;
    }
    ringattn_shift_wait(
        ringattn_shift_start(send[r].data(), receive[r].data(), blockBytes, 1));
  });
  double elapsed = secondsSince(begin);

  EXPECT_LT(elapsed, 3.0);
  EXPECT_FALSE(report.ok);
  EXPECT_TRUE(report.error == "rank 0: timed out after 0.3 s waiting for "
                              "shift 0 (receive from rank 2, send to rank 1)" ||
              report.error == "rank 1: timed out after 0.3 s waiting for "
                              "shift 0 (receive from rank 0, send to rank 2)")
      << report.error;
  ASSERT_EQ(report.ranks.size(), 3u);
  for (const RankReport &rank : report.ranks) {
    EXPECT_FALSE(rank.ok);
    // Rank 2 either returns within the grace period (stopped) or not.
    EXPECT_TRUE(contains(rank.error, "timed out") ||
                contains(rank.error, "stopped because " + report.error) ||
                contains(rank.error, "did not stop"))
        << rank.error;
  }
}

TEST(ThreadsBackend, FailRankStopsTheRing) {
  const int n = 4, steps = 4;
  std::vector<Block> first(n, makeBlock(0)), second(n, makeBlock(0));

  Clock::time_point begin = Clock::now();
  RunReport report = runOnThreads(ringOf(n, 10), [&](int r) {
    for (int s = 0; s < steps; ++s) {
      if (r == 1 && s == 2)
        failRank("boom");
      ringattn_shift_wait(ringattn_shift_start(
          first[r].data(), second[r].data(), blockBytes, 1));
    }
  });

  EXPECT_LT(secondsSince(begin), 2.0) << "stops must not wait for timeouts";
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.error, "rank 1: boom");
  ASSERT_EQ(report.ranks.size(), 4u);
  for (int r = 0; r < n; ++r) {
    EXPECT_FALSE(report.ranks[r].ok);
    EXPECT_EQ(report.ranks[r].error,
              r == 1 ? "rank 1: boom"
                     : "rank " + std::to_string(r) +
                           ": stopped because rank 1: boom");
  }
}

// A rank unwound mid-run skips the compiled code's deallocations; its scratch
// is freed by the runtime (LeakSanitizer checks this in scripts/sanitize.sh).
TEST(ThreadsBackend, ScratchOfAFailedRankIsFreed) {
  const int n = 3;
  RunReport report = runOnThreads(ringOf(n, 10), [&](int r) {
    void *freedByTheCode = _mlir_memref_to_llvm_alloc(4096);
    _mlir_memref_to_llvm_free(freedByTheCode);
    void *leftBehind = _mlir_memref_to_llvm_aligned_alloc(64, 1 << 20);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(leftBehind) % 64, 0u);
    static_cast<char *>(leftBehind)[0] = 1;
    if (r == 1)
      failRank("boom");
    char block[16];
    ringattn_shift_wait(ringattn_shift_start(block, block + 8, 8, 1));
  });
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.error, "rank 1: boom");
}

// ASan and TSan stop on a too-large allocation before malloc can fail.
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
// Compiled code never sees a null buffer: a failed allocation stops the rank.
TEST(ThreadsBackend, FailedScratchAllocationStopsTheRank) {
  RunReport report = runOnThreads(ringOf(2, 10), [&](int r) {
    if (r == 0)
      _mlir_memref_to_llvm_alloc(uint64_t(1) << 62);
    char block[16];
    ringattn_shift_wait(ringattn_shift_start(block, block + 8, 8, 1));
  });
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.error, "rank 0: out of memory: the compiled code could not "
                          "allocate 4611686018427387904 bytes of scratch");
}
#endif

TEST(ThreadsBackend, RankThatNeverStopsIsAbandoned) {
  const int n = 3;
  const double timeout = 0.3;
  // Owned jointly with the body: the stuck rank outlives runOnThreads.
  auto release = std::make_shared<std::atomic<bool>>(false);
  auto exited = std::make_shared<std::atomic<bool>>(false);
  std::vector<Block> send(n, makeBlock(0)), receive(n, makeBlock(0));

  Clock::time_point begin = Clock::now();
  RunReport report = runOnThreads(ringOf(n, timeout), [&send, &receive, release,
                                                       exited](int r) {
    if (r == 0) { // a long computation that never calls the runtime
      while (!release->load())
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      exited->store(true);
      return;
    }
    if (r == 1) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      failRank("gave up");
    }
    ringattn_shift_wait(
        ringattn_shift_start(send[r].data(), receive[r].data(), blockBytes, 1));
  });
  double elapsed = secondsSince(begin);
  release->store(true);

  EXPECT_GE(elapsed, timeout);
  EXPECT_LT(elapsed, timeout + 1.5);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.error, "rank 1: gave up");
  ASSERT_EQ(report.ranks.size(), 3u);
  EXPECT_EQ(report.ranks[0].error,
            "rank 0: did not stop within 0.3 s after the ring failed");
  EXPECT_EQ(report.ranks[1].error, "rank 1: gave up");
  EXPECT_EQ(report.ranks[2].error, "rank 2: stopped because rank 1: gave up");

  // Let the detached rank finish before the next test starts.
  for (int i = 0; i < 2000 && !exited->load(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_TRUE(exited->load());
}

TEST(ThreadsBackend, ByteCountMismatchFailsTheReceiver) {
  const int n = 2;
  const int64_t bytes = 4096;
  std::vector<std::vector<char>> first(n, std::vector<char>(bytes)),
      second(n, std::vector<char>(bytes));

  RunReport report = runOnThreads(ringOf(n, 10), [&](int r) {
    for (int s = 0; s < 4; ++s) {
      int64_t size = (r == 0 && s == 3) ? bytes / 2 : bytes;
      ringattn_shift_wait(
          ringattn_shift_start(first[r].data(), second[r].data(), size, 1));
    }
  });

  EXPECT_FALSE(report.ok);
  // Whichever rank posts shift 3 second detects it, on its peer's side.
  const std::string toRank1 =
      "rank 1: shift 3 expects 4096 bytes but rank 0 sent 2048";
  const std::string toRank0 =
      "rank 0: shift 3 expects 2048 bytes but rank 1 sent 4096";
  ASSERT_TRUE(report.error == toRank1 || report.error == toRank0)
      << report.error;
  int failed = report.error == toRank1 ? 1 : 0;
  ASSERT_EQ(report.ranks.size(), 2u);
  EXPECT_EQ(report.ranks[failed].error, report.error);
  EXPECT_EQ(report.ranks[1 - failed].error,
            "rank " + std::to_string(1 - failed) + ": stopped because " +
                report.error);
}

TEST(ThreadsBackend, ReturningWithShiftsInFlightFails) {
  std::vector<Block> send(2, makeBlock(0)), receive(2, makeBlock(0));
  RunReport report = runOnThreads(ringOf(2, 10), [&](int r) {
    if (r == 0)
      ringattn_shift_start(send[r].data(), receive[r].data(), blockBytes, 1);
  });
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.error, "rank 0: returned with 1 shift(s) not waited");
}

TEST(ThreadsBackend, InvalidOptionsAreReported) {
  RunReport report = runOnThreads(ringOf(0, 1), [](int) {});
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.error, "runOnThreads: ranks must be at least 1 (got 0)");
}

//===----------------------------------------------------------------------===//
// Binding
//===----------------------------------------------------------------------===//

TEST(ThreadsBackend, RankAndSizeAreBoundPerThread) {
  const int n = 5;
  std::vector<int64_t> ranks(n, -1), sizes(n, -1);
  RunReport report = runOnThreads(ringOf(n, 10), [&](int r) {
    ranks[r] = ringattn_rank();
    sizes[r] = ringattn_size();
  });
  ASSERT_TRUE(report.ok) << report.error;
  for (int r = 0; r < n; ++r) {
    EXPECT_EQ(ranks[r], r);
    EXPECT_EQ(sizes[r], n);
  }
}

TEST(ThreadsBackendDeathTest, AbiOutsideARankAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(ringattn_rank(), "ringattn_rank called on a thread with no "
                                "rank bound");
  EXPECT_DEATH(failRank("x"), "failRank called on a thread");
}

//===----------------------------------------------------------------------===//
// Tracing
//===----------------------------------------------------------------------===//

TEST(ThreadsBackend, TraceRecordsComputeAndTransfers) {
  const int n = 2, steps = 2;
  const int64_t bytes = 4096;
  ThreadsOptions options = ringOf(n, 10);
  options.trace = true;
  options.link.latencyUs = 2000;
  std::vector<std::vector<char>> first(n, std::vector<char>(bytes)),
      second(n, std::vector<char>(bytes));

  RunReport report = runOnThreads(options, [&](int r) {
    for (int s = 0; s < steps; ++s) {
      RingShift *shift =
          ringattn_shift_start(first[r].data(), second[r].data(), bytes, 1);
      computeFor(0.001);
      ringattn_shift_wait(shift);
    }
  });
  ASSERT_TRUE(report.ok) << report.error;

  std::vector<int> computeSpans(n), transferSpans(n);
  for (const Span &span : report.spans) {
    ASSERT_GE(span.rank, 0);
    ASSERT_LT(span.rank, n);
    EXPECT_LE(span.beginUs, span.endUs);
    if (span.kind == Span::Kind::Compute) {
      ++computeSpans[span.rank];
      EXPECT_EQ(span.bytes, 0);
      continue;
    }
    EXPECT_EQ(span.step, transferSpans[span.rank]) << "in order per link";
    ++transferSpans[span.rank];
    EXPECT_EQ(span.bytes, bytes);
    EXPECT_GE(span.endUs - span.beginUs, 2000 - 1);
  }
  for (int r = 0; r < n; ++r) {
    EXPECT_EQ(computeSpans[r], steps + 1) << "one per shift plus the tail";
    EXPECT_EQ(transferSpans[r], steps);
  }

  std::string path = ::testing::TempDir() + "ringattn-threads-trace.json";
  std::string error;
  ASSERT_TRUE(writeChromeTrace(path, report.spans, error)) << error;
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::string json = text.str();
  std::remove(path.c_str());
  EXPECT_EQ(json.front(), '{');
  for (const char *part : {"\"traceEvents\": [", "\"displayTimeUnit\": \"ms\"",
                           "\"name\": \"compute step 1\", \"ph\": \"X\"",
                           "\"name\": \"send 4096 B step 1\", \"ph\": \"X\"",
                           "\"tid\": 1001", "\"args\": {\"name\": \"rank 0\"}",
                           "\"args\": {\"name\": \"copy engine 1\"}"})
    EXPECT_TRUE(contains(json, part)) << part << " not in\n" << json;
}

TEST(ThreadsBackend, UnwritableTraceNamesThePath) {
  std::string path = ::testing::TempDir() + "no-such-dir/trace.json";
  std::string error;
  EXPECT_FALSE(writeChromeTrace(path, {}, error));
  EXPECT_TRUE(contains(error, path)) << error;
}

} // namespace
