//===- AddTrainingSteps.cpp - A training step beside each forward entry ---===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// For every forward entry @f, (q, k, v) -> out, adds the public entry
// @f_grad, (q, k, v, dout) -> (out, dq, dk, dv): the same ring.attention,
// now returning its log-sum-exp, and the ring.attention_grad of the same
// attributes. With sinks the forward is (q, k, v, sinks) -> out and the
// step (q, k, v, sinks, dout) -> (out, dq, dk, dv, dsinks); documents and
// then a placement follow the sinks among the inputs. What the backward
// needs (the output and the lse) never leaves the step; ring-export-abi
// describes it as a training entry.
//
//===----------------------------------------------------------------------===//

#include "EntryPoints.h"

#include "RingAttn/Transforms/Passes.h"

#include "mlir/IR/SymbolTable.h"

namespace mlir {
namespace ring {
#define GEN_PASS_DEF_RINGADDTRAININGSTEPS
#include "RingAttn/Transforms/Passes.h.inc"
} // namespace ring
} // namespace mlir

using namespace mlir;
using namespace mlir::ring;

/// The attributes of `forward` for an op of `operandSegments`: the same
/// inherent and discardable attributes, and its own operand segments.
static SmallVector<NamedAttribute>
withOperandSegments(OpBuilder &b, AttentionOp forward,
                    ArrayRef<int32_t> operandSegments) {
  StringAttr segments = forward.getOperandSegmentSizesAttrName();
  SmallVector<NamedAttribute> attributes;
  for (NamedAttribute attribute : forward->getAttrs())
    if (attribute.getName() != segments)
      attributes.push_back(attribute);
  attributes.push_back(
      b.getNamedAttr(segments, b.getDenseI32ArrayAttr(operandSegments)));
  return attributes;
}

/// The training step of the forward entry whose attention is `forward`,
/// inserted after it.
static func::FuncOp buildTrainingStep(func::FuncOp entry, AttentionOp forward,
                                      SymbolTable &symbols) {
  OpBuilder b(entry);
  b.setInsertionPointAfter(entry);
  Location loc = forward.getLoc();
  RankedTensorType q = forward.getQuery().getType();
  RankedTensorType k = forward.getKey().getType();
  RankedTensorType v = forward.getValue().getType();
  // (q, k, v[, sinks], dout) -> (out, dq, dk, dv[, dsinks])
  SmallVector<Type> inputs(entry.getArgumentTypes());
  inputs.push_back(q);
  SmallVector<Type> gradTypes = {q, k, v};
  if (Value sinks = forward.getSinks())
    gradTypes.push_back(sinks.getType());
  SmallVector<Type> results = {q};
  llvm::append_range(results, gradTypes);
  auto step = func::FuncOp::create(b, loc, (entry.getSymName() + "_grad").str(),
                                   b.getFunctionType(inputs, results));
  symbols.insert(step); // a unique name if @f_grad exists
  Block *body = step.addEntryBlock();
  b.setInsertionPointToStart(body);
  auto lseType =
      RankedTensorType::get(q.getShape().drop_back(), b.getF32Type());
  ValueRange forwardInputs = body->getArguments().drop_back();
  int32_t sinks = forward.getSinks() ? 1 : 0;
  int32_t documents = forward.getDocuments() ? 1 : 0;
  int32_t placement = forward.getPlacement() ? 1 : 0;
  auto attention = AttentionOp::create(
      b, loc, TypeRange{q, lseType}, forwardInputs,
      withOperandSegments(b, forward, {1, 1, 1, sinks, documents, placement}));
  // The gradient's operands: q, k, v, out, lse, dout, then the forward's
  // sinks, documents and placement.
  SmallVector<Value> gradOperands(forwardInputs.take_front(3));
  gradOperands.append(
      {attention.getResult(), attention.getLse(), body->getArguments().back()});
  llvm::append_range(gradOperands, forwardInputs.drop_front(3));
  auto grad = AttentionGradOp::create(
      b, loc, gradTypes, gradOperands,
      withOperandSegments(b, forward,
                          {1, 1, 1, 1, 1, 1, sinks, documents, placement}));
  SmallVector<Value> returned = {attention.getResult()};
  llvm::append_range(returned, grad.getResults());
  func::ReturnOp::create(b, loc, returned);
  return step;
}

namespace {
struct RingAddTrainingStepsPass
    : ring::impl::RingAddTrainingStepsBase<RingAddTrainingStepsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<std::pair<func::FuncOp, AttentionOp>> forwards;
    for (auto func : module.getOps<func::FuncOp>())
      if (AttentionOp attention = getForwardEntry(func))
        forwards.push_back({func, attention});
    for (auto [entry, attention] : forwards)
      buildTrainingStep(entry, attention, symbols);
  }
};
} // namespace
