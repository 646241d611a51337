//===- GpuRuntimeWrappers.cpp - The mgpu* functions over the driver -------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// What MLIR's GPU lowering calls, written against the dynamically loaded
// driver (Debian's MLIR ships no CUDA wrappers, and upstream's link libcuda
// directly). Differences from upstream that matter to RingAttn:
//
// - Every call makes the selected device's primary context current on the
//   calling thread (a thread-local check once done), so rank threads need no
//   setup and no context is pushed and popped per call.
// - Inside a rank with a compute stream (a GPU backend's, or an embedding
//   context's: the caller's), mgpuStreamCreate returns that stream and
//   mgpuStreamDestroy leaves it alone: compiled code then launches onto the
//   stream that shifts are ordered against.
// - Inside a rank, device allocations are the rank's device scratch
//   (ScratchMemory): what an unwound rank did not free is freed with its
//   binding, and an embedding context keeps its blocks for the next call.
// - Every result is checked. Inside a rank a failure fails the rank, like any
//   runtime failure; outside (a module loaded by a JIT global constructor)
//   it is printed and the call returns null or nothing, and a later call
//   that receives that null says so instead of crashing in the driver.
//
//===----------------------------------------------------------------------===//

#include "GpuRuntimeWrappers.h"

#include "IdleDeviceBlocks.h"
#include "RankBinding.h"
#include "ScratchMemory.h"

#include <array>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <iterator>
#include <map>
#include <mutex>
#include <string>

using namespace ringattn::runtime;
using namespace ringattn::runtime::cuda;

/// Kernels may use this much dynamic shared memory without opting in.
static constexpr int32_t defaultSharedMemoryLimit = 48 * 1024;

/// The calling rank's compute stream, or null outside a rank with one.
static CUstream rankComputeStream() {
  RankBinding *rank = boundRank();
  return rank ? static_cast<CUstream>(rank->computeStream()) : nullptr;
}

void ringattn::runtime::reportGpuFailure(const char *message) {
  if (RankBinding *rank = boundRank())
    rank->fail(message);
  std::fprintf(stderr, "ringattn: %s\n", message);
}

bool ringattn::runtime::checkCuda(const Driver *cu, CUresult result,
                                  const char *call) {
  if (result == CUDA_SUCCESS)
    return true;
  char message[512];
  formatError(message, sizeof(message), cu, call, result);
  reportGpuFailure(message);
  return false;
}

/// Formats a message into a buffer and reports it. Nothing it leaves on the
/// stack needs destroying, so the report may fail the rank by longjmp.
__attribute__((format(printf, 1, 2))) static void reportf(const char *format,
                                                          ...) {
  char message[1024];
  va_list args;
  va_start(args, format);
  std::vsnprintf(message, sizeof(message), format, args);
  va_end(args);
  reportGpuFailure(message);
}

/// The driver with the device's context current on this thread, or null
/// after reporting why not.
static const Driver *enter(const char *function) {
  char message[1024];
  {
    std::string why;
    if (const Driver *cu = makeContextCurrent(why))
      return cu;
    std::snprintf(message, sizeof(message), "%s: %s", function, why.c_str());
  }
  reportGpuFailure(message);
  return nullptr;
}

/// Like checkCuda, for releases: at process exit the driver may already be
/// shut down, and a module unloaded by a global destructor then is no error.
static void checkRelease(const Driver *cu, CUresult result, const char *call) {
  if (result != CUDA_ERROR_DEINITIALIZED)
    checkCuda(cu, result, call);
}

static CUdeviceptr address(const void *pointer) {
  return reinterpret_cast<CUdeviceptr>(pointer);
}

//===----------------------------------------------------------------------===//
// Modules and kernels
//===----------------------------------------------------------------------===//

extern "C" CUmodule mgpuModuleLoad(void *data, size_t /*gpuBlobSize*/) {
  const Driver *cu = enter("mgpuModuleLoad");
  if (!cu)
    return nullptr;
  CUmodule module = nullptr;
  if (!checkCuda(cu, cu->cuModuleLoadData(&module, data), "cuModuleLoadData"))
    return nullptr;
  return module;
}

extern "C" CUmodule mgpuModuleLoadJIT(void *data, int optLevel) {
  const Driver *cu = enter("mgpuModuleLoadJIT");
  if (!cu)
    return nullptr;
  char log[8192] = {0};
  CUjit_option options[] = {CU_JIT_ERROR_LOG_BUFFER,
                            CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
                            CU_JIT_OPTIMIZATION_LEVEL};
  void *values[] = {log, reinterpret_cast<void *>(sizeof(log) - 1),
                    reinterpret_cast<void *>(static_cast<intptr_t>(optLevel))};
  CUmodule module = nullptr;
  CUresult result = cu->cuModuleLoadDataEx(&module, data, 3, options, values);
  if (result == CUDA_SUCCESS)
    return module;
  char error[512];
  formatError(error, sizeof(error), cu, "cuModuleLoadDataEx", result);
  reportf("%s (compiling PTX)%s%s", error, log[0] ? "; the JIT said: " : "",
          log);
  return nullptr;
}

extern "C" void mgpuModuleUnload(CUmodule module) {
  if (!module)
    return; // its load failed and was reported
  if (const Driver *cu = enter("mgpuModuleUnload"))
    checkRelease(cu, cu->cuModuleUnload(module), "cuModuleUnload");
}

extern "C" CUfunction mgpuModuleGetFunction(CUmodule module, const char *name) {
  if (!module) {
    reportf("mgpuModuleGetFunction(\"%s\"): no GPU module: loading it failed "
            "earlier (see the message printed then)",
            name ? name : "");
    return nullptr;
  }
  const Driver *cu = enter("mgpuModuleGetFunction");
  if (!cu)
    return nullptr;
  CUfunction function = nullptr;
  if (!checkCuda(cu, cu->cuModuleGetFunction(&function, module, name),
                 "cuModuleGetFunction"))
    return nullptr;
  return function;
}

/// Lets `function` use `smem` bytes of dynamic shared memory, which above
/// 48 KiB a kernel must opt into, up to what the device allows.
static bool allowSharedMemory(const Driver *cu, CUfunction function,
                              int32_t smem) {
  int ordinal;
  {
    std::string why; // enter() already validated the selection
    ordinal = selectedDevice(why);
  }
  CUdevice device = 0;
  int limit = 0;
  if (!checkCuda(cu, cu->cuDeviceGet(&device, ordinal), "cuDeviceGet") ||
      !checkCuda(cu,
                 cu->cuDeviceGetAttribute(
                     &limit,
                     CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN,
                     device),
                 "cuDeviceGetAttribute"))
    return false;
  if (smem > limit) {
    reportf("mgpuLaunchKernel: the kernel asks for %d bytes of dynamic shared "
            "memory; device %d allows at most %d",
            smem, ordinal, limit);
    return false;
  }
  return checkCuda(
      cu,
      cu->cuFuncSetAttribute(
          function, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, smem),
      "cuFuncSetAttribute");
}

// intptr_t dimensions match MLIR's index type, so lowered code needs no casts.
extern "C" void mgpuLaunchKernel(CUfunction function, intptr_t gridX,
                                 intptr_t gridY, intptr_t gridZ,
                                 intptr_t blockX, intptr_t blockY,
                                 intptr_t blockZ, int32_t smem, CUstream stream,
                                 void **params, void **extra,
                                 size_t /*paramsCount*/) {
  if (!function) {
    reportf("mgpuLaunchKernel: no kernel: looking it up failed earlier (see "
            "the message printed then)");
    return;
  }
  for (intptr_t dimension : {gridX, gridY, gridZ, blockX, blockY, blockZ}) {
    if (dimension < 1 || dimension > UINT32_MAX) {
      reportf("mgpuLaunchKernel: grid %ld x %ld x %ld of blocks %ld x %ld x "
              "%ld is not a launch the driver can take",
              static_cast<long>(gridX), static_cast<long>(gridY),
              static_cast<long>(gridZ), static_cast<long>(blockX),
              static_cast<long>(blockY), static_cast<long>(blockZ));
      return;
    }
  }
  const Driver *cu = enter("mgpuLaunchKernel");
  if (!cu)
    return;
  if (smem > defaultSharedMemoryLimit && !allowSharedMemory(cu, function, smem))
    return;
  checkCuda(cu,
            cu->cuLaunchKernel(function, gridX, gridY, gridZ, blockX, blockY,
                               blockZ, smem, stream, params, extra),
            "cuLaunchKernel");
}

//===----------------------------------------------------------------------===//
// Streams and events
//===----------------------------------------------------------------------===//

extern "C" CUstream mgpuStreamCreate() {
  const Driver *cu = enter("mgpuStreamCreate");
  if (!cu)
    return nullptr;
  if (CUstream compute = rankComputeStream())
    return compute;
  CUstream stream = nullptr;
  if (!checkCuda(cu, cu->cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING),
                 "cuStreamCreate"))
    return nullptr;
  return stream;
}

extern "C" void mgpuStreamDestroy(CUstream stream) {
  if (!stream || stream == rankComputeStream())
    return; // the rank's binding owns its compute stream
  if (const Driver *cu = enter("mgpuStreamDestroy"))
    checkRelease(cu, cu->cuStreamDestroy_v2(stream), "cuStreamDestroy");
}

extern "C" void mgpuStreamSynchronize(CUstream stream) {
  if (const Driver *cu = enter("mgpuStreamSynchronize"))
    checkCuda(cu, cu->cuStreamSynchronize(stream), "cuStreamSynchronize");
}

extern "C" void mgpuStreamWaitEvent(CUstream stream, CUevent event) {
  if (const Driver *cu = enter("mgpuStreamWaitEvent"))
    checkCuda(cu, cu->cuStreamWaitEvent(stream, event, 0), "cuStreamWaitEvent");
}

extern "C" CUevent mgpuEventCreate() {
  const Driver *cu = enter("mgpuEventCreate");
  if (!cu)
    return nullptr;
  CUevent event = nullptr;
  if (!checkCuda(cu, cu->cuEventCreate(&event, CU_EVENT_DISABLE_TIMING),
                 "cuEventCreate"))
    return nullptr;
  return event;
}

extern "C" void mgpuEventDestroy(CUevent event) {
  if (!event)
    return;
  if (const Driver *cu = enter("mgpuEventDestroy"))
    checkRelease(cu, cu->cuEventDestroy_v2(event), "cuEventDestroy");
}

extern "C" void mgpuEventSynchronize(CUevent event) {
  if (const Driver *cu = enter("mgpuEventSynchronize"))
    checkCuda(cu, cu->cuEventSynchronize(event), "cuEventSynchronize");
}

extern "C" void mgpuEventRecord(CUevent event, CUstream stream) {
  if (const Driver *cu = enter("mgpuEventRecord"))
    checkCuda(cu, cu->cuEventRecord(event, stream), "cuEventRecord");
}

//===----------------------------------------------------------------------===//
// Memory
//===----------------------------------------------------------------------===//

/// Why the last deviceMemory.obtain on this thread failed.
static thread_local CUresult lastAllocationResult = CUDA_SUCCESS;

/// Device memory as a rank's scratch source: an idle block of the size from
/// an earlier run (IdleDeviceBlocks.h), else cuMemAlloc, which is tried
/// again after the idle blocks went back to the driver if it ran out of
/// memory. Called only after enter(), so the driver is loaded and the
/// device's context current.
static const BlockSource deviceMemory = {
    [](uint64_t bytes, uint64_t /*alignment: the driver's is 256*/) -> void * {
      std::string why;
      const Driver *cu = driver(why);
      int device = selectedDevice(why);
      IdleDeviceBlocks &idle = IdleDeviceBlocks::process();
      if (CUdeviceptr block = idle.take(device, bytes))
        return reinterpret_cast<void *>(block);
      CUdeviceptr pointer = 0;
      lastAllocationResult =
          cu ? cu->cuMemAlloc_v2(&pointer, bytes) : CUDA_ERROR_NOT_INITIALIZED;
      if (lastAllocationResult == CUDA_ERROR_OUT_OF_MEMORY &&
          idle.freeAll(*cu, device))
        lastAllocationResult = cu->cuMemAlloc_v2(&pointer, bytes);
      return lastAllocationResult == CUDA_SUCCESS
                 ? reinterpret_cast<void *>(pointer)
                 : nullptr;
    },
    [](void *pointer) {
      std::string why;
      if (const Driver *cu = makeContextCurrent(why))
        checkRelease(cu, cu->cuMemFree_v2(address(pointer)), "cuMemFree");
    }};

extern "C" void *mgpuMemAlloc(uint64_t bytes, CUstream /*stream*/,
                              bool isHostShared) {
  if (bytes == 0)
    return nullptr; // as upstream: the driver refuses empty allocations
  const Driver *cu = enter("mgpuMemAlloc");
  if (!cu)
    return nullptr;
  CUdeviceptr pointer = 0;
  if (isHostShared)
    return checkCuda(
               cu, cu->cuMemAllocManaged(&pointer, bytes, CU_MEM_ATTACH_GLOBAL),
               "cuMemAllocManaged")
               ? reinterpret_cast<void *>(pointer)
               : nullptr;
  if (RankBinding *rank = boundRank()) {
    if (void *block = rank->deviceScratch(deviceMemory).allocate(bytes, 0))
      return block;
    checkCuda(cu, lastAllocationResult, "cuMemAlloc"); // fails the rank
  }
  return checkCuda(cu, cu->cuMemAlloc_v2(&pointer, bytes), "cuMemAlloc")
             ? reinterpret_cast<void *>(pointer)
             : nullptr;
}

extern "C" void mgpuMemFree(void *pointer, CUstream /*stream*/) {
  if (!pointer)
    return;
  if (RankBinding *rank = boundRank())
    if (rank->deviceScratch(deviceMemory).deallocate(pointer))
      return;
  if (const Driver *cu = enter("mgpuMemFree"))
    checkRelease(cu, cu->cuMemFree_v2(address(pointer)), "cuMemFree");
}

// With unified addressing the driver tells host from device pointers.
extern "C" void mgpuMemcpy(void *dst, void *src, size_t bytes,
                           CUstream stream) {
  if (const Driver *cu = enter("mgpuMemcpy"))
    checkCuda(cu, cu->cuMemcpyAsync(address(dst), address(src), bytes, stream),
              "cuMemcpyAsync");
}

extern "C" void mgpuMemset32(void *dst, unsigned int value, size_t count,
                             CUstream stream) {
  if (const Driver *cu = enter("mgpuMemset32"))
    checkCuda(cu, cu->cuMemsetD32Async(address(dst), value, count, stream),
              "cuMemsetD32Async");
}

extern "C" void mgpuMemset16(void *dst, unsigned short value, size_t count,
                             CUstream stream) {
  if (const Driver *cu = enter("mgpuMemset16"))
    checkCuda(cu, cu->cuMemsetD16Async(address(dst), value, count, stream),
              "cuMemsetD16Async");
}

extern "C" void mgpuMemHostRegister(void *pointer, uint64_t bytes) {
  if (const Driver *cu = enter("mgpuMemHostRegister"))
    checkCuda(cu, cu->cuMemHostRegister_v2(pointer, bytes, 0),
              "cuMemHostRegister");
}

extern "C" void mgpuMemHostUnregister(void *pointer) {
  if (const Driver *cu = enter("mgpuMemHostUnregister"))
    checkCuda(cu, cu->cuMemHostUnregister(pointer), "cuMemHostUnregister");
}

namespace {
/// A ranked memref descriptor up to its offset; sizes[rank] and
/// strides[rank] follow.
struct MemRefHead {
  void *allocated;
  char *aligned;
  int64_t offset;
};
} // namespace

/// The first byte of the memref `descriptor` points to.
static char *memrefData(void *descriptor, int64_t elementBytes) {
  auto *head = static_cast<MemRefHead *>(descriptor);
  return head->aligned + head->offset * elementBytes;
}

// gpu.host_register: the memref must be contiguous (as upstream assumes).
extern "C" void mgpuMemHostRegisterMemRef(int64_t rank, void *descriptor,
                                          int64_t elementBytes) {
  auto *sizes = reinterpret_cast<const int64_t *>(
      static_cast<MemRefHead *>(descriptor) + 1);
  uint64_t bytes = static_cast<uint64_t>(elementBytes);
  for (int64_t i = 0; i < rank; ++i)
    bytes *= static_cast<uint64_t>(sizes[i]);
  mgpuMemHostRegister(memrefData(descriptor, elementBytes), bytes);
}

extern "C" void mgpuMemHostUnregisterMemRef(int64_t /*rank*/, void *descriptor,
                                            int64_t elementBytes) {
  mgpuMemHostUnregister(memrefData(descriptor, elementBytes));
}

extern "C" void mgpuSetDefaultDevice(int32_t device) { selectDevice(device); }

//===----------------------------------------------------------------------===//
// Tensor maps (TMA)
//===----------------------------------------------------------------------===//

namespace {
constexpr int kMaxTensorMapRank = 5;

/// cuTensorMapEncodeTiled's arguments, dimensions innermost first.
struct TensorMapArguments {
  char *data;
  uint32_t rank;
  int dataType, interleave, swizzle, l2Promotion, oobFill;
  uint64_t dims[kMaxTensorMapRank], byteStrides[kMaxTensorMapRank - 1];
  uint32_t box[kMaxTensorMapRank], elementStrides[kMaxTensorMapRank];
};

/// A tensor map is a function of its arguments, so equal ones share one
/// device copy: the key is the device and every argument.
using TensorMapKey = std::array<uint64_t, 3 + 5 + 4 + 5>;

TensorMapKey keyOf(int device, const TensorMapArguments &args) {
  TensorMapKey key = {};
  key[0] = static_cast<uint64_t>(device);
  key[1] = args.rank | uint64_t(uint32_t(args.dataType)) << 8 |
           uint64_t(uint32_t(args.interleave)) << 16 |
           uint64_t(uint32_t(args.swizzle)) << 24 |
           uint64_t(uint32_t(args.l2Promotion)) << 32 |
           uint64_t(uint32_t(args.oobFill)) << 40;
  key[2] = reinterpret_cast<uintptr_t>(args.data);
  for (uint32_t d = 0; d < args.rank; ++d) {
    key[3 + d] = args.dims[d];
    key[12 + d] = args.box[d];
    if (d > 0)
      key[8 + d - 1] = args.byteStrides[d - 1];
  }
  return key;
}

/// The device copies made so far. A copy is never written again and lives
/// as long as the process (a launch may still read it), 128 bytes each.
std::mutex tensorMapsMutex;
std::map<TensorMapKey, CUdeviceptr> &tensorMaps() {
  static auto *maps = new std::map<TensorMapKey, CUdeviceptr>();
  return *maps;
}

CUdeviceptr cachedTensorMap(const TensorMapKey &key) {
  std::lock_guard<std::mutex> lock(tensorMapsMutex);
  auto it = tensorMaps().find(key);
  return it == tensorMaps().end() ? 0 : it->second;
}
} // namespace

/// Bytes of an element of each CUtensorMapDataType (cuda.h's order).
static constexpr int64_t tensorMapElementBytes[] = {1, 2, 4, 4, 8, 8, 2,
                                                    4, 8, 2, 4, 4, 4};
static const char *const tensorMapFunction = "mgpuTensorMapEncodeTiledMemref";

/// Reads the memref `descriptor` of `rank` dimensions (sizes and strides in
/// memref order) and `box` into `args`; false, after reporting why, for a
/// tensor TMA cannot read.
static bool readTensorMapArguments(int64_t rank, void *descriptor,
                                   int64_t dataType, const int64_t *box,
                                   TensorMapArguments &args) {
  if (rank < 1 || rank > kMaxTensorMapRank || dataType < 0 ||
      dataType >= int64_t(std::size(tensorMapElementBytes))) {
    reportf("%s: a rank-%ld tensor of data type %ld; tensor maps have 1 to 5 "
            "dimensions of one of cuda.h's %zu data types",
            tensorMapFunction, static_cast<long>(rank),
            static_cast<long>(dataType), std::size(tensorMapElementBytes));
    return false;
  }
  const int64_t elementBytes = tensorMapElementBytes[dataType];
  auto *sizes = reinterpret_cast<const int64_t *>(
      static_cast<MemRefHead *>(descriptor) + 1);
  const int64_t *strides = sizes + rank;
  args.data = memrefData(descriptor, elementBytes);
  args.rank = static_cast<uint32_t>(rank);
  for (int64_t d = 0; d < rank; ++d) {
    int64_t m = rank - 1 - d; // the memref's dimension
    args.dims[d] = static_cast<uint64_t>(sizes[m]);
    args.box[d] = static_cast<uint32_t>(box[m]);
    args.elementStrides[d] = 1;
    if (d > 0)
      args.byteStrides[d - 1] =
          static_cast<uint64_t>(strides[m] * elementBytes);
  }
  if (strides[rank - 1] != 1 || reinterpret_cast<uintptr_t>(args.data) % 16) {
    reportf("%s: the tensor at %p, innermost stride %ld: TMA needs a 16-byte "
            "aligned start and contiguous rows",
            tensorMapFunction, static_cast<void *>(args.data),
            static_cast<long>(strides[rank - 1]));
    return false;
  }
  for (int64_t d = 0; d + 1 < rank; ++d)
    if (args.byteStrides[d] % 16) {
      reportf("%s: dimension %ld of the tensor at %p is %llu bytes apart; "
              "TMA needs a multiple of 16",
              tensorMapFunction, static_cast<long>(rank - 2 - d),
              static_cast<void *>(args.data),
              static_cast<unsigned long long>(args.byteStrides[d]));
      return false;
    }
  return true;
}

/// Encodes the tensor map of `args` and copies it to device memory; 0,
/// after reporting, if the driver refuses.
static CUdeviceptr encodeOnDevice(const Driver *cu,
                                  const TensorMapArguments &args) {
  alignas(kTensorMapAlignment) unsigned char map[kTensorMapBytes];
  CUdeviceptr copy = 0;
  if (!checkCuda(cu,
                 cu->cuTensorMapEncodeTiled(
                     reinterpret_cast<CUtensorMap *>(map), args.dataType,
                     args.rank, args.data, args.dims, args.byteStrides,
                     args.box, args.elementStrides, args.interleave,
                     args.swizzle, args.l2Promotion, args.oobFill),
                 "cuTensorMapEncodeTiled") ||
      !checkCuda(cu, cu->cuMemAlloc_v2(&copy, kTensorMapBytes), "cuMemAlloc"))
    return 0;
  if (!checkCuda(cu, cu->cuMemcpyHtoD_v2(copy, map, kTensorMapBytes),
                 "cuMemcpyHtoD")) {
    cu->cuMemFree_v2(copy);
    return 0;
  }
  return copy;
}

// nvgpu.tma.create.descriptor's call (LLVM 22's ABI): the memref's ranked
// descriptor, cuda.h's enumerations, and the box in memref order. Returns a
// device pointer to the tensor map, as upstream does, but made once per
// distinct map, and at the memref's offset (upstream's reads the aligned
// pointer alone).
extern "C" void *mgpuTensorMapEncodeTiledMemref(
    int64_t rank, void *descriptor, int64_t dataType, int64_t interleave,
    int64_t swizzle, int64_t l2Promotion, int64_t oobFill, const int64_t *box) {
  TensorMapArguments args = {};
  if (!readTensorMapArguments(rank, descriptor, dataType, box, args))
    return nullptr;
  args.dataType = int(dataType);
  args.interleave = int(interleave);
  args.swizzle = int(swizzle);
  args.l2Promotion = int(l2Promotion);
  args.oobFill = int(oobFill);
  const Driver *cu = enter(tensorMapFunction);
  if (!cu)
    return nullptr;
  int device;
  {
    std::string why; // enter() already validated the selection
    device = selectedDevice(why);
  }
  TensorMapKey key = keyOf(device, args);
  if (CUdeviceptr cached = cachedTensorMap(key))
    return reinterpret_cast<void *>(cached);
  CUdeviceptr copy = encodeOnDevice(cu, args);
  if (!copy)
    return nullptr;
  std::lock_guard<std::mutex> lock(tensorMapsMutex);
  auto [it, inserted] = tensorMaps().emplace(key, copy);
  if (!inserted) // another thread made the same map meanwhile
    cu->cuMemFree_v2(copy);
  return reinterpret_cast<void *>(it->second);
}
