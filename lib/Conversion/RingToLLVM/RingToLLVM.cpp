//===- RingToLLVM.cpp - Ring communication as runtime calls ---------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Lowers the buffer form of the ring communication ops, and the rank query
// of the shard dialect, to calls into the runtime's C ABI
// (include/RingAttn/Runtime/RingRuntime.h), in the LLVM dialect:
//
//   %f = ring.shift_start %src into %dst ring @g axis 0 offset k : memref<..>
//     => %f = llvm.call @ringattn_shift_start(&src[0], &dst[0], bytes, k)
//   %r = ring.shift_wait %f          => llvm.call @ringattn_shift_wait(%f)
//                                       (%r is %dst: the bytes landed there)
//   shard.process_multi_index on @g  => llvm.call @ringattn_rank()
//   shard.grid @g                    => erased (a compile-time description)
//
// The patterns are reachable three ways: populateRingToLLVMConversionPatterns,
// the convert-ring-to-llvm pass, and the ring dialect's
// ConvertToLLVMPatternInterface (upstream convert-to-llvm and gpu-to-llvm).
//
//===----------------------------------------------------------------------===//

#include "RingAttn/Conversion/RingToLLVM.h"

#include "RingAttn/Conversion/Passes.h"
#include "RingAttn/Conversion/RuntimeFunctions.h"
#include "RingAttn/Dialect/Ring/IR/RingOps.h"

#include "mlir/Conversion/ConvertToLLVM/ToLLVMInterface.h"
#include "mlir/Conversion/LLVMCommon/MemRefBuilder.h"
#include "mlir/Conversion/LLVMCommon/Pattern.h"
#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir {
namespace ring {
#define GEN_PASS_DEF_CONVERTRINGTOLLVM
#include "RingAttn/Conversion/Passes.h.inc"
} // namespace ring
} // namespace mlir

using namespace mlir;
using namespace mlir::ring;

namespace {

using ringattn::abi::Function;

/// A call of the runtime's `function`, declared in the module on first use.
FailureOr<LLVM::CallOp> callRuntime(ConversionPatternRewriter &rewriter,
                                    Operation *op, Function function,
                                    ValueRange operands) {
  auto module = op->getParentOfType<ModuleOp>();
  FailureOr<LLVM::LLVMFuncOp> callee =
      declareRuntimeLLVMFunction(rewriter, module, function);
  if (failed(callee))
    return failure();
  return LLVM::CallOp::create(rewriter, op->getLoc(), *callee, operands);
}

/// `ringattn_shift_start(&source[0], &dest[0], bytes, offset)`: the bytes
/// of the whole buffer (the verifier has checked that it is one contiguous
/// range of whole-byte elements whose size fits int64, on a 1-D grid).
struct ShiftStartLowering : ConvertOpToLLVMPattern<ShiftStartOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;

  LogicalResult
  matchAndRewrite(ShiftStartOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = dyn_cast<MemRefType>(op.getSource().getType());
    if (!type || !op.getDest())
      return rewriter.notifyMatchFailure(op, "a shift of a tensor");
    Location loc = op.getLoc();
    Type i64 = rewriter.getI64Type();
    // In bytes, by the element size the verifier checked (the data layout's
    // for index), whatever type the element converts to.
    Value elementBytes =
        LLVM::ConstantOp::create(rewriter, loc, i64, *op.getElementBytes());
    auto firstElement = [&](Value descriptor) -> Value {
      MemRefDescriptor memref(descriptor);
      Value offset = memref.offset(rewriter, loc);
      if (offset.getType() != i64)
        offset = LLVM::SExtOp::create(rewriter, loc, i64, offset);
      Value bytes = LLVM::MulOp::create(rewriter, loc, offset, elementBytes);
      return LLVM::GEPOp::create(rewriter, loc, getPtrType(),
                                 rewriter.getI8Type(),
                                 memref.alignedPtr(rewriter, loc), bytes);
    };
    Value source = firstElement(adaptor.getSource());
    Value dest = firstElement(adaptor.getDest());
    Value bytes =
        LLVM::ConstantOp::create(rewriter, loc, i64, op.getPayloadBytes());
    // The runtime takes the offset as int64 and reduces it by the axis size.
    Value offset = adaptor.getDynamicOffset();
    if (!offset)
      offset =
          LLVM::ConstantOp::create(rewriter, loc, i64, *op.getStaticOffset());
    else if (offset.getType() != i64)
      offset = LLVM::SExtOp::create(rewriter, loc, i64, offset);
    FailureOr<LLVM::CallOp> call =
        callRuntime(rewriter, op, Function::ringattn_shift_start,
                    {source, dest, bytes, offset});
    if (failed(call))
      return failure();
    rewriter.replaceOp(op, call->getResult());
    return success();
  }
};

/// `ringattn_shift_wait(handle)`; the received value is the destination
/// buffer of the shift.
struct ShiftWaitLowering : ConvertOpToLLVMPattern<ShiftWaitOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;

  LogicalResult
  matchAndRewrite(ShiftWaitOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto start = op.getFuture().getDefiningOp<ShiftStartOp>();
    if (!start || !start.getDest())
      return rewriter.notifyMatchFailure(op, "not the wait of a buffer shift");
    if (failed(callRuntime(rewriter, op, Function::ringattn_shift_wait,
                           adaptor.getFuture())))
      return failure();
    rewriter.replaceOp(op, rewriter.getRemappedValue(start.getDest()));
    return success();
  }
};

/// `ringattn_rank()` for the rank on the one axis of a ring grid.
struct ProcessMultiIndexLowering
    : ConvertOpToLLVMPattern<shard::ProcessMultiIndexOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;

  LogicalResult
  matchAndRewrite(shard::ProcessMultiIndexOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto grid = SymbolTable::lookupNearestSymbolFrom<shard::GridOp>(
        op, op.getGridAttr());
    if (!grid || grid.getRank() != 1)
      return rewriter.notifyMatchFailure(op, "not a one-axis grid");
    FailureOr<LLVM::CallOp> rank =
        callRuntime(rewriter, op, Function::ringattn_rank, {});
    if (failed(rank))
      return failure();
    Value index = rank->getResult();
    Type indexType = getTypeConverter()->getIndexType();
    if (indexType != index.getType())
      index = LLVM::TruncOp::create(rewriter, op.getLoc(), indexType, index);
    rewriter.replaceOp(op, index);
    return success();
  }
};

/// Grids describe the device layout at compile time; nothing of them is
/// left at run time.
struct EraseGrid : ConvertOpToLLVMPattern<shard::GridOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;

  LogicalResult
  matchAndRewrite(shard::GridOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.eraseOp(op);
    return success();
  }
};

/// What the patterns lower may not survive the conversion.
void addIllegalCommunicationOps(ConversionTarget &target) {
  target.addIllegalOp<ShiftStartOp, ShiftWaitOp, shard::ProcessMultiIndexOp,
                      shard::GridOp>();
}

/// The checks whose failure the patterns can only report as an op they could
/// not legalize: said here, where the op is.
LogicalResult checkConvertible(ModuleOp module) {
  WalkResult result = module.walk([](Operation *op) {
    if (auto start = dyn_cast<ShiftStartOp>(op); start && !start.getDest()) {
      start.emitError("a shift of a tensor reaches convert-ring-to-llvm; "
                      "bufferize it first (ring-schedule emits the buffer "
                      "form)");
      return WalkResult::interrupt();
    }
    auto query = dyn_cast<shard::ProcessMultiIndexOp>(op);
    if (!query)
      return WalkResult::advance();
    auto grid = SymbolTable::lookupNearestSymbolFrom<shard::GridOp>(
        query, query.getGridAttr());
    if (!grid) {
      query.emitError("'") << query.getGridAttr()
                           << "' does not name a shard.grid";
      return WalkResult::interrupt();
    }
    if (grid.getRank() != 1) {
      query.emitError("the runtime runs one ring axis, but ")
          << query.getGridAttr() << " has " << grid.getRank() << " axes";
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return failure(result.wasInterrupted());
}

struct ConvertRingToLLVMPass
    : ring::impl::ConvertRingToLLVMBase<ConvertRingToLLVMPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (failed(checkConvertible(module)))
      return signalPassFailure();
    LLVMTypeConverter converter(&getContext());
    RewritePatternSet patterns(&getContext());
    populateRingToLLVMConversionPatterns(converter, patterns);
    // Only communication: blocks and merges may still be there for another
    // lowering.
    ConversionTarget target(getContext());
    addIllegalCommunicationOps(target);
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    if (failed(applyPartialConversion(module, target, std::move(patterns))))
      signalPassFailure();
  }
};

/// The ring dialect's entry into convert-to-llvm.
struct RingToLLVMDialectInterface : ConvertToLLVMPatternInterface {
  using ConvertToLLVMPatternInterface::ConvertToLLVMPatternInterface;

  void loadDependentDialects(MLIRContext *context) const override {
    context->loadDialect<shard::ShardDialect>();
  }

  void populateConvertToLLVMConversionPatterns(
      ConversionTarget &target, LLVMTypeConverter &converter,
      RewritePatternSet &patterns) const override {
    // Whatever is left of the ring dialect cannot become LLVM: an error here
    // rather than ring ops in the output.
    target.addIllegalDialect<RingDialect>();
    addIllegalCommunicationOps(target);
    populateRingToLLVMConversionPatterns(converter, patterns);
  }
};

} // namespace

void mlir::ring::populateRingToLLVMConversionPatterns(
    LLVMTypeConverter &converter, RewritePatternSet &patterns) {
  // A future is the runtime's handle of the transfer in flight.
  converter.addConversion([](FutureType type) -> Type {
    return LLVM::LLVMPointerType::get(type.getContext());
  });
  patterns.add<ShiftStartLowering, ShiftWaitLowering, ProcessMultiIndexLowering,
               EraseGrid>(converter);
}

void mlir::ring::registerConvertRingToLLVMInterface(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *, RingDialect *dialect) {
    dialect->addInterfaces<RingToLLVMDialectInterface>();
  });
}
