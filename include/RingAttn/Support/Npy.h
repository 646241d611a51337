//===- Npy.h - Reading and writing NumPy .npy files -------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Reading never throws and never trusts the header: the shape is parsed by
// hand, negative or overflowing dimensions are errors, and the data's size
// is checked against the file's before anything is allocated for it.
// NpyFile lets a caller check the header's dtype and shape against what it
// expects before it reads (and allocates for) the data.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_SUPPORT_NPY_H
#define RINGATTN_SUPPORT_NPY_H

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace ringattn {

/// The element types RingAttn exchanges as .npy.
enum class NpyDType { F32, F16, I32 };

const char *npyDTypeName(NpyDType dtype);
size_t npyElementSize(NpyDType dtype);
/// The dtype as a .npy header spells it ("<f4").
const char *npyDescr(NpyDType dtype);

/// What a .npy header says about the data after it.
struct NpyHeader {
  NpyDType dtype = NpyDType::F32;
  std::vector<int64_t> shape;
  uint64_t dataOffset = 0; ///< where the data starts in the file
  uint64_t dataBytes = 0;  ///< elements times element size, overflow-checked
};

/// Parses the magic, version, header length and header dict at the start of
/// `bytes`. `size` may cover more than the header. On failure returns false
/// and sets `error` to "NAME: <what is wrong>"; `needMore` is set when the
/// header is merely longer than `size` (read more and try again).
bool parseNpyHeader(const char *bytes, size_t size, const std::string &name,
                    NpyHeader &header, std::string &error,
                    bool *needMore = nullptr);

/// A C-ordered array as stored in a .npy file; `data` holds the raw
/// little-endian elements.
struct NpyArray {
  NpyDType dtype = NpyDType::F32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;

  int64_t numElements() const;
};

/// A .npy file opened for reading: the header is read and checked (against
/// the file's size, for regular files) by open, the data by readData.
class NpyFile {
public:
  NpyFile() = default;
  NpyFile(const NpyFile &) = delete;
  NpyFile &operator=(const NpyFile &) = delete;
  ~NpyFile();

  /// Opens `path` and reads its header. False with `error` set to a message
  /// naming the file and the problem.
  bool open(const std::string &path, std::string &error);
  const NpyHeader &header() const { return head; }

  /// Reads the next `bytes` bytes of the data into `destination`; asking for
  /// more than the header's dataBytes (in all) is an error.
  bool readData(void *destination, uint64_t bytes, std::string &error);
  /// Reads all of the data into `data`, growing it only as bytes arrive (so
  /// a pipe's header cannot make it allocate what is not there).
  bool readData(std::vector<uint8_t> &data, std::string &error);

private:
  std::string path;
  std::FILE *file = nullptr;
  NpyHeader head;
  uint64_t dataRead = 0;
};

/// Reads `path`. On failure returns false and sets `error` to a message that
/// names the file and says what is wrong.
bool readNpy(const std::string &path, NpyArray &array, std::string &error);

/// Writes `bytes` of C-ordered `dtype` elements of `shape` to `path`,
/// atomically (AtomicFile.h): the file is complete or not there, and an
/// existing file is replaced only by a complete one. False with `error` set
/// on failure.
bool writeNpy(const std::string &path, NpyDType dtype,
              const std::vector<int64_t> &shape, const void *data, size_t bytes,
              std::string &error);
bool writeNpy(const std::string &path, const NpyArray &array,
              std::string &error);

} // namespace ringattn

#endif // RINGATTN_SUPPORT_NPY_H
