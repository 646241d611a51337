//===- GpuRuntimeWrappers.h - The mgpu ABI and what it binds to -*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Internal to the GPU runtime. MLIR's GPU-to-LLVM lowering (LLVM 22) calls
// the mgpu* functions below; inside a rank, the stream compiled code creates
// is the rank's compute stream (RankBinding::computeStream).
// See docs/Runtime.md for the semantics.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_LIB_RUNTIME_GPU_GPURUNTIMEWRAPPERS_H
#define RINGATTN_LIB_RUNTIME_GPU_GPURUNTIMEWRAPPERS_H

#include "CudaDriver.h"

#include <cstdint>

namespace ringattn {
namespace runtime {

/// Reports a failed GPU call: inside a rank (a RankBinding is bound), the
/// rank fails with `message` and this does not return; outside, it prints
/// "ringattn: <message>" to stderr and returns.
void reportGpuFailure(const char *message);

/// Checks `result` of `call`; on failure reports "CUDA error in <call>:
/// <name>: <text>" as reportGpuFailure does and returns false.
bool checkCuda(const cuda::Driver *cu, cuda::CUresult result, const char *call);

} // namespace runtime
} // namespace ringattn

// The functions MLIR's gpu-to-llvm lowering and gpu.binary translation emit
// calls to, with the signatures LLVM 22 declares them with.
extern "C" {
CUmod_st *mgpuModuleLoad(void *data, size_t gpuBlobSize);
CUmod_st *mgpuModuleLoadJIT(void *data, int optLevel);
void mgpuModuleUnload(CUmod_st *module);
CUfunc_st *mgpuModuleGetFunction(CUmod_st *module, const char *name);
void mgpuLaunchKernel(CUfunc_st *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t smem, CUstream_st *stream,
                      void **params, void **extra, size_t paramsCount);
CUstream_st *mgpuStreamCreate();
void mgpuStreamDestroy(CUstream_st *stream);
void mgpuStreamSynchronize(CUstream_st *stream);
void mgpuStreamWaitEvent(CUstream_st *stream, CUevent_st *event);
CUevent_st *mgpuEventCreate();
void mgpuEventDestroy(CUevent_st *event);
void mgpuEventSynchronize(CUevent_st *event);
void mgpuEventRecord(CUevent_st *event, CUstream_st *stream);
void *mgpuMemAlloc(uint64_t bytes, CUstream_st *stream, bool isHostShared);
void mgpuMemFree(void *pointer, CUstream_st *stream);
void mgpuMemcpy(void *dst, void *src, size_t bytes, CUstream_st *stream);
void mgpuMemset32(void *dst, unsigned int value, size_t count,
                  CUstream_st *stream);
void mgpuMemset16(void *dst, unsigned short value, size_t count,
                  CUstream_st *stream);
void mgpuMemHostRegister(void *pointer, uint64_t bytes);
void mgpuMemHostRegisterMemRef(int64_t rank, void *descriptor,
                               int64_t elementBytes);
void mgpuMemHostUnregister(void *pointer);
void mgpuMemHostUnregisterMemRef(int64_t rank, void *descriptor,
                                 int64_t elementBytes);
void mgpuSetDefaultDevice(int32_t device);
void *mgpuTensorMapEncodeTiledMemref(int64_t rank, void *descriptor,
                                     int64_t dataType, int64_t interleave,
                                     int64_t swizzle, int64_t l2Promotion,
                                     int64_t oobFill, const int64_t *box);
}

#endif // RINGATTN_LIB_RUNTIME_GPU_GPURUNTIMEWRAPPERS_H
