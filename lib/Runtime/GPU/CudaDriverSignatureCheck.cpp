//===- CudaDriverSignatureCheck.cpp - CudaDriver.h against cuda.h ---------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Compiled only where the CUDA toolkit's headers are installed; it holds no
// code. Every entry point of CudaDriverFunctions.def must have the type
// cuda.h gives the exported symbol of that name, and every constant we
// hand-copied must have cuda.h's value, or the build fails here instead of
// a launch failing on a GPU.
//
//===----------------------------------------------------------------------===//

#include <cuda.h>

#include "CudaDriver.h"
#include "SignatureCanon.h"

namespace ringattn {
namespace runtime {
namespace cuda {
namespace {

using signature::CanonType;

// cuda.h #defines many calls to their versioned symbols (cuMemAlloc to
// cuMemAlloc_v2, cuEventElapsedTime to cuEventElapsedTime_v2); `::Symbol`
// below goes through the same macros, so each entry is checked against the
// declaration of the symbol cuda.h itself would call.
#define CUDA_FUNCTION(Symbol, Parameters)                                      \
  static_assert(std::is_same<CanonType<decltype(&::Symbol)>,                   \
                             CanonType<decltype(Driver::Symbol)>>::value,      \
                "CudaDriverFunctions.def: " #Symbol                            \
                " does not match its declaration in cuda.h");
#include "CudaDriverFunctions.def"

static_assert(std::is_same<::CUdevice, CUdevice>::value, "CUdevice");
static_assert(std::is_same<::CUdeviceptr, CUdeviceptr>::value, "CUdeviceptr");
static_assert(std::is_same<::CUcontext, CUcontext>::value, "CUcontext");
static_assert(std::is_same<::CUmodule, CUmodule>::value, "CUmodule");
static_assert(std::is_same<::CUfunction, CUfunction>::value, "CUfunction");
static_assert(std::is_same<::CUstream, CUstream>::value, "CUstream");
static_assert(std::is_same<::CUevent, CUevent>::value, "CUevent");
static_assert(sizeof(::CUresult) == sizeof(CUresult), "CUresult");
static_assert(std::is_same<::cuuint32_t, cuuint32_t>::value, "cuuint32_t");
static_assert(std::is_same<::cuuint64_t, cuuint64_t>::value, "cuuint64_t");
static_assert(sizeof(::CUtensorMap) == kTensorMapBytes &&
                  alignof(::CUtensorMap) == kTensorMapAlignment,
              "CUtensorMap");

#define CHECK_CONSTANT(Name)                                                   \
  static_assert(static_cast<long long>(::Name) ==                              \
                    static_cast<long long>(cuda::Name),                        \
                "CudaDriver.h: " #Name " differs from cuda.h");
CHECK_CONSTANT(CUDA_SUCCESS)
CHECK_CONSTANT(CUDA_ERROR_INVALID_VALUE)
CHECK_CONSTANT(CUDA_ERROR_OUT_OF_MEMORY)
CHECK_CONSTANT(CUDA_ERROR_NOT_INITIALIZED)
CHECK_CONSTANT(CUDA_ERROR_DEINITIALIZED)
CHECK_CONSTANT(CUDA_ERROR_STUB_LIBRARY)
CHECK_CONSTANT(CUDA_ERROR_NO_DEVICE)
CHECK_CONSTANT(CUDA_ERROR_NOT_READY)
CHECK_CONSTANT(CU_STREAM_NON_BLOCKING)
CHECK_CONSTANT(CU_EVENT_DEFAULT)
CHECK_CONSTANT(CU_EVENT_DISABLE_TIMING)
CHECK_CONSTANT(CU_MEM_ATTACH_GLOBAL)
CHECK_CONSTANT(CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN)
CHECK_CONSTANT(CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES)
CHECK_CONSTANT(CU_JIT_ERROR_LOG_BUFFER)
CHECK_CONSTANT(CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES)
CHECK_CONSTANT(CU_JIT_OPTIMIZATION_LEVEL)
#undef CHECK_CONSTANT

} // namespace
} // namespace cuda
} // namespace runtime
} // namespace ringattn
