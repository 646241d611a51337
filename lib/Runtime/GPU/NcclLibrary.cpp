//===- NcclLibrary.cpp - Loading NCCL -------------------------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "NcclLibrary.h"
#include "DynamicLibrary.h"
#include "Format.h"

#include <cstdlib>
#include <dlfcn.h>

namespace ringattn {
namespace runtime {
namespace nccl {

std::string versionString(int code) {
  // NCCL_VERSION: X*1000+Y*100+Z up to 2.8, X*10000+Y*100+Z after.
  if (code >= 10000)
    return formatString("%d.%d.%d", code / 10000, code % 10000 / 100,
                        code % 100);
  return formatString("%d.%d.%d", code / 1000, code % 1000 / 100, code % 100);
}

template <typename Function>
static bool resolve(void *library, const char *symbol, Function &function,
                    const std::string &path, std::string &why) {
  std::string error;
  if (findFunction(library, symbol, function, error))
    return true;
  why = formatString("NCCL at %s has no %s (%s)", path.c_str(), symbol,
                     error.c_str());
  return false;
}

std::unique_ptr<NcclLibrary> loadNccl(const std::string &path,
                                      std::string &why) {
  std::string error;
  void *library = openLibrary(path, error);
  if (!library) {
    why = formatString("cannot load NCCL %s: %s", path.c_str(), error.c_str());
    return nullptr;
  }
  auto nccl = std::make_unique<NcclLibrary>();
  nccl->path = path;
#define NCCL_FUNCTION(Return, Symbol, Parameters)                              \
  if (!resolve(library, #Symbol, nccl->Symbol, path, why)) {                   \
    dlclose(library);                                                          \
    return nullptr;                                                            \
  }
#include "NcclFunctions.def"
  if (ncclResult_t result = nccl->ncclGetVersion(&nccl->version)) {
    why = formatString("ncclGetVersion failed in %s: %s", path.c_str(),
                       nccl->ncclGetErrorString(result));
    return nullptr;
  }
  if (nccl->version < minimumVersion) {
    why = formatString("NCCL %s at %s is too old; the NCCL backend needs %s "
                       "or newer",
                       versionString(nccl->version).c_str(), path.c_str(),
                       versionString(minimumVersion).c_str());
    return nullptr;
  }
  return nccl;
}

namespace {
struct ProcessNccl {
  std::unique_ptr<NcclLibrary> library;
  std::string why;
};
} // namespace

static ProcessNccl initializeNccl() {
  ProcessNccl process;
  const char *override = std::getenv("RINGATTN_NCCL_LIBRARY");
  if (override && *override) {
    // An explicit choice that fails is an error, not a cue to look elsewhere.
    process.library = loadNccl(override, process.why);
    if (!process.library)
      process.why += " (from RINGATTN_NCCL_LIBRARY)";
    return process;
  }
  std::string whyNot;
  for (const char *path :
       {"libnccl.so.2", "/usr/local/cuda/lib64/libnccl.so.2"}) {
    std::string why;
    process.library = loadNccl(path, why);
    if (process.library)
      return process;
    whyNot += whyNot.empty() ? why : "; " + why;
  }
  process.why = whyNot + "; the NCCL backend needs NCCL " +
                versionString(minimumVersion) +
                " or newer (set RINGATTN_NCCL_LIBRARY to its path)";
  return process;
}

const NcclLibrary *ncclLibrary(std::string &why) {
  static const ProcessNccl process = initializeNccl();
  if (!process.library)
    why = process.why;
  return process.library.get();
}

std::string describe(const NcclLibrary &nccl, ncclResult_t result,
                     ncclComm_t comm) {
  std::string text = formatString("%s (ncclResult_t %d)",
                                  nccl.ncclGetErrorString(result), result);
  const char *last = nccl.ncclGetLastError(comm);
  if (last && *last)
    text += formatString("; NCCL says: %s", last);
  return text;
}

} // namespace nccl
} // namespace runtime
} // namespace ringattn
