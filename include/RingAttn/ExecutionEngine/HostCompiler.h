//===- HostCompiler.h - Lowered modules to loaded host code -----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// RingAttn compiles in two steps so that the object in between can travel
// and be kept: compileToObject turns a module lowered to the LLVM dialect
// into a relocatable object for this CPU (LLVM -O3), and LoadedObject links
// such an object into the process with the runtime's C ABI resolvable. Under
// MPI one process compiles and the others load the object it sends; with a
// cache directory, an object compiled before for the same lowered module,
// CPU and LLVM is loaded without compiling.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_EXECUTIONENGINE_HOSTCOMPILER_H
#define RINGATTN_EXECUTIONENGINE_HOSTCOMPILER_H

#include "mlir/IR/BuiltinOps.h"

#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <memory>
#include <string>

namespace ringattn {

/// Compiles `module` (lowered to the LLVM dialect, for this CPU or one it
/// runs) to an object file in memory.
llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
compileToObject(mlir::ModuleOp module);

/// What names an object in the cache: a hash of the lowered module, this
/// CPU and the LLVM that compiles it.
std::string objectCacheKey(mlir::ModuleOp module);

/// The object `key` names in `directory`, or null if there is none.
std::unique_ptr<llvm::MemoryBuffer>
readCachedObject(const std::string &directory, const std::string &key);

/// Keeps `object` in `directory` under `key` (atomically; false with `error`
/// when the directory cannot be written).
bool writeCachedObject(const std::string &directory, const std::string &key,
                       const llvm::MemoryBuffer &object, std::string &error);

/// An object linked into this process; its global constructors have run (a
/// GPU module loads its kernels there) and its destructors run with it.
class LoadedObject {
public:
  static llvm::Expected<std::unique_ptr<LoadedObject>>
  load(std::unique_ptr<llvm::MemoryBuffer> object);
  ~LoadedObject();

  /// The address of the function `symbol`.
  llvm::Expected<void *> lookup(llvm::StringRef symbol);

  /// Links `object` into this process and finds the entry `symbol` in it.
  static llvm::Expected<std::unique_ptr<LoadedObject>>
  loadEntry(llvm::StringRef object, llvm::StringRef symbol, void *&function);

private:
  explicit LoadedObject(std::unique_ptr<llvm::orc::LLJIT> jit)
      : jit_(std::move(jit)) {}
  std::unique_ptr<llvm::orc::LLJIT> jit_;
};

} // namespace ringattn

#endif // RINGATTN_EXECUTIONENGINE_HOSTCOMPILER_H
