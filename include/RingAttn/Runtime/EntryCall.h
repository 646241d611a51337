//===- EntryCall.h - Call a compiled entry's C interface --------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// A lowered entry's C interface (`_mlir_ciface_<name>`) takes one pointer
// per operand (a memref descriptor). Its arity is known only at run time,
// so the call goes through a table of callers, one per arity, each calling
// with exactly that many operands. Shared by the embedding API and
// ring-run. MLIR-free: the runtime includes it.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_RUNTIME_ENTRYCALL_H
#define RINGATTN_RUNTIME_ENTRYCALL_H

#include <array>
#include <cassert>
#include <cstddef>
#include <utility>

namespace ringattn::runtime {

/// The most operands an entry is called with.
inline constexpr size_t kMaxEntryOperands = 24;

namespace detail {
template <size_t... I>
void callWithOperands(void *entry, void *const *operands,
                      std::index_sequence<I...>) {
  using Function = void (*)(decltype((void)I, (void *)nullptr)...);
  reinterpret_cast<Function>(entry)(operands[I]...);
}

template <size_t... N> constexpr auto makeCallers(std::index_sequence<N...>) {
  return std::array<void (*)(void *, void *const *), sizeof...(N)>{
      [](void *entry, void *const *operands) {
        callWithOperands(entry, operands, std::make_index_sequence<N>{});
      }...};
}

/// callers[n] calls an entry of n operands.
inline constexpr auto callers =
    makeCallers(std::make_index_sequence<kMaxEntryOperands + 1>{});
} // namespace detail

/// Calls the C interface `entry` with the `count` pointers of `operands`.
inline void callEntry(void *entry, size_t count, void *const *operands) {
  assert(count <= kMaxEntryOperands && "more operands than an entry takes");
  detail::callers[count](entry, operands);
}

} // namespace ringattn::runtime

#endif // RINGATTN_RUNTIME_ENTRYCALL_H
