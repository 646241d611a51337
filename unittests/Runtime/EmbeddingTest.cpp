//===- EmbeddingTest.cpp - Compiled entries called through a context ------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The entries here are plain C functions that call the runtime's C ABI the
// way compiled code does; the transport is a test double that moves the
// bytes between threads of this process, as a framework's communicator
// would between processes.
//
//===----------------------------------------------------------------------===//

#include "RingAttn/Runtime/Embedding.h"
#include "RingAttn/Runtime/RingRuntime.h"

#include "EmbeddingTestSupport.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

using Context = ringattn::testing::ScopedContext;
using ringattn::testing::ThreadHub;

/// The operand of the test entries: a buffer of int64.
struct Buffer {
  int64_t *data;
  int64_t count;
};

/// Like a compiled ring step: sends the buffer to the next rank through a
/// scratch receive buffer and takes the previous rank's.
extern "C" void rotateEntry(void *operand) {
  auto *buffer = static_cast<Buffer *>(operand);
  int64_t bytes = buffer->count * static_cast<int64_t>(sizeof(int64_t));
  void *received = _mlir_memref_to_llvm_aligned_alloc(64, bytes);
  RingShift *shift = ringattn_shift_start(buffer->data, received, bytes, 1);
  ringattn_shift_wait(shift);
  std::memcpy(buffer->data, received, static_cast<size_t>(bytes));
  _mlir_memref_to_llvm_free(received);
}

/// Reports a mismatched operand, as ring-check-entry-operands does.
extern "C" void badOperandEntry(void *) {
  (void)_mlir_memref_to_llvm_alloc(100); // left for the context to keep
  ringattn_bad_operand(0, 2, 8, 4, 16, 16);
}

#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
/// Asks for more memory than any machine has.
extern "C" void hugeAllocationEntry(void *) {
  (void)_mlir_memref_to_llvm_alloc(uint64_t(1) << 62);
}
#endif

ringattn_context_options optionsFor(int64_t rank, int64_t size,
                                    const ringattn_transport *transport,
                                    double timeoutSeconds = 10) {
  return ringattn_context_options{rank, size, transport, timeoutSeconds,
                                  /*stream=*/nullptr};
}

std::vector<int64_t> valuesOf(int64_t rank, int64_t count) {
  std::vector<int64_t> values(count);
  for (int64_t i = 0; i < count; ++i)
    values[i] = rank * 1000003 + i;
  return values;
}

/// Calls rotateEntry once through `context` on 8 values of `rank`.
ringattn_status rotateOnce(const Context &context, int64_t rank) {
  std::vector<int64_t> data = valuesOf(rank, 8);
  Buffer buffer{data.data(), 8};
  void *operands[] = {&buffer};
  return ringattn_context_invoke(context.context, (void *)&rotateEntry, 1,
                                 operands);
}

TEST(Embedding, RingOfThreeRotatesAndReusesItsWorkspace) {
  constexpr int64_t ranks = 3, count = 4099;
  ThreadHub hub(ranks);
  std::vector<ringattn_transport> transports;
  for (int64_t r = 0; r < ranks; ++r)
    transports.push_back(hub.transportOf(r));
  std::vector<std::unique_ptr<Context>> contexts;
  for (int64_t r = 0; r < ranks; ++r)
    contexts.push_back(
        std::make_unique<Context>(optionsFor(r, ranks, &transports[r])));
  std::vector<std::vector<int64_t>> data;
  for (int64_t r = 0; r < ranks; ++r)
    data.push_back(valuesOf(r, count));
  std::vector<ringattn_status> status(ranks);
  std::vector<ringattn_workspace_stats> afterFirst(ranks);
  std::vector<std::thread> threads;
  for (int64_t r = 0; r < ranks; ++r)
    threads.emplace_back([&, r] {
      Buffer buffer{data[r].data(), count};
      void *operands[] = {&buffer};
      for (int call = 0; call < 3; ++call) {
        status[r] = ringattn_context_invoke(contexts[r]->context,
                                            (void *)&rotateEntry, 1, operands);
        if (call == 0)
          afterFirst[r] = ringattn_context_workspace(contexts[r]->context);
      }
    });
  for (std::thread &thread : threads)
    thread.join();
  for (int64_t r = 0; r < ranks; ++r) {
    EXPECT_EQ(status[r], RINGATTN_OK)
        << ringattn_context_error(contexts[r]->context);
    // Three rotations by one on a ring of three: every rank has its own.
    EXPECT_EQ(data[r], valuesOf(r, count));
    ringattn_workspace_stats stats =
        ringattn_context_workspace(contexts[r]->context);
    EXPECT_EQ(afterFirst[r].system_allocations, 1u);
    EXPECT_EQ(stats.system_allocations, 1u) << "a later call allocated";
    EXPECT_EQ(stats.bytes_held, count * sizeof(int64_t));
  }
}

TEST(Embedding, OneRankShiftsToItselfWithoutATransport) {
  Context context(optionsFor(0, 1, nullptr));
  ASSERT_EQ(context.status, RINGATTN_OK) << context.message;
  std::vector<int64_t> data = valuesOf(5, 33);
  Buffer buffer{data.data(), 33};
  void *operands[] = {&buffer};
  EXPECT_EQ(ringattn_context_invoke(context.context, (void *)&rotateEntry, 1,
                                    operands),
            RINGATTN_OK);
  EXPECT_EQ(data, valuesOf(5, 33));
  EXPECT_STREQ(ringattn_context_error(context.context), "");
}

TEST(Embedding, CreateSaysWhichOptionIsWrong) {
  ringattn_transport none{nullptr, nullptr, nullptr};
  struct Case {
    ringattn_context_options options;
    const char *message;
  } cases[] = {
      {optionsFor(0, 0, nullptr), "the ring size must be at least 1 (got 0)"},
      {optionsFor(2, 2, nullptr), "rank 2 is not in [0, 2), the ring's ranks"},
      {optionsFor(-1, 2, nullptr),
       "rank -1 is not in [0, 2), the ring's ranks"},
      {optionsFor(0, 1, nullptr, 0), "the timeout must be positive (got 0 s)"},
      {optionsFor(0, 2, nullptr),
       "a ring of 2 ranks needs a transport with start and wait functions"},
      {optionsFor(0, 2, &none),
       "a ring of 2 ranks needs a transport with start and wait functions"},
  };
  for (const Case &c : cases) {
    Context context(c.options);
    EXPECT_EQ(context.status, RINGATTN_INVALID_ARGUMENT);
    EXPECT_EQ(context.context, nullptr);
    EXPECT_EQ(context.message, c.message);
  }
  char error[64];
  EXPECT_EQ(ringattn_context_create(nullptr, nullptr, error, sizeof(error)),
            RINGATTN_INVALID_ARGUMENT);
  EXPECT_STREQ(error, "no place for the context given");
}

TEST(Embedding, InvokeSaysWhatIsWrongWithTheCall) {
  Context context(optionsFor(0, 1, nullptr));
  Buffer buffer{nullptr, 0};
  void *operands[] = {&buffer, nullptr};
  struct Case {
    void *entry;
    int64_t numOperands;
    void *const *operands;
    const char *message;
  } cases[] = {
      {nullptr, 1, operands, "the entry is null"},
      {(void *)&rotateEntry, 17, operands,
       "an entry takes 0 to 16 operands (got 17)"},
      {(void *)&rotateEntry, 1, nullptr, "the operands are null"},
      {(void *)&rotateEntry, 2, operands, "operand 1 is null"},
  };
  for (const Case &c : cases) {
    EXPECT_EQ(ringattn_context_invoke(context.context, c.entry, c.numOperands,
                                      c.operands),
              RINGATTN_INVALID_ARGUMENT);
    EXPECT_STREQ(ringattn_context_error(context.context), c.message);
  }
  EXPECT_EQ(ringattn_context_invoke(nullptr, (void *)&rotateEntry, 1, operands),
            RINGATTN_INVALID_ARGUMENT);
  EXPECT_STREQ(ringattn_context_error(nullptr), "no context given");
}

TEST(Embedding, AFailedStartStopsTheCallWithTheTransportsMessage) {
  ThreadHub hub(2);
  hub.failStart = "the peer's connection was closed";
  ringattn_transport transport = hub.transportOf(0);
  Context context(optionsFor(0, 2, &transport));
  EXPECT_EQ(rotateOnce(context, 0), RINGATTN_TRANSPORT_FAILED);
  EXPECT_STREQ(ringattn_context_error(context.context),
               "rank 0: could not start shift 0 (send to rank 1, receive from "
               "rank 1): the peer's connection was closed");
  // The unwound call's scratch is kept for the next call, not leaked.
  EXPECT_EQ(ringattn_context_workspace(context.context).bytes_held,
            8 * sizeof(int64_t));
}

/// A transport that fails every start and says nothing.
int silentStart(void *, const void *, void *, int64_t, int64_t, int64_t,
                int64_t, void **, char *, size_t) {
  return 1;
}
int neverWait(void *, void *, double, char *, size_t) { return 1; }

TEST(Embedding, ATransportFailureWithoutAMessageIsStillExplained) {
  ringattn_transport transport{nullptr, &silentStart, &neverWait};
  Context context(optionsFor(1, 2, &transport));
  EXPECT_EQ(rotateOnce(context, 1), RINGATTN_TRANSPORT_FAILED);
  EXPECT_STREQ(ringattn_context_error(context.context),
               "rank 1: could not start shift 0 (send to rank 0, receive from "
               "rank 0): the transport gave no reason");
}

TEST(Embedding, AWaitPastTheTimeoutStopsTheCall) {
  ThreadHub hub(3);
  ringattn_transport transport = hub.transportOf(1);
  Context context(optionsFor(1, 3, &transport, 0.05));
  EXPECT_EQ(rotateOnce(context, 1), RINGATTN_TRANSPORT_FAILED);
  EXPECT_STREQ(ringattn_context_error(context.context),
               "rank 1: failed waiting for shift 0 (send to rank 2, receive "
               "from rank 0): timed out after 0.05 s");
}

TEST(Embedding, ABadOperandStopsTheCallWithItsMessage) {
  Context context(optionsFor(0, 1, nullptr));
  Buffer buffer{nullptr, 0};
  void *operands[] = {&buffer};
  for (int call = 0; call < 2; ++call) {
    EXPECT_EQ(ringattn_context_invoke(context.context, (void *)&badOperandEntry,
                                      1, operands),
              RINGATTN_CALL_FAILED);
    EXPECT_STREQ(ringattn_context_error(context.context),
                 "rank 0: entry operand 0 has size 4 and stride 16 in "
                 "dimension 2, but the entry was compiled for size 8 and "
                 "stride 16 (the caller's buffers do not match the module's "
                 "types or its ring.abi)");
  }
  // What the unwound calls allocated is kept, once.
  EXPECT_EQ(ringattn_context_workspace(context.context).system_allocations, 1u);
}

// ASan and TSan stop on a too-large allocation before malloc can fail.
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
TEST(Embedding, AnAllocationThatFailsStopsTheCall) {
  Context context(optionsFor(0, 1, nullptr));
  Buffer buffer{nullptr, 0};
  void *operands[] = {&buffer};
  EXPECT_EQ(ringattn_context_invoke(context.context,
                                    (void *)&hugeAllocationEntry, 1, operands),
            RINGATTN_CALL_FAILED);
  EXPECT_STREQ(ringattn_context_error(context.context),
               "rank 0: out of memory: the compiled code could not allocate "
               "4611686018427387904 bytes of scratch");
}
#endif

/// An entry that calls back into a context, as a confused caller might.
ringattn_context *innerContext = nullptr;
ringattn_status innerStatus = RINGATTN_OK;
extern "C" void nestedEntry(void *operand) {
  void *operands[] = {operand};
  innerStatus =
      ringattn_context_invoke(innerContext, (void *)&rotateEntry, 1, operands);
}

TEST(Embedding, ACallFromInsideACallIsRefused) {
  Context outer(optionsFor(0, 1, nullptr)), inner(optionsFor(0, 1, nullptr));
  innerContext = inner.context;
  Buffer buffer{nullptr, 0};
  void *operands[] = {&buffer};
  EXPECT_EQ(
      ringattn_context_invoke(outer.context, (void *)&nestedEntry, 1, operands),
      RINGATTN_OK);
  EXPECT_EQ(innerStatus, RINGATTN_INVALID_ARGUMENT);
  EXPECT_STREQ(ringattn_context_error(inner.context),
               "this thread is already running a rank (a call from inside a "
               "compiled entry or a backend's rank)");
}

} // namespace
