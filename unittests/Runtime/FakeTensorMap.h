//===- FakeTensorMap.h - The fake driver's tensor maps ----------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// What FakeCudaDriver.cpp's cuTensorMapEncodeTiled writes into the 128
// bytes of a CUtensorMap: its arguments, so that tests can read back what
// the runtime asked for. Dimensions run innermost first, as TMA counts them.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_UNITTESTS_RUNTIME_FAKETENSORMAP_H
#define RINGATTN_UNITTESTS_RUNTIME_FAKETENSORMAP_H

#include <cstdint>

namespace ringattn {
namespace testing {

struct FakeTensorMap {
  uint64_t address;
  uint32_t rank, dataType, interleave, swizzle, l2Promotion, oobFill;
  uint64_t dims[5];
  uint64_t strides[4]; // bytes, of dimensions 1 to 4
  uint32_t box[5];
  uint32_t unused;
};
static_assert(sizeof(FakeTensorMap) == 128, "a CUtensorMap's 128 bytes");

} // namespace testing
} // namespace ringattn

#endif // RINGATTN_UNITTESTS_RUNTIME_FAKETENSORMAP_H
