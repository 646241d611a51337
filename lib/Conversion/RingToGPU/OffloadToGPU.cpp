//===- OffloadToGPU.cpp - Host functions that drive a GPU -----------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// After bufferization and linalg-to-loops, the host functions of a GPU
// module still hold the element-wise work around the kernels (the merge of
// ring.combine, fills, dtype conversion of the result) as scf.parallel
// nests, and their buffers as memref allocations. This pass moves all of it
// to the device:
//
//  - each outermost scf.parallel becomes a kernel of one thread per
//    iteration (flattened, 256 threads a block) in gpu.module @ring_kernels,
//    next to the attention kernels, so the module embeds one binary;
//  - memref.alloc / dealloc become gpu.alloc / dealloc;
//  - memref.copy becomes gpu.memcpy when both sides are contiguous, and a
//    copy kernel otherwise.
//
// Every buffer a host function sees is then device memory, so a host-side
// load or store left behind would read it from the CPU: such ops are
// reported as errors instead of becoming a crash at run time.
//
//===----------------------------------------------------------------------===//

#include "KernelModule.h"

#include "RingAttn/Conversion/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Utils/GPUUtils.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace mlir {
namespace ring {
#define GEN_PASS_DEF_RINGOFFLOADTOGPU
#include "RingAttn/Conversion/Passes.h.inc"
} // namespace ring
} // namespace mlir

using namespace mlir;
using namespace mlir::ring;

namespace {

constexpr int64_t kThreadsPerBlock = 256;

bool onDevice(Operation *op) {
  return op->getParentOfType<gpu::LaunchOp>() ||
         op->getParentOfType<gpu::GPUModuleOp>();
}

/// One thread per iteration of `loop`: thread t runs the iteration whose
/// row-major linear index is t. The kernel goes to `kernels`.
LogicalResult launchParallelLoop(scf::ParallelOp loop,
                                 gpu::GPUModuleOp kernels) {
  if (loop.getNumReductions() != 0)
    return loop.emitError("a parallel loop with reductions cannot be "
                          "offloaded to the GPU");
  ImplicitLocOpBuilder b(loop.getLoc(), loop);
  auto idx = [&](int64_t v) { return arith::ConstantIndexOp::create(b, v); };
  SmallVector<Value> counts;
  Value total = idx(1);
  for (auto [lb, ub, step] :
       llvm::zip(loop.getLowerBound(), loop.getUpperBound(), loop.getStep())) {
    Value count =
        arith::CeilDivUIOp::create(b, arith::SubIOp::create(b, ub, lb), step);
    counts.push_back(count);
    total = arith::MulIOp::create(b, total, count);
  }
  Value blocks = arith::MaxUIOp::create(
      b, arith::CeilDivUIOp::create(b, total, idx(kThreadsPerBlock)), idx(1));
  Value one = idx(1);
  auto launch = gpu::LaunchOp::create(b, blocks, one, one,
                                      idx(kThreadsPerBlock), one, one);

  b.setInsertionPointToStart(&launch.getBody().front());
  Value linear = arith::AddIOp::create(
      b,
      arith::MulIOp::create(b, launch.getBlockIds().x, idx(kThreadsPerBlock)),
      launch.getThreadIds().x);
  Value inRange =
      arith::CmpIOp::create(b, arith::CmpIPredicate::ult, linear, total);
  auto guard = scf::IfOp::create(b, inRange, /*withElseRegion=*/false);
  gpu::TerminatorOp::create(b);

  b.setInsertionPointToStart(guard.thenBlock());
  IRMapping mapping;
  Value rest = linear;
  for (int64_t i = loop.getNumLoops() - 1; i >= 0; --i) {
    Value position = arith::RemUIOp::create(b, rest, counts[i]);
    rest = arith::DivUIOp::create(b, rest, counts[i]);
    Value iv = arith::AddIOp::create(
        b, loop.getLowerBound()[i],
        arith::MulIOp::create(b, position, loop.getStep()[i]));
    mapping.map(loop.getInductionVars()[i], iv);
  }
  for (Operation &op : loop.getBody()->without_terminator())
    b.clone(op, mapping);
  loop.erase();

  // Constants travel into the kernel instead of becoming arguments.
  (void)sinkOperationsIntoLaunchOp(launch, [](Operation *op) {
    return op->hasTrait<OpTrait::ConstantLike>();
  });
  SmallVector<Value> operands;
  gpu::GPUFuncOp kernel = outlineKernelFunc(launch, "elementwise", operands);
  SymbolTable(kernels).insert(kernel); // renamed if taken
  b.setInsertionPoint(launch);
  gpu::LaunchFuncOp::create(b, kernel, launch.getGridSizeOperandValues(),
                            launch.getBlockSizeOperandValues(), Value(),
                            operands);
  launch.erase();
  return success();
}

/// A copy loop for buffers gpu.memcpy cannot take (strided views).
void copyLoop(memref::CopyOp copy) {
  ImplicitLocOpBuilder b(copy.getLoc(), copy);
  auto type = cast<MemRefType>(copy.getSource().getType());
  SmallVector<Value> lbs, ubs, steps;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    lbs.push_back(arith::ConstantIndexOp::create(b, 0));
    ubs.push_back(memref::DimOp::create(b, copy.getSource(), d));
    steps.push_back(arith::ConstantIndexOp::create(b, 1));
  }
  scf::ParallelOp::create(
      b, lbs, ubs, steps, [&](OpBuilder &nested, Location loc, ValueRange ivs) {
        Value element =
            memref::LoadOp::create(nested, loc, copy.getSource(), ivs);
        memref::StoreOp::create(nested, loc, element, copy.getTarget(), ivs);
      });
  copy.erase();
}

bool contiguous(Value buffer) {
  return memref::isStaticShapeAndContiguousRowMajor(
      cast<MemRefType>(buffer.getType()));
}

struct RingOffloadToGPUPass
    : ring::impl::RingOffloadToGPUBase<RingOffloadToGPUPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();

    // Buffers and copies first: strided copies become loops the next step
    // launches.
    SmallVector<Operation *> memoryOps;
    module.walk([&](Operation *op) {
      if (!onDevice(op) &&
          isa<memref::AllocOp, memref::DeallocOp, memref::CopyOp>(op))
        memoryOps.push_back(op);
    });
    for (Operation *op : memoryOps) {
      ImplicitLocOpBuilder b(op->getLoc(), op);
      if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
        auto deviceAlloc = gpu::AllocOp::create(
            b, alloc.getType(), Type(), ValueRange{}, alloc.getDynamicSizes(),
            alloc.getSymbolOperands());
        alloc.replaceAllUsesWith(deviceAlloc.getMemref());
        alloc.erase();
      } else if (auto dealloc = dyn_cast<memref::DeallocOp>(op)) {
        gpu::DeallocOp::create(b, Type(), ValueRange{}, dealloc.getMemref());
        dealloc.erase();
      } else if (auto copy = dyn_cast<memref::CopyOp>(op)) {
        if (contiguous(copy.getSource()) && contiguous(copy.getTarget())) {
          gpu::MemcpyOp::create(b, Type(), ValueRange{}, copy.getTarget(),
                                copy.getSource());
          copy.erase();
        } else {
          copyLoop(copy);
        }
      }
    }

    SmallVector<scf::ParallelOp> loops;
    module.walk([&](scf::ParallelOp loop) {
      if (!onDevice(loop) && !loop->getParentOfType<scf::ParallelOp>())
        loops.push_back(loop);
    });
    if (!loops.empty()) {
      OpBuilder builder(module.getContext());
      gpu::GPUModuleOp kernels = getOrCreateKernelModule(builder, module);
      for (scf::ParallelOp loop : loops)
        if (failed(launchParallelLoop(loop, kernels)))
          return signalPassFailure();
    }

    WalkResult hostAccess = module.walk([&](Operation *op) {
      if (onDevice(op) ||
          !isa<memref::LoadOp, memref::StoreOp, memref::AllocaOp,
               vector::LoadOp, vector::StoreOp, vector::TransferReadOp,
               vector::TransferWriteOp>(op))
        return WalkResult::advance();
      op->emitError("host code of a GPU module would access device memory "
                    "here; only element-wise loops are offloaded");
      return WalkResult::interrupt();
    });
    if (hostAccess.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
