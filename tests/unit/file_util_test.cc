// Copyright onnxedge authors.
// Every file onnxedge writes goes through WriteFileAtomically: complete or absent, never partial.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/file_util.h"
#include "npy.h"
#include "unit/model_builder.h"

namespace onnxedge {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::vector<std::string> Entries(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(FileUtil, WritesAndReplaces) {
  TempDir dir;
  ASSERT_TRUE(WriteFileAtomically(dir.File("a.bin"), "first").ok());
  EXPECT_EQ(Read(dir.File("a.bin")), "first");
  ASSERT_TRUE(WriteFileAtomically(dir.File("a.bin"), std::string(100000, 'x')).ok());
  EXPECT_EQ(Read(dir.File("a.bin")), std::string(100000, 'x'));
  EXPECT_EQ(Entries(dir.path()), std::vector<std::string>{"a.bin"});  // no temp file left
}

TEST(FileUtil, FailuresLeaveNoPartialFile) {
  TempDir dir;
  // Missing folder: nothing is created anywhere.
  Status st = WriteFileAtomically(dir.File("missing/a.bin"), "x");
  EXPECT_EQ(st.code(), StatusCode::kIoError);
  EXPECT_NE(st.message().find("missing/a.bin"), std::string::npos) << st.ToString();
  // The target is a folder: the rename fails, the temp file is removed.
  fs::create_directory(dir.File("sub"));
  st = WriteFileAtomically(dir.File("sub"), "x");
  EXPECT_EQ(st.code(), StatusCode::kIoError) << st.ToString();
  EXPECT_EQ(Entries(dir.path()), std::vector<std::string>{"sub"});
}

TEST(FileUtil, DiskFullKeepsTheOldFile) {
  TempDir dir;
  ASSERT_TRUE(WriteFileAtomically(dir.File("out.npy"), "old contents").ok());
  // In a child limited to 4 KiB files (RLIMIT_FSIZE), writing 1 MiB fails like a full disk.
  pid_t pid = fork();
  if (pid == 0) {
    signal(SIGXFSZ, SIG_IGN);
    rlimit rl{4096, 4096};
    setrlimit(RLIMIT_FSIZE, &rl);
    Status s = WriteFileAtomically(dir.File("out.npy"), std::string(1 << 20, 'y'));
    _exit(!s.ok() && s.code() == StatusCode::kIoError ? 0 : 1);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the write must fail with kIoError";
  EXPECT_EQ(Read(dir.File("out.npy")), "old contents");
  EXPECT_EQ(Entries(dir.path()), std::vector<std::string>{"out.npy"});
}

TEST(FileUtil, ReplacesASymlinkInsteadOfWritingThroughIt) {
  TempDir outside, dir;
  outside.Write("victim.txt", "precious");
  ASSERT_EQ(symlink(outside.File("victim.txt").c_str(), dir.File("out.npy").c_str()), 0);
  ASSERT_TRUE(WriteFileAtomically(dir.File("out.npy"), "new").ok());
  EXPECT_EQ(Read(outside.File("victim.txt")), "precious");
  EXPECT_FALSE(fs::is_symlink(dir.File("out.npy")));
  EXPECT_EQ(Read(dir.File("out.npy")), "new");
}

TEST(FileUtil, NpyWriteUsesIt) {
  TempDir dir;
  auto t = Tensor::FromVector<float>({2}, {1, 2});
  ASSERT_TRUE(npy::Write(dir.File("y.npy"), t).ok());
  EXPECT_EQ(Entries(dir.path()), std::vector<std::string>{"y.npy"});
  EXPECT_FALSE(npy::Write(dir.File("nope/y.npy"), t).ok());
  EXPECT_EQ(Entries(dir.path()), std::vector<std::string>{"y.npy"});
}

}  // namespace
}  // namespace onnxedge
