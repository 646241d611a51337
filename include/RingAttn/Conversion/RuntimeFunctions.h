//===- RuntimeFunctions.h - Declaring the runtime's C functions -*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The lowerings that call the runtime declare its functions from the one
// table of the C ABI (RingAttn/Runtime/RuntimeABI.def), never by hand.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_CONVERSION_RUNTIMEFUNCTIONS_H
#define RINGATTN_CONVERSION_RUNTIMEFUNCTIONS_H

#include "RingAttn/Runtime/RuntimeABI.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/FunctionCallUtils.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMTypes.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::ring {

namespace detail {
inline Type abiType(MLIRContext *ctx, ringattn::abi::I64) {
  return IntegerType::get(ctx, 64);
}
inline Type abiType(MLIRContext *ctx, ringattn::abi::Ptr) {
  return LLVM::LLVMPointerType::get(ctx);
}

template <typename F> struct AbiFunctionType;
template <typename R, typename... A> struct AbiFunctionType<R(A...)> {
  static FunctionType get(MLIRContext *ctx) {
    SmallVector<Type> results;
    if constexpr (!std::is_same_v<R, ringattn::abi::Void>)
      results.push_back(abiType(ctx, R{}));
    return FunctionType::get(ctx, {abiType(ctx, A{})...}, results);
  }
};
} // namespace detail

/// The name of `function` in the C ABI.
inline StringRef runtimeFunctionName(ringattn::abi::Function function) {
  switch (function) {
#define RINGATTN_RUNTIME_FUNCTION(name, result, parameters)                    \
  case ringattn::abi::Function::name:                                          \
    return #name;
#include "RingAttn/Runtime/RuntimeABI.def"
  }
  llvm_unreachable("a function of RuntimeABI.def");
}

/// The MLIR type of `function`: I64 is i64, Ptr is !llvm.ptr.
inline FunctionType runtimeFunctionType(MLIRContext *ctx,
                                        ringattn::abi::Function function) {
  using namespace ringattn::abi;
  switch (function) {
#define RINGATTN_RUNTIME_FUNCTION(name, result, parameters)                    \
  case Function::name:                                                         \
    return detail::AbiFunctionType<result parameters>::get(ctx);
#include "RingAttn/Runtime/RuntimeABI.def"
  }
  llvm_unreachable("a function of RuntimeABI.def");
}

/// The private declaration of `function` in `module`, added at the end of
/// the module unless it is there already.
inline func::FuncOp declareRuntimeFunction(ModuleOp module,
                                           ringattn::abi::Function function) {
  StringRef name = runtimeFunctionName(function);
  if (auto existing = module.lookupSymbol<func::FuncOp>(name))
    return existing;
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  auto func =
      func::FuncOp::create(b, module.getLoc(), name,
                           runtimeFunctionType(module.getContext(), function));
  func.setPrivate();
  return func;
}

/// The llvm.func declaration of `function` in `module` (for conversions to
/// the LLVM dialect), created through `builder` unless it is there already.
inline FailureOr<LLVM::LLVMFuncOp>
declareRuntimeLLVMFunction(OpBuilder &builder, ModuleOp module,
                           ringattn::abi::Function function) {
  FunctionType type = runtimeFunctionType(module.getContext(), function);
  Type result = type.getNumResults()
                    ? type.getResult(0)
                    : LLVM::LLVMVoidType::get(module.getContext());
  return LLVM::lookupOrCreateFn(builder, module, runtimeFunctionName(function),
                                type.getInputs(), result);
}

} // namespace mlir::ring

#endif // RINGATTN_CONVERSION_RUNTIMEFUNCTIONS_H
