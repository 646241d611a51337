//===- CheckEntryOperands.cpp - Entry operands checked at run time --------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The code of an entry point is compiled for the static shapes of its
// operands, and a memref descriptor's sizes and strides are ignored for a
// static type. A caller whose buffers are smaller (a hand-edited ring.abi, a
// wrong AOT call) would have the kernels read and write past them. So the
// entry takes dynamic memrefs, checks each size and stride against what the
// code was compiled for, and only then casts to the static types its body
// uses. The descriptors callers pass are the same for both types.
//
//===----------------------------------------------------------------------===//

#include "RingAttn/Conversion/RuntimeFunctions.h"
#include "RingAttn/Dialect/Ring/IR/EntryABI.h"
#include "RingAttn/Transforms/Passes.h"

#include "mlir/IR/SymbolTable.h"

namespace mlir {
namespace ring {
#define GEN_PASS_DEF_RINGCHECKENTRYOPERANDS
#include "RingAttn/Transforms/Passes.h.inc"
} // namespace ring
} // namespace mlir

using namespace mlir;

/// `type` with every size dynamic, identity layout: what callers may pass.
static MemRefType dynamicOf(MemRefType type) {
  SmallVector<int64_t> sizes(type.getRank(), ShapedType::kDynamic);
  return MemRefType::get(sizes, type.getElementType(),
                         MemRefLayoutAttrInterface(), type.getMemorySpace());
}

/// At the builder's point: calls ringattn_bad_operand (it stops the rank)
/// unless `operand` (argument `index`, dynamic) has the sizes and row-major
/// strides of `expected`.
static void emitCheck(OpBuilder &b, Location loc, Value operand, int64_t index,
                      MemRefType expected, func::FuncOp badOperand) {
  auto metadata = memref::ExtractStridedMetadataOp::create(b, loc, operand);
  auto constant = [&](int64_t value) -> Value {
    return arith::ConstantIntOp::create(b, loc, b.getI64Type(), value);
  };
  auto asI64 = [&](Value index) -> Value {
    return arith::IndexCastOp::create(b, loc, b.getI64Type(), index);
  };
  int64_t stride = 1;
  for (int64_t d = expected.getRank() - 1; d >= 0; --d) {
    int64_t size = expected.getDimSize(d);
    Value actualSize = asI64(metadata.getSizes()[d]);
    Value actualStride = asI64(metadata.getStrides()[d]);
    Value bad = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne,
                                      actualSize, constant(size));
    // The stride of a dimension of size 1 is never used to step.
    if (size != 1)
      bad = arith::OrIOp::create(
          b, loc, bad,
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, actualStride,
                                constant(stride)));
    scf::IfOp::create(b, loc, bad, [&](OpBuilder &then, Location loc) {
      func::CallOp::create(then, loc, badOperand,
                           ValueRange{constant(index), constant(d),
                                      constant(size), actualSize,
                                      constant(stride), actualStride});
      scf::YieldOp::create(then, loc);
    });
    stride *= size;
  }
}

/// Makes `func`'s static memref arguments dynamic and checked.
static void checkOperands(func::FuncOp func, func::FuncOp badOperand) {
  Block &entry = func.getBody().front();
  OpBuilder b = OpBuilder::atBlockBegin(&entry);
  SmallVector<Type> inputs(func.getArgumentTypes());
  for (auto [index, argument] : llvm::enumerate(entry.getArguments())) {
    auto type = dyn_cast<MemRefType>(argument.getType());
    if (!type || !type.hasStaticShape() || !type.getLayout().isIdentity())
      continue;
    // The body's uses, before the checks add theirs.
    SmallVector<OpOperand *> bodyUses(
        llvm::make_pointer_range(argument.getUses()));
    argument.setType(dynamicOf(type));
    inputs[index] = argument.getType();
    emitCheck(b, func.getLoc(), argument, index, type, badOperand);
    auto cast = memref::CastOp::create(b, func.getLoc(), type, argument);
    for (OpOperand *use : bodyUses)
      use->set(cast);
  }
  func.setType(b.getFunctionType(inputs, func.getResultTypes()));
}

/// Casts the arguments of calls of `func` within `module` to its new types.
static LogicalResult updateCalls(ModuleOp module, func::FuncOp func) {
  std::optional<SymbolTable::UseRange> uses = func.getSymbolUses(module);
  if (!uses)
    return success();
  for (SymbolTable::SymbolUse use : *uses) {
    auto call = dyn_cast<func::CallOp>(use.getUser());
    if (!call)
      return use.getUser()->emitError()
             << "uses entry point @" << func.getSymName()
             << " other than by a call; its operands cannot be checked";
    OpBuilder b(call);
    for (auto [operand, type] :
         llvm::zip(call->getOpOperands(), func.getArgumentTypes()))
      if (operand.get().getType() != type)
        operand.set(
            memref::CastOp::create(b, call.getLoc(), type, operand.get()));
  }
  return success();
}

namespace {
struct RingCheckEntryOperandsPass
    : ring::impl::RingCheckEntryOperandsBase<RingCheckEntryOperandsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> entries;
    for (auto func : module.getOps<func::FuncOp>())
      if (func->hasAttr(ring::EntryABI::kAttrName) && !func.isExternal())
        entries.push_back(func);
    if (entries.empty())
      return;
    func::FuncOp badOperand = ring::declareRuntimeFunction(
        module, ringattn::abi::Function::ringattn_bad_operand);
    for (func::FuncOp func : entries) {
      checkOperands(func, badOperand);
      if (failed(updateCalls(module, func)))
        return signalPassFailure();
    }
  }
};
} // namespace
