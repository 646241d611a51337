//===- Npy.cpp - Reading and writing NumPy .npy files ---------------------===//
//
// The format: "\x93NUMPY", a version, a header length, then a Python dict
// literal {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// padded to a multiple of 64 bytes, then the raw data.
//
//===----------------------------------------------------------------------===//

#include "RingAttn/Support/Npy.h"

#include <cstring>
#include <fstream>
#include <sstream>

namespace ringattn {

const char *npyDTypeName(NpyDType dtype) {
  return dtype == NpyDType::F32 ? "float32" : "float16";
}

int64_t NpyArray::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

static size_t elementSize(NpyDType dtype) {
  return dtype == NpyDType::F32 ? 4 : 2;
}

/// The text after `key': ` in the header dict, or npos.
static size_t findValue(const std::string &header, const std::string &key) {
  size_t at = header.find("'" + key + "'");
  if (at == std::string::npos)
    return at;
  at = header.find(':', at);
  if (at == std::string::npos)
    return at;
  return header.find_first_not_of(" ", at + 1);
}

bool readNpy(const std::string &path, NpyArray &array, std::string &error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot open file";
    return false;
  }
  char magic[8];
  if (!in.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0) {
    error = path + ": not a .npy file (bad magic)";
    return false;
  }
  uint8_t major = static_cast<uint8_t>(magic[6]);
  uint32_t headerLen = 0;
  if (major == 1) {
    unsigned char len[2];
    in.read(reinterpret_cast<char *>(len), 2);
    headerLen = len[0] | (len[1] << 8);
  } else if (major == 2 || major == 3) {
    unsigned char len[4];
    in.read(reinterpret_cast<char *>(len), 4);
    headerLen = len[0] | (len[1] << 8) | (len[2] << 16) | (len[3] << 24);
  } else {
    error = path + ": unsupported .npy version " + std::to_string(major);
    return false;
  }
  std::string header(headerLen, '\0');
  if (!in || !in.read(header.data(), headerLen)) {
    error = path + ": truncated .npy header";
    return false;
  }

  size_t descr = findValue(header, "descr");
  if (descr == std::string::npos || header[descr] != '\'') {
    error = path + ": .npy header has no 'descr'";
    return false;
  }
  std::string dtype =
      header.substr(descr + 1, header.find('\'', descr + 1) - descr - 1);
  if (dtype == "<f4")
    array.dtype = NpyDType::F32;
  else if (dtype == "<f2")
    array.dtype = NpyDType::F16;
  else {
    error = path + ": unsupported dtype '" + dtype +
            "' (RingAttn reads float32 '<f4' and float16 '<f2')";
    return false;
  }

  size_t order = findValue(header, "fortran_order");
  if (order == std::string::npos || header.compare(order, 5, "False") != 0) {
    error = path + ": Fortran-ordered arrays are not supported (save with "
                   "numpy.ascontiguousarray)";
    return false;
  }

  size_t shapeAt = findValue(header, "shape");
  size_t close = header.find(')', shapeAt);
  if (shapeAt == std::string::npos || header[shapeAt] != '(' ||
      close == std::string::npos) {
    error = path + ": .npy header has no 'shape'";
    return false;
  }
  array.shape.clear();
  std::stringstream dims(header.substr(shapeAt + 1, close - shapeAt - 1));
  std::string dim;
  while (std::getline(dims, dim, ',')) {
    if (dim.find_first_not_of(" ") == std::string::npos)
      continue;
    array.shape.push_back(std::stoll(dim));
  }

  size_t bytes = array.numElements() * elementSize(array.dtype);
  array.data.resize(bytes);
  if (!in.read(reinterpret_cast<char *>(array.data.data()), bytes)) {
    error = path + ": file holds fewer elements than its shape says";
    return false;
  }
  return true;
}

bool writeNpy(const std::string &path, const NpyArray &array,
              std::string &error) {
  std::string shape = "(";
  for (int64_t d : array.shape)
    shape += std::to_string(d) + ", ";
  if (array.shape.size() > 1)
    shape.erase(shape.size() - 2);
  else if (array.shape.size() == 1)
    shape.erase(shape.size() - 1); // "(n,)"
  shape += ")";
  std::string header = std::string("{'descr': '") +
                       (array.dtype == NpyDType::F32 ? "<f4" : "<f2") +
                       "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad so that magic (6) + version (2) + length (2) + header is a multiple
  // of 64, ending in a newline.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';

  std::ofstream out(path, std::ios::binary);
  if (!out) {
    error = path + ": cannot create file";
    return false;
  }
  uint16_t len = static_cast<uint16_t>(header.size());
  out.write("\x93NUMPY\x01\x00", 8);
  char lenBytes[2] = {static_cast<char>(len & 0xFF),
                      static_cast<char>(len >> 8)};
  out.write(lenBytes, 2);
  out.write(header.data(), header.size());
  out.write(reinterpret_cast<const char *>(array.data.data()),
            array.data.size());
  if (!out) {
    error = path + ": write failed";
    return false;
  }
  return true;
}

} // namespace ringattn
