//===- AtomicFileTest.cpp - Files written whole or not at all -------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "RingAttn/Support/AtomicFile.h"

#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <sys/wait.h>

using namespace ringattn;

namespace {

/// A fresh, empty directory for one test.
std::string freshDirectory(const std::string &name) {
  std::string directory = ::testing::TempDir() + "ringattn-atomic-" + name;
  std::string command =
      "rm -rf '" + directory + "' && mkdir -p '" + directory + "'";
  EXPECT_EQ(std::system(command.c_str()), 0);
  return directory;
}

std::string readAll(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool writeWhole(const std::string &path, const std::string &text,
                std::string &error) {
  AtomicFile file;
  return file.open(path, error) && file.write(text, error) &&
         file.commit(error);
}

/// How many entries the directory holds besides . and ..
int entries(const std::string &directory) {
  std::string listing = directory + ".listing";
  std::string command = "ls -A '" + directory + "' | wc -l > '" + listing + "'";
  if (std::system(command.c_str()) != 0)
    return -1;
  return std::atoi(readAll(listing).c_str());
}

TEST(AtomicFile, WritesAndReplaces) {
  std::string directory = freshDirectory("replace");
  std::string path = directory + "/out.txt", error;
  ASSERT_TRUE(writeWhole(path, "first", error)) << error;
  ASSERT_TRUE(writeWhole(path, "second", error)) << error;
  EXPECT_EQ(readAll(path), "second");
  EXPECT_EQ(entries(directory), 1) << "no temporary file left";
}

// SIGKILL between the first byte and the rename: the old file is intact.
TEST(AtomicFile, KilledWriterLeavesTheOldFile) {
  std::string directory = freshDirectory("killed");
  std::string path = directory + "/out.txt", error;
  ASSERT_TRUE(writeWhole(path, "old contents", error)) << error;
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    AtomicFile file;
    std::string childError;
    if (file.open(path, childError) && file.write("new, half", childError))
      raise(SIGKILL);
    _exit(1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  EXPECT_EQ(readAll(path), "old contents");
}

// Abandoned (an error elsewhere, no commit): nothing changes, nothing stays.
TEST(AtomicFile, UncommittedFileIsRemoved) {
  std::string directory = freshDirectory("abandoned");
  std::string path = directory + "/out.txt", error;
  {
    AtomicFile file;
    ASSERT_TRUE(file.open(path, error)) << error;
    ASSERT_TRUE(file.write("never", error)) << error;
  }
  EXPECT_EQ(entries(directory), 0);
}

// A symlink at the path is replaced by the file; its target is untouched.
TEST(AtomicFile, ReplacesSymlinksWithoutFollowing) {
  std::string directory = freshDirectory("symlink");
  std::string victim = directory + "/victim", link = directory + "/link";
  std::string error;
  ASSERT_TRUE(writeWhole(victim, "precious", error)) << error;
  ASSERT_EQ(symlink(victim.c_str(), link.c_str()), 0);
  ASSERT_TRUE(writeWhole(link, "output", error)) << error;
  EXPECT_EQ(readAll(victim), "precious");
  struct stat info;
  ASSERT_EQ(lstat(link.c_str(), &info), 0);
  EXPECT_TRUE(S_ISREG(info.st_mode));
  EXPECT_EQ(readAll(link), "output");
}

TEST(AtomicFile, WritesDevicesDirectly) {
  std::string error;
  EXPECT_TRUE(writeWhole("/dev/null", "discarded", error)) << error;
  EXPECT_FALSE(writeWhole("/dev/full", "refused", error));
  EXPECT_EQ(error, "cannot write /dev/full: No space left on device");
}

TEST(AtomicFile, RefusesDirectories) {
  std::string directory = freshDirectory("directory");
  std::string error;
  EXPECT_FALSE(writeWhole(directory, "x", error));
  EXPECT_EQ(error, "cannot write " + directory +
                       ": it is not a regular file or a device");
}

TEST(AtomicFile, NamesAMissingDirectory) {
  std::string error;
  EXPECT_FALSE(writeWhole("/nonexistent-dir/out.txt", "x", error));
  EXPECT_EQ(error, "cannot write /nonexistent-dir/out.txt: cannot create a "
                   "temporary file in /nonexistent-dir: No such file or "
                   "directory");
}

// The mode asked for, less the umask; the NCCL id file asks for 0600.
TEST(AtomicFile, CreatesWithTheModeAskedFor) {
  std::string directory = freshDirectory("mode");
  std::string path = directory + "/secret", error;
  AtomicFile file;
  AtomicFile::Options options;
  options.mode = 0600;
  ASSERT_TRUE(file.open(path, options, error) && file.write("id", error) &&
              file.commit(error))
      << error;
  struct stat info;
  ASSERT_EQ(stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
}

} // namespace
