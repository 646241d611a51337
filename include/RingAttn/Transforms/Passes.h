//===- Passes.h - RingAttn passes and pipelines -----------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

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
  Option<int64_t> queryTile{
      *this, "query-tile",
      llvm::cl::desc("Query rows per tile; 0: chosen for the target"),
      llvm::cl::init(0)};
  Option<int64_t> keyTile{
      *this, "key-tile",
      llvm::cl::desc("Key rows per tile; 0: chosen for the target"),
      llvm::cl::init(0)};
  Option<std::string> targetCpu{
      *this, "target-cpu",
      llvm::cl::desc("LLVM CPU to compile for (x86-64-v3, znver4, ...); "
                     "empty: the host"),
      llvm::cl::init("")};
  Option<std::string> targetFeatures{
      *this, "target-features",
      llvm::cl::desc("+feature/-feature changes to the CPU's features "
                     "(+avx2,-avx512f)"),
      llvm::cl::init("")};
};

/// Appends ring-lower-cpu: from the ring dialect on tensors to the LLVM
/// dialect, ready for the JIT or for translation to an object file.
void buildLowerCPUPipeline(OpPassManager &pm,
                           const LowerCPUPipelineOptions &options);

/// Options of the ring-lower-nvvm pipeline.
struct LowerNVVMPipelineOptions
    : public PassPipelineOptions<LowerNVVMPipelineOptions> {
  Option<std::string> chip{
      *this, "chip",
      llvm::cl::desc("Target GPU: sm_90 for H100/H200; the default sm_80 "
                     "runs on every GPU with bf16 tensor cores (Ampere on), "
                     "newer ones through its embedded PTX"),
      llvm::cl::init("sm_80")};
  Option<std::string> features{
      *this, "features",
      llvm::cl::desc("PTX features; empty picks the PTX version the chip "
                     "needs (+ptx80 for sm_90)"),
      llvm::cl::init("")};
  Option<std::string> format{
      *this, "format",
      llvm::cl::desc("What the module embeds: 'fatbin' (machine code and "
                     "PTX), 'bin' (cubin), 'isa' (PTX, compiled by the "
                     "driver at load); 'auto' is fatbin where ptxas is "
                     "found and isa where it is not"),
      llvm::cl::init("auto")};
  Option<bool> tensorCores{
      *this, "tensor-cores",
      llvm::cl::desc("mma.sync kernels for f16/bf16 blocks"),
      llvm::cl::init(true)};
};

/// Appends ring-lower-nvvm: from the ring dialect on tensors to the LLVM
/// dialect for the host, with the kernels compiled for the chip and
/// embedded as a gpu.binary, and communication as runtime calls that the
/// GPU backends run on their communication streams.
void buildLowerNVVMPipeline(OpPassManager &pm,
                            const LowerNVVMPipelineOptions &options);

/// Registers the named pipelines (ring-lower-cpu, ...) with the pass registry.
void registerRingPipelines();

} // namespace ring
} // namespace mlir

#endif // RINGATTN_TRANSFORMS_PASSES_H
