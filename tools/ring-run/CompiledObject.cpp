//===- CompiledObject.cpp - ring-run's object code, cached or compiled ----===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "CompiledObject.h"

#include "RingAttn/ExecutionEngine/HostCompiler.h"

#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace ringattn {

llvm::Expected<std::string> objectFor(ModuleOp module, const std::string &key,
                                      const std::string &cacheDir,
                                      bool readCache,
                                      const FirstErrorHandler &diagnostics,
                                      const char *&source) {
  source = "cache";
  if (readCache && !cacheDir.empty())
    if (auto cached = readCachedObject(cacheDir, key))
      return cached->getBuffer().str();
  source = "compiled";
  auto object = compileToObject(module);
  if (!object) {
    // Translation to LLVM IR reports its reason as a diagnostic.
    std::string error =
        "JIT compilation failed: " + toString(object.takeError());
    if (diagnostics.hasError())
      error += ": " + diagnostics.where() + diagnostics.message();
    return llvm::createStringError(error);
  }
  std::string cacheError;
  if (!cacheDir.empty() &&
      !writeCachedObject(cacheDir, key, **object, cacheError))
    llvm::errs() << "ring-run: warning: not cached: " << cacheError << "\n";
  return (*object)->getBuffer().str();
}
} // namespace ringattn
