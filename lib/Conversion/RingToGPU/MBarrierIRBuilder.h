//===- MBarrierIRBuilder.h - sm_90 mbarrier IR ------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Internal to the ring-to-GPU conversion. The shared-memory mbarriers of the
// warp-specialized sm_90a kernel (TensorCoreFlashKernel.cpp): a producer
// thread fills pipeline stages by TMA, counted on each stage's "full"
// barrier; the consumers wait on it, compute, and arrive on its "empty"
// barrier, which the producer waits on before refilling the stage.
//
// An mbarrier completes a phase when its expected arrivals have arrived
// and the bytes its arrivals announced (expect_tx) have been written by the
// asynchronous copies (TMA) that complete on it; a wait names the phase by
// its parity (PTX ISA, "Parallel Synchronization and Communication
// Instructions: mbarrier"). With `stages` stages, use u = t / stages of a
// stage for tile t is its phase u: the consumers wait for parity u % 2 of
// "full", the producer for parity (u % 2) ^ 1 of "empty" (the phase before,
// so its first use of each stage does not wait).
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_LIB_CONVERSION_RINGTOGPU_MBARRIERIRBUILDER_H
#define RINGATTN_LIB_CONVERSION_RINGTOGPU_MBARRIERIRBUILDER_H

#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace mlir {
namespace ring {

class MBarrierIRBuilder {
public:
  explicit MBarrierIRBuilder(ImplicitLocOpBuilder &b) : b(b) {}

  /// The mbarrier at shared-window address `address` (an index, 8-byte
  /// aligned): an !llvm.ptr<3> for the ops below.
  Value at(Value address);
  /// Sets up `barrier` to expect `arrivals` arrivals a phase; one thread
  /// does it, before a block barrier publishes it.
  void init(Value barrier, int64_t arrivals);
  /// This thread's arrival, releasing its prior memory accesses.
  void arrive(Value barrier);
  /// This thread's arrival, after raising the current phase's transaction
  /// count by `bytes`: the phase completes once asynchronous copies (TMA)
  /// have also completed that many bytes on `barrier`.
  void arriveExpectTx(Value barrier, int64_t bytes);
  /// Waits until the phase of parity `parity` (i32, 0 or 1) has completed,
  /// acquiring what its arrivals released.
  void waitParity(Value barrier, Value parity);

private:
  ImplicitLocOpBuilder &b;
};

} // namespace ring
} // namespace mlir

#endif // RINGATTN_LIB_CONVERSION_RINGTOGPU_MBARRIERIRBUILDER_H
