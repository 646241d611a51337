//===- SignatureCanon.h - Our declarations against the SDK's --*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Internal to the signature checks. Our declarations pass the SDK's enums as
// int; Canon<T> maps a type to the one we use for it (every enum to int,
// through pointers, const and function types), so that a function pointer
// type of cuda.h or nccl.h can be compared with ours by std::is_same.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_LIB_RUNTIME_GPU_SIGNATURECANON_H
#define RINGATTN_LIB_RUNTIME_GPU_SIGNATURECANON_H

#include <type_traits>

namespace ringattn {
namespace runtime {
namespace signature {

template <typename T, bool = std::is_enum<T>::value> struct Canon {
  using type = T;
};
template <typename T> struct Canon<T, true> {
  static_assert(sizeof(T) == sizeof(int),
                "an enum we pass as int has another size");
  using type = int;
};
template <typename T> struct Canon<const T, false> {
  using type = const typename Canon<T>::type;
};
template <typename T> struct Canon<T *, false> {
  using type = typename Canon<T>::type *;
};
template <typename R, typename... A> struct Canon<R (*)(A...), false> {
  using type = typename Canon<R>::type (*)(typename Canon<A>::type...);
};

template <typename T> using CanonType = typename Canon<T>::type;

} // namespace signature
} // namespace runtime
} // namespace ringattn

#endif // RINGATTN_LIB_RUNTIME_GPU_SIGNATURECANON_H
