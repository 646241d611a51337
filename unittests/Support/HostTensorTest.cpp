//===- HostTensorTest.cpp - ring-run's operands in host memory ------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// ring-run's operand shapes come from the user's module: a shape too large
// for memory or for 64 bits must be an error naming the operand, not an
// abort ("LLVM ERROR: out of memory"), and an input file must be checked
// against the operand's shape before its data is allocated.
//
//===----------------------------------------------------------------------===//

#include "RingAttn/Support/HostTensor.h"

#include "RingAttn/Support/Npy.h"

#include <gtest/gtest.h>

#include <fstream>

using namespace ringattn;

namespace {

TEST(HostTensor, AllocatesZeroedOperands) {
  HostTensor tensor;
  std::string error;
  ASSERT_TRUE(tensor.allocate("q", ElementType::F16, {1, 2, 3, 4}, error))
      << error;
  EXPECT_EQ(tensor.sizeInBytes(), 48u);
  EXPECT_EQ(tensor.numElements(), 24);
  for (double value : tensor.toDouble())
    EXPECT_EQ(value, 0.0);
}

TEST(HostTensor, ReportsMemoryItCannotHave) {
  HostTensor tensor;
  std::string error;
  // 2^62 bytes: no machine has it.
  EXPECT_FALSE(tensor.allocate("k", ElementType::F32,
                               {1, 1 << 20, 1 << 20, 1 << 20}, error));
  EXPECT_EQ(error, "cannot allocate k: f32 tensor of shape [1, 1048576, "
                   "1048576, 1048576] needs 4.0 EiB (4611686018427387904 "
                   "bytes), more memory than is available");
}

TEST(HostTensor, ReportsSizesPast64Bits) {
  HostTensor tensor;
  std::string error;
  EXPECT_FALSE(tensor.allocate("v", ElementType::BF16,
                               {4294967296, 4294967296, 4, 4}, error));
  EXPECT_EQ(error, "cannot allocate v: bf16 tensor of shape [4294967296, "
                   "4294967296, 4, 4] needs more than 2^64 bytes");
  EXPECT_FALSE(tensor.allocate("out", ElementType::F32, {1, -2, 3, 4}, error));
  EXPECT_EQ(error, "cannot allocate out: f32 tensor of shape [1, -2, 3, 4] "
                   "has a negative dimension");
}

// A file whose header claims 4 TB: refused by its shape, nothing allocated
// (readNpy used to resize a vector to the claimed size first).
TEST(HostTensor, ChecksTheFileShapeBeforeReading) {
  std::string path = ::testing::TempDir() + "ringattn-hosttensor-huge.npy";
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': "
                     "(1, 1, 1000000000000, 1), }";
  dict.append((64 - (10 + dict.size() + 1) % 64) % 64, ' ');
  dict += '\n';
  std::ofstream out(path, std::ios::binary);
  out.write("\x93NUMPY\x01\x00", 8);
  out.put(static_cast<char>(dict.size()));
  out.put(0);
  out << dict << std::string(64, '\0');
  out.close();
  HostTensor tensor;
  std::string error;
  ASSERT_TRUE(tensor.allocate("q", ElementType::F32, {1, 1, 4, 4}, error));
  EXPECT_FALSE(tensor.load(path, error));
  EXPECT_EQ(error, path + ": file holds fewer elements than its shape says "
                          "(4000000000000 bytes of data needed, 64 present)");
}

TEST(HostTensor, LoadsAndSavesEachElementType) {
  for (ElementType type :
       {ElementType::F32, ElementType::F16, ElementType::BF16}) {
    std::string error;
    HostTensor tensor, back;
    ASSERT_TRUE(tensor.allocate("q", type, {1, 2, 3, 4}, error)) << error;
    ASSERT_TRUE(back.allocate("back", type, {1, 2, 3, 4}, error)) << error;
    std::mt19937_64 rng(7);
    tensor.fillRandom(rng);
    std::string path = ::testing::TempDir() + "ringattn-hosttensor-" +
                       elementTypeName(type) + ".npy";
    ASSERT_TRUE(tensor.save(path, error)) << error;
    ASSERT_TRUE(back.load(path, error)) << error;
    EXPECT_EQ(back.toDouble(), tensor.toDouble()) << elementTypeName(type);
  }
}

} // namespace
