//===- VerifyLowered.cpp - No ring op survives lowering -------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "RingAttn/Dialect/Ring/IR/RingDialect.h"
#include "RingAttn/Dialect/Ring/IR/RingTypes.h"
#include "RingAttn/Transforms/Passes.h"

namespace mlir {
namespace ring {
#define GEN_PASS_DEF_RINGVERIFYLOWERED
#include "RingAttn/Transforms/Passes.h.inc"
} // namespace ring
} // namespace mlir

using namespace mlir;

namespace {
struct RingVerifyLoweredPass
    : ring::impl::RingVerifyLoweredBase<RingVerifyLoweredPass> {
  void runOnOperation() override {
    WalkResult result = getOperation()->walk([](Operation *op) {
      if (isa<ring::RingDialect>(op->getDialect())) {
        op->emitError("'") << op->getName()
                           << "' was not lowered; the pipeline has no "
                              "lowering for it here";
        return WalkResult::interrupt();
      }
      for (Type type : op->getResultTypes())
        if (isa<ring::FutureType>(type)) {
          op->emitError("a !ring.future survived lowering");
          return WalkResult::interrupt();
        }
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};
} // namespace
