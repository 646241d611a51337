//===- EntryPoints.cpp - Which functions are attention entry points -------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "EntryPoints.h"

using namespace mlir;
using namespace mlir::ring;

/// The only op of type OpTy in the single block of a public function with
/// `arguments` arguments and `results` results.
template <typename OpTy>
static OpTy onlyOp(func::FuncOp func, unsigned arguments, unsigned results) {
  if (func.isPrivate() || func.isExternal() ||
      func.getNumArguments() != arguments || func.getNumResults() != results ||
      !func.getBody().hasOneBlock())
    return nullptr;
  auto ops = func.getBody().front().getOps<OpTy>();
  if (std::distance(ops.begin(), ops.end()) != 1)
    return nullptr;
  return *ops.begin();
}

/// Whether `attention` reads the first three arguments of its block.
static bool readsArguments(AttentionOp attention, Block &body) {
  return attention.getQuery() == body.getArgument(0) &&
         attention.getKey() == body.getArgument(1) &&
         attention.getValue() == body.getArgument(2);
}

AttentionOp mlir::ring::getForwardEntry(func::FuncOp func) {
  auto attention = onlyOp<AttentionOp>(func, 3, 1);
  if (!attention || attention.getLse())
    return nullptr;
  Block &body = func.getBody().front();
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  if (!readsArguments(attention, body) ||
      ret.getOperand(0) != attention.getResult())
    return nullptr;
  return attention;
}

AttentionOp mlir::ring::getTrainingStepEntry(func::FuncOp func) {
  auto attention = onlyOp<AttentionOp>(func, 4, 4);
  auto grad = onlyOp<AttentionGradOp>(func, 4, 4);
  if (!attention || !grad || !attention.getLse())
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
  if (!readsArguments(attention, body) || !sameAttributes ||
      grad.getQuery() != body.getArgument(0) ||
      grad.getKey() != body.getArgument(1) ||
      grad.getValue() != body.getArgument(2) ||
      grad.getOut() != attention.getResult() ||
      grad.getLse() != attention.getLse() ||
      grad.getDout() != body.getArgument(3) ||
      ret.getOperands() != ValueRange{attention.getResult(), grad.getDquery(),
                                      grad.getDkey(), grad.getDvalue()})
    return nullptr;
  return attention;
}
