//===- EventWait.h - Waiting for device work from the host ------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Internal to the GPU runtime. A rank waits for its device work (a transfer,
// the end of its kernels) by polling an event from the host rather than
// blocking in the driver: between polls it can see its ring fail, and a
// deadline turns work that never completes into an error naming the rank
// instead of a hang. Both GPU backends wait this way.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_LIB_RUNTIME_GPU_EVENTWAIT_H
#define RINGATTN_LIB_RUNTIME_GPU_EVENTWAIT_H

#include "CudaDriver.h"
#include "RankBinding.h"

#include <chrono>
#include <thread>

namespace ringattn {
namespace runtime {

/// Pauses before poll `round` + 1: spins briefly (device work often
/// completes within microseconds), then backs off so that waiting ranks
/// leave the cores to the ones issuing work.
inline void backOff(int round) {
  if (round < 64)
    std::this_thread::yield();
  else
    std::this_thread::sleep_for(
        std::chrono::microseconds(round < 256 ? 20 : 200));
}

/// Polls `event` until it completes (CUDA_SUCCESS), the driver fails the
/// query (its error), or `deadline` passes (CUDA_ERROR_NOT_READY).
/// `whilePending()` runs after each poll that finds the event pending,
/// before the deadline is checked; it may leave by longjmp (a failing ring):
/// nothing here needs destroying.
template <typename WhilePending>
cuda::CUresult awaitEvent(const cuda::Driver &cu, cuda::CUevent event,
                          std::chrono::steady_clock::time_point deadline,
                          WhilePending &&whilePending) {
  for (int round = 0;; ++round) {
    cuda::CUresult result = cu.cuEventQuery(event);
    if (result != cuda::CUDA_ERROR_NOT_READY)
      return result;
    whilePending();
    if (std::chrono::steady_clock::now() > deadline)
      return result;
    backOff(round);
  }
}

/// Fails `rank` whose compute stream did not drain within `seconds` of its
/// body's end: the same message in every GPU backend.
[[noreturn]] inline void failDrainTimeout(RankBinding &rank, double seconds) {
  rank.failf("timed out after %g s waiting for its kernels to finish (the "
             "compute stream did not drain): a kernel may be hung",
             seconds);
}

} // namespace runtime
} // namespace ringattn

#endif // RINGATTN_LIB_RUNTIME_GPU_EVENTWAIT_H
