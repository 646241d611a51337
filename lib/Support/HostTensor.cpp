//===- HostTensor.cpp - Attention operands in host memory -----------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "RingAttn/Support/HostTensor.h"

#include "RingAttn/Support/Float16.h"
#include "RingAttn/Support/Npy.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <new>

namespace ringattn {

const char *elementTypeName(ElementType type) {
  switch (type) {
  case ElementType::F32:
    return "f32";
  case ElementType::F16:
    return "f16";
  case ElementType::BF16:
    return "bf16";
  case ElementType::I32:
    return "i32";
  }
  return "?";
}

/// The .npy dtype of a tensor's file: bf16 is widened to float32.
static NpyDType npyDTypeOf(ElementType type) {
  switch (type) {
  case ElementType::F16:
    return NpyDType::F16;
  case ElementType::I32:
    return NpyDType::I32;
  case ElementType::F32:
  case ElementType::BF16:
    break;
  }
  return NpyDType::F32;
}

std::string shapeString(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

/// "64.0 GiB (68719476736 bytes)": readable, and exact.
static std::string bytesString(uint64_t bytes) {
  const char *units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double scaled = static_cast<double>(bytes);
  int unit = 0;
  while (scaled >= 1024 && unit < 6) {
    scaled /= 1024;
    ++unit;
  }
  if (unit == 0)
    return std::to_string(bytes) + " bytes";
  char text[64];
  std::snprintf(text, sizeof text, "%.1f %s (%llu bytes)", scaled, units[unit],
                static_cast<unsigned long long>(bytes));
  return text;
}

/// The byte size of `shape` in elements of `elementBytes`, or a reason why
/// there is none.
static bool byteSize(const std::vector<int64_t> &shape, uint64_t elementBytes,
                     uint64_t &bytes, std::string &problem) {
  bytes = elementBytes;
  for (int64_t dim : shape) {
    if (dim < 0) {
      problem = "has a negative dimension";
      return false;
    }
    if (__builtin_mul_overflow(bytes, static_cast<uint64_t>(dim), &bytes)) {
      problem = "needs more than 2^64 bytes";
      return false;
    }
  }
  return true;
}

bool HostTensor::allocate(const std::string &operand, ElementType type,
                          std::vector<int64_t> shape, std::string &error) {
  std::string what = "cannot allocate " + operand + ": " +
                     elementTypeName(type) + " tensor of shape " +
                     shapeString(shape);
  uint64_t size = 0;
  std::string problem;
  int64_t elementBytes =
      type == ElementType::F32 || type == ElementType::I32 ? 4 : 2;
  if (!byteSize(shape, elementBytes, size, problem) ||
      size > static_cast<uint64_t>(PTRDIFF_MAX)) {
    error = what + " " + (problem.empty() ? "is too large" : problem);
    return false;
  }
  // calloc: zeroed pages arrive lazily, and failure is a null pointer.
  void *memory = std::calloc(std::max<uint64_t>(size, 1), 1);
  if (!memory) {
    error = what + " needs " + bytesString(size) +
            ", more memory than is available";
    return false;
  }
  elementType = type;
  dims = std::move(shape);
  storage.reset(static_cast<uint8_t *>(memory));
  bytes = static_cast<size_t>(size);
  return true;
}

int64_t HostTensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : dims)
    n *= d;
  return n;
}

void HostTensor::fillRandom(std::mt19937_64 &rng) {
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  for (int64_t i = 0, e = numElements(); i < e; ++i) {
    float x = uniform(rng);
    switch (elementType) {
    case ElementType::F32:
      reinterpret_cast<float *>(data())[i] = x;
      break;
    case ElementType::F16:
      reinterpret_cast<uint16_t *>(data())[i] = floatToHalf(x);
      break;
    case ElementType::BF16:
      reinterpret_cast<uint16_t *>(data())[i] = floatToBFloat16(x);
      break;
    case ElementType::I32:
      reinterpret_cast<int32_t *>(data())[i] = static_cast<int32_t>(x);
      break;
    }
  }
}

bool HostTensor::load(const std::string &path, std::string &error) {
  // The header is checked against this tensor before any data is read, so
  // a file that claims a huge shape costs nothing.
  NpyFile file;
  if (!file.open(path, error))
    return false;
  const NpyHeader &header = file.header();
  NpyDType expected = npyDTypeOf(elementType);
  if (header.dtype != expected) {
    error = path + ": dtype is " + npyDTypeName(header.dtype) +
            " but the kernel's " + elementTypeName(elementType) +
            " operand needs " + npyDTypeName(expected);
    return false;
  }
  if (header.shape != dims) {
    error = path + ": shape is " + shapeString(header.shape) +
            " but the kernel expects " + shapeString(dims);
    return false;
  }
  if (elementType != ElementType::BF16)
    return file.readData(data(), bytes, error);
  // bf16 kernels read float32 files: convert a chunk at a time.
  constexpr int64_t chunk = 1 << 16;
  std::vector<float> floats(chunk);
  uint16_t *dst = reinterpret_cast<uint16_t *>(data());
  for (int64_t i = 0, e = numElements(); i < e; i += chunk) {
    int64_t n = std::min(chunk, e - i);
    if (!file.readData(floats.data(), n * sizeof(float), error))
      return false;
    for (int64_t j = 0; j < n; ++j)
      dst[i + j] = floatToBFloat16(floats[j]);
  }
  return true;
}

bool HostTensor::save(const std::string &path, std::string &error) const {
  // f32 and f16 are written as they are; bf16 is widened to float32, which
  // is exact.
  if (elementType != ElementType::BF16)
    return writeNpy(path, npyDTypeOf(elementType), dims, data(), bytes, error);
  int64_t n = numElements();
  std::unique_ptr<float[]> floats(new (std::nothrow) float[n]);
  if (!floats) {
    error = "cannot write " + path + ": no memory to convert " +
            bytesString(bytes) + " of bf16 to float32";
    return false;
  }
  const uint16_t *src = reinterpret_cast<const uint16_t *>(data());
  for (int64_t i = 0; i < n; ++i)
    floats[i] = bfloat16ToFloat(src[i]);
  return writeNpy(path, NpyDType::F32, dims, floats.get(), n * sizeof(float),
                  error);
}

std::vector<double> HostTensor::toDouble() const {
  std::vector<double> values(numElements());
  for (size_t i = 0; i < values.size(); ++i) {
    switch (elementType) {
    case ElementType::F32:
      values[i] = reinterpret_cast<const float *>(data())[i];
      break;
    case ElementType::F16:
      values[i] = halfToFloat(reinterpret_cast<const uint16_t *>(data())[i]);
      break;
    case ElementType::BF16:
      values[i] =
          bfloat16ToFloat(reinterpret_cast<const uint16_t *>(data())[i]);
      break;
    case ElementType::I32:
      values[i] = reinterpret_cast<const int32_t *>(data())[i];
      break;
    }
  }
  return values;
}

} // namespace ringattn
