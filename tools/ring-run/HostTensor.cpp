//===- HostTensor.cpp - Attention operands in host memory -----------------===//

#include "HostTensor.h"

#include "RingAttn/Support/Float16.h"
#include "RingAttn/Support/Npy.h"

#include <cstring>

namespace ringattn {

const char *elementTypeName(ElementType type) {
  switch (type) {
  case ElementType::F32:
    return "f32";
  case ElementType::F16:
    return "f16";
  case ElementType::BF16:
    return "bf16";
  }
  return "?";
}

std::string shapeString(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

HostTensor::HostTensor(ElementType type, std::vector<int64_t> shape)
    : elementType(type), dims(std::move(shape)) {
  storage.resize(numElements() * bytesPerElement());
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
      reinterpret_cast<float *>(storage.data())[i] = x;
      break;
    case ElementType::F16:
      reinterpret_cast<uint16_t *>(storage.data())[i] = floatToHalf(x);
      break;
    case ElementType::BF16:
      reinterpret_cast<uint16_t *>(storage.data())[i] = floatToBFloat16(x);
      break;
    }
  }
}

bool HostTensor::load(const std::string &path, std::string &error) {
  NpyArray array;
  if (!readNpy(path, array, error))
    return false;
  NpyDType expected =
      elementType == ElementType::F16 ? NpyDType::F16 : NpyDType::F32;
  if (array.dtype != expected) {
    error = path + ": dtype is " + npyDTypeName(array.dtype) +
            " but the kernel's " + elementTypeName(elementType) +
            " operand needs " + npyDTypeName(expected);
    return false;
  }
  if (array.shape != dims) {
    error = path + ": shape is " + shapeString(array.shape) +
            " but the kernel expects " + shapeString(dims);
    return false;
  }
  if (elementType == ElementType::BF16) {
    const float *src = reinterpret_cast<const float *>(array.data.data());
    uint16_t *dst = reinterpret_cast<uint16_t *>(storage.data());
    for (int64_t i = 0, e = numElements(); i < e; ++i)
      dst[i] = floatToBFloat16(src[i]);
    return true;
  }
  std::memcpy(storage.data(), array.data.data(), storage.size());
  return true;
}

bool HostTensor::save(const std::string &path, std::string &error) const {
  NpyArray array;
  array.shape = dims;
  if (elementType == ElementType::F16) {
    array.dtype = NpyDType::F16;
    array.data = storage;
  } else {
    array.dtype = NpyDType::F32;
    std::vector<double> values = toDouble();
    array.data.resize(values.size() * 4);
    float *dst = reinterpret_cast<float *>(array.data.data());
    for (size_t i = 0; i < values.size(); ++i)
      dst[i] = static_cast<float>(values[i]);
  }
  return writeNpy(path, array, error);
}

std::vector<double> HostTensor::toDouble() const {
  std::vector<double> values(numElements());
  for (size_t i = 0; i < values.size(); ++i) {
    switch (elementType) {
    case ElementType::F32:
      values[i] = reinterpret_cast<const float *>(storage.data())[i];
      break;
    case ElementType::F16:
      values[i] =
          halfToFloat(reinterpret_cast<const uint16_t *>(storage.data())[i]);
      break;
    case ElementType::BF16:
      values[i] = bfloat16ToFloat(
          reinterpret_cast<const uint16_t *>(storage.data())[i]);
      break;
    }
  }
  return values;
}

} // namespace ringattn
