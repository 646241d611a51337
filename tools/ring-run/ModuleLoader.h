//===- ModuleLoader.h - The input module, lowered ------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// ring-run takes a ring-level module and lowers it with ring-lower-cpu (or
// ring-lower-nvvm for the GPU backends), or a module already lowered by one
// of them for the right kind of backend.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_TOOLS_RINGRUN_MODULELOADER_H
#define RINGATTN_TOOLS_RINGRUN_MODULELOADER_H

#include "Diagnostics.h"
#include "Options.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/SourceMgr.h"

namespace ringattn {

/// Parses and verifies `options.inputFile` into `sourceMgr`'s buffer 1, and
/// lowers it for `options`' backend unless it is already lowered. A failure
/// is the first error `diagnostics` caught, at its position.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
loadModule(mlir::MLIRContext &context, llvm::SourceMgr &sourceMgr,
           const FirstErrorHandler &diagnostics, const RunOptions &options);

/// Fails if `module` was compiled for a CPU with features this one lacks:
/// its code would stop on an illegal instruction.
llvm::Error checkHostCanRun(mlir::ModuleOp module);

} // namespace ringattn

#endif // RINGATTN_TOOLS_RINGRUN_MODULELOADER_H
