//===- CpuTarget.h - The CPU a module is compiled for -----------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The CPU kernels are register-tiled: their vector width and tile shape must
// match the machine's vector registers (16 ymm on AVX2, 32 zmm on AVX-512),
// or LLVM splits and spills them. A module names its CPU the way upstream
// MLIR does, with `llvm.target = #llvm.target<triple, chip, features>` on
// the module; ring-set-cpu-target puts it there (the host by default), the
// kernel lowering reads it, and the same pass copies it onto every
// llvm.func so that the JIT and an AOT compile generate code for it.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_TRANSFORMS_CPUTARGET_H
#define RINGATTN_TRANSFORMS_CPUTARGET_H

#include "mlir/Dialect/LLVMIR/LLVMAttrs.h"
#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace mlir {
namespace ring {

/// The register tile of the CPU attention kernel on one target.
struct CpuKernelShape {
  int64_t lanes;        ///< f32 lanes of one vector register
  int64_t vectorRegs;   ///< architectural vector registers
  int64_t rows;         ///< query rows of one micro-kernel
  int64_t scoreVectors; ///< key vectors of the Q K^T register tile
  int64_t outVectors;   ///< output vectors of the P V register tile

  /// Keys one Q K^T micro-kernel covers.
  int64_t keyChunk() const { return scoreVectors * lanes; }

  /// The tile for a comma-separated LLVM feature list ("+avx2,+fma,...").
  static CpuKernelShape forFeatures(StringRef features);
};

/// The module's `llvm.target`, if it names one.
LLVM::TargetAttr getCpuTarget(ModuleOp module);

/// The kernel tile for `op`'s module target, or for the host when the module
/// names none.
CpuKernelShape getCpuKernelShape(Operation *op);

/// The target `cpu` with `features` (+x/-x, comma-separated) applied; an
/// empty `cpu` means the host CPU with its detected features. Fails with a
/// message naming what is unknown.
FailureOr<LLVM::TargetAttr> resolveCpuTarget(MLIRContext *context,
                                             StringRef cpu, StringRef features,
                                             std::string &error);

/// The features of `target` that the host CPU lacks (code using them would
/// stop on an illegal instruction here), comma-separated; empty if none.
std::string featuresMissingOnHost(LLVM::TargetAttr target);

} // namespace ring
} // namespace mlir

#endif // RINGATTN_TRANSFORMS_CPUTARGET_H
