//===- BufferizableOpInterfaceImpl.cpp - Bufferization of ring ops --------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The tensor form of a shift becomes the buffer form:
//
//   %f = ring.shift_start %t ...           %copy = alloc; copy %t -> %copy
//   %r = ring.shift_wait %f          =>    %recv = alloc
//                                          %f = ring.shift_start %copy into
//                                          %recv ... %r = ring.shift_wait %f
//                                          (%r is %recv)
//
// The source is sent from a private copy: the transfer reads it until the
// wait, and the ops in between may reuse the source's buffer in place. The
// ring schedule does not go through here: it emits the buffer form with its
// own double buffer, which needs neither the copy nor the allocations.
//
// ring.block_attention, ring.block_attention_grad and ring.combine are in
// destination-passing style:
// upstream's model does the analysis (the results are their destinations),
// and bufferizing one is rebuilding it on the buffers of its operands. A
// block reads only its inputs; a combine is element-wise, so it merges in
// place into the running result it reads. The buffer form needs contiguous
// rows: a buffer whose innermost stride is not known to be 1 (a function
// argument bufferized with fully dynamic layouts) is copied to one that is.
//
//===----------------------------------------------------------------------===//

#include "RingAttn/Dialect/Ring/Transforms/BufferizableOpInterfaceImpl.h"
#include "RingAttn/Dialect/Ring/IR/RingOps.h"

#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/IR/DstBufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"

using namespace mlir;
using namespace mlir::bufferization;
using namespace mlir::ring;

namespace {

MemRefType identityBufferOf(Type type) {
  auto shaped = cast<ShapedType>(type);
  return MemRefType::get(shaped.getShape(), shaped.getElementType());
}

struct ShiftStartOpInterface
    : BufferizableOpInterface::ExternalModel<ShiftStartOpInterface,
                                             ShiftStartOp> {
  bool bufferizesToMemoryRead(Operation *, OpOperand &,
                              const AnalysisState &) const {
    return true;
  }
  bool bufferizesToMemoryWrite(Operation *, OpOperand &,
                               const AnalysisState &) const {
    return false;
  }
  AliasingValueList getAliasingValues(Operation *, OpOperand &,
                                      const AnalysisState &) const {
    return {};
  }

  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options,
                          BufferizationState &state) const {
    auto start = cast<ShiftStartOp>(op);
    FailureOr<Value> source =
        getBuffer(rewriter, start.getSource(), options, state);
    if (failed(source))
      return failure();
    Location loc = start.getLoc();
    MemRefType type = identityBufferOf(start.getSource().getType());
    Value copy = memref::AllocOp::create(rewriter, loc, type);
    memref::CopyOp::create(rewriter, loc, *source, copy);
    Value received = memref::AllocOp::create(rewriter, loc, type);
    auto shift = ShiftStartOp::create(rewriter, loc, FutureType::get(type),
                                      copy, received, start.getDynamicOffset(),
                                      start.getGridAttr(), start.getAxisAttr(),
                                      start.getOffsetAttr());
    // The future is not a tensor: its users (the wait) are rewritten when
    // they bufferize.
    rewriter.replaceAllUsesWith(start.getFuture(), shift.getFuture());
    rewriter.eraseOp(start);
    return success();
  }
};

struct ShiftWaitOpInterface
    : BufferizableOpInterface::ExternalModel<ShiftWaitOpInterface,
                                             ShiftWaitOp> {
  bool bufferizesToAllocation(Operation *, Value) const { return true; }
  bool resultBufferizesToMemoryWrite(Operation *, OpResult,
                                     const AnalysisState &) const {
    return true;
  }
  // The wait has no tensor operand, so only its result needs describing.
  AliasingOpOperandList getAliasingOpOperands(Operation *, Value,
                                              const AnalysisState &) const {
    return {};
  }

  FailureOr<BufferLikeType> getBufferType(Operation *op, Value value,
                                          const BufferizationOptions &,
                                          const BufferizationState &,
                                          SmallVector<Value> &) const {
    return cast<BufferLikeType>(identityBufferOf(value.getType()));
  }

  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &,
                          BufferizationState &) const {
    auto wait = cast<ShiftWaitOp>(op);
    auto future = cast<FutureType>(wait.getFuture().getType());
    if (!isa<MemRefType>(future.getValueType()))
      return wait.emitError("the ring.shift_start of this wait was not "
                            "bufferized");
    Value received = ShiftWaitOp::create(
        rewriter, wait.getLoc(), future.getValueType(), wait.getFuture());
    replaceOpWithBufferizedValues(rewriter, wait, received);
    return success();
  }
};

/// The destination-passing ops: they read their inputs, and bufferize to
/// the same op on buffers, with no results. A block and a combine overwrite
/// their destinations; a block's gradient accumulates into them, so it
/// reads them too.
template <typename OpTy>
struct DestinationStyleModel
    : DstBufferizableOpInterfaceExternalModel<DestinationStyleModel<OpTy>,
                                              OpTy> {
  static constexpr bool kAccumulates =
      std::is_same_v<OpTy, BlockAttentionGradOp>;

  bool bufferizesToMemoryRead(Operation *op, OpOperand &operand,
                              const AnalysisState &) const {
    return kAccumulates || !cast<OpTy>(op).isDpsInit(&operand);
  }

  bool bufferizesToElementwiseAccess(Operation *op, const AnalysisState &,
                                     ArrayRef<OpOperand *>) const {
    // A combine reads each row of its inputs before writing that row of its
    // destinations, and never again (docs of ring.combine).
    return isa<CombineOp>(op);
  }

  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options,
                          BufferizationState &state) const {
    auto dpsOp = cast<OpTy>(op);
    Location loc = op->getLoc();
    rewriter.setInsertionPoint(op);
    SmallVector<Value> operands;
    // Destinations whose rows may not be contiguous are written through a
    // contiguous buffer and copied back after the op.
    SmallVector<std::pair<Value, Value>> copyBack;
    for (OpOperand &operand : op->getOpOperands()) {
      Value value = operand.get();
      if (!isa<TensorType>(value.getType())) {
        operands.push_back(value);
        continue;
      }
      FailureOr<Value> buffer = getBuffer(rewriter, value, options, state);
      if (failed(buffer))
        return failure();
      if (hasContiguousRows(*buffer)) {
        operands.push_back(*buffer);
        continue;
      }
      // A layout the kernels cannot take (function arguments bufferized
      // with fully dynamic strides): work on a contiguous copy.
      auto type = cast<MemRefType>(buffer->getType());
      Value contiguous = memref::AllocOp::create(
          rewriter, loc,
          MemRefType::get(type.getShape(), type.getElementType()));
      if (dpsOp.isDpsInit(&operand))
        copyBack.push_back({contiguous, *buffer});
      if (!dpsOp.isDpsInit(&operand) || kAccumulates)
        memref::CopyOp::create(rewriter, loc, *buffer, contiguous);
      operands.push_back(contiguous);
    }
    auto bufferOp = cast<OpTy>(clone(rewriter, op, TypeRange{}, operands));
    SmallVector<Value> results = llvm::to_vector(bufferOp.getDpsInits());
    for (auto [contiguous, destination] : copyBack) {
      memref::CopyOp::create(rewriter, loc, contiguous, destination);
      llvm::replace(results, contiguous, destination);
    }
    replaceOpWithBufferizedValues(rewriter, dpsOp, results);
    return success();
  }

  /// The buffer's innermost dimension is known to be contiguous.
  static bool hasContiguousRows(Value buffer) {
    auto type = cast<MemRefType>(buffer.getType());
    SmallVector<int64_t> strides;
    int64_t offset;
    return succeeded(type.getStridesAndOffset(strides, offset)) &&
           (type.getShape().back() == 1 || strides.back() == 1);
  }
};

} // namespace

void mlir::ring::registerBufferizableOpInterfaceExternalModels(
    DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, RingDialect *) {
    ShiftStartOp::attachInterface<ShiftStartOpInterface>(*ctx);
    ShiftWaitOp::attachInterface<ShiftWaitOpInterface>(*ctx);
    BlockAttentionOp::attachInterface<DestinationStyleModel<BlockAttentionOp>>(
        *ctx);
    BlockAttentionGradOp::attachInterface<
        DestinationStyleModel<BlockAttentionGradOp>>(*ctx);
    CombineOp::attachInterface<DestinationStyleModel<CombineOp>>(*ctx);
  });
}
