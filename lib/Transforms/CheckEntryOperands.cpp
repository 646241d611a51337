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
#include "RingAttn/Transforms/Transforms.h"

#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

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

namespace {

/// An entry point's static, identity-layout memref arguments become dynamic
/// ones, checked on entry and cast back for the body. The rewritten entry
/// has none left, so the pattern applies once per entry.
struct CheckEntryArguments : OpRewritePattern<func::FuncOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(func::FuncOp func,
                                PatternRewriter &rewriter) const override {
    if (!func->hasAttr(ring::EntryABI::kAttrName) || func.isExternal())
      return failure();
    auto module = func->getParentOfType<ModuleOp>();
    auto badOperand =
        module.lookupSymbol<func::FuncOp>(ring::runtimeFunctionName(
            ringattn::abi::Function::ringattn_bad_operand));
    Block &entry = func.getBody().front();
    SmallVector<std::pair<BlockArgument, MemRefType>> checked;
    for (BlockArgument argument : entry.getArguments())
      if (auto type = dyn_cast<MemRefType>(argument.getType());
          type && type.hasStaticShape() && type.getLayout().isIdentity())
        checked.push_back({argument, type});
    if (checked.empty() || !badOperand)
      return rewriter.notifyMatchFailure(func, "no static operand to check");

    rewriter.modifyOpInPlace(func, [&] {
      for (auto [argument, type] : checked)
        argument.setType(dynamicOf(type));
      func.setType(rewriter.getFunctionType(entry.getArgumentTypes(),
                                            func.getResultTypes()));
    });
    // In argument order: the checks of an operand, then its cast.
    rewriter.setInsertionPointToStart(&entry);
    for (auto [argument, type] : checked) {
      auto cast =
          memref::CastOp::create(rewriter, func.getLoc(), type, argument);
      rewriter.replaceAllUsesExcept(argument, cast, cast);
      rewriter.setInsertionPoint(cast);
      emitCheck(rewriter, func.getLoc(), argument, argument.getArgNumber(),
                type, badOperand);
      rewriter.setInsertionPointAfter(cast);
    }
    return success();
  }
};

/// A call whose memref operands no longer have its callee's argument types
/// (an entry made dynamic) passes them through memref.cast.
struct CastCallOperandsToCallee : OpRewritePattern<func::CallOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(func::CallOp call,
                                PatternRewriter &rewriter) const override {
    auto callee = SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(
        call, call.getCalleeAttr());
    if (!callee || !callee->hasAttr(ring::EntryABI::kAttrName))
      return failure();
    SmallVector<Value> operands(call.getOperands());
    bool changed = false;
    for (auto [operand, type] :
         llvm::zip_equal(operands, callee.getArgumentTypes()))
      if (operand.getType() != type &&
          memref::CastOp::areCastCompatible(operand.getType(), type)) {
        operand =
            memref::CastOp::create(rewriter, call.getLoc(), type, operand);
        changed = true;
      }
    if (!changed)
      return failure();
    rewriter.modifyOpInPlace(
        call, [&] { call.getOperandsMutable().assign(operands); });
    return success();
  }
};

/// Entry points whose symbol is used other than by a call: their operands
/// could reach them unchecked.
LogicalResult checkEntryUses(ModuleOp module, func::FuncOp func) {
  std::optional<SymbolTable::UseRange> uses = func.getSymbolUses(module);
  if (!uses)
    return success();
  for (SymbolTable::SymbolUse use : *uses)
    if (!isa<func::CallOp>(use.getUser()))
      return use.getUser()->emitError()
             << "uses entry point @" << func.getSymName()
             << " other than by a call; its operands cannot be checked";
  return success();
}

struct RingCheckEntryOperandsPass
    : ring::impl::RingCheckEntryOperandsBase<RingCheckEntryOperandsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    bool hasEntry = false;
    for (auto func : module.getOps<func::FuncOp>()) {
      if (!func->hasAttr(ring::EntryABI::kAttrName) || func.isExternal())
        continue;
      hasEntry = true;
      if (failed(checkEntryUses(module, func)))
        return signalPassFailure();
    }
    if (!hasEntry)
      return;
    ring::declareRuntimeFunction(module,
                                 ringattn::abi::Function::ringattn_bad_operand);
    RewritePatternSet patterns(&getContext());
    ring::populateRingCheckEntryOperandsPatterns(patterns);
    // No folding: on an identity layout it would prove every stride check
    // true, and the checks exist for callers whose descriptors break it.
    GreedyRewriteConfig config;
    config.enableFolding(false)
        .enableConstantCSE(false)
        .setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
    if (failed(applyPatternsGreedily(module, std::move(patterns), config)))
      return signalPassFailure();
  }
};

} // namespace

void mlir::ring::populateRingCheckEntryOperandsPatterns(
    RewritePatternSet &patterns) {
  patterns.add<CheckEntryArguments, CastCallOperandsToCallee>(
      patterns.getContext());
}
