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
// reported as errors instead of becoming a crash at run time. The one
// exception is the deallocation's bookkeeping (buffers of index or i1
// elements), which stays on the host and which no kernel may touch.
//
//===----------------------------------------------------------------------===//

#include "KernelModule.h"

#include "RingAttn/Conversion/Passes.h"
#include "RingAttn/Conversion/RingToGPU.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Utils/GPUUtils.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/TypeSwitch.h"

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

/// Buffers of `index` or `i1` elements are the host's bookkeeping: the
/// pointers and ownership flags with which convert-bufferization-to-memref
/// decides at run time which buffers to free (when loops make ownership
/// dynamic). They stay in host memory, and host code reads and writes
/// them; no kernel may (checkOffloadable).
bool isHostBookkeeping(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  return memref && (memref.getElementType().isIndex() ||
                    memref.getElementType().isInteger(1));
}

/// The buffer a load, store or alloca touches.
Value accessedBuffer(Operation *op) {
  return TypeSwitch<Operation *, Value>(op)
      .Case<memref::LoadOp, memref::StoreOp>(
          [](auto access) { return access.getMemRef(); })
      .Case<memref::AllocaOp>([](auto alloca) { return alloca.getMemref(); })
      .Case<vector::LoadOp, vector::StoreOp>(
          [](auto access) { return access.getBase(); })
      .Case<vector::TransferReadOp, vector::TransferWriteOp>(
          [](auto access) { return access.getBase(); })
      .Default([](Operation *) { return Value(); });
}

/// One thread per iteration of an outermost host `scf.parallel`: thread t
/// runs the iteration whose row-major linear index is t. The kernel goes to
/// the module's @ring_kernels.
struct ParallelLoopToKernel : OpRewritePattern<scf::ParallelOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(scf::ParallelOp loop,
                                PatternRewriter &rewriter) const override {
    if (onDevice(loop) || loop->getParentOfType<scf::ParallelOp>())
      return rewriter.notifyMatchFailure(loop, "not an outermost host loop");
    if (loop.getNumReductions() != 0)
      return rewriter.notifyMatchFailure(loop, "reductions");
    ImplicitLocOpBuilder b(loop.getLoc(), rewriter);
    auto idx = [&](int64_t v) { return arith::ConstantIndexOp::create(b, v); };
    SmallVector<Value> counts;
    Value total = idx(1);
    for (auto [lb, ub, step] : llvm::zip(
             loop.getLowerBound(), loop.getUpperBound(), loop.getStep())) {
      // Folded where the bounds are static, so that the kernel divides by
      // constants (multiplies and shifts) instead of 64-bit arguments.
      Value count = b.createOrFold<arith::CeilDivUIOp>(
          b.createOrFold<arith::SubIOp>(ub, lb), step);
      counts.push_back(count);
      total = b.createOrFold<arith::MulIOp>(total, count);
    }
    Value blocks = b.createOrFold<arith::MaxUIOp>(
        b.createOrFold<arith::CeilDivUIOp>(total, idx(kThreadsPerBlock)),
        idx(1));
    Value one = idx(1);
    auto launch = gpu::LaunchOp::create(b, blocks, one, one,
                                        idx(kThreadsPerBlock), one, one);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(&launch.getBody().front());
      Value linear =
          arith::AddIOp::create(b,
                                arith::MulIOp::create(b, launch.getBlockIds().x,
                                                      idx(kThreadsPerBlock)),
                                launch.getThreadIds().x);
      Value inRange =
          arith::CmpIOp::create(b, arith::CmpIPredicate::ult, linear, total);
      auto guardIf = scf::IfOp::create(b, inRange, /*withElseRegion=*/false);
      gpu::TerminatorOp::create(b);

      b.setInsertionPointToStart(guardIf.thenBlock());
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
    }
    rewriter.eraseOp(loop);

    // Constants travel into the kernel instead of becoming arguments.
    rewriter.modifyOpInPlace(launch, [&] {
      (void)sinkOperationsIntoLaunchOp(launch, [](Operation *op) {
        return op->hasTrait<OpTrait::ConstantLike>();
      });
    });
    // Outlined next to the attention kernels, renamed if the name is taken.
    SmallVector<Value> operands;
    gpu::GPUFuncOp kernel = outlineKernelFunc(launch, "elementwise", operands);
    auto module = launch->getParentOfType<ModuleOp>();
    SymbolTable(getOrCreateKernelModule(rewriter, module)).insert(kernel);
    b.setInsertionPoint(launch);
    gpu::LaunchFuncOp::create(b, kernel, launch.getGridSizeOperandValues(),
                              launch.getBlockSizeOperandValues(), Value(),
                              operands);
    rewriter.eraseOp(launch);
    return success();
  }
};

/// Host buffers are device buffers.
struct AllocOnDevice : OpRewritePattern<memref::AllocOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(memref::AllocOp alloc,
                                PatternRewriter &rewriter) const override {
    if (onDevice(alloc))
      return rewriter.notifyMatchFailure(alloc, "in a kernel");
    if (isHostBookkeeping(alloc.getType()))
      return rewriter.notifyMatchFailure(alloc, "host bookkeeping");
    auto device = gpu::AllocOp::create(
        rewriter, alloc.getLoc(), alloc.getType(), Type(), ValueRange{},
        alloc.getDynamicSizes(), alloc.getSymbolOperands());
    rewriter.replaceOp(alloc, device.getMemref());
    return success();
  }
};

struct DeallocOnDevice : OpRewritePattern<memref::DeallocOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(memref::DeallocOp dealloc,
                                PatternRewriter &rewriter) const override {
    if (onDevice(dealloc))
      return rewriter.notifyMatchFailure(dealloc, "in a kernel");
    if (isHostBookkeeping(dealloc.getMemref().getType()))
      return rewriter.notifyMatchFailure(dealloc, "host bookkeeping");
    gpu::DeallocOp::create(rewriter, dealloc.getLoc(), Type(), ValueRange{},
                           dealloc.getMemref());
    rewriter.eraseOp(dealloc);
    return success();
  }
};

bool contiguous(Value buffer) {
  return memref::isStaticShapeAndContiguousRowMajor(
      cast<MemRefType>(buffer.getType()));
}

/// A copy between contiguous buffers is a gpu.memcpy; any other, a parallel
/// loop, which becomes a kernel like every other.
struct CopyOnDevice : OpRewritePattern<memref::CopyOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(memref::CopyOp copy,
                                PatternRewriter &rewriter) const override {
    if (onDevice(copy))
      return rewriter.notifyMatchFailure(copy, "in a kernel");
    ImplicitLocOpBuilder b(copy.getLoc(), rewriter);
    if (contiguous(copy.getSource()) && contiguous(copy.getTarget())) {
      gpu::MemcpyOp::create(b, Type(), ValueRange{}, copy.getTarget(),
                            copy.getSource());
      rewriter.eraseOp(copy);
      return success();
    }
    auto type = cast<MemRefType>(copy.getSource().getType());
    SmallVector<Value> lbs, ubs, steps;
    for (int64_t d = 0; d < type.getRank(); ++d) {
      lbs.push_back(arith::ConstantIndexOp::create(b, 0));
      ubs.push_back(memref::DimOp::create(b, copy.getSource(), d));
      steps.push_back(arith::ConstantIndexOp::create(b, 1));
    }
    scf::ParallelOp::create(
        b, lbs, ubs, steps,
        [&](OpBuilder &nested, Location loc, ValueRange ivs) {
          Value element =
              memref::LoadOp::create(nested, loc, copy.getSource(), ivs);
          memref::StoreOp::create(nested, loc, element, copy.getTarget(), ivs);
        });
    rewriter.eraseOp(copy);
    return success();
  }
};

/// The loops the patterns cannot launch are errors: said where they are.
LogicalResult checkOffloadable(ModuleOp module) {
  WalkResult result = module.walk([](scf::ParallelOp loop) {
    if (onDevice(loop))
      return WalkResult::advance();
    if (loop.getNumReductions() != 0) {
      loop.emitError("a parallel loop with reductions cannot be offloaded to "
                     "the GPU");
      return WalkResult::interrupt();
    }
    WalkResult bookkeeping = loop.walk([](Operation *op) {
      Value buffer = accessedBuffer(op);
      if (!buffer || !isHostBookkeeping(buffer.getType()))
        return WalkResult::advance();
      op->emitError("a kernel would access a buffer of index or i1 elements, "
                    "which stays in host memory (the deallocation's "
                    "bookkeeping)");
      return WalkResult::interrupt();
    });
    return bookkeeping.wasInterrupted() ? WalkResult::interrupt()
                                        : WalkResult::advance();
  });
  return failure(result.wasInterrupted());
}

/// Every buffer a host function sees is device memory: a host-side access
/// left behind would read it from the CPU.
LogicalResult checkNoHostAccess(ModuleOp module) {
  WalkResult hostAccess = module.walk([&](Operation *op) {
    Value buffer = accessedBuffer(op);
    if (onDevice(op) || !buffer || isHostBookkeeping(buffer.getType()))
      return WalkResult::advance();
    op->emitError("host code of a GPU module would access device memory "
                  "here; only element-wise loops are offloaded");
    return WalkResult::interrupt();
  });
  return failure(hostAccess.wasInterrupted());
}

struct RingOffloadToGPUPass
    : ring::impl::RingOffloadToGPUBase<RingOffloadToGPUPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (failed(checkOffloadable(module)))
      return signalPassFailure();
    RewritePatternSet patterns(&getContext());
    populateRingOffloadToGPUPatterns(patterns);
    GreedyRewriteConfig config;
    config.enableFolding(false).setRegionSimplificationLevel(
        GreedySimplifyRegionLevel::Disabled);
    if (failed(applyPatternsGreedily(module, std::move(patterns), config)) ||
        failed(checkNoHostAccess(module)))
      signalPassFailure();
  }
};

} // namespace

void mlir::ring::populateRingOffloadToGPUPatterns(RewritePatternSet &patterns) {
  patterns
      .add<ParallelLoopToKernel, AllocOnDevice, DeallocOnDevice, CopyOnDevice>(
          patterns.getContext());
}
