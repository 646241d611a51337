//===- CompiledObject.h - Object code, cached or compiled ---*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// With --cache-dir, ring-run keeps the object code it compiled and loads it
// again for the same lowered module, CPU and LLVM (objectCacheKey).
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_TOOLS_RINGRUN_COMPILEDOBJECT_H
#define RINGATTN_TOOLS_RINGRUN_COMPILEDOBJECT_H

#include "Diagnostics.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <string>

namespace ringattn {

/// The object code of `module`: from `cacheDir` when it holds one under
/// `key` and `readCache` (`source` becomes "cache"), else compiled and then
/// kept there ("compiled"; empty `cacheDir`: no cache). A failure to
/// compile carries the first error `diagnostics` caught.
llvm::Expected<std::string>
objectFor(mlir::ModuleOp module, const std::string &key,
          const std::string &cacheDir, bool readCache,
          const FirstErrorHandler &diagnostics, const char *&source);
} // namespace ringattn

#endif // RINGATTN_TOOLS_RINGRUN_COMPILEDOBJECT_H
