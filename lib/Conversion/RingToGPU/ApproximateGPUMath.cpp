//===- ApproximateGPUMath.cpp - exp, log, sqrt on the GPU's special units -===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The softmax of the kernels needs exp2 (flash attention), and the merge of
// ring.combine exp and log, all in f32. NVIDIA GPUs compute 2^x and log2(x)
// in their special function units (ex2.approx, lg2.approx: a couple of ulp),
// which is what FlashAttention uses; libdevice's accurate versions would
// also need the CUDA toolkit at compile time to link them. A model's norms
// (RMSNorm, LayerNorm) need rsqrt and sqrt: rsqrt.approx as CUDA's rsqrtf,
// sqrt rounded to nearest.
//
//===----------------------------------------------------------------------===//

#include "RingAttn/Conversion/Passes.h"
#include "RingAttn/Conversion/RingToGPU.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir {
namespace ring {
#define GEN_PASS_DEF_RINGAPPROXIMATEGPUMATH
#include "RingAttn/Conversion/Passes.h.inc"
} // namespace ring
} // namespace mlir

using namespace mlir;

namespace {

constexpr float kLog2E = 1.4426950408889634f;
constexpr float kLn2 = 0.6931471805599453f;

bool inKernel(Operation *op) {
  return op->getParentOfType<gpu::GPUFuncOp>() ||
         op->getParentOfType<gpu::LaunchOp>();
}

Value special(ImplicitLocOpBuilder &b, StringRef intrinsic, Value x) {
  return LLVM::CallIntrinsicOp::create(b, b.getF32Type(),
                                       b.getStringAttr(intrinsic), x)
      .getResult(0);
}

/// exp(x) = 2^(x log2 e), exp2 itself, log(x) = log2(x) ln 2, rsqrt and
/// sqrt, for f32 in kernels.
template <typename MathOp>
struct OnSpecialFunctionUnits : OpRewritePattern<MathOp> {
  using OpRewritePattern<MathOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(MathOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.getType().isF32() || !inKernel(op))
      return rewriter.notifyMatchFailure(op, "not f32 in a kernel");
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    auto f32 = [&](float v) {
      return arith::ConstantOp::create(b, b.getF32FloatAttr(v));
    };
    Value x = op.getOperand();
    Value result;
    if (std::is_same_v<MathOp, math::ExpOp>)
      result = special(b, "llvm.nvvm.ex2.approx.ftz.f",
                       arith::MulFOp::create(b, x, f32(kLog2E)));
    else if (std::is_same_v<MathOp, math::Exp2Op>)
      result = special(b, "llvm.nvvm.ex2.approx.ftz.f", x);
    else if (std::is_same_v<MathOp, math::RsqrtOp>)
      result = special(b, "llvm.nvvm.rsqrt.approx.ftz.f", x);
    else if (std::is_same_v<MathOp, math::SqrtOp>)
      result = special(b, "llvm.nvvm.sqrt.rn.f", x);
    else
      result = arith::MulFOp::create(
          b, special(b, "llvm.nvvm.lg2.approx.ftz.f", x), f32(kLn2));
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct RingApproximateGPUMathPass
    : ring::impl::RingApproximateGPUMathBase<RingApproximateGPUMathPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    ring::populateRingApproximateGPUMathPatterns(patterns);
    // Only these rewrites: the kernels' IR is otherwise left as it is.
    GreedyRewriteConfig config;
    config.enableFolding(false).setRegionSimplificationLevel(
        GreedySimplifyRegionLevel::Disabled);
    if (failed(
            applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      signalPassFailure();
  }
};

} // namespace

void mlir::ring::populateRingApproximateGPUMathPatterns(
    RewritePatternSet &patterns) {
  patterns.add<OnSpecialFunctionUnits<math::ExpOp>,
               OnSpecialFunctionUnits<math::Exp2Op>,
               OnSpecialFunctionUnits<math::LogOp>,
               OnSpecialFunctionUnits<math::RsqrtOp>,
               OnSpecialFunctionUnits<math::SqrtOp>>(patterns.getContext());
}
