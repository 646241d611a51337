//===- ScratchMemory.h - What a rank's compiled code allocates --*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Internal to the runtime. ring-lower-cpu lowers memref.alloc and
// memref.dealloc to the runtime's _mlir_memref_to_llvm_* functions
// (RingRuntime.h), so that
//  - an allocation that fails stops the rank with a message, instead of the
//    compiled code writing through a null pointer;
//  - a rank that fails mid-run, whose body is unwound by longjmp past the
//    compiled deallocations, leaks nothing: its binding owns what it
//    allocated and frees what is left when the binding goes.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_LIB_RUNTIME_SCRATCHMEMORY_H
#define RINGATTN_LIB_RUNTIME_SCRATCHMEMORY_H

#include <unordered_set>

namespace ringattn {
namespace runtime {

/// The live allocations of one rank. Used only by the rank's own thread.
class ScratchMemory {
public:
  ScratchMemory() = default;
  ScratchMemory(const ScratchMemory &) = delete;
  ScratchMemory &operator=(const ScratchMemory &) = delete;
  /// Frees what the rank did not (it was unwound).
  ~ScratchMemory();

  void adopt(void *pointer) { live_.insert(pointer); }
  /// Forgets `pointer`; false when this rank did not allocate it.
  bool release(void *pointer) { return live_.erase(pointer) != 0; }

private:
  std::unordered_set<void *> live_;
};

} // namespace runtime
} // namespace ringattn

#endif // RINGATTN_LIB_RUNTIME_SCRATCHMEMORY_H
