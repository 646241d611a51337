//===- EmbeddingGpuTest.cpp - GPU entries called through a context --------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// An entry compiled for the GPU, called through an embedding context on the
// fake CUDA driver: it queues its work on the caller's stream, its device
// scratch is the context's workspace, and its shifts hand device pointers to
// the caller's transport. The entry is a C function that calls the mgpu*
// wrappers and the ring ABI the way ring-lower-nvvm's host code does.
//
//===----------------------------------------------------------------------===//

#include "RingAttn/Runtime/Embedding.h"
#include "RingAttn/Runtime/RingRuntime.h"

#include "EmbeddingTestSupport.h"
#include "GpuTestSupport.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <thread>
#include <vector>

using ringattn::testing::fakeControl;
using ringattn::testing::FakeFillKernel;
using ringattn::testing::liveDeviceAllocations;
using ringattn::testing::ThreadHub;
using ::testing::HasSubstr;

namespace {

/// A rank-1 memref descriptor of floats, as the C interface passes it.
struct FloatMemRef {
  float *allocated, *aligned;
  int64_t offset, size, stride;
};

const FakeFillKernel *fillKernel = nullptr;
/// The stream each rank's entry got from mgpuStreamCreate.
thread_local CUstream_st *entryStream = nullptr;

/// Fills device scratch with rank + 1 on the rank's stream, then shifts it
/// into the operand of the next rank (the host waits for the stream before
/// a shift, as gpu-async-region's code does).
extern "C" void fillAndShiftEntry(void *operand) {
  auto *out = static_cast<FloatMemRef *>(operand);
  int64_t bytes = out->size * static_cast<int64_t>(sizeof(float));
  CUstream_st *stream = mgpuStreamCreate();
  entryStream = stream;
  void *scratch = mgpuMemAlloc(static_cast<uint64_t>(bytes), stream, false);
  fillKernel->launch(scratch, out->size, float(ringattn_rank() + 1));
  mgpuStreamSynchronize(stream);
  RingShift *shift = ringattn_shift_start(scratch, out->aligned, bytes, 1);
  ringattn_shift_wait(shift);
  mgpuMemFree(scratch, stream);
  mgpuStreamDestroy(stream);
}

/// A context of rank `rank` of `size` on the caller's `stream`.
struct GpuContext : ringattn::testing::ScopedContext {
  GpuContext(int64_t rank, int64_t size, const ringattn_transport *transport,
             void *stream)
      : ScopedContext({rank, size, transport, 10.0, stream}) {}
};

TEST(EmbeddingGpu, RingOfTwoRunsOnTheCallersStreamsAndKeepsDeviceScratch) {
  constexpr int64_t ranks = 2, count = 1000;
  FakeFillKernel kernel;
  fillKernel = &kernel;
  int liveBefore = liveDeviceAllocations();
  ThreadHub hub(ranks);
  std::vector<ringattn_transport> transports;
  std::vector<CUstream_st *> callerStreams;
  std::vector<std::unique_ptr<GpuContext>> contexts;
  for (int64_t r = 0; r < ranks; ++r) {
    transports.push_back(hub.transportOf(r));
    callerStreams.push_back(mgpuStreamCreate()); // outside a rank: a new one
  }
  for (int64_t r = 0; r < ranks; ++r)
    contexts.push_back(std::make_unique<GpuContext>(r, ranks, &transports[r],
                                                    callerStreams[r]));
  std::vector<std::vector<float>> outputs(ranks,
                                          std::vector<float>(count, 0.0f));
  std::vector<ringattn_status> status(ranks);
  std::vector<CUstream_st *> streamsSeen(ranks);
  std::vector<int> liveAfterFirst(ranks);
  std::vector<std::thread> threads;
  for (int64_t r = 0; r < ranks; ++r)
    threads.emplace_back([&, r] {
      FloatMemRef out{outputs[r].data(), outputs[r].data(), 0, count, 1};
      void *operands[] = {&out};
      for (int call = 0; call < 3; ++call)
        status[r] = ringattn_context_invoke(
            contexts[r]->context, (void *)&fillAndShiftEntry, 1, operands);
      streamsSeen[r] = entryStream;
    });
  for (std::thread &thread : threads)
    thread.join();
  for (int64_t r = 0; r < ranks; ++r) {
    ASSERT_EQ(status[r], RINGATTN_OK)
        << ringattn_context_error(contexts[r]->context);
    EXPECT_EQ(streamsSeen[r], callerStreams[r]);
    // Rank r received what rank r - 1 filled in.
    float expected = float((r + ranks - 1) % ranks + 1);
    EXPECT_EQ(outputs[r], std::vector<float>(count, expected));
    ringattn_workspace_stats stats =
        ringattn_context_workspace(contexts[r]->context);
    EXPECT_EQ(stats.device_allocations, 1u) << "a later call allocated";
    EXPECT_EQ(stats.device_bytes_held, count * sizeof(float));
  }
  // Each context holds its one block; destroying them frees both, and the
  // compiled code's mgpuStreamDestroy left the callers' streams alone.
  EXPECT_EQ(liveDeviceAllocations(), liveBefore + ranks);
  contexts.clear();
  EXPECT_EQ(liveDeviceAllocations(), liveBefore);
  for (CUstream_st *stream : callerStreams)
    mgpuStreamDestroy(stream);
}

TEST(EmbeddingGpu, AFailedDeviceAllocationFailsTheCallWithTheDriversWords) {
  FakeFillKernel kernel;
  fillKernel = &kernel;
  CUstream_st *stream = mgpuStreamCreate();
  GpuContext context(0, 1, nullptr, stream);
  ASSERT_EQ(context.status, RINGATTN_OK) << context.message;
  fakeControl<void (*)(const char *, int)>(RINGATTN_FAKE_CUDA_PATH,
                                           "fakeCudaFailNext")(
      "cuMemAlloc", 1); // CUDA_ERROR_INVALID_VALUE
  std::vector<float> data(16);
  FloatMemRef out{data.data(), data.data(), 0, 16, 1};
  void *operands[] = {&out};
  EXPECT_EQ(ringattn_context_invoke(context.context, (void *)&fillAndShiftEntry,
                                    1, operands),
            RINGATTN_CALL_FAILED);
  EXPECT_THAT(ringattn_context_error(context.context),
              HasSubstr("rank 0: CUDA error in cuMemAlloc: "
                        "CUDA_ERROR_INVALID_VALUE"));
  // The next call allocates and runs.
  EXPECT_EQ(ringattn_context_invoke(context.context, (void *)&fillAndShiftEntry,
                                    1, operands),
            RINGATTN_OK)
      << ringattn_context_error(context.context);
  EXPECT_EQ(data, std::vector<float>(16, 1.0f));
  mgpuStreamDestroy(stream);
}

} // namespace
