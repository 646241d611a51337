//===- GpuRuntimeWrappersTest.cpp - The mgpu* ABI on the fake driver ------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Outside any rank, as a JIT's global constructors and plain GPU programs
// call them: results are checked and failures printed, never crashing.
//
//===----------------------------------------------------------------------===//

#include "GpuRuntimeWrappers.h"
#include "GpuTestSupport.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>

using ringattn::testing::fakeControl;
using ::testing::HasSubstr;
using ::testing::internal::CaptureStderr;
using ::testing::internal::GetCapturedStderr;

namespace {

TEST(GpuWrappers, MemoryRoundTripOnAStream) {
  CUstream_st *stream = mgpuStreamCreate();
  ASSERT_NE(stream, nullptr);
  constexpr size_t count = 100;
  auto *device =
      static_cast<uint32_t *>(mgpuMemAlloc(count * 4, stream, false));
  ASSERT_NE(device, nullptr);
  mgpuMemset32(device, 0xdeadbeef, count, stream);
  uint32_t host[count] = {};
  mgpuMemcpy(host, device, sizeof(host), stream);
  CUevent_st *event = mgpuEventCreate();
  mgpuEventRecord(event, stream);
  mgpuEventSynchronize(event);
  mgpuStreamWaitEvent(stream, event);
  mgpuStreamSynchronize(stream);
  for (uint32_t value : host)
    EXPECT_EQ(value, 0xdeadbeefu);
  mgpuMemset16(device, 0x1234, 2 * count, stream);
  mgpuMemcpy(host, device, sizeof(host), stream);
  EXPECT_EQ(host[0], 0x12341234u);
  mgpuEventDestroy(event);
  mgpuMemFree(device, stream);
  mgpuStreamDestroy(stream);
}

TEST(GpuWrappers, EmptyAndHostSharedAllocations) {
  CaptureStderr();
  EXPECT_EQ(mgpuMemAlloc(0, nullptr, false), nullptr);
  void *shared = mgpuMemAlloc(16, nullptr, true);
  EXPECT_NE(shared, nullptr);
  mgpuMemFree(shared, nullptr);
  mgpuMemFree(nullptr, nullptr);
  EXPECT_EQ(GetCapturedStderr(), "");
}

TEST(GpuWrappers, HostRegistrationOfAMemRef) {
  float data[2][3] = {};
  struct {
    void *allocated;
    void *aligned;
    int64_t offset;
    int64_t sizes[2];
    int64_t strides[2];
  } descriptor = {data, data, 0, {2, 3}, {3, 1}};
  CaptureStderr();
  mgpuMemHostRegisterMemRef(2, &descriptor, sizeof(float));
  mgpuMemHostUnregisterMemRef(2, &descriptor, sizeof(float));
  EXPECT_EQ(GetCapturedStderr(), "");
}

TEST(GpuWrappers, ModuleErrorsArePrintedWithTheDriversWords) {
  CaptureStderr();
  char bad[] = "not a cubin";
  EXPECT_EQ(mgpuModuleLoad(bad, sizeof(bad)), nullptr);
  EXPECT_EQ(mgpuModuleLoadJIT(bad, 2), nullptr);
  char good[] = "FAKE ptx";
  CUmod_st *module = mgpuModuleLoadJIT(good, 2);
  EXPECT_NE(module, nullptr);
  EXPECT_EQ(mgpuModuleGetFunction(module, "missing"), nullptr);
  mgpuModuleUnload(module);
  std::string printed = GetCapturedStderr();
  EXPECT_THAT(printed, HasSubstr("ringattn: CUDA error in cuModuleLoadData: "
                                 "CUDA_ERROR_INVALID_IMAGE: device kernel "
                                 "image is invalid\n"));
  EXPECT_THAT(printed, HasSubstr("ringattn: CUDA error in cuModuleLoadDataEx: "
                                 "CUDA_ERROR_INVALID_IMAGE: device kernel "
                                 "image is invalid (compiling PTX); the JIT "
                                 "said: fake ptxas: line 1: not PTX\n"));
  EXPECT_THAT(printed, HasSubstr("ringattn: CUDA error in cuModuleGetFunction: "
                                 "CUDA_ERROR_NOT_FOUND: named symbol not "
                                 "found\n"));
}

TEST(GpuWrappers, LargeSharedMemoryIsOptedIntoUpToTheDeviceLimit) {
  char image[] = "FAKE cubin";
  CUmod_st *module = mgpuModuleLoad(image, sizeof(image));
  CUfunc_st *fill = mgpuModuleGetFunction(module, "fill");
  ASSERT_NE(fill, nullptr);
  auto lastShared = fakeControl<int (*)()>(RINGATTN_FAKE_CUDA_PATH,
                                           "fakeCudaLastDynamicSharedBytes");
  float value = 0;
  float *dst = &value;
  int64_t count = 1;
  float fillWith = 2;
  void *params[] = {&dst, &count, &fillWith};
  CaptureStderr();
  // Above 48 KiB the kernel must opt in; the fake refuses a launch that
  // did not.
  mgpuLaunchKernel(fill, 1, 1, 1, 1, 1, 1, 100 * 1024, nullptr, params, nullptr,
                   3);
  EXPECT_EQ(lastShared(), 100 * 1024);
  EXPECT_EQ(value, 2);
  mgpuLaunchKernel(fill, 1, 1, 1, 1, 1, 1, 300 * 1024, nullptr, params, nullptr,
                   3);
  EXPECT_EQ(GetCapturedStderr(),
            "ringattn: mgpuLaunchKernel: the kernel asks for 307200 bytes of "
            "dynamic shared memory; device 0 allows at most 232448\n");
  mgpuModuleUnload(module);
}

TEST(GpuWrappers, ImpossibleLaunchIsReported) {
  char image[] = "FAKE cubin";
  CUmod_st *module = mgpuModuleLoad(image, sizeof(image));
  CUfunc_st *fill = mgpuModuleGetFunction(module, "fill");
  CaptureStderr();
  mgpuLaunchKernel(fill, 4, 0, 1, 128, 1, 1, 0, nullptr, nullptr, nullptr, 0);
  EXPECT_EQ(GetCapturedStderr(),
            "ringattn: mgpuLaunchKernel: grid 4 x 0 x 1 of blocks 128 x 1 x 1 "
            "is not a launch the driver can take\n");
  mgpuModuleUnload(module);
}

TEST(GpuWrappers, SelectingAMissingDeviceIsReported) {
  mgpuSetDefaultDevice(3);
  CaptureStderr();
  EXPECT_EQ(mgpuStreamCreate(), nullptr);
  std::string printed = GetCapturedStderr();
  mgpuSetDefaultDevice(0);
  EXPECT_EQ(printed, "ringattn: mgpuStreamCreate: CUDA device 3 is selected "
                     "but the driver found 1 device(s)\n");
  CUstream_st *stream = mgpuStreamCreate();
  EXPECT_NE(stream, nullptr);
  mgpuStreamDestroy(stream);
}

} // namespace
