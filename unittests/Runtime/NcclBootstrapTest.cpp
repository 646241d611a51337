//===- NcclBootstrapTest.cpp - The NCCL unique id through a file ----------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// exchangeUniqueIdThroughFile treats the id file as a credential: written
// 0600 under an unguessable temporary name, renamed into place without
// following symlinks, and read back only if it is this user's regular file,
// not writable by others, with the right magic, version and checksum.
//
//===----------------------------------------------------------------------===//

#include "GpuTestSupport.h"
#include "RingAttn/Runtime/NcclBackend.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

using namespace ringattn::runtime;
using ringattn::testing::temporaryDirectory;
using ::testing::HasSubstr;

namespace {

NcclUniqueId makeId(char seed) {
  NcclUniqueId id;
  for (size_t i = 0; i < id.size(); ++i)
    id[i] = static_cast<char>(seed + i);
  return id;
}

std::string readAll(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void writeAll(const std::string &path, const std::string &bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

/// Rank 1's read of `path`, with a short timeout.
bool readId(const std::string &path, NcclUniqueId &id, std::string &error) {
  return exchangeUniqueIdThroughFile(path, 1, 0.2, id, error);
}

/// Rank 0 writes `id` to `path`; the test fails if it cannot.
void shareId(const std::string &path, NcclUniqueId id) {
  std::string error;
  ASSERT_TRUE(exchangeUniqueIdThroughFile(path, 0, 1, id, error)) << error;
}

TEST(NcclBootstrap, RoundTripsThroughAPrivateFile) {
  std::string path = temporaryDirectory() + "/id";
  shareId(path, makeId(3));
  struct stat info;
  ASSERT_EQ(stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u) << "the id is a credential";
  NcclUniqueId id{};
  std::string error;
  ASSERT_TRUE(readId(path, id, error)) << error;
  EXPECT_EQ(id, makeId(3));
}

// The temporary name used to be PATH.tmp.PID: a symlink planted there made
// rank 0 overwrite whatever it pointed to.
TEST(NcclBootstrap, DoesNotFollowAPlantedTemporaryName) {
  std::string directory = temporaryDirectory();
  std::string path = directory + "/id", victim = directory + "/victim";
  writeAll(victim, "precious");
  std::string planted = path + ".tmp." + std::to_string(getpid());
  ASSERT_EQ(symlink(victim.c_str(), planted.c_str()), 0);
  shareId(path, makeId(1));
  EXPECT_EQ(readAll(victim), "precious");
}

// A symlink at the path itself is replaced by the file, not written through.
TEST(NcclBootstrap, ReplacesASymlinkAtThePath) {
  std::string directory = temporaryDirectory();
  std::string path = directory + "/id", victim = directory + "/victim";
  writeAll(victim, "precious");
  ASSERT_EQ(symlink(victim.c_str(), path.c_str()), 0);
  shareId(path, makeId(1));
  EXPECT_EQ(readAll(victim), "precious");
  struct stat info;
  ASSERT_EQ(lstat(path.c_str(), &info), 0);
  EXPECT_TRUE(S_ISREG(info.st_mode));
}

TEST(NcclBootstrap, ReaderRefusesSymlinks) {
  std::string directory = temporaryDirectory();
  std::string real = directory + "/real", path = directory + "/id";
  shareId(real, makeId(1));
  ASSERT_EQ(symlink(real.c_str(), path.c_str()), 0);
  NcclUniqueId id{};
  std::string error;
  EXPECT_FALSE(readId(path, id, error));
  EXPECT_THAT(error, HasSubstr(path + " is a symbolic link"));
}

// Any 128-byte file used to be taken as an id.
TEST(NcclBootstrap, RefusesARawId) {
  std::string path = temporaryDirectory() + "/id";
  NcclUniqueId raw = makeId(5);
  writeAll(path, std::string(raw.data(), raw.size()));
  chmod(path.c_str(), 0600);
  NcclUniqueId id{};
  std::string error;
  EXPECT_FALSE(readId(path, id, error));
  EXPECT_THAT(error, HasSubstr("is not a RingAttn NCCL unique-id file"));
  EXPECT_THAT(error, HasSubstr(path));
}

TEST(NcclBootstrap, RefusesACorruptFile) {
  std::string path = temporaryDirectory() + "/id";
  shareId(path, makeId(1));
  std::string bytes = readAll(path);
  bytes[40] ^= 1;
  writeAll(path, bytes);
  NcclUniqueId id{};
  std::string error;
  EXPECT_FALSE(readId(path, id, error));
  EXPECT_THAT(error, HasSubstr("fails its checksum"));

  writeAll(path, readAll(path).substr(0, 100));
  EXPECT_FALSE(readId(path, id, error));
  EXPECT_THAT(error, HasSubstr("has 100 bytes; a unique-id file has 148"));

  bytes[8] = 7; // the version
  writeAll(path, bytes);
  EXPECT_FALSE(readId(path, id, error));
  EXPECT_THAT(error, HasSubstr("format version 7; this build reads version 1"));
}

TEST(NcclBootstrap, RefusesAFileOthersCanWrite) {
  std::string path = temporaryDirectory() + "/id";
  shareId(path, makeId(1));
  ASSERT_EQ(chmod(path.c_str(), 0622), 0);
  NcclUniqueId id{};
  std::string error;
  EXPECT_FALSE(readId(path, id, error));
  EXPECT_THAT(error, HasSubstr("is writable by group or others (mode 0622)"));
}

TEST(NcclBootstrap, RefusesAnotherUsersFile) {
  if (geteuid() != 0)
    GTEST_SKIP() << "only root can give a file to another user";
  std::string path = temporaryDirectory() + "/id";
  shareId(path, makeId(1));
  ASSERT_EQ(chown(path.c_str(), 65534, 65534), 0);
  NcclUniqueId id{};
  std::string error;
  EXPECT_FALSE(readId(path, id, error));
  EXPECT_THAT(error, HasSubstr("is owned by uid 65534, not by this user"));
}

TEST(NcclBootstrap, RefusesWhatIsNotARegularFile) {
  std::string path = temporaryDirectory() + "/id";
  ASSERT_EQ(mkfifo(path.c_str(), 0600), 0);
  NcclUniqueId id{};
  std::string error;
  EXPECT_FALSE(readId(path, id, error)) << "and does not block on the FIFO";
  EXPECT_THAT(error, HasSubstr("is not a regular file"));
}

TEST(NcclBootstrap, TimesOutWhenNoFileAppears) {
  std::string path = temporaryDirectory() + "/id";
  NcclUniqueId id{};
  std::string error;
  EXPECT_FALSE(readId(path, id, error));
  EXPECT_THAT(error, HasSubstr("timed out after 0.2 s"));
}

} // namespace
