//===- NpyFuzzer.cpp - Fuzzing the .npy reader ----------------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Every input is a candidate .npy file. The header parser runs on it in
// memory, then readNpy on it as a file; whatever reads must write and read
// back to the same array. Besides the sanitizers' findings, a broken
// invariant traps: a header whose data offset lies past the input, a data
// size that is not the shape's, a negative dimension, a round trip that
// changes the array.
//
//===----------------------------------------------------------------------===//

#include "RingAttn/Support/Npy.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

using namespace ringattn;

namespace {

/// A directory of this process's own for the input and its copy.
std::string &scratchDirectory() {
  static std::string directory = [] {
    char pattern[] = "/tmp/ring-npy-fuzzer-XXXXXX";
    const char *made = mkdtemp(pattern);
    if (!made)
      std::abort();
    return std::string(made);
  }();
  return directory;
}

void check(bool invariant) {
  if (!invariant)
    __builtin_trap();
}

void fuzzHeader(const char *bytes, size_t size) {
  NpyHeader header;
  std::string error;
  if (!parseNpyHeader(bytes, size, "input", header, error)) {
    check(!error.empty());
    return;
  }
  check(header.dataOffset <= size);
  uint64_t elements = 1;
  for (int64_t dim : header.shape) {
    check(dim >= 0);
    elements *= static_cast<uint64_t>(dim);
  }
  check(header.dataBytes == elements * npyElementSize(header.dtype));
}

void fuzzFile(const char *bytes, size_t size) {
  std::string input = scratchDirectory() + "/input.npy";
  std::string copy = scratchDirectory() + "/copy.npy";
  std::FILE *file = std::fopen(input.c_str(), "wb");
  if (!file)
    std::abort();
  std::fwrite(bytes, 1, size, file);
  std::fclose(file);

  NpyArray array;
  std::string error;
  if (!readNpy(input, array, error)) {
    check(error.rfind(input + ": ", 0) == 0); // names the file
    return;
  }
  check(array.data.size() ==
        static_cast<size_t>(array.numElements()) * npyElementSize(array.dtype));
  NpyArray back;
  if (!writeNpy(copy, array, error) || !readNpy(copy, back, error))
    std::abort();
  check(back.dtype == array.dtype && back.shape == array.shape &&
        back.data == array.data);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *bytes = reinterpret_cast<const char *>(data);
  fuzzHeader(bytes, size);
  fuzzFile(bytes, size);
  return 0;
}
