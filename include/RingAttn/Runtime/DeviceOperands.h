//===- DeviceOperands.h - One rank's operands in GPU memory -----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The GPU backends run compiled code whose operands live in device memory:
// a driver program stages each rank's operands there before the timed runs
// (q, k, v and the output of a forward entry; q, k, v, dout, then out, dq,
// dk, dv of a training step) and fetches the results back after them. Part
// of libRingAttnRuntimeGPU.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_RUNTIME_DEVICEOPERANDS_H
#define RINGATTN_RUNTIME_DEVICEOPERANDS_H

#include "RingAttn/Support/HostTensor.h"

#include <string>
#include <vector>

namespace ringattn {
namespace runtime {

class DeviceOperands {
public:
  DeviceOperands() = default;
  DeviceOperands(const DeviceOperands &) = delete;
  DeviceOperands &operator=(const DeviceOperands &) = delete;
  ~DeviceOperands();

  /// Allocates a device buffer like each of `operands` and copies the first
  /// `inputs` of them in; the others are results the entry writes.
  bool stage(const std::vector<HostTensor *> &operands, size_t inputs,
             std::string &error);
  /// Copies device operand `i` into `tensor` (the host tensor it was staged
  /// from).
  bool fetch(size_t i, HostTensor &tensor, std::string &error) const;
  /// The device address of operand `i`.
  void *data(size_t i) const { return buffers_[i]; }

private:
  std::vector<void *> buffers_;
};

} // namespace runtime
} // namespace ringattn

#endif // RINGATTN_RUNTIME_DEVICEOPERANDS_H
