//===- Npy.cpp - Reading and writing NumPy .npy files ---------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// NpyHeader.cpp parses and checks the header; this file moves bytes between
// files and memory. Reads check the header's data size against the file's
// before allocating; writes go through AtomicFile, so an output is complete
// or not replaced at all.
//
//===----------------------------------------------------------------------===//

#include "RingAttn/Support/Npy.h"
#include "RingAttn/Support/AtomicFile.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sys/stat.h>

namespace ringattn {

int64_t NpyArray::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

NpyFile::~NpyFile() {
  if (file)
    std::fclose(file);
}

/// Reads the header: the fixed prefix first, then as much more as it says.
static bool readHeader(std::FILE *file, const std::string &path,
                       NpyHeader &header, std::string &error) {
  std::string bytes(12, '\0');
  size_t have = std::fread(&bytes[0], 1, bytes.size(), file);
  for (;;) {
    bool needMore = false;
    if (parseNpyHeader(bytes.data(), have, path, header, error, &needMore))
      return true;
    if (!needMore || have < bytes.size())
      return false; // malformed, or the file ended
    // The header's length is checked against a cap before it gets here.
    bytes.resize(header.dataOffset);
    have += std::fread(&bytes[have], 1, bytes.size() - have, file);
  }
}

bool NpyFile::open(const std::string &filePath, std::string &error) {
  path = filePath;
  dataRead = 0;
  if (file)
    std::fclose(file);
  file = std::fopen(path.c_str(), "rb");
  if (!file) {
    error = path + ": cannot open file: " + std::strerror(errno);
    return false;
  }
  if (!readHeader(file, path, head, error))
    return false;
  // For a regular file the data's size is known now: a shape that asks for
  // more than is there fails before anything is allocated for it.
  struct stat info;
  if (::fstat(fileno(file), &info) == 0 && S_ISREG(info.st_mode)) {
    uint64_t size = static_cast<uint64_t>(info.st_size);
    uint64_t available = size > head.dataOffset ? size - head.dataOffset : 0;
    if (head.dataBytes > available) {
      error = path + ": file holds fewer elements than its shape says (" +
              std::to_string(head.dataBytes) + " bytes of data needed, " +
              std::to_string(available) + " present)";
      return false;
    }
  }
  return true;
}

bool NpyFile::readData(void *destination, uint64_t bytes, std::string &error) {
  if (bytes > head.dataBytes - dataRead) {
    error = path + ": reading past the data its shape says it holds";
    return false;
  }
  if (std::fread(destination, 1, bytes, file) != bytes) {
    error = path + ": file holds fewer elements than its shape says";
    return false;
  }
  dataRead += bytes;
  return true;
}

bool NpyFile::readData(std::vector<uint8_t> &data, std::string &error) {
  constexpr uint64_t chunk = 64 << 20;
  data.clear();
  while (dataRead < head.dataBytes) {
    size_t done = data.size();
    uint64_t n = std::min(chunk, head.dataBytes - dataRead);
    data.resize(done + n);
    if (!readData(data.data() + done, n, error))
      return false;
  }
  return true;
}

bool readNpy(const std::string &path, NpyArray &array, std::string &error) {
  NpyFile file;
  if (!file.open(path, error) || !file.readData(array.data, error))
    return false;
  array.dtype = file.header().dtype;
  array.shape = file.header().shape;
  return true;
}

/// The header dict for `shape`, padded so that the data starts at a multiple
/// of 64 bytes after a `prefix`-byte magic, version and length.
static std::string headerDict(NpyDType dtype, const std::vector<int64_t> &shape,
                              size_t prefix) {
  std::string text = "(";
  for (int64_t d : shape)
    text += std::to_string(d) + ", ";
  if (shape.size() > 1)
    text.erase(text.size() - 2);
  else if (shape.size() == 1)
    text.erase(text.size() - 1); // "(n,)"
  text += ")";
  std::string dict = std::string("{'descr': '") + npyDescr(dtype) +
                     "', 'fortran_order': False, 'shape': " + text + ", }";
  size_t total = prefix + dict.size() + 1;
  dict.append((64 - total % 64) % 64, ' ');
  return dict + '\n';
}

/// Magic, version and header: version 1 unless the header needs more than
/// its 2-byte length allows.
static std::string npyPreamble(NpyDType dtype,
                               const std::vector<int64_t> &shape) {
  std::string dict = headerDict(dtype, shape, 10);
  bool wide = dict.size() > 0xFFFF;
  if (wide)
    dict = headerDict(dtype, shape, 12);
  std::string preamble("\x93NUMPY", 6);
  preamble += static_cast<char>(wide ? 2 : 1);
  preamble += '\0';
  for (int i = 0, n = wide ? 4 : 2; i < n; ++i)
    preamble += static_cast<char>((dict.size() >> (8 * i)) & 0xFF);
  return preamble + dict;
}

bool writeNpy(const std::string &path, NpyDType dtype,
              const std::vector<int64_t> &shape, const void *data, size_t bytes,
              std::string &error) {
  AtomicFile file;
  return file.open(path, error) &&
         file.write(npyPreamble(dtype, shape), error) &&
         file.write(data, bytes, error) && file.commit(error);
}

bool writeNpy(const std::string &path, const NpyArray &array,
              std::string &error) {
  return writeNpy(path, array.dtype, array.shape, array.data.data(),
                  array.data.size(), error);
}

} // namespace ringattn
