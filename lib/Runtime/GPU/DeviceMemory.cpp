//===- DeviceMemory.cpp - Device buffers for host code --------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// What a driver program needs to stage a run on the GPU: allocate, fill,
// read back, free. Unlike the mgpu wrappers these never fail a rank; they
// report to their caller.
//
//===----------------------------------------------------------------------===//

#include "CudaDriver.h"
#include "Format.h"
#include "RingAttn/Runtime/GpuBackend.h"

namespace ringattn {
namespace runtime {

using namespace cuda;

/// The driver with the selected device's context current, or null with
/// `error` prefixed by `function`.
static const Driver *enter(const char *function, std::string &error) {
  std::string why;
  const Driver *cu = makeContextCurrent(why);
  if (!cu)
    error = formatString("%s: %s", function, why.c_str());
  return cu;
}

static bool check(const Driver *cu, CUresult result, const char *call,
                  std::string &error) {
  if (result == CUDA_SUCCESS)
    return true;
  char message[512];
  formatError(message, sizeof(message), cu, call, result);
  error = message;
  return false;
}

static CUdeviceptr address(const void *pointer) {
  return reinterpret_cast<CUdeviceptr>(pointer);
}

void *gpuAlloc(size_t bytes, std::string &error) {
  const Driver *cu = enter("gpuAlloc", error);
  if (!cu)
    return nullptr;
  CUdeviceptr pointer = 0;
  // cuMemAlloc refuses 0 bytes; null must keep meaning failure.
  if (!check(cu, cu->cuMemAlloc_v2(&pointer, bytes ? bytes : 1), "cuMemAlloc",
             error))
    return nullptr;
  return reinterpret_cast<void *>(pointer);
}

bool gpuFree(void *pointer, std::string &error) {
  if (!pointer)
    return true;
  const Driver *cu = enter("gpuFree", error);
  return cu &&
         check(cu, cu->cuMemFree_v2(address(pointer)), "cuMemFree", error);
}

bool gpuCopyToDevice(void *dst, const void *src, size_t bytes,
                     std::string &error) {
  const Driver *cu = enter("gpuCopyToDevice", error);
  return cu && check(cu, cu->cuMemcpyHtoD_v2(address(dst), src, bytes),
                     "cuMemcpyHtoD", error);
}

bool gpuCopyToHost(void *dst, const void *src, size_t bytes,
                   std::string &error) {
  const Driver *cu = enter("gpuCopyToHost", error);
  return cu && check(cu, cu->cuMemcpyDtoH_v2(dst, address(src), bytes),
                     "cuMemcpyDtoH", error);
}

} // namespace runtime
} // namespace ringattn
