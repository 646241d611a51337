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
//    allocated and frees what is left when the binding goes;
//  - an embedding context (Embedding.h), which calls the same entry again
//    and again, keeps what its calls freed and hands it out again: the
//    compiled code allocates the same sizes on every call, so from the
//    second call on nothing is allocated or faulted in.
//
// The GPU runtime keeps a rank's device scratch (mgpuMemAlloc) the same way,
// with device memory as the block source, and always recycling (cuMemFree
// waits for the device); when a rank's device work drained, its blocks go to
// the process's idle pool for the next run (GPU/IdleDeviceBlocks.h).
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_LIB_RUNTIME_SCRATCHMEMORY_H
#define RINGATTN_LIB_RUNTIME_SCRATCHMEMORY_H

#include <cstdint>
#include <map>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ringattn {
namespace runtime {

/// Where a ScratchMemory's blocks come from and go back to.
struct BlockSource {
  /// A block of `bytes` (at least 1) aligned to `alignment` (a power of two;
  /// 0 for the source's own), or null when there is no memory left.
  void *(*obtain)(uint64_t bytes, uint64_t alignment);
  void (*release)(void *pointer);
};

/// Host memory: malloc, or posix_memalign for alignments above malloc's.
extern const BlockSource systemMemory;

/// The allocations of one rank. Used only by the thread running the rank.
class ScratchMemory {
public:
  /// With `recycle`, freed blocks are kept for the next allocation of the
  /// same size and alignment instead of going back to `source`.
  explicit ScratchMemory(bool recycle = false,
                         const BlockSource &source = systemMemory)
      : recycle_(recycle), source_(source) {}
  ScratchMemory(const ScratchMemory &) = delete;
  ScratchMemory &operator=(const ScratchMemory &) = delete;
  /// Frees every block: those the rank did not free (it was unwound) and
  /// those kept for reuse.
  ~ScratchMemory();

  /// A block of `bytes` (at least 1) aligned to `alignment` (a power of two;
  /// 0 for malloc's), or null when the system has no memory left.
  void *allocate(uint64_t bytes, uint64_t alignment);
  /// Gives `pointer` back; false when this rank did not allocate it.
  bool deallocate(void *pointer);
  /// A call ended, perhaps unwound: with `recycle`, the blocks it did not
  /// free are kept for the next call; without, they are freed.
  void endCall();

  bool recycles() const { return recycle_; }
  /// The blocks kept for reuse, with their sizes, which this scratch
  /// forgets: the caller owns them now.
  std::vector<std::pair<void *, uint64_t>> takeKept();
  /// Bytes held (live and kept), and how many blocks came from the source.
  uint64_t bytesHeld() const { return bytesHeld_; }
  uint64_t systemAllocations() const { return systemAllocations_; }

private:
  using SizeAndAlignment = std::pair<uint64_t, uint64_t>;
  void keep(void *pointer, SizeAndAlignment block);

  const bool recycle_;
  const BlockSource source_;
  std::unordered_map<void *, SizeAndAlignment> live_;
  std::multimap<SizeAndAlignment, void *> kept_;
  uint64_t bytesHeld_ = 0;
  uint64_t systemAllocations_ = 0;
};

} // namespace runtime
} // namespace ringattn

#endif // RINGATTN_LIB_RUNTIME_SCRATCHMEMORY_H
