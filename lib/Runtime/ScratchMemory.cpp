//===- ScratchMemory.cpp - Allocation functions of compiled code ----------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "ScratchMemory.h"

#include "RankBinding.h"

#include <cstdio>
#include <cstdlib>

using namespace ringattn::runtime;

ScratchMemory::~ScratchMemory() {
  for (void *pointer : live_)
    std::free(pointer);
}

/// Takes `pointer` (from malloc or posix_memalign) into the calling rank's
/// scratch, or stops the rank when the allocation of `bytes` failed.
static void *adoptOrFail(void *pointer, uint64_t bytes) {
  RankBinding *rank = boundRank();
  if (!pointer) {
    const char *what = "out of memory: the compiled code could not allocate "
                       "%llu bytes of scratch";
    if (rank)
      rank->failf(what, static_cast<unsigned long long>(bytes));
    // Outside a rank (an AOT caller) there is nobody to unwind to.
    std::fprintf(stderr, "ringattn: ");
    std::fprintf(stderr, what, static_cast<unsigned long long>(bytes));
    std::fprintf(stderr, "\n");
    std::abort();
  }
  if (rank)
    rank->scratch.adopt(pointer);
  return pointer;
}

extern "C" void *_mlir_memref_to_llvm_alloc(uint64_t bytes) {
  // malloc(0) may return null; a zero-sized buffer still needs an address.
  return adoptOrFail(std::malloc(bytes ? bytes : 1), bytes);
}

extern "C" void *_mlir_memref_to_llvm_aligned_alloc(uint64_t alignment,
                                                    uint64_t bytes) {
  void *pointer = nullptr;
  if (alignment < sizeof(void *))
    alignment = sizeof(void *); // posix_memalign's minimum
  if (posix_memalign(&pointer, alignment, bytes ? bytes : 1) != 0)
    pointer = nullptr;
  return adoptOrFail(pointer, bytes);
}

extern "C" void _mlir_memref_to_llvm_free(void *pointer) {
  if (RankBinding *rank = boundRank())
    rank->scratch.release(pointer);
  std::free(pointer);
}
