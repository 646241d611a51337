//===- DeviceOperands.h - One rank's operands in GPU memory -----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The GPU backends run compiled code whose operands live in device memory:
// a driver program stages each rank's q, k, v shards there before the timed
// runs and fetches the output back after them. Part of libRingAttnRuntimeGPU.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_RUNTIME_DEVICEOPERANDS_H
#define RINGATTN_RUNTIME_DEVICEOPERANDS_H

#include "RingAttn/Support/HostTensor.h"

#include <string>

namespace ringattn {
namespace runtime {

class DeviceOperands {
public:
  DeviceOperands() = default;
  DeviceOperands(const DeviceOperands &) = delete;
  DeviceOperands &operator=(const DeviceOperands &) = delete;
  ~DeviceOperands();

  /// Allocates device buffers like q, k, v and out and copies q, k, v in.
  bool stage(HostTensor &q, HostTensor &k, HostTensor &v, HostTensor &out,
             std::string &error);
  /// Copies the device output into `out`.
  bool fetchOutput(HostTensor &out, std::string &error) const;
  /// The device address of operand i (q, k, v, out).
  void *data(int i) const { return buffers_[i]; }

private:
  void *buffers_[4] = {nullptr, nullptr, nullptr, nullptr};
};

} // namespace runtime
} // namespace ringattn

#endif // RINGATTN_RUNTIME_DEVICEOPERANDS_H
