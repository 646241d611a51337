//===- Pipelines.h - ring-lower-cpu and ring-lower-nvvm ---------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The named pipelines from the ring dialect to the LLVM dialect. They sit in
// their own library, above the transforms and both conversions, so that
// neither of those links the other.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_PIPELINES_PIPELINES_H
#define RINGATTN_PIPELINES_PIPELINES_H

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

#include <string>

namespace mlir {
namespace ring {

/// Options of the ring-partition-model pipeline.
struct PartitionModelPipelineOptions
    : public PassPipelineOptions<PartitionModelPipelineOptions> {
  Option<int64_t> blockSize{
      *this, "block-size",
      llvm::cl::desc("Tokens per block of the blockwise feedforward"),
      llvm::cl::init(512)};
};

/// Appends ring-partition-model: from a model in upstream dialects with its
/// tokens split by shard.shard annotations to one rank's program in the
/// ring dialect: attention raised to ring.attention, the shardings
/// propagated and recorded for the caller (ring.sharded_abi), the program
/// partitioned onto local shards (the attention becomes the ring), and the
/// token-wise part computed block by block. ring-lower-cpu or
/// ring-lower-nvvm lowers the result.
void buildPartitionModelPipeline(OpPassManager &pm,
                                 const PartitionModelPipelineOptions &options);

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
      llvm::cl::desc("Target GPU: sm_90 for H100/H200, sm_90a for their "
                     "wgmma forward kernel (runs on sm_90 GPUs only); the "
                     "default sm_80 runs on every GPU with bf16 tensor cores "
                     "(Ampere on), newer ones through its embedded PTX"),
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

/// Adds what the pipelines' input and output need to a context: every
/// upstream dialect and extension, the ring dialect with its bufferization
/// and LLVM conversion interfaces, and the translations to LLVM IR (the GPU
/// dialect's embeds kernel binaries and their launches). Tools that lower
/// and compile ring-level modules (ring-run, libRingAttnCompiler) use it.
void registerPipelineDialects(DialectRegistry &registry);

} // namespace ring
} // namespace mlir

#endif // RINGATTN_PIPELINES_PIPELINES_H
