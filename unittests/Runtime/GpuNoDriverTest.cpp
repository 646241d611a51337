//===- GpuNoDriverTest.cpp - The GPU runtime where there is no GPU --------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Built to run with RINGATTN_CUDA_DRIVER and RINGATTN_NCCL_LIBRARY pointing
// at files that do not exist (GpuTestMain.cpp sets them): every entry point
// must say what is missing, and nothing may crash or hang.
//
//===----------------------------------------------------------------------===//

#include "GpuRuntimeWrappers.h"
#include "RingAttn/Runtime/GpuBackend.h"
#include "RingAttn/Runtime/NcclBackend.h"
#include "RingAttn/Runtime/RingRuntime.h"
#include "RingAttn/Runtime/ThreadsBackend.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace ringattn::runtime;
using ::testing::HasSubstr;
using ::testing::internal::CaptureStderr;
using ::testing::internal::GetCapturedStderr;

namespace {

const char *missingDriver = "cannot load the CUDA driver "
                            "/nonexistent/libcuda.so.1: ";

TEST(NoDriver, GpuIsUnavailableAndTheLibraryIsNamed) {
  std::string why;
  EXPECT_FALSE(gpuAvailable(why));
  EXPECT_THAT(why, HasSubstr(missingDriver));
  EXPECT_THAT(why, HasSubstr("a GPU backend needs an NVIDIA driver"));
  EXPECT_EQ(gpuDeviceName(), "");
}

TEST(NoDriver, OneGpuRunFailsBeforeRunningAnything) {
  GpuOptions options;
  options.ranks = 4;
  bool ran = false;
  RunReport report = runOnOneGpu(options, [&](int) { ran = true; });
  EXPECT_FALSE(report.ok);
  EXPECT_FALSE(ran);
  EXPECT_THAT(report.error, HasSubstr("runOnOneGpu: "));
  EXPECT_THAT(report.error, HasSubstr(missingDriver));
}

TEST(NoDriver, HostHelpersReportErrors) {
  std::string error;
  EXPECT_EQ(gpuAlloc(64, error), nullptr);
  EXPECT_THAT(error, HasSubstr("gpuAlloc: "));
  EXPECT_THAT(error, HasSubstr(missingDriver));
  char host[8] = {};
  error.clear();
  EXPECT_FALSE(gpuCopyToHost(host, host, sizeof(host), error));
  EXPECT_THAT(error, HasSubstr("gpuCopyToHost: "));
  error.clear();
  EXPECT_TRUE(gpuFree(nullptr, error)) << error;
}

// Outside a rank (a JIT's global constructor loading its module) the
// wrappers print and return null; later calls on that null say so.
TEST(NoDriver, WrappersPrintAndReturnNull) {
  CaptureStderr();
  char image[] = "not a cubin";
  CUmod_st *module = mgpuModuleLoad(image, sizeof(image));
  CUfunc_st *function = mgpuModuleGetFunction(module, "kernel");
  mgpuLaunchKernel(function, 1, 1, 1, 1, 1, 1, 0, nullptr, nullptr, nullptr, 0);
  CUstream_st *stream = mgpuStreamCreate();
  void *memory = mgpuMemAlloc(64, stream, false);
  mgpuMemFree(memory, stream);
  mgpuStreamDestroy(stream);
  mgpuModuleUnload(module);
  std::string printed = GetCapturedStderr();
  EXPECT_EQ(module, nullptr);
  EXPECT_EQ(function, nullptr);
  EXPECT_EQ(stream, nullptr);
  EXPECT_EQ(memory, nullptr);
  EXPECT_THAT(printed, HasSubstr("ringattn: mgpuModuleLoad: cannot load the "
                                 "CUDA driver /nonexistent/libcuda.so.1"));
  EXPECT_THAT(printed, HasSubstr("ringattn: mgpuModuleGetFunction(\"kernel\"): "
                                 "no GPU module: loading it failed earlier"));
  EXPECT_THAT(printed, HasSubstr("ringattn: mgpuLaunchKernel: no kernel: "
                                 "looking it up failed earlier"));
  EXPECT_THAT(printed, HasSubstr("ringattn: mgpuStreamCreate: "));
  EXPECT_THAT(printed, HasSubstr("ringattn: mgpuMemAlloc: "));
}

// Inside a rank the same failure fails the rank like any runtime failure.
TEST(NoDriver, WrapperFailureInsideARankFailsTheRing) {
  ThreadsOptions options;
  options.ranks = 2;
  options.timeoutSeconds = 5;
  RunReport report = runOnThreads(options, [](int rank) {
    if (rank == 1)
      mgpuStreamCreate();
    char buffer[8];
    ringattn_shift_wait(ringattn_shift_start(buffer, buffer, 8, 1));
  });
  EXPECT_FALSE(report.ok);
  ASSERT_EQ(report.ranks.size(), 2u);
  EXPECT_THAT(report.ranks[1].error,
              HasSubstr("rank 1: mgpuStreamCreate: cannot load the CUDA "
                        "driver /nonexistent/libcuda.so.1"));
  EXPECT_THAT(report.ranks[0].error, HasSubstr("rank 0: stopped because "
                                               "rank 1: mgpuStreamCreate"));
}

TEST(NoDriver, NcclRunNamesTheMissingLibrary) {
  NcclOptions options;
  bool ran = false;
  RankReport report = runOnNccl(options, [&](int) { ran = true; });
  EXPECT_FALSE(report.ok);
  EXPECT_FALSE(ran);
  EXPECT_THAT(
      report.error,
      HasSubstr("rank 0: cannot load NCCL /nonexistent/libnccl.so.2: "));
  EXPECT_THAT(report.error, HasSubstr("(from RINGATTN_NCCL_LIBRARY)"));
}

TEST(NoDriver, NcclOptionsAreValidatedFirst) {
  NcclOptions options;
  options.size = 2;
  options.rank = 1;
  RankReport report = runOnNccl(options, [](int) {});
  EXPECT_EQ(report.error, "rank 1: runOnNccl: a ring of more than one rank "
                          "needs exchangeUniqueId to share rank 0's NCCL "
                          "unique id");
  options.rank = 2;
  report = runOnNccl(options, [](int) {});
  EXPECT_EQ(report.error, "rank 2: runOnNccl: rank 2 is not in [0, 2)");
}

} // namespace
