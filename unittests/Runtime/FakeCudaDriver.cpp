//===- FakeCudaDriver.cpp - A CUDA driver that runs on the host -----------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// A test double for libcuda, loaded through RINGATTN_CUDA_DRIVER, so that
// the GPU runtime's logic (contexts per thread, streams, events, the
// one-GPU ring, the mgpu wrappers) runs on machines without a GPU.
//
// "Device" memory is host memory and work runs synchronously when it is
// enqueued, except that a stream can stall: a copy issued while copies are
// set to stall, or a wait for an event that never completes, stalls its
// stream, and nothing enqueued on it afterwards (copies, event records)
// ever happens. That is how tests make a transfer that never completes.
//
// Calls that need a context fail with CUDA_ERROR_INVALID_CONTEXT unless the
// calling thread made one current, as the real driver does. Tests reach the
// controls (fakeCuda*) with dlsym; a program they cannot call into
// (ring-run) gets the first call named by $RINGATTN_FAKE_CUDA_FAIL failed
// with CUDA_ERROR_INVALID_VALUE.
//
//===----------------------------------------------------------------------===//

#include "CudaDriver.h"
#include "FakeTensorMap.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

using namespace ringattn::runtime::cuda;

struct CUctx_st {
  int device;
};
struct CUmod_st {
  int unused;
};
struct CUfunc_st {
  int kind; ///< 0: fill(float *dst, int64_t count, float value)
  int maxDynamicSharedBytes = 48 * 1024;
};
struct CUstream_st {
  std::atomic<bool> stalled{false};
};
struct CUevent_st {
  std::atomic<bool> complete{true};
  std::chrono::steady_clock::time_point recordedAt;
};

namespace {
CUctx_st primaryContext{0};
CUfunc_st fillKernel{0};
thread_local CUctx_st *currentContext = nullptr;

std::atomic<bool> stallCopies{false};
/// Kernels never finish: their stream stalls (a hung kernel).
std::atomic<bool> hangKernels{false};
std::atomic<int> streamsCreated{0}, eventsCreated{0};
/// Device allocations not yet freed.
std::atomic<int> liveAllocations{0};
std::atomic<int> allocationsMade{0};
std::atomic<int> lastDynamicSharedBytes{0};

/// The next call named `failCall` returns `failResult` (once).
std::mutex failMutex;
std::string failCall;
CUresult failResult = CUDA_SUCCESS;

/// $RINGATTN_FAKE_CUDA_FAIL, read when the driver is loaded (after
/// failCall is constructed, which is defined above).
const bool failFromEnvironment = [] {
  const char *call = std::getenv("RINGATTN_FAKE_CUDA_FAIL");
  if (!call)
    return false;
  failCall = call;
  failResult = CUDA_ERROR_INVALID_VALUE;
  return true;
}();

constexpr CUresult CUDA_ERROR_INVALID_IMAGE = 200;
constexpr CUresult CUDA_ERROR_INVALID_CONTEXT = 201;
constexpr CUresult CUDA_ERROR_NOT_FOUND = 500;
constexpr CUresult CUDA_ERROR_LAUNCH_FAILED = 719;

/// Whether to fail `call` now, and with what.
CUresult injected(const char *call) {
  std::lock_guard<std::mutex> lock(failMutex);
  if (failCall != call)
    return CUDA_SUCCESS;
  failCall.clear();
  return failResult;
}

CUresult needContext(const char *call) {
  if (CUresult result = injected(call))
    return result;
  return currentContext ? CUDA_SUCCESS : CUDA_ERROR_INVALID_CONTEXT;
}

void *hostPointer(CUdeviceptr pointer) {
  return reinterpret_cast<void *>(static_cast<uintptr_t>(pointer));
}

struct ResultName {
  CUresult result;
  const char *name, *text;
} const resultNames[] = {
    {CUDA_SUCCESS, "CUDA_SUCCESS", "no error"},
    {CUDA_ERROR_INVALID_VALUE, "CUDA_ERROR_INVALID_VALUE", "invalid argument"},
    {CUDA_ERROR_INVALID_IMAGE, "CUDA_ERROR_INVALID_IMAGE",
     "device kernel image is invalid"},
    {CUDA_ERROR_INVALID_CONTEXT, "CUDA_ERROR_INVALID_CONTEXT",
     "invalid device context"},
    {CUDA_ERROR_NOT_FOUND, "CUDA_ERROR_NOT_FOUND", "named symbol not found"},
    {CUDA_ERROR_NOT_READY, "CUDA_ERROR_NOT_READY", "device not ready"},
    {CUDA_ERROR_LAUNCH_FAILED, "CUDA_ERROR_LAUNCH_FAILED",
     "unspecified launch failure"},
};
} // namespace

namespace {
template <typename T>
CUresult fakeMemset(const char *call, CUdeviceptr dst, T value, size_t count,
                    CUstream stream) {
  if (CUresult result = needContext(call))
    return result;
  if (!(stream && stream->stalled))
    for (size_t i = 0; i < count; ++i)
      static_cast<T *>(hostPointer(dst))[i] = value;
  return CUDA_SUCCESS;
}
} // namespace

extern "C" {

//===----------------------------------------------------------------------===//
// Controls for tests
//===----------------------------------------------------------------------===//

void fakeCudaStallCopies(bool stall) { stallCopies = stall; }
void fakeCudaHangKernels(bool hang) { hangKernels = hang; }
void fakeCudaFailNext(const char *call, CUresult result) {
  std::lock_guard<std::mutex> lock(failMutex);
  failCall = call;
  failResult = result;
}
int fakeCudaStreamsCreated() { return streamsCreated; }
int fakeCudaLiveAllocations() { return liveAllocations; }
int fakeCudaAllocationsMade() { return allocationsMade; }
int fakeCudaLastDynamicSharedBytes() { return lastDynamicSharedBytes; }

//===----------------------------------------------------------------------===//
// The driver API
//===----------------------------------------------------------------------===//

CUresult cuGetErrorName(CUresult error, const char **name) {
  for (const ResultName &entry : resultNames)
    if (entry.result == error) {
      *name = entry.name;
      return CUDA_SUCCESS;
    }
  return CUDA_ERROR_INVALID_VALUE;
}

CUresult cuGetErrorString(CUresult error, const char **text) {
  for (const ResultName &entry : resultNames)
    if (entry.result == error) {
      *text = entry.text;
      return CUDA_SUCCESS;
    }
  return CUDA_ERROR_INVALID_VALUE;
}

CUresult cuInit(unsigned int) { return CUDA_SUCCESS; }
CUresult cuDriverGetVersion(int *version) {
  *version = 13000;
  return CUDA_SUCCESS;
}
CUresult cuDeviceGetCount(int *count) {
  *count = 1;
  return CUDA_SUCCESS;
}
CUresult cuDeviceGet(CUdevice *device, int ordinal) {
  if (ordinal != 0)
    return CUDA_ERROR_INVALID_VALUE;
  *device = 0;
  return CUDA_SUCCESS;
}
CUresult cuDeviceGetName(char *name, int length, CUdevice) {
  std::snprintf(name, length, "RingAttn fake GPU");
  return CUDA_SUCCESS;
}
CUresult cuDeviceGetAttribute(int *value, CUdevice_attribute attribute,
                              CUdevice) {
  if (attribute != CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN)
    return CUDA_ERROR_INVALID_VALUE;
  *value = 227 * 1024;
  return CUDA_SUCCESS;
}
CUresult cuDevicePrimaryCtxRetain(CUcontext *context, CUdevice) {
  *context = &primaryContext;
  return CUDA_SUCCESS;
}
CUresult cuCtxSetCurrent(CUcontext context) {
  currentContext = context;
  return CUDA_SUCCESS;
}

// A module is any image that starts with "FAKE"; it has one kernel, "fill".
CUresult cuModuleLoadData(CUmodule *module, const void *image) {
  if (CUresult result = needContext("cuModuleLoadData"))
    return result;
  if (std::strncmp(static_cast<const char *>(image), "FAKE", 4) != 0)
    return CUDA_ERROR_INVALID_IMAGE;
  *module = new CUmod_st();
  return CUDA_SUCCESS;
}
CUresult cuModuleLoadDataEx(CUmodule *module, const void *image,
                            unsigned int numOptions, CUjit_option *options,
                            void **values) {
  CUresult result = cuModuleLoadData(module, image);
  if (result != CUDA_ERROR_INVALID_IMAGE)
    return result;
  for (unsigned i = 0; i < numOptions; ++i)
    if (options[i] == CU_JIT_ERROR_LOG_BUFFER)
      std::snprintf(static_cast<char *>(values[i]), 64,
                    "fake ptxas: line 1: not PTX");
  return CUDA_ERROR_INVALID_IMAGE;
}
CUresult cuModuleUnload(CUmodule module) {
  if (CUresult result = needContext("cuModuleUnload"))
    return result;
  delete module;
  return CUDA_SUCCESS;
}
CUresult cuModuleGetFunction(CUfunction *function, CUmodule, const char *name) {
  if (CUresult result = needContext("cuModuleGetFunction"))
    return result;
  if (std::strcmp(name, "fill") != 0)
    return CUDA_ERROR_NOT_FOUND;
  *function = &fillKernel;
  return CUDA_SUCCESS;
}
CUresult cuFuncSetAttribute(CUfunction function, CUfunction_attribute attribute,
                            int value) {
  if (CUresult result = needContext("cuFuncSetAttribute"))
    return result;
  if (attribute != CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES)
    return CUDA_ERROR_INVALID_VALUE;
  function->maxDynamicSharedBytes = value;
  return CUDA_SUCCESS;
}
CUresult cuLaunchKernel(CUfunction function, unsigned int, unsigned int,
                        unsigned int, unsigned int, unsigned int, unsigned int,
                        unsigned int sharedMemBytes, CUstream stream,
                        void **params, void **) {
  if (CUresult result = needContext("cuLaunchKernel"))
    return result;
  if (static_cast<int>(sharedMemBytes) > function->maxDynamicSharedBytes)
    return CUDA_ERROR_INVALID_VALUE;
  lastDynamicSharedBytes = sharedMemBytes;
  if (stream && hangKernels)
    stream->stalled = true;
  if (stream && stream->stalled)
    return CUDA_SUCCESS;
  float *dst = *static_cast<float **>(params[0]);
  int64_t count = *static_cast<int64_t *>(params[1]);
  float value = *static_cast<float *>(params[2]);
  for (int64_t i = 0; i < count; ++i)
    dst[i] = value;
  return CUDA_SUCCESS;
}

CUresult cuStreamCreate(CUstream *stream, unsigned int) {
  if (CUresult result = needContext("cuStreamCreate"))
    return result;
  *stream = new CUstream_st();
  ++streamsCreated;
  return CUDA_SUCCESS;
}
CUresult cuStreamDestroy_v2(CUstream stream) {
  if (CUresult result = needContext("cuStreamDestroy"))
    return result;
  delete stream;
  --streamsCreated;
  return CUDA_SUCCESS;
}
CUresult cuStreamSynchronize(CUstream) {
  return needContext("cuStreamSynchronize");
}
CUresult cuStreamWaitEvent(CUstream stream, CUevent event, unsigned int) {
  if (CUresult result = needContext("cuStreamWaitEvent"))
    return result;
  if (stream && !event->complete)
    stream->stalled = true;
  return CUDA_SUCCESS;
}

CUresult cuEventCreate(CUevent *event, unsigned int) {
  if (CUresult result = needContext("cuEventCreate"))
    return result;
  *event = new CUevent_st();
  ++eventsCreated;
  return CUDA_SUCCESS;
}
CUresult cuEventDestroy_v2(CUevent event) {
  if (CUresult result = needContext("cuEventDestroy"))
    return result;
  delete event;
  return CUDA_SUCCESS;
}
CUresult cuEventRecord(CUevent event, CUstream stream) {
  if (CUresult result = needContext("cuEventRecord"))
    return result;
  event->complete = !(stream && stream->stalled);
  event->recordedAt = std::chrono::steady_clock::now();
  return CUDA_SUCCESS;
}
CUresult cuEventQuery(CUevent event) {
  if (CUresult result = needContext("cuEventQuery"))
    return result;
  return event->complete ? CUDA_SUCCESS : CUDA_ERROR_NOT_READY;
}
CUresult cuEventSynchronize(CUevent event) {
  if (CUresult result = needContext("cuEventSynchronize"))
    return result;
  // A stalled event would never complete; fail rather than hang the test.
  return event->complete ? CUDA_SUCCESS : CUDA_ERROR_LAUNCH_FAILED;
}
CUresult cuEventElapsedTime(float *milliseconds, CUevent start, CUevent end) {
  if (CUresult result = needContext("cuEventElapsedTime"))
    return result;
  if (!start->complete || !end->complete)
    return CUDA_ERROR_NOT_READY;
  *milliseconds = std::chrono::duration<float, std::milli>(end->recordedAt -
                                                           start->recordedAt)
                      .count();
  return CUDA_SUCCESS;
}

CUresult cuMemAlloc_v2(CUdeviceptr *pointer, size_t bytes) {
  if (CUresult result = needContext("cuMemAlloc"))
    return result;
  if (bytes == 0)
    return CUDA_ERROR_INVALID_VALUE;
  *pointer = reinterpret_cast<uintptr_t>(std::malloc(bytes));
  ++liveAllocations;
  ++allocationsMade;
  return CUDA_SUCCESS;
}
CUresult cuMemAllocManaged(CUdeviceptr *pointer, size_t bytes, unsigned int) {
  return cuMemAlloc_v2(pointer, bytes);
}
CUresult cuMemFree_v2(CUdeviceptr pointer) {
  if (CUresult result = needContext("cuMemFree"))
    return result;
  std::free(hostPointer(pointer));
  --liveAllocations;
  return CUDA_SUCCESS;
}
CUresult cuMemHostRegister_v2(void *, size_t, unsigned int) {
  return needContext("cuMemHostRegister");
}
CUresult cuMemHostUnregister(void *) {
  return needContext("cuMemHostUnregister");
}
CUresult cuMemcpyAsync(CUdeviceptr dst, CUdeviceptr src, size_t bytes,
                       CUstream stream) {
  if (CUresult result = needContext("cuMemcpyAsync"))
    return result;
  if (stream && stallCopies)
    stream->stalled = true;
  if (!(stream && stream->stalled))
    std::memcpy(hostPointer(dst), hostPointer(src), bytes);
  return CUDA_SUCCESS;
}
CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void *src, size_t bytes) {
  if (CUresult result = needContext("cuMemcpyHtoD"))
    return result;
  std::memcpy(hostPointer(dst), src, bytes);
  return CUDA_SUCCESS;
}
CUresult cuMemcpyDtoH_v2(void *dst, CUdeviceptr src, size_t bytes) {
  if (CUresult result = needContext("cuMemcpyDtoH"))
    return result;
  std::memcpy(dst, hostPointer(src), bytes);
  return CUDA_SUCCESS;
}

CUresult cuMemsetD8Async(CUdeviceptr dst, unsigned char value, size_t count,
                         CUstream stream) {
  return fakeMemset("cuMemsetD8Async", dst, value, count, stream);
}
CUresult cuMemsetD16Async(CUdeviceptr dst, unsigned short value, size_t count,
                          CUstream stream) {
  return fakeMemset("cuMemsetD16Async", dst, value, count, stream);
}
CUresult cuMemsetD32Async(CUdeviceptr dst, unsigned int value, size_t count,
                          CUstream stream) {
  return fakeMemset("cuMemsetD32Async", dst, value, count, stream);
}

/// Writes its arguments (FakeTensorMap.h), after the checks of the real
/// driver that the runtime's own checks do not make first.
CUresult cuTensorMapEncodeTiled(
    CUtensorMap *tensorMap, int dataType, cuuint32_t rank, void *globalAddress,
    const cuuint64_t *globalDim, const cuuint64_t *globalStrides,
    const cuuint32_t *boxDim, const cuuint32_t *elementStrides, int interleave,
    int swizzle, int l2Promotion, int oobFill) {
  if (CUresult result = injected("cuTensorMapEncodeTiled"))
    return result;
  constexpr int kSwizzle128B = 3,
                kElementBytes[] = {1, 2, 4, 4, 8, 8, 2, 4, 8, 2, 4, 4, 4};
  if (rank < 1 || rank > 5 || dataType < 0 || dataType > 12)
    return CUDA_ERROR_INVALID_VALUE;
  ringattn::testing::FakeTensorMap map = {};
  for (cuuint32_t d = 0; d < rank; ++d) {
    if (boxDim[d] < 1 || boxDim[d] > 256 || elementStrides[d] != 1)
      return CUDA_ERROR_INVALID_VALUE;
    map.dims[d] = globalDim[d];
    map.box[d] = boxDim[d];
    if (d > 0)
      map.strides[d - 1] = globalStrides[d - 1];
  }
  // A swizzled box row is at most the swizzle's span.
  if (swizzle == kSwizzle128B && boxDim[0] * kElementBytes[dataType] > 128)
    return CUDA_ERROR_INVALID_VALUE;
  map.address = reinterpret_cast<uintptr_t>(globalAddress);
  map.rank = rank;
  map.dataType = dataType;
  map.interleave = interleave;
  map.swizzle = swizzle;
  map.l2Promotion = l2Promotion;
  map.oobFill = oobFill;
  std::memcpy(static_cast<void *>(tensorMap), &map, sizeof(map));
  return CUDA_SUCCESS;
}

} // extern "C"
