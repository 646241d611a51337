//===- NpyTest.cpp - .npy reading and writing -----------------------------===//

#include "RingAttn/Support/Npy.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

using namespace ringattn;

namespace {

std::string tempPath(const std::string &name) {
  return ::testing::TempDir() + "ringattn-npy-" + name;
}

/// Writes a .npy v1 file with the given header dict and `dataBytes` bytes.
std::string writeRaw(const std::string &name, const std::string &dict,
                     size_t dataBytes, char version = 1) {
  std::string path = tempPath(name);
  std::ofstream out(path, std::ios::binary);
  std::string header = dict;
  header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
  header += '\n';
  out.write("\x93NUMPY", 6);
  out.put(version);
  out.put(0);
  out.put(static_cast<char>(header.size() & 0xFF));
  out.put(static_cast<char>(header.size() >> 8));
  out << header << std::string(dataBytes, '\0');
  return path;
}

TEST(Npy, RoundTripsFloat32AndFloat16) {
  for (NpyDType dtype : {NpyDType::F32, NpyDType::F16}) {
    NpyArray array;
    array.dtype = dtype;
    array.shape = {2, 3, 5};
    size_t bytes = 30 * (dtype == NpyDType::F32 ? 4 : 2);
    for (size_t i = 0; i < bytes; ++i)
      array.data.push_back(static_cast<uint8_t>(i * 7));
    std::string error, path = tempPath("roundtrip.npy");
    ASSERT_TRUE(writeNpy(path, array, error)) << error;
    NpyArray back;
    ASSERT_TRUE(readNpy(path, back, error)) << error;
    EXPECT_EQ(back.dtype, dtype);
    EXPECT_EQ(back.shape, array.shape);
    EXPECT_EQ(back.data, array.data);
  }
}

TEST(Npy, ReadsOneDimensionalAndVersion2) {
  std::string error;
  NpyArray array;
  std::string path = writeRaw(
      "v1.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", 12);
  ASSERT_TRUE(readNpy(path, array, error)) << error;
  EXPECT_EQ(array.shape, std::vector<int64_t>{3});
}

struct BadFile {
  const char *name;
  std::string dict;
  size_t bytes;
  char version;
  const char *message;
};

TEST(Npy, ExplainsWhatIsWrong) {
  const BadFile cases[] = {
      {"version.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }",
       4, 9, "unsupported .npy version 9"},
      {"descr.npy", "{'fortran_order': False, 'shape': (1,), }", 4, 1,
       "has no 'descr'"},
      {"f8.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", 8,
       1, "unsupported dtype '<f8'"},
      {"fortran.npy", "{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }",
       4, 1, "Fortran-ordered arrays are not supported"},
      {"shape.npy", "{'descr': '<f4', 'fortran_order': False, }", 4, 1,
       "has no 'shape'"},
      {"short.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }",
       8, 1, "fewer elements than its shape says"},
  };
  for (const BadFile &bad : cases) {
    std::string path = writeRaw(bad.name, bad.dict, bad.bytes, bad.version);
    NpyArray array;
    std::string error;
    EXPECT_FALSE(readNpy(path, array, error)) << bad.name;
    EXPECT_NE(error.find(path), std::string::npos) << error;
    EXPECT_NE(error.find(bad.message), std::string::npos) << error;
  }
}

TEST(Npy, ReportsUnwritablePaths) {
  NpyArray array;
  array.shape = {1};
  array.data.resize(4);
  std::string error;
  EXPECT_FALSE(writeNpy("/nonexistent-dir/x.npy", array, error));
  EXPECT_NE(error.find("cannot create file"), std::string::npos) << error;
}

} // namespace
