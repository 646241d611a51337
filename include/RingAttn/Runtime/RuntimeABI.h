//===- RuntimeABI.h - The runtime's C ABI as C++ types ----------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// RuntimeABI.def's vocabulary: each function's signature as a C++ function
// type over the kinds I64, Ptr and Void, so the runtime's C declarations, the
// compiler's function types and ring-run's symbol table are checked against
// one table. MLIR-free: the runtime includes it.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_RUNTIME_RUNTIMEABI_H
#define RINGATTN_RUNTIME_RUNTIMEABI_H

#include <cstdint>

namespace ringattn::abi {

/// The kinds of value that cross the ABI.
struct I64 {};
struct Ptr {};
struct Void {};

/// The kind of a C type.
template <typename T> struct KindOf;
template <> struct KindOf<int64_t> {
  using type = I64;
};
template <> struct KindOf<uint64_t> {
  using type = I64;
};
template <> struct KindOf<void> {
  using type = Void;
};
template <typename T> struct KindOf<T *> {
  using type = Ptr;
};

/// The signature of a C function type in kinds: for example
/// `KindsOf<void *(uint64_t)>::type` is `Ptr(I64)`.
template <typename F> struct KindsOf;
template <typename R, typename... A> struct KindsOf<R(A...)> {
  using type = typename KindOf<R>::type(typename KindOf<A>::type...);
};

/// The functions of RuntimeABI.def, by name.
enum class Function {
#define RINGATTN_RUNTIME_FUNCTION(name, result, parameters) name,
#include "RingAttn/Runtime/RuntimeABI.def"
};

} // namespace ringattn::abi

#endif // RINGATTN_RUNTIME_RUNTIMEABI_H
