//===- DeviceOperandsTest.cpp - Staging a rank's operands on a (fake) GPU -===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// DeviceOperands with the fake driver (FakeCudaDriver.cpp), whose device
// memory is host memory: a training step's eight operands are staged (the
// four inputs copied in, the four results only allocated) and the results
// fetched back; a failed allocation or copy is an error that says so.
//
//===----------------------------------------------------------------------===//

#include "RingAttn/Runtime/DeviceOperands.h"
#include "GpuTestSupport.h"
#include "RingAttn/Runtime/GpuBackend.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

using namespace ringattn;
using namespace ringattn::runtime;
using ringattn::testing::fakeControl;
using ::testing::HasSubstr;

namespace {

/// q, k, v, dout, then out, dq, dk, dv of one rank: f32, random.
std::vector<HostTensor> trainingOperands() {
  const char *names[] = {"q", "k", "v", "dout", "the output", "dq", "dk", "dv"};
  std::vector<HostTensor> tensors(8);
  std::mt19937_64 rng(7);
  std::string error;
  for (int i = 0; i < 8; ++i) {
    EXPECT_TRUE(
        tensors[i].allocate(names[i], ElementType::F32, {1, 2, 8, 4}, error))
        << error;
    tensors[i].fillRandom(rng);
  }
  return tensors;
}

size_t bytesOf(const HostTensor &tensor) {
  return tensor.numElements() * tensor.bytesPerElement();
}

std::vector<HostTensor *> pointers(std::vector<HostTensor> &tensors) {
  std::vector<HostTensor *> result;
  for (HostTensor &tensor : tensors)
    result.push_back(&tensor);
  return result;
}

/// A training step's operands on the host, and the fake driver's control
/// that fails its next call of a given name.
class DeviceOperandsTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string why;
    ASSERT_TRUE(gpuAvailable(why)) << why;
    host = trainingOperands();
  }
  void failNext(const char *call) {
    fakeControl<void (*)(const char *, int)>(RINGATTN_FAKE_CUDA_PATH,
                                             "fakeCudaFailNext")(
        call, 1); // CUDA_ERROR_INVALID_VALUE
  }

  std::vector<HostTensor> host;
  DeviceOperands device;
  std::string error;
};

TEST_F(DeviceOperandsTest, StagesInputsAndFetchesResults) {
  ASSERT_TRUE(device.stage(pointers(host), 4, error)) << error;
  for (int i = 0; i < 8; ++i) {
    ASSERT_NE(device.data(i), nullptr);
    ASSERT_NE(device.data(i), host[i].data()) << "operand " << i;
  }
  // The inputs arrived; the fake device's memory is the host's.
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(std::memcmp(device.data(i), host[i].data(), bytesOf(host[i])), 0)
        << "input " << i;
  // What the entry would write into the results comes back into them.
  for (int i = 4; i < 8; ++i) {
    std::vector<float> written(host[i].numElements());
    for (size_t e = 0; e < written.size(); ++e)
      written[e] = float(100 * i + e);
    ASSERT_TRUE(gpuCopyToDevice(device.data(i), written.data(),
                                bytesOf(host[i]), error))
        << error;
    ASSERT_TRUE(device.fetch(i, host[i], error)) << error;
    EXPECT_EQ(std::memcmp(host[i].data(), written.data(), bytesOf(host[i])), 0)
        << "result " << i;
  }
}

TEST_F(DeviceOperandsTest, FailedAllocationIsReported) {
  failNext("cuMemAlloc");
  EXPECT_FALSE(device.stage(pointers(host), 4, error));
  EXPECT_THAT(error, HasSubstr("cuMemAlloc"));
  EXPECT_THAT(error, HasSubstr("CUDA_ERROR_INVALID_VALUE"));
}

TEST_F(DeviceOperandsTest, FailedFetchIsReported) {
  ASSERT_TRUE(device.stage(pointers(host), 4, error)) << error;
  failNext("cuMemcpyDtoH");
  EXPECT_FALSE(device.fetch(5, host[5], error));
  EXPECT_THAT(error, HasSubstr("cuMemcpyDtoH"));
}

} // namespace
