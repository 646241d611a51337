//===- RankThreads.h - A communicator's ranks as threads --------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Internal to the runtime. The threads backend and the one-GPU backend both
// run N ranks as threads of one process around a Communicator; they differ in
// how bytes move (copy engines or device copies) and in what a rank does
// around a shift. This is the part they share: the binding of the C ABI to a
// rank of a communicator, and the threads that run the ranks.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_LIB_RUNTIME_RANKTHREADS_H
#define RINGATTN_LIB_RUNTIME_RANKTHREADS_H

#include "Communicator.h"
#include "RankBinding.h"

#include <functional>
#include <memory>

namespace ringattn {
namespace runtime {

/// The C ABI on one rank of a Communicator. A failing call unwinds the rank
/// with longjmp to its thread (see RankThreads.cpp); backends that do more
/// around a shift derive from it.
class CommunicatorBinding : public RankBinding {
public:
  explicit CommunicatorBinding(RankState &rank) : rank_(rank) {}

  int64_t rank() override;
  int64_t size() override;
  RingShift *shiftStart(void *src, void *dst, int64_t bytes,
                        int64_t offset) override;
  void shiftWait(RingShift *shift) override;
  [[noreturn]] void fail(const char *message) override;

protected:
  /// Leaves the rank's body for its thread (the rank has already stopped).
  [[noreturn]] void unwind();

  RankState &rank_;
};

/// Makes the binding of a rank, on that rank's thread, before its body.
using BindingFactory =
    std::function<std::unique_ptr<CommunicatorBinding>(RankState &rank)>;

/// Runs `comm`'s body on one thread per rank, each bound to the binding that
/// `makeBinding` returns, and reports as runOnThreads documents: it returns
/// once every rank finished, or, after a failure, once the stragglers had
/// the timeout to stop (those are detached and keep `comm` alive).
RunReport runRankThreads(const std::shared_ptr<Communicator> &comm,
                         const BindingFactory &makeBinding);

} // namespace runtime
} // namespace ringattn

#endif // RINGATTN_LIB_RUNTIME_RANKTHREADS_H
