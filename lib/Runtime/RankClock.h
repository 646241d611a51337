//===- RankClock.h - The time a rank spends computing -----------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Internal to the runtime. Every backend reports, per rank, the wall and CPU
// time of its compute spans (what it runs between its shift calls); this is
// the one clock they measure it with. CPU time is the rank thread's own, so
// it stays its work even when ranks outnumber cores and share them.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_LIB_RUNTIME_RANKCLOCK_H
#define RINGATTN_LIB_RUNTIME_RANKCLOCK_H

#include <chrono>
#include <ctime>

namespace ringattn {
namespace runtime {

/// Measures one compute span at a time on the calling thread.
class RankClock {
public:
  using Clock = std::chrono::steady_clock;

  /// Wall and CPU seconds of a closed span.
  struct Elapsed {
    double wallSeconds = 0;
    double cpuSeconds = 0;
  };

  /// Opens a span now.
  void begin() {
    wallBegin_ = Clock::now();
    cpuBegin_ = threadCpuSeconds();
  }

  /// The span opened by the last begin(), up to now.
  Elapsed elapsed() const {
    return {std::chrono::duration<double>(Clock::now() - wallBegin_).count(),
            threadCpuSeconds() - cpuBegin_};
  }

  /// CPU time consumed by the calling thread.
  static double threadCpuSeconds() {
    timespec now;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return now.tv_sec + now.tv_nsec * 1e-9;
  }

private:
  Clock::time_point wallBegin_;
  double cpuBegin_ = 0;
};

} // namespace runtime
} // namespace ringattn

#endif // RINGATTN_LIB_RUNTIME_RANKCLOCK_H
