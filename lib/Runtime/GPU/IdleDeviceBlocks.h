//===- IdleDeviceBlocks.h - Device scratch kept between calls ---*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Internal to the GPU runtime. The one-GPU and NCCL backends bind fresh
// ranks for every run, so without a pool each run of an entry would
// cuMemAlloc its device scratch anew and cuMemFree it at the end, and
// cuMemAlloc takes tens to hundreds of microseconds while the rank's stream
// waits for the first kernel (an H200 run of one 1.6 ms attention kernel
// measured 0.2 ms of such idle time). A rank whose device work drained
// hands its scratch here instead, and the next run's ranks take blocks of
// the sizes they ask for: as PyTorch's caching allocator does, memory stays
// with the process. The pool gives every block back to the driver when an
// allocation runs out of memory, and holds at most kIdleBytesLimit.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_LIB_RUNTIME_GPU_IDLEDEVICEBLOCKS_H
#define RINGATTN_LIB_RUNTIME_GPU_IDLEDEVICEBLOCKS_H

#include "CudaDriver.h"

#include <cstdint>
#include <map>
#include <mutex>
#include <utility>

namespace ringattn {
namespace runtime {

class RankBinding;

class IdleDeviceBlocks {
public:
  /// What the pool holds at most; a block given beyond it is freed.
  static constexpr uint64_t kIdleBytesLimit = uint64_t(8) << 30;

  /// The process's pool (never destroyed: the driver frees what it holds
  /// with the process's contexts).
  static IdleDeviceBlocks &process();

  /// An idle block of exactly `bytes` on `device`, or 0 if there is none.
  cuda::CUdeviceptr take(int device, uint64_t bytes);
  /// Keeps `block` (`bytes` on `device`) for a later take, or frees it if
  /// the pool is full. The block's last use must have completed.
  void give(const cuda::Driver &cu, int device, cuda::CUdeviceptr block,
            uint64_t bytes);
  /// Frees every idle block of `device`, whose context is current (an
  /// allocation ran out of memory); returns whether there was any.
  bool freeAll(const cuda::Driver &cu, int device);

  uint64_t idleBytes();
  size_t idleBlocks();

private:
  using Key = std::pair<int, uint64_t>; // device, bytes
  std::mutex mutex_;
  std::multimap<Key, cuda::CUdeviceptr> blocks_;
  uint64_t idleBytes_ = 0;
};

/// After `binding`'s device work drained: the device scratch its calls
/// allocated and freed goes to the process's pool.
void idleDeviceScratch(RankBinding &binding);

} // namespace runtime
} // namespace ringattn

#endif // RINGATTN_LIB_RUNTIME_GPU_IDLEDEVICEBLOCKS_H
