//===- HostTensor.h - Attention operands in host memory ---------*- C++ -*-===//

#ifndef RINGATTN_TOOLS_RINGRUN_HOSTTENSOR_H
#define RINGATTN_TOOLS_RINGRUN_HOSTTENSOR_H

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace ringattn {

/// The element types a kernel takes.
enum class ElementType { F32, F16, BF16 };

const char *elementTypeName(ElementType type);

/// A C-ordered 4-D tensor in the kernel's element type, laid out so that a
/// memref descriptor can point straight at it.
class HostTensor {
public:
  HostTensor(ElementType type, std::vector<int64_t> shape);

  ElementType type() const { return elementType; }
  const std::vector<int64_t> &shape() const { return dims; }
  int64_t numElements() const;
  void *data() { return storage.data(); }
  const void *data() const { return storage.data(); }
  int64_t bytesPerElement() const { return type() == ElementType::F32 ? 4 : 2; }

  /// Fills with values uniform in [-1, 1), rounded to the element type.
  void fillRandom(std::mt19937_64 &rng);
  /// Loads `path`, checking dtype and shape; false with `error` set if the
  /// file does not fit. bf16 tensors read float32 files (rounding).
  bool load(const std::string &path, std::string &error);
  /// Saves as float32 (f32, bf16) or float16 (f16).
  bool save(const std::string &path, std::string &error) const;
  /// The values as double, exactly as the kernel sees them.
  std::vector<double> toDouble() const;

private:
  ElementType elementType;
  std::vector<int64_t> dims;
  std::vector<uint8_t> storage;
};

std::string shapeString(const std::vector<int64_t> &shape);

} // namespace ringattn

#endif // RINGATTN_TOOLS_RINGRUN_HOSTTENSOR_H
