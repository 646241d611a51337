//===- RingToLLVM.h - Ring communication to runtime calls -------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The lowering of ring communication to the runtime's C ABI, in the LLVM
// dialect, as upstream conversions are shaped (MPIToLLVM): a pattern set,
// and a ConvertToLLVMPatternInterface so that `convert-to-llvm` (and
// `gpu-to-llvm`) lower the ring dialect alongside every other dialect.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_CONVERSION_RINGTOLLVM_H
#define RINGATTN_CONVERSION_RINGTOLLVM_H

#include "mlir/IR/DialectRegistry.h"

namespace mlir {
class LLVMTypeConverter;
class RewritePatternSet;

namespace ring {

/// `ring.shift_start/wait` on buffers to `ringattn_shift_start/wait` calls
/// (`!ring.future` becomes the runtime's handle, `!llvm.ptr`), the rank of a
/// one-axis `shard.grid` to `ringattn_rank()`, and grids, compile-time
/// descriptions, erased. Adds the future's type conversion to `converter`.
void populateRingToLLVMConversionPatterns(LLVMTypeConverter &converter,
                                          RewritePatternSet &patterns);

/// Registers the ring dialect's ConvertToLLVMPatternInterface.
void registerConvertRingToLLVMInterface(DialectRegistry &registry);

} // namespace ring
} // namespace mlir

#endif // RINGATTN_CONVERSION_RINGTOLLVM_H
