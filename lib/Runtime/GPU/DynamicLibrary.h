//===- DynamicLibrary.h - dlopen and dlsym with their errors ----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Internal to the GPU runtime: the CUDA driver and NCCL are opened at run
// time; these wrap the calls and keep dlerror()'s message for the caller to
// put in its own words.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_LIB_RUNTIME_GPU_DYNAMICLIBRARY_H
#define RINGATTN_LIB_RUNTIME_GPU_DYNAMICLIBRARY_H

#include <dlfcn.h>
#include <string>

namespace ringattn {
namespace runtime {

/// dlopen(path, RTLD_NOW | RTLD_LOCAL), or null with dlerror()'s message in
/// `error`.
inline void *openLibrary(const std::string &path, std::string &error) {
  dlerror();
  void *library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    const char *message = dlerror();
    error = message ? message : "unknown error";
  }
  return library;
}

/// Points `function` at `symbol` of `library`, or returns false with
/// dlerror()'s message in `error`.
template <typename Function>
bool findFunction(void *library, const char *symbol, Function &function,
                  std::string &error) {
  dlerror();
  void *address = dlsym(library, symbol);
  if (!address) {
    const char *message = dlerror();
    error = message ? message : "not found";
    return false;
  }
  function = reinterpret_cast<Function>(address);
  return true;
}

} // namespace runtime
} // namespace ringattn

#endif // RINGATTN_LIB_RUNTIME_GPU_DYNAMICLIBRARY_H
