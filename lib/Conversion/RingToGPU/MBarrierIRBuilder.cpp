//===- MBarrierIRBuilder.cpp - sm_90 mbarrier IR --------------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "MBarrierIRBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

using namespace mlir;
using namespace mlir::ring;

Value MBarrierIRBuilder::at(Value address) {
  auto shared = LLVM::LLVMPointerType::get(
      b.getContext(), static_cast<unsigned>(NVVM::NVVMMemorySpace::Shared));
  return LLVM::IntToPtrOp::create(
      b, shared,
      arith::IndexCastUIOp::create(b, b.getI64Type(), address).getResult());
}

void MBarrierIRBuilder::init(Value barrier, int64_t arrivals) {
  NVVM::MBarrierInitOp::create(
      b, barrier, arith::ConstantIntOp::create(b, b.getI32Type(), arrivals),
      /*predicate=*/Value());
}

void MBarrierIRBuilder::arrive(Value barrier) {
  // The state token it returns is for test.wait; waits here use parities.
  NVVM::MBarrierArriveOp::create(b, b.getI64Type(), barrier,
                                 /*count=*/Value());
}

void MBarrierIRBuilder::arriveExpectTx(Value barrier, int64_t bytes) {
  NVVM::MBarrierArriveExpectTxOp::create(
      b, /*res=*/Type(), barrier,
      arith::ConstantIntOp::create(b, b.getI32Type(), bytes),
      NVVM::MemScopeKind::CTA, /*relaxed=*/false, /*predicate=*/Value());
}

void MBarrierIRBuilder::waitParity(Value barrier, Value parity) {
  // The op loops on try_wait until the phase completes; no suspend hint.
  NVVM::MBarrierTryWaitParityOp::create(
      b, barrier, parity, arith::ConstantIntOp::create(b, b.getI32Type(), 0));
}
