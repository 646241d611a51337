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

bool DeviceOperands::stage(HostTensor &q, HostTensor &k, HostTensor &v,
                           HostTensor &out, std::string &error) {
  HostTensor *operands[] = {&q, &k, &v, &out};
  for (int i = 0; i < 4; ++i) {
    buffers_[i] = runtime::gpuAlloc(bytesOf(*operands[i]), error);
    if (!buffers_[i])
      return false;
    if (i < 3 && !runtime::gpuCopyToDevice(buffers_[i], operands[i]->data(),
                                           bytesOf(*operands[i]), error))
      return false;
  }
  return true;
}

bool DeviceOperands::fetchOutput(HostTensor &out, std::string &error) const {
  return runtime::gpuCopyToHost(out.data(), buffers_[3], bytesOf(out), error);
}
