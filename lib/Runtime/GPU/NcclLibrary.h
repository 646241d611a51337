//===- NcclLibrary.h - NCCL, loaded at run time -----------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Internal to the GPU runtime. NCCL is opened with dlopen, like the driver,
// so the runtime builds and runs where it is absent. The declarations mirror
// the part of nccl.h we use; NcclSignatureCheck.cpp proves them against
// nccl.h where it is installed.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_LIB_RUNTIME_GPU_NCCLLIBRARY_H
#define RINGATTN_LIB_RUNTIME_GPU_NCCLLIBRARY_H

#include "CudaDriver.h"

#include <climits>
#include <cstddef>
#include <memory>
#include <string>

struct ncclComm; // nccl.h's tag, so the handle types are the same

namespace ringattn {
namespace runtime {
namespace nccl {

using ncclComm_t = ::ncclComm *;
using ncclResult_t = int;   // nccl.h's enum, passed as the int it is
using ncclDataType_t = int; // likewise

enum : ncclResult_t { ncclSuccess = 0, ncclInProgress = 7 };
constexpr ncclDataType_t ncclUint8 = 1;

constexpr size_t uniqueIdBytes = 128;
struct ncclUniqueId {
  char internal[uniqueIdBytes];
};

/// The head of ncclConfig_t as NCCL 2.17 laid it out. NCCL reads `size`
/// bytes of it and takes defaults for fields that `version` predates, so
/// this prefix stays valid for newer libraries.
struct ncclConfig_t {
  size_t size = sizeof(ncclConfig_t);
  unsigned int magic = 0xcafebeef;
  unsigned int version = 21700; // NCCL_VERSION(2, 17, 0)
  int blocking = INT_MIN;       // INT_MIN: NCCL_CONFIG_UNDEF_INT
  int cgaClusterSize = INT_MIN;
  int minCTAs = INT_MIN;
  int maxCTAs = INT_MIN;
};

/// The oldest NCCL the backend runs on: non-blocking communicators and the
/// config layout above.
constexpr int minimumVersion = 21700;

/// NCCL's entry points, resolved once by loadNccl.
struct NcclLibrary {
  std::string path; ///< the library it was loaded from
  int version = 0;  ///< ncclGetVersion's code, e.g. 22809 for 2.28.9
#define NCCL_FUNCTION(Return, Symbol, Parameters)                              \
  Return(*Symbol) Parameters = nullptr;
#include "NcclFunctions.def"
};

/// Opens NCCL at `path`, resolves every entry point of NcclFunctions.def and
/// checks its version. Null, with `why`, if it cannot.
std::unique_ptr<NcclLibrary> loadNccl(const std::string &path,
                                      std::string &why);

/// The process's NCCL, loaded once: $RINGATTN_NCCL_LIBRARY if set (and only
/// that), else libnccl.so.2 from the loader's search path, else
/// /usr/local/cuda/lib64/libnccl.so.2. Null, with `why`, if none loads.
const NcclLibrary *ncclLibrary(std::string &why);

/// "ncclRemoteError: remote process exited or there was a network error",
/// plus NCCL's last error message for `comm` if it has one.
std::string describe(const NcclLibrary &nccl, ncclResult_t result,
                     ncclComm_t comm);

/// "2.28.9" for a version code.
std::string versionString(int code);

} // namespace nccl
} // namespace runtime
} // namespace ringattn

#endif // RINGATTN_LIB_RUNTIME_GPU_NCCLLIBRARY_H
