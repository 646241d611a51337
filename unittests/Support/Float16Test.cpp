//===- Float16Test.cpp - f16 and bf16 conversions -------------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "RingAttn/Support/Float16.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using namespace ringattn;

namespace {

TEST(Float16, ExactValuesRoundTrip) {
  for (float x : {0.0f, -0.0f, 1.0f, -2.5f, 65504.0f, 0.000061035156f,
                  5.9604645e-08f /* smallest subnormal */})
    EXPECT_EQ(halfToFloat(floatToHalf(x)), x) << x;
  for (float x : {0.0f, 1.0f, -3.0f, std::ldexp(1.0f, 100), 0.15625f})
    EXPECT_EQ(bfloat16ToFloat(floatToBFloat16(x)), x) << x;
}

TEST(Float16, KnownBitPatterns) {
  EXPECT_EQ(floatToHalf(1.0f), 0x3C00);
  EXPECT_EQ(floatToHalf(-2.0f), 0xC000);
  EXPECT_EQ(floatToHalf(65520.0f), 0x7C00); // rounds to inf
  EXPECT_EQ(floatToBFloat16(1.0f), 0x3F80);
  EXPECT_EQ(floatToBFloat16(-2.0f), 0xC000);
}

TEST(Float16, RoundsToNearestEven) {
  // 1 + 2^-11 is halfway between 1 and the next half: ties to even (1).
  EXPECT_EQ(floatToHalf(1.0f + std::ldexp(1.0f, -11)), 0x3C00);
  // 1 + 3 * 2^-11 is halfway between odd and even: rounds up to even.
  EXPECT_EQ(floatToHalf(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3C02);
  EXPECT_EQ(floatToBFloat16(1.0f + std::ldexp(1.0f, -8)), 0x3F80);
  EXPECT_EQ(floatToBFloat16(1.0f + 3 * std::ldexp(1.0f, -8)), 0x3F82);
}

TEST(Float16, RelativeErrorIsHalfAnUlp) {
  for (int i = 1; i < 2000; ++i) {
    float x = 0.001f * i - 1.0f;
    if (x == 0)
      continue;
    EXPECT_LE(std::fabs(halfToFloat(floatToHalf(x)) - x),
              std::fabs(x) * std::ldexp(1.0f, -11) + 3e-8f);
    EXPECT_LE(std::fabs(bfloat16ToFloat(floatToBFloat16(x)) - x),
              std::fabs(x) * std::ldexp(1.0f, -8));
  }
}

TEST(Float16, SpecialValues) {
  float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(halfToFloat(floatToHalf(inf)), inf);
  EXPECT_EQ(halfToFloat(floatToHalf(-inf)), -inf);
  EXPECT_TRUE(std::isnan(halfToFloat(floatToHalf(std::nanf("")))));
  EXPECT_TRUE(std::isnan(bfloat16ToFloat(floatToBFloat16(std::nanf("")))));
}

} // namespace
