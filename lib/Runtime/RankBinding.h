//===- RankBinding.h - What the C ABI acts on -------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Internal to the runtime. Each backend binds the thread that runs a rank to
// a RankBinding; the C ABI of RingRuntime.h dispatches to the binding of the
// calling thread. A binding's calls never return on failure: they unwind the
// rank to its backend (see docs/Runtime.md).
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_LIB_RUNTIME_RANKBINDING_H
#define RINGATTN_LIB_RUNTIME_RANKBINDING_H

#include "RingAttn/Runtime/RingRuntime.h"

#include "ScratchMemory.h"

#include <cstdint>
#include <memory>

namespace ringattn {
namespace runtime {

class RankBinding {
public:
  /// With `recycleScratch`, what compiled code frees is kept for its next
  /// allocations (a binding that runs many calls).
  explicit RankBinding(bool recycleScratch = false) : scratch(recycleScratch) {}
  virtual ~RankBinding() = default;
  virtual int64_t rank() = 0;
  virtual int64_t size() = 0;
  virtual RingShift *shiftStart(void *src, void *dst, int64_t bytes,
                                int64_t offset) = 0;
  virtual void shiftWait(RingShift *shift) = 0;
  /// Stops the rank with `message` (the backend adds "rank k: "), as a
  /// failed runtime call would; the rank leaves its body by longjmp or its
  /// job is aborted. `message` is copied before anything unwinds, so it may
  /// live in the caller's frame.
  [[noreturn]] virtual void fail(const char *message) = 0;
  /// fail() with a printf-style message.
  [[noreturn]] void failf(const char *format, ...)
      __attribute__((format(printf, 2, 3)));

  /// The CUDA stream (a CUstream) the rank's device work is queued on, or
  /// null for a rank without one. The GPU runtime's mgpuStreamCreate returns
  /// it, so compiled code launches where the shifts are ordered.
  virtual void *computeStream() { return nullptr; }

  /// The rank's device scratch, made on first use with `source` (the GPU
  /// runtime's device memory). It always recycles: a block a call frees
  /// stays with the rank until the binding goes (or the GPU runtime pools
  /// it, IdleDeviceBlocks.h), because cuMemFree waits for the whole device
  /// and would stall the host between the call's kernels.
  ScratchMemory &deviceScratch(const BlockSource &source);
  /// The device scratch, or null if the rank never allocated any.
  const ScratchMemory *deviceScratchIfAny() const {
    return deviceScratch_.get();
  }
  ScratchMemory *deviceScratchIfAny() { return deviceScratch_.get(); }

  /// A call of compiled code ended, perhaps unwound (ScratchMemory::endCall).
  void endCall();

  /// What the rank's compiled code allocated on the host and has not freed.
  ScratchMemory scratch;

private:
  std::unique_ptr<ScratchMemory> deviceScratch_;
};

/// Binds the calling thread to `binding` (null unbinds).
void bindRank(RankBinding *binding);

/// The binding of the calling thread, or null outside a rank. Runtime parts
/// other than the C ABI (the GPU wrappers) use it to fail the calling rank.
RankBinding *boundRank();

} // namespace runtime
} // namespace ringattn

#endif // RINGATTN_LIB_RUNTIME_RANKBINDING_H
