//===- ApproximateGPUMath.cpp - exp and log on the GPU's special units ----===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The softmax of the kernels needs exp2 (flash attention), and the merge of
// ring.combine exp and log, all in f32. NVIDIA GPUs compute 2^x and log2(x)
// in their special function units (ex2.approx, lg2.approx: a couple of ulp),
// which is what FlashAttention uses; libdevice's accurate versions would
// also need the CUDA toolkit at compile time to link them.
//
//===----------------------------------------------------------------------===//

#include "RingAttn/Conversion/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

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

struct RingApproximateGPUMathPass
    : ring::impl::RingApproximateGPUMathBase<RingApproximateGPUMathPass> {
  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation()->walk([&](Operation *op) {
      if (isa<math::ExpOp, math::Exp2Op, math::LogOp>(op) &&
          op->getResult(0).getType().isF32() && inKernel(op))
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      ImplicitLocOpBuilder b(op->getLoc(), op);
      Value x = op->getOperand(0);
      auto f32 = [&](float v) {
        return arith::ConstantOp::create(b, b.getF32FloatAttr(v));
      };
      Value result;
      if (isa<math::ExpOp>(op))
        result = special(b, "llvm.nvvm.ex2.approx.ftz.f",
                         arith::MulFOp::create(b, x, f32(kLog2E)));
      else if (isa<math::Exp2Op>(op))
        result = special(b, "llvm.nvvm.ex2.approx.ftz.f", x);
      else
        result = arith::MulFOp::create(
            b, special(b, "llvm.nvvm.lg2.approx.ftz.f", x), f32(kLn2));
      op->getResult(0).replaceAllUsesWith(result);
      op->erase();
    }
  }
};

} // namespace
