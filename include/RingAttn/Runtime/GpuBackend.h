//===- GpuBackend.h - N ranks sharing one GPU -------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The single-GPU backend: N ranks are threads of one process sharing one
// device, each with a compute stream (the stream compiled code gets from
// mgpuStreamCreate) and a communication stream. A shift is a device-to-device
// copy on the sender's communication stream, ordered against both ranks'
// compute streams with events. Also the host-side helpers a driver program
// (ring-run) needs to stage buffers on the device.
//
// Part of libRingAttnRuntimeGPU, which needs no CUDA to build: the driver is
// loaded at run time, and every function here reports "no GPU" cleanly
// where it is missing.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_RUNTIME_GPUBACKEND_H
#define RINGATTN_RUNTIME_GPUBACKEND_H

#include "RingAttn/Runtime/RunReport.h"

#include <cstddef>
#include <functional>
#include <string>

namespace ringattn {
namespace runtime {

class BackendRegistry;

struct GpuOptions {
  int ranks = 1;
  /// How long a rank waits for a peer, or for a transfer on the device,
  /// before the ring fails (seconds).
  double timeoutSeconds = 60;
  /// How long a rank waits at its end for its kernels to finish (seconds).
  /// Kernels may run long, but a hung one must fail the rank, not hold the
  /// process forever.
  double drainTimeoutSeconds = 600;
  /// Record compute spans (host side) and transfer spans (device side,
  /// timed with events) for a Chrome trace.
  bool trace = false;
  /// Benchmarks only: shifts match and synchronize the ranks but copy
  /// nothing. Results are wrong by design.
  bool dropTransfers = false;
};

/// Runs `body(rank)` on `options.ranks` threads sharing the selected GPU, with
/// the C ABI of RingRuntime.h and the mgpu* wrappers bound to each rank (see
/// docs/Runtime.md). Buffers given to shifts must be device (or managed)
/// memory. Returns !ok with the reason, and runs nothing, if there is no
/// usable GPU. The same rules as runOnThreads apply to `body`: a stopped
/// rank leaves it by longjmp.
RunReport runOnOneGpu(const GpuOptions &options,
                      const std::function<void(int rank)> &body);

/// Registers "gpu": runOnOneGpu behind the Backend interface, with
/// BackendOptions' ranks, timeout and dropTransfers.
void registerOneGpuBackend(BackendRegistry &registry);

/// Whether a GPU can be used: the driver loads, initializes, and has the
/// selected device. Otherwise `why` says what is missing.
bool gpuAvailable(std::string &why);

/// Selects the device the GPU runtime uses in this process (default:
/// $RINGATTN_CUDA_DEVICE, else 0; a negative ordinal goes back to that).
/// Select before loading compiled modules: they load on the device selected
/// at the time.
void selectGpuDevice(int ordinal);

/// The selected device's name, or "" without a GPU (gpuAvailable says why).
std::string gpuDeviceName();

/// Device memory for host code. Each makes the selected device's context
/// current on the calling thread first, and reports failure through its
/// result and `error`; none fails a rank. gpuAlloc returns null on failure
/// and a valid pointer (to at least one byte) for 0 bytes. The copies are
/// synchronous.
void *gpuAlloc(size_t bytes, std::string &error);
bool gpuFree(void *pointer, std::string &error);
bool gpuCopyToDevice(void *dst, const void *src, size_t bytes,
                     std::string &error);
bool gpuCopyToHost(void *dst, const void *src, size_t bytes,
                   std::string &error);

} // namespace runtime
} // namespace ringattn

#endif // RINGATTN_RUNTIME_GPUBACKEND_H
