//===- IdleDeviceBlocks.cpp - Device scratch kept between calls -----------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "IdleDeviceBlocks.h"

#include "RankBinding.h"

#include <vector>

namespace ringattn {
namespace runtime {

using namespace cuda;

IdleDeviceBlocks &IdleDeviceBlocks::process() {
  static IdleDeviceBlocks *pool = new IdleDeviceBlocks;
  return *pool;
}

CUdeviceptr IdleDeviceBlocks::take(int device, uint64_t bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto found = blocks_.find({device, bytes});
  if (found == blocks_.end())
    return 0;
  CUdeviceptr block = found->second;
  blocks_.erase(found);
  idleBytes_ -= bytes;
  return block;
}

void IdleDeviceBlocks::give(const Driver &cu, int device, CUdeviceptr block,
                            uint64_t bytes) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (idleBytes_ + bytes <= kIdleBytesLimit) {
      blocks_.emplace(Key{device, bytes}, block);
      idleBytes_ += bytes;
      return;
    }
  }
  cu.cuMemFree_v2(block); // a release: nothing to report to
}

bool IdleDeviceBlocks::freeAll(const Driver &cu, int device) {
  std::vector<CUdeviceptr> freed;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto first = blocks_.lower_bound({device, 0});
    auto last = blocks_.lower_bound({device + 1, 0});
    for (auto it = first; it != last; ++it) {
      freed.push_back(it->second);
      idleBytes_ -= it->first.second;
    }
    blocks_.erase(first, last);
  }
  for (CUdeviceptr block : freed)
    cu.cuMemFree_v2(block);
  return !freed.empty();
}

uint64_t IdleDeviceBlocks::idleBytes() {
  std::lock_guard<std::mutex> lock(mutex_);
  return idleBytes_;
}

size_t IdleDeviceBlocks::idleBlocks() {
  std::lock_guard<std::mutex> lock(mutex_);
  return blocks_.size();
}

void idleDeviceScratch(RankBinding &binding) {
  ScratchMemory *scratch = binding.deviceScratchIfAny();
  if (!scratch)
    return;
  std::string why;
  const Driver *cu = makeContextCurrent(why);
  int device = selectedDevice(why);
  if (!cu || device < 0)
    return; // the scratch frees its blocks itself
  scratch->endCall();
  for (auto [block, bytes] : scratch->takeKept())
    IdleDeviceBlocks::process().give(
        *cu, device, reinterpret_cast<CUdeviceptr>(block), bytes);
}

} // namespace runtime
} // namespace ringattn
