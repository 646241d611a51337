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
//===----------------------------------------------------------------------===//

#include "RingAttn/Dialect/Ring/IR/BufferizableOpInterfaceImpl.h"
#include "RingAttn/Dialect/Ring/IR/RingOps.h"

#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

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
    auto shift = ShiftStartOp::create(
        rewriter, loc, FutureType::get(type), copy, received,
        start.getGridAttr(), start.getAxisAttr(), start.getOffsetAttr());
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

} // namespace

void mlir::ring::registerBufferizableOpInterfaceExternalModels(
    DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, RingDialect *) {
    ShiftStartOp::attachInterface<ShiftStartOpInterface>(*ctx);
    ShiftWaitOp::attachInterface<ShiftWaitOpInterface>(*ctx);
  });
}
