//===- CudaDriver.h - The CUDA driver API, loaded at run time ---*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Internal to the GPU runtime. The driver (libcuda) is opened with dlopen, so
// the runtime builds without CUDA headers and runs, reporting "no GPU",
// where no NVIDIA driver is installed. The types below mirror the few of
// cuda.h we need; CudaDriverSignatureCheck.cpp proves them against cuda.h
// wherever the toolkit is installed.
//
// The runtime uses one device per process (the selected device) through its
// primary context, which every thread that calls CUDA makes current first.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_LIB_RUNTIME_GPU_CUDADRIVER_H
#define RINGATTN_LIB_RUNTIME_GPU_CUDADRIVER_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

// The opaque handle types carry cuda.h's struct tags, so that they are the
// very same types where both headers meet.
struct CUctx_st;
struct CUmod_st;
struct CUfunc_st;
struct CUstream_st;
struct CUevent_st;
struct CUtensorMap_st;

namespace ringattn {
namespace runtime {
namespace cuda {

using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = CUctx_st *;
using CUmodule = CUmod_st *;
using CUfunction = CUfunc_st *;
using CUstream = CUstream_st *;
using CUevent = CUevent_st *;
// Enumerations of cuda.h, passed as the int they are.
using CUdevice_attribute = int;
using CUfunction_attribute = int;
using CUjit_option = int;
using CUtensorMapDataType = int;
using CUtensorMapInterleave = int;
using CUtensorMapSwizzle = int;
using CUtensorMapL2promotion = int;
using CUtensorMapFloatOOBfill = int;
using cuuint32_t = uint32_t;
using cuuint64_t = uint64_t;
/// cuda.h's CUtensorMap: 128 opaque bytes, 128-byte aligned.
using CUtensorMap = CUtensorMap_st;
constexpr size_t kTensorMapBytes = 128;
constexpr size_t kTensorMapAlignment = 128;

enum : CUresult {
  CUDA_SUCCESS = 0,
  CUDA_ERROR_INVALID_VALUE = 1,
  CUDA_ERROR_OUT_OF_MEMORY = 2,
  CUDA_ERROR_NOT_INITIALIZED = 3,
  CUDA_ERROR_DEINITIALIZED = 4,
  CUDA_ERROR_STUB_LIBRARY = 34,
  CUDA_ERROR_NO_DEVICE = 100,
  CUDA_ERROR_NOT_READY = 600,
};
constexpr unsigned CU_STREAM_NON_BLOCKING = 0x1;
constexpr unsigned CU_EVENT_DEFAULT = 0x0;
constexpr unsigned CU_EVENT_DISABLE_TIMING = 0x2;
constexpr unsigned CU_MEM_ATTACH_GLOBAL = 0x1;
constexpr CUdevice_attribute
    CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN = 97;
constexpr CUfunction_attribute CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES =
    8;
constexpr CUjit_option CU_JIT_ERROR_LOG_BUFFER = 5;
constexpr CUjit_option CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6;
constexpr CUjit_option CU_JIT_OPTIMIZATION_LEVEL = 7;

/// The driver's entry points, resolved once by loadDriver.
struct Driver {
  std::string path; ///< the library it was loaded from
#define CUDA_FUNCTION(Symbol, Parameters)                                      \
  CUresult(*Symbol) Parameters = nullptr;
#include "CudaDriverFunctions.def"
};

/// Opens the driver library at `path` and resolves every entry point of
/// CudaDriverFunctions.def. Null, with `why` naming what is missing, if it
/// cannot. The library stays loaded for the life of the process.
std::unique_ptr<Driver> loadDriver(const std::string &path, std::string &why);

/// The process's driver: $RINGATTN_CUDA_DRIVER, else libcuda.so.1, loaded
/// and initialized (cuInit) once, thread-safely, with at least one device.
/// Null, with `why` saying what is missing, if there is no usable GPU.
const Driver *driver(std::string &why);

/// The device the runtime uses: the last selectDevice, else
/// $RINGATTN_CUDA_DEVICE, else 0. -1, with `why`, if that variable is not a
/// device number.
int selectedDevice(std::string &why);
/// Selects the device for the whole process (a negative ordinal goes back
/// to the environment's). Threads whose context is another device's switch
/// at their next makeContextCurrent.
void selectDevice(int ordinal);

/// Makes the selected device's primary context current on the calling
/// thread (once per thread and device; later calls are a thread-local
/// check) and returns the driver. Null, with `why`, if it cannot.
const Driver *makeContextCurrent(std::string &why);

/// "CUDA_ERROR_NOT_READY: device not ready": the driver's name and text for
/// `result`, or its number where the driver cannot tell.
std::string describe(const Driver *driver, CUresult result);

/// Writes "CUDA error in <call>: <name>: <text>" into `buffer`. It allocates
/// nothing, so a path that fails a rank by longjmp can use it.
void formatError(char *buffer, size_t size, const Driver *driver,
                 const char *call, CUresult result);

} // namespace cuda
} // namespace runtime
} // namespace ringattn

#endif // RINGATTN_LIB_RUNTIME_GPU_CUDADRIVER_H
