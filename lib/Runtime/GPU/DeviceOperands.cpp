//===- DeviceOperands.cpp - One rank's operands in GPU memory -------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "RingAttn/Runtime/DeviceOperands.h"

#include "RingAttn/Runtime/GpuBackend.h"

using namespace ringattn;
using namespace ringattn::runtime;

static size_t bytesOf(const HostTensor &tensor) {
  return tensor.numElements() * tensor.bytesPerElement();
}

DeviceOperands::~DeviceOperands() {
  std::string ignored;
  for (void *buffer : buffers_)
    if (buffer)
      runtime::gpuFree(buffer, ignored);
}

bool DeviceOperands::stage(const std::vector<HostTensor *> &operands,
                           size_t inputs, std::string &error) {
  for (size_t i = 0; i < operands.size(); ++i) {
    buffers_.push_back(runtime::gpuAlloc(bytesOf(*operands[i]), error));
    if (!buffers_.back())
      return false;
    if (i < inputs &&
        !runtime::gpuCopyToDevice(buffers_[i], operands[i]->data(),
                                  bytesOf(*operands[i]), error))
      return false;
  }
  return true;
}

bool DeviceOperands::fetch(size_t i, HostTensor &tensor,
                           std::string &error) const {
  return runtime::gpuCopyToHost(tensor.data(), buffers_[i], bytesOf(tensor),
                                error);
}
