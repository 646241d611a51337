//===- Npy.h - Reading and writing NumPy .npy files -------------*- C++ -*-===//

#ifndef RINGATTN_SUPPORT_NPY_H
#define RINGATTN_SUPPORT_NPY_H

#include <cstdint>
#include <string>
#include <vector>

namespace ringattn {

/// The element types RingAttn exchanges as .npy.
enum class NpyDType { F32, F16 };

const char *npyDTypeName(NpyDType dtype);

/// A C-ordered array as stored in a .npy file; `data` holds the raw
/// little-endian elements.
struct NpyArray {
  NpyDType dtype = NpyDType::F32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;

  int64_t numElements() const;
};

/// Reads `path`. On failure returns false and sets `error` to a message that
/// names the file and says what is wrong.
bool readNpy(const std::string &path, NpyArray &array, std::string &error);

/// Writes `array` to `path`; false with `error` set on failure.
bool writeNpy(const std::string &path, const NpyArray &array,
              std::string &error);

} // namespace ringattn

#endif // RINGATTN_SUPPORT_NPY_H
