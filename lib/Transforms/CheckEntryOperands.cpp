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

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
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

/// At the builder's point: calls ringattn_bad_placement (it stops the rank)
/// at the first entry of `placement` (argument `index`, memref<P x i32>)
/// that is not a block 0 .. P-1 or repeats one. Positions from such a
/// placement would be wrong, so the entry refuses it.
static void emitPlacementCheck(OpBuilder &b, Location loc, Value placement,
                               int64_t index, func::FuncOp badPlacement) {
  int64_t blocks = cast<MemRefType>(placement.getType()).getDimSize(0);
  auto i64 = [&](int64_t value) -> Value {
    return arith::ConstantIntOp::create(b, loc, b.getI64Type(), value);
  };
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value count = arith::ConstantIndexOp::create(b, loc, blocks);
  Value unseen = arith::ConstantIntOp::create(b, loc, b.getI8Type(), 0);
  Value seenMark = arith::ConstantIntOp::create(b, loc, b.getI8Type(), 1);
  Value seen = memref::AllocaOp::create(
      b, loc, MemRefType::get({blocks}, b.getI8Type()));
  scf::ForOp::create(
      b, loc, zero, count, one, ValueRange{},
      [&](OpBuilder &nested, Location loc, Value block, ValueRange) {
        memref::StoreOp::create(nested, loc, unseen, seen, ValueRange{block});
        scf::YieldOp::create(nested, loc);
      });
  scf::ForOp::create(
      b, loc, zero, count, one, ValueRange{},
      [&](OpBuilder &nested, Location loc, Value entry, ValueRange) {
        Value block32 =
            memref::LoadOp::create(nested, loc, placement, ValueRange{entry});
        Value block =
            arith::ExtSIOp::create(nested, loc, nested.getI64Type(), block32);
        Value below = arith::CmpIOp::create(
            nested, loc, arith::CmpIPredicate::slt, block, i64(0));
        Value above = arith::CmpIOp::create(
            nested, loc, arith::CmpIPredicate::sge, block, i64(blocks));
        Value outside = arith::OrIOp::create(nested, loc, below, above);
        Value entry64 =
            arith::IndexCastOp::create(nested, loc, nested.getI64Type(), entry);
        auto fail = [&](OpBuilder &then, Location loc) {
          func::CallOp::create(
              then, loc, badPlacement,
              ValueRange{i64(index), entry64, block, i64(blocks)});
        };
        scf::IfOp::create(
            nested, loc, outside,
            [&](OpBuilder &then, Location loc) {
              fail(then, loc);
              scf::YieldOp::create(then, loc);
            },
            [&](OpBuilder &otherwise, Location loc) {
              Value at = arith::IndexCastOp::create(
                  otherwise, loc, otherwise.getIndexType(), block);
              Value mark =
                  memref::LoadOp::create(otherwise, loc, seen, ValueRange{at});
              Value twice = arith::CmpIOp::create(
                  otherwise, loc, arith::CmpIPredicate::ne, mark, unseen);
              scf::IfOp::create(otherwise, loc, twice,
                                [&](OpBuilder &then, Location loc) {
                                  fail(then, loc);
                                  scf::YieldOp::create(then, loc);
                                });
              memref::StoreOp::create(otherwise, loc, seenMark, seen,
                                      ValueRange{at});
              scf::YieldOp::create(otherwise, loc);
            });
        scf::YieldOp::create(nested, loc);
      });
}

/// The argument number of an entry's block placement, if it has one: after
/// q, k, v and any sinks and documents (EntryABI.h).
static std::optional<unsigned> placementArgument(func::FuncOp func) {
  std::string error;
  FailureOr<ring::EntryABI> abi = ring::EntryABI::fromAttr(
      func->getAttrOfType<DictionaryAttr>(ring::EntryABI::kAttrName), error);
  if (failed(abi) || !abi->placement)
    return std::nullopt;
  return 3 + static_cast<bool>(abi->sinks) + static_cast<bool>(abi->documents);
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
    auto badPlacement =
        module.lookupSymbol<func::FuncOp>(ring::runtimeFunctionName(
            ringattn::abi::Function::ringattn_bad_placement));
    std::optional<unsigned> placement = placementArgument(func);
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
      if (argument.getArgNumber() == placement)
        emitPlacementCheck(rewriter, func.getLoc(), cast, *placement,
                           badPlacement);
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
    ring::declareRuntimeFunction(
        module, ringattn::abi::Function::ringattn_bad_placement);
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
