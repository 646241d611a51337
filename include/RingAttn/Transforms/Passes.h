//===- Passes.h - RingAttn passes and pipelines -----------------*- C++ -*-===//

#ifndef RINGATTN_TRANSFORMS_PASSES_H
#define RINGATTN_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Shard/IR/ShardDialect.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir {
namespace ring {

#define GEN_PASS_DECL
#include "RingAttn/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "RingAttn/Transforms/Passes.h.inc"

/// Options of the ring-lower-cpu pipeline.
struct LowerCPUPipelineOptions
    : public PassPipelineOptions<LowerCPUPipelineOptions> {
  Option<int64_t> queryTile{*this, "query-tile",
                            llvm::cl::desc("Query rows per tile"),
                            llvm::cl::init(64)};
  Option<int64_t> keyTile{*this, "key-tile",
                          llvm::cl::desc("Key rows per tile"),
                          llvm::cl::init(64)};
};

/// Appends ring-lower-cpu: from the ring dialect on tensors to the LLVM
/// dialect, ready for the JIT or for translation to an object file.
void buildLowerCPUPipeline(OpPassManager &pm,
                           const LowerCPUPipelineOptions &options);

/// Registers the named pipelines (ring-lower-cpu, ...) with the pass registry.
void registerRingPipelines();

} // namespace ring
} // namespace mlir

#endif // RINGATTN_TRANSFORMS_PASSES_H
