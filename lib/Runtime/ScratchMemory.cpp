//===- ScratchMemory.cpp - Allocation functions of compiled code ----------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "ScratchMemory.h"

#include "RankBinding.h"

#include <cstdio>
#include <cstdlib>

using namespace ringattn::runtime;

ScratchMemory::~ScratchMemory() {
  for (auto &[pointer, block] : live_)
    source_.release(pointer);
  for (auto &[block, pointer] : kept_)
    source_.release(pointer);
}

/// malloc, or posix_memalign for alignments above malloc's; null on failure.
static void *systemAllocate(uint64_t bytes, uint64_t alignment) {
  // malloc(0) may return null; a zero-sized buffer still needs an address.
  bytes = bytes ? bytes : 1;
  if (alignment == 0)
    return std::malloc(bytes);
  if (alignment < sizeof(void *))
    alignment = sizeof(void *); // posix_memalign's minimum
  void *pointer = nullptr;
  return posix_memalign(&pointer, alignment, bytes) == 0 ? pointer : nullptr;
}

const BlockSource ringattn::runtime::systemMemory = {systemAllocate, std::free};

void *ScratchMemory::allocate(uint64_t bytes, uint64_t alignment) {
  SizeAndAlignment block{bytes, alignment};
  auto kept = kept_.find(block);
  if (kept != kept_.end()) {
    void *pointer = kept->second;
    kept_.erase(kept);
    live_.emplace(pointer, block);
    return pointer;
  }
  void *pointer = source_.obtain(bytes, alignment);
  if (!pointer)
    return nullptr;
  ++systemAllocations_;
  bytesHeld_ += bytes;
  live_.emplace(pointer, block);
  return pointer;
}

void ScratchMemory::keep(void *pointer, SizeAndAlignment block) {
  if (recycle_) {
    kept_.emplace(block, pointer);
    return;
  }
  bytesHeld_ -= block.first;
  source_.release(pointer);
}

bool ScratchMemory::deallocate(void *pointer) {
  auto live = live_.find(pointer);
  if (live == live_.end())
    return false;
  SizeAndAlignment block = live->second;
  live_.erase(live);
  keep(pointer, block);
  return true;
}

std::vector<std::pair<void *, uint64_t>> ScratchMemory::takeKept() {
  std::vector<std::pair<void *, uint64_t>> blocks;
  for (auto &[block, pointer] : kept_) {
    blocks.emplace_back(pointer, block.first);
    bytesHeld_ -= block.first;
  }
  kept_.clear();
  return blocks;
}

void ScratchMemory::endCall() {
  for (auto &[pointer, block] : live_)
    keep(pointer, block);
  live_.clear();
}

ScratchMemory &RankBinding::deviceScratch(const BlockSource &source) {
  if (!deviceScratch_)
    deviceScratch_ = std::make_unique<ScratchMemory>(/*recycle=*/true, source);
  return *deviceScratch_;
}

void RankBinding::endCall() {
  scratch.endCall();
  if (deviceScratch_)
    deviceScratch_->endCall();
}

/// Stops the calling rank, or the process outside a rank, when an
/// allocation of `bytes` failed.
[[noreturn]] static void outOfMemory(RankBinding *rank, uint64_t bytes) {
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

/// A block from the calling rank's scratch, or from the system outside a
/// rank; never null.
static void *allocateChecked(uint64_t bytes, uint64_t alignment) {
  RankBinding *rank = boundRank();
  void *pointer = rank ? rank->scratch.allocate(bytes, alignment)
                       : systemAllocate(bytes, alignment);
  if (!pointer)
    outOfMemory(rank, bytes);
  return pointer;
}

extern "C" void *_mlir_memref_to_llvm_alloc(uint64_t bytes) {
  return allocateChecked(bytes, 0);
}

extern "C" void *_mlir_memref_to_llvm_aligned_alloc(uint64_t alignment,
                                                    uint64_t bytes) {
  return allocateChecked(bytes, alignment);
}

extern "C" void _mlir_memref_to_llvm_free(void *pointer) {
  RankBinding *rank = boundRank();
  if (rank && rank->scratch.deallocate(pointer))
    return;
  std::free(pointer);
}
