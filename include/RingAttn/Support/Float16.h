//===- Float16.h - f16 and bf16 bit conversions -----------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Round-to-nearest-even conversions between float and the 16-bit formats the
// kernels take, so host code can build inputs and read outputs.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_SUPPORT_FLOAT16_H
#define RINGATTN_SUPPORT_FLOAT16_H

#include <cstdint>

namespace ringattn {

uint16_t floatToHalf(float value);
float halfToFloat(uint16_t bits);
uint16_t floatToBFloat16(float value);
float bfloat16ToFloat(uint16_t bits);

} // namespace ringattn

#endif // RINGATTN_SUPPORT_FLOAT16_H
