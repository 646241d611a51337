//===- NpyTest.cpp - .npy reading and writing -----------------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "RingAttn/Support/Npy.h"

#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

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

/// Writes `bytes` as they are.
std::string writeBytes(const std::string &name, const std::string &bytes) {
  std::string path = tempPath(name);
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

std::string readAll(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

/// A small float32 array of `n` elements whose bytes are `seed`, `seed`+1...
NpyArray sample(int64_t n, uint8_t seed) {
  NpyArray array;
  array.shape = {n};
  for (int64_t i = 0; i < 4 * n; ++i)
    array.data.push_back(static_cast<uint8_t>(seed + i));
  return array;
}

/// The names in the directory of tempPath() that start with `prefix`.
int countEntries(const std::string &directory, const std::string &prefix) {
  int count = 0;
  std::string listing = directory + "/listing.txt";
  std::string command =
      "ls -A '" + directory + "' > '" + listing + "' 2>/dev/null";
  if (std::system(command.c_str()) != 0)
    return -1;
  std::istringstream names(readAll(listing));
  for (std::string name; std::getline(names, name);)
    if (name.rfind(prefix, 0) == 0)
      ++count;
  return count;
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
  std::string path =
      writeRaw("v1.npy",
               "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", 12);
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
      {"version.npy",
       "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", 4, 9,
       "unsupported .npy version 9"},
      {"descr.npy", "{'fortran_order': False, 'shape': (1,), }", 4, 1,
       "has no 'descr'"},
      {"f8.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", 8,
       1, "unsupported dtype '<f8'"},
      {"fortran.npy",
       "{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }", 4, 1,
       "Fortran-ordered arrays are not supported"},
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
  EXPECT_NE(error.find("cannot write /nonexistent-dir/x.npy"),
            std::string::npos)
      << error;
}

// Headers that used to throw from std::stoll (text, overflow), wrap around
// (negative dimensions, element counts past 64 bits) or allocate what the
// shape claimed before looking at the file's size. Each is now an error
// naming the file and the problem.
TEST(Npy, RejectsHostileShapes) {
  const std::string prefix =
      "{'descr': '<f4', 'fortran_order': False, 'shape': ";
  const BadFile cases[] = {
      {"text-dim.npy", prefix + "(abc,), }", 4, 1,
       "expected a dimension (an integer)"},
      {"empty-dim.npy", prefix + "(, 3), }", 12, 1,
       "expected a dimension (an integer)"},
      {"negative-dim.npy", prefix + "(-3, 4), }", 48, 1,
       "dimension 0 of the shape is negative (-3)"},
      {"huge-dim.npy", prefix + "(2, 99999999999999999999), }", 8, 1,
       "dimension 1 of the shape (99999999999999999999) does not fit in 64 "
       "bits"},
      {"count-overflow.npy", prefix + "(4294967296, 4294967296, 4, 4), }", 4, 1,
       "the shape's element count overflows 64 bits"},
      {"bytes-overflow.npy", prefix + "(4611686018427387904,), }", 4, 1,
       "the data size of 4611686018427387904 elements overflows 64 bits"},
      // 4 TB claimed, 8 bytes present: refused before allocating.
      {"huge-shape.npy", prefix + "(1000000000000,), }", 8, 1,
       "file holds fewer elements than its shape says (4000000000000 bytes "
       "of data needed, 8 present)"},
      {"unclosed-shape.npy", prefix + "(3 }", 12, 1, "expected ','"},
      {"float-dim.npy", prefix + "(3.5,), }", 14, 1, "expected ','"},
  };
  for (const BadFile &bad : cases) {
    std::string path = writeRaw(bad.name, bad.dict, bad.bytes, bad.version);
    NpyArray array;
    std::string error;
    EXPECT_FALSE(readNpy(path, array, error)) << bad.name;
    EXPECT_NE(error.find(path + ": "), std::string::npos) << error;
    EXPECT_NE(error.find(bad.message), std::string::npos)
        << bad.name << ": " << error;
  }
}

TEST(Npy, RejectsMalformedDicts) {
  const BadFile cases[] = {
      {"not-a-dict.npy", "descr", 0, 1, "malformed .npy header: expected '{'"},
      {"unterminated.npy", "{'descr: ", 0, 1, "unterminated string"},
      {"bad-bool.npy", "{'descr': '<f4', 'fortran_order': maybe, }", 0, 1,
       "expected True or False"},
      {"unknown-key.npy",
       "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1, }", 4,
       1, "unexpected key 'x'"},
      {"twice.npy",
       "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, }", 4, 1,
       "key 'descr' given twice"},
      {"trailing.npy",
       "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), } junk", 4, 1,
       "unexpected text after the dict"},
      {"no-order.npy", "{'descr': '<f4', 'shape': (1,), }", 4, 1,
       "has no 'fortran_order'"},
  };
  for (const BadFile &bad : cases) {
    std::string path = writeRaw(bad.name, bad.dict, bad.bytes, bad.version);
    NpyArray array;
    std::string error;
    EXPECT_FALSE(readNpy(path, array, error)) << bad.name;
    EXPECT_NE(error.find(path + ": "), std::string::npos) << error;
    EXPECT_NE(error.find(bad.message), std::string::npos)
        << bad.name << ": " << error;
  }
}

TEST(Npy, RejectsBadPreambles) {
  struct Case {
    const char *name;
    std::string bytes;
    const char *message;
  };
  const Case cases[] = {
      {"empty.npy", "", "truncated .npy header"},
      {"magic-only.npy", std::string("\x93NUMPY", 6), "truncated .npy header"},
      {"text.npy", "hello, world", "not a .npy file (bad magic)"},
      // A version 2 header claiming 4 GiB: refused without allocating it.
      {"huge-header.npy", std::string("\x93NUMPY\x02\x00\xff\xff\xff\xff", 12),
       "header length 4294967295 is beyond"},
      {"short-header.npy", std::string("\x93NUMPY\x01\x00\x40\x00{'de", 14),
       "truncated .npy header"},
  };
  for (const Case &bad : cases) {
    std::string path = writeBytes(bad.name, bad.bytes);
    NpyArray array;
    std::string error;
    EXPECT_FALSE(readNpy(path, array, error)) << bad.name;
    EXPECT_NE(error.find(path + ": "), std::string::npos) << error;
    EXPECT_NE(error.find(bad.message), std::string::npos)
        << bad.name << ": " << error;
  }
}

TEST(Npy, ParsesWhatNumpyWrites) {
  // Double quotes, no trailing comma, a scalar, Python 2 longs, version 3.
  const char *dicts[] = {
      "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2,3)}",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }",
  };
  for (const char *dict : dicts) {
    std::string path = writeRaw("numpy.npy", dict, 24, 1);
    NpyArray array;
    std::string error;
    ASSERT_TRUE(readNpy(path, array, error)) << dict << ": " << error;
    EXPECT_EQ(array.shape, (std::vector<int64_t>{2, 3}));
  }
  std::string path =
      writeRaw("scalar.npy",
               "{'descr': '<f2', 'fortran_order': False, 'shape': (), }", 2);
  NpyArray array;
  std::string error;
  ASSERT_TRUE(readNpy(path, array, error)) << error;
  EXPECT_TRUE(array.shape.empty());
  EXPECT_EQ(array.data.size(), 2u);
}

// The header alone, for a caller that checks the shape before allocating.
TEST(Npy, OpensTheHeaderBeforeTheData) {
  std::string path = writeRaw(
      "header.npy",
      "{'descr': '<f2', 'fortran_order': False, 'shape': (2, 3), }", 12);
  NpyFile file;
  std::string error;
  ASSERT_TRUE(file.open(path, error)) << error;
  EXPECT_EQ(file.header().dtype, NpyDType::F16);
  EXPECT_EQ(file.header().shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(file.header().dataBytes, 12u);
  uint8_t data[12];
  EXPECT_TRUE(file.readData(data, 12, error)) << error;
  EXPECT_FALSE(file.readData(data, 1, error));
}

// The buffer parser the fuzzer drives: it says when it needs more bytes.
TEST(Npy, ParsesHeadersFromMemory) {
  std::string bytes = readAll(writeRaw(
      "memory.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }",
      12));
  NpyHeader header;
  std::string error;
  bool needMore = false;
  EXPECT_FALSE(
      parseNpyHeader(bytes.data(), 20, "buffer", header, error, &needMore));
  EXPECT_TRUE(needMore);
  EXPECT_EQ(header.dataOffset, 128u);
  ASSERT_TRUE(parseNpyHeader(bytes.data(), bytes.size(), "buffer", header,
                             error, &needMore))
      << error;
  EXPECT_EQ(header.dataOffset, 128u);
  EXPECT_EQ(header.dataBytes, 12u);
}

// --output /dev/full used to exit 0: a small file's bytes stayed in the
// stream's buffer until an unchecked close.
TEST(Npy, ReportsADeviceThatRefusesTheBytes) {
  std::string error;
  EXPECT_FALSE(writeNpy("/dev/full", sample(2, 0), error));
  EXPECT_EQ(error, "cannot write /dev/full: No space left on device");
  EXPECT_TRUE(writeNpy("/dev/null", sample(2, 0), error)) << error;
}

// A write that fails partway (here at the file size limit) is an error
// naming the file; the existing file keeps its contents and no temporary
// file is left. It used to leave the file truncated.
TEST(Npy, FailedWriteKeepsTheOldFile) {
  std::string directory = ::testing::TempDir() + "ringattn-npy-partial";
  std::string command =
      "rm -rf '" + directory + "' && mkdir -p '" + directory + "'";
  ASSERT_EQ(std::system(command.c_str()), 0);
  std::string path = directory + "/out.npy";
  std::string error;
  ASSERT_TRUE(writeNpy(path, sample(1000, 1), error)) << error;
  std::string before = readAll(path);

  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Only the child is limited; SIGXFSZ ignored makes write() fail EFBIG.
    std::signal(SIGXFSZ, SIG_IGN);
    struct rlimit limit = {2048, 2048};
    setrlimit(RLIMIT_FSIZE, &limit);
    std::string childError;
    bool wrote = writeNpy(path, sample(1000, 2), childError);
    bool named = childError == "cannot write " + path + ": File too large";
    _exit(!wrote && named ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "the write did not fail with the file named";
  EXPECT_EQ(readAll(path), before);
  EXPECT_EQ(countEntries(directory, ".out.npy."), 0) << "temporary file left";
}

TEST(Npy, ReplacesTheFileWhole) {
  std::string path = tempPath("replace.npy");
  std::string error;
  ASSERT_TRUE(writeNpy(path, sample(4, 1), error)) << error;
  ASSERT_TRUE(writeNpy(path, sample(2, 9), error)) << error;
  NpyArray back;
  ASSERT_TRUE(readNpy(path, back, error)) << error;
  EXPECT_EQ(back.data, sample(2, 9).data);
  struct stat info;
  ASSERT_EQ(stat(path.c_str(), &info), 0);
  mode_t mask = umask(0);
  umask(mask);
  EXPECT_EQ(info.st_mode & 0777, 0644 & ~mask);
}

} // namespace
