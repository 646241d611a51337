//===- EntryPoints.cpp - Which functions are attention entry points -------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "EntryPoints.h"

using namespace mlir;
using namespace mlir::ring;

/// The only op of type OpTy in the single block of a public function.
template <typename OpTy> static OpTy onlyOp(func::FuncOp func) {
  if (func.isPrivate() || func.isExternal() || !func.getBody().hasOneBlock())
    return nullptr;
  auto ops = func.getBody().front().getOps<OpTy>();
  if (std::distance(ops.begin(), ops.end()) != 1)
    return nullptr;
  return *ops.begin();
}

/// The attention's inputs, (q, k, v) and any sinks, documents and
/// placement: the
/// leading arguments of the entry.
static SmallVector<Value> attentionInputs(AttentionOp attention) {
  SmallVector<Value> inputs = {attention.getQuery(), attention.getKey(),
                               attention.getValue()};
  for (Value optional : {attention.getSinks(), attention.getDocuments(),
                         attention.getPlacement()})
    if (optional)
      inputs.push_back(optional);
  return inputs;
}

/// Whether `attention` reads the leading arguments of `body`, in order.
static bool readsArguments(AttentionOp attention, Block &body) {
  SmallVector<Value> inputs = attentionInputs(attention);
  return body.getNumArguments() >= inputs.size() &&
         ValueRange(inputs) ==
             ValueRange(body.getArguments().take_front(inputs.size()));
}

AttentionOp mlir::ring::getForwardEntry(func::FuncOp func) {
  auto attention = onlyOp<AttentionOp>(func);
  if (!attention || attention.getLse() || func.getNumResults() != 1 ||
      func.getNumArguments() != attentionInputs(attention).size())
    return nullptr;
  Block &body = func.getBody().front();
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  if (!readsArguments(attention, body) ||
      ret.getOperand(0) != attention.getResult())
    return nullptr;
  return attention;
}

AttentionOp mlir::ring::getTrainingStepEntry(func::FuncOp func) {
  auto attention = onlyOp<AttentionOp>(func);
  auto grad = onlyOp<AttentionGradOp>(func);
  if (!attention || !grad || !attention.getLse())
    return nullptr;
  SmallVector<Value> inputs = attentionInputs(attention);
  if (func.getNumArguments() != inputs.size() + 1 ||
      func.getNumResults() != grad.getNumResults() + 1)
    return nullptr;
  Block &body = func.getBody().front();
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  bool sameAttributes =
      attention.getPositionMask() == grad.getPositionMask() &&
      attention.getSoftcapAttr() == grad.getSoftcapAttr() &&
      attention.getScaleOrDefault() == grad.getScaleOrDefault() &&
      attention.getGridAttr() == grad.getGridAttr() &&
      attention.getAxis() == grad.getAxis() &&
      attention.getLayout() == grad.getLayout();
  SmallVector<Value> returned = {attention.getResult()};
  llvm::append_range(returned, grad.getResults());
  if (!readsArguments(attention, body) || !sameAttributes ||
      grad.getQuery() != attention.getQuery() ||
      grad.getKey() != attention.getKey() ||
      grad.getValue() != attention.getValue() ||
      grad.getSinks() != attention.getSinks() ||
      grad.getDocuments() != attention.getDocuments() ||
      grad.getPlacement() != attention.getPlacement() ||
      grad.getOut() != attention.getResult() ||
      grad.getLse() != attention.getLse() ||
      grad.getDout() != body.getArguments().back() ||
      ValueRange(ret.getOperands()) != ValueRange(returned))
    return nullptr;
  return attention;
}
