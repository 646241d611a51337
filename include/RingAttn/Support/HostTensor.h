//===- HostTensor.h - Attention operands in host memory ---------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The operands a driver program (ring-run, the AOT examples) holds on the
// host: allocated without aborting, filled at random or from .npy files,
// and read back as doubles for the float64 reference.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_SUPPORT_HOSTTENSOR_H
#define RINGATTN_SUPPORT_HOSTTENSOR_H

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace ringattn {

/// The element types a kernel takes: activations in a float type, and
/// positions (documents' starts) in i32.
enum class ElementType { F32, F16, BF16, I32 };

const char *elementTypeName(ElementType type);

/// A C-ordered tensor in the kernel's element type, laid out so that a
/// memref descriptor can point straight at it.
class HostTensor {
public:
  /// An empty tensor, to be given its shape by allocate.
  HostTensor() = default;

  /// Makes this a zero-filled tensor of `type` and `shape`, replacing what
  /// it held. Never throws or aborts: returns false with `error` naming
  /// `operand`, its shape and its size in bytes when a dimension is
  /// negative, the byte count overflows 64 bits, or the memory cannot be
  /// allocated.
  bool allocate(const std::string &operand, ElementType type,
                std::vector<int64_t> shape, std::string &error);

  ElementType type() const { return elementType; }
  const std::vector<int64_t> &shape() const { return dims; }
  int64_t numElements() const;
  void *data() { return storage.get(); }
  const void *data() const { return storage.get(); }
  int64_t bytesPerElement() const {
    return type() == ElementType::F32 || type() == ElementType::I32 ? 4 : 2;
  }
  size_t sizeInBytes() const { return bytes; }

  /// Fills with values uniform in [-1, 1), rounded to the element type (i32:
  /// 0 and -1, the integers there).
  void fillRandom(std::mt19937_64 &rng);
  /// Loads `path`, checking dtype and shape; false with `error` set if the
  /// file does not fit. bf16 tensors read float32 files (rounding).
  bool load(const std::string &path, std::string &error);
  /// Saves as float32 (f32, bf16), float16 (f16) or int32 (i32).
  bool save(const std::string &path, std::string &error) const;
  /// The values as double, exactly as the kernel sees them.
  std::vector<double> toDouble() const;

private:
  struct Free {
    void operator()(void *memory) const { std::free(memory); }
  };

  ElementType elementType = ElementType::F32;
  std::vector<int64_t> dims;
  /// malloc'ed, not a std::vector: a failed allocation must be an error
  /// ring-run reports, not std::bad_alloc ("LLVM ERROR: out of memory").
  std::unique_ptr<uint8_t, Free> storage;
  size_t bytes = 0;
};

std::string shapeString(const std::vector<int64_t> &shape);

} // namespace ringattn

#endif // RINGATTN_SUPPORT_HOSTTENSOR_H
