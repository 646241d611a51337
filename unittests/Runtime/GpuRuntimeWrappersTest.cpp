//===- GpuRuntimeWrappersTest.cpp - The mgpu* ABI on the fake driver ------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Outside any rank, as a JIT's global constructors and plain GPU programs
// call them: results are checked and failures printed, never crashing.
//
//===----------------------------------------------------------------------===//

#include "GpuRuntimeWrappers.h"
#include "FakeTensorMap.h"
#include "GpuTestSupport.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>

using ringattn::testing::deviceAllocationsMade;
using ringattn::testing::fakeControl;
using ringattn::testing::FakeTensorMap;
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

/// A [batch, heads, rows, head_dim] memref of bf16 over `data`, as
/// nvgpu.tma.create.descriptor passes its ranked descriptor.
struct ActivationDescriptor {
  void *allocated, *aligned;
  int64_t offset, sizes[4], strides[4];
};

// cuda.h's CUtensorMapDataType BFLOAT16, CU_TENSOR_MAP_SWIZZLE_128B,
// CU_TENSOR_MAP_L2_PROMOTION_L2_128B.
constexpr int64_t kBFloat16 = 9, kSwizzle128B = 3, kL2Promotion128B = 2;

void *encode(ActivationDescriptor &descriptor, const int64_t (&box)[4]) {
  return mgpuTensorMapEncodeTiledMemref(4, &descriptor, kBFloat16,
                                        /*interleave=*/0, kSwizzle128B,
                                        kL2Promotion128B, /*oobFill=*/0, box);
}

TEST(GpuWrappers, TensorMapsAreMadeOnceAtTheMemRefsOffset) {
  alignas(64) static uint16_t data[2 * 3 * 40 * 64];
  // Batch 1 of two: the view starts 3 x 40 x 64 elements in.
  ActivationDescriptor view = {
      data, data, 3 * 40 * 64, {1, 3, 40, 64}, {3 * 40 * 64, 40 * 64, 64, 1}};
  const int64_t box[4] = {1, 1, 32, 64};
  CaptureStderr();
  void *map = encode(view, box);
  ASSERT_NE(map, nullptr);
  // Counted once the first call has loaded the driver.
  const int allocations = deviceAllocationsMade();
  // The fake's device memory is host memory.
  FakeTensorMap encoded;
  std::memcpy(&encoded, map, sizeof(encoded));
  EXPECT_EQ(encoded.address, reinterpret_cast<uintptr_t>(data + view.offset));
  EXPECT_EQ(encoded.rank, 4u);
  EXPECT_EQ(encoded.dataType, kBFloat16);
  EXPECT_EQ(encoded.swizzle, kSwizzle128B);
  EXPECT_EQ(encoded.l2Promotion, kL2Promotion128B);
  EXPECT_EQ(encoded.oobFill, 0u);
  // Innermost first; byte strides of dimensions 1 to 3.
  EXPECT_THAT(encoded.dims, ::testing::ElementsAre(64, 40, 3, 1, 0));
  EXPECT_THAT(encoded.strides,
              ::testing::ElementsAre(128, 40 * 128, 3 * 40 * 128, 0));
  EXPECT_THAT(encoded.box, ::testing::ElementsAre(64, 32, 1, 1, 0));

  // The same map again is the same device copy; another is another.
  EXPECT_EQ(encode(view, box), map);
  EXPECT_EQ(deviceAllocationsMade(), allocations);
  view.offset = 0;
  void *other = encode(view, box);
  EXPECT_NE(other, nullptr);
  EXPECT_NE(other, map);
  EXPECT_EQ(deviceAllocationsMade(), allocations + 1);
  EXPECT_EQ(GetCapturedStderr(), "");
}

TEST(GpuWrappers, TensorMapsTmaCannotReadAreReported) {
  alignas(64) static uint16_t data[2 * 40 * 72];
  const int64_t box[4] = {1, 1, 32, 64};
  auto failure = [&](ActivationDescriptor view, const int64_t (&box)[4]) {
    CaptureStderr();
    EXPECT_EQ(encode(view, box), nullptr);
    return GetCapturedStderr();
  };
  // One element in: not 16-byte aligned.
  EXPECT_THAT(
      failure({data, data, 1, {1, 2, 40, 64}, {80 * 64, 40 * 64, 64, 1}}, box),
      HasSubstr("innermost stride 1: TMA needs a 16-byte aligned start and "
                "contiguous rows\n"));
  EXPECT_THAT(
      failure({data, data, 0, {1, 2, 40, 32}, {80 * 64, 40 * 64, 64, 2}}, box),
      HasSubstr("innermost stride 2: TMA needs"));
  // Rows 65 elements (130 bytes) apart.
  EXPECT_THAT(
      failure({data, data, 0, {1, 2, 40, 64}, {80 * 65, 40 * 65, 65, 1}}, box),
      HasSubstr("dimension 2 of the tensor at"));
  EXPECT_THAT(
      failure({data, data, 0, {1, 2, 40, 64}, {80 * 65, 40 * 65, 65, 1}}, box),
      HasSubstr("is 130 bytes apart; TMA needs a multiple of 16\n"));
  // A 128-column box of bf16 is wider than the 128-byte swizzle: the
  // driver refuses it.
  EXPECT_THAT(
      failure({data, data, 0, {1, 2, 40, 64}, {80 * 64, 40 * 64, 64, 1}},
              {1, 1, 32, 128}),
      HasSubstr("ringattn: CUDA error in cuTensorMapEncodeTiled: "
                "CUDA_ERROR_INVALID_VALUE: invalid argument\n"));
  CaptureStderr();
  ActivationDescriptor view = {
      data, data, 0, {1, 2, 40, 64}, {80 * 64, 40 * 64, 64, 1}};
  EXPECT_EQ(mgpuTensorMapEncodeTiledMemref(6, &view, kBFloat16, 0, kSwizzle128B,
                                           0, 0, box),
            nullptr);
  EXPECT_EQ(GetCapturedStderr(),
            "ringattn: mgpuTensorMapEncodeTiledMemref: a rank-6 tensor of data "
            "type 9; tensor maps have 1 to 5 dimensions of one of cuda.h's 13 "
            "data types\n");
}

} // namespace
