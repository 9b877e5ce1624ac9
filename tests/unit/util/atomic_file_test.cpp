#include "util/atomic_file.hpp"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "util/error.hpp"

namespace poolbench::util {
namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class AtomicFile : public ::testing::Test {
 protected:
  void SetUp() override {
    m_dir = fs::temp_directory_path() /
            ("poolbench-atomic-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(m_dir);
  }
  void TearDown() override { fs::remove_all(m_dir); }
  fs::path m_dir;
};

TEST_F(AtomicFile, CreatesParentDirectoriesAndWritesTheContent) {
  const fs::path path = m_dir / "a" / "b" / "results.json";
  write_file_atomically(path, "{\"x\": 1}\n");
  EXPECT_EQ(read(path), "{\"x\": 1}\n");
}

TEST_F(AtomicFile, ReplacesAnOldFileAndLeavesNoTemporaryBehind) {
  const fs::path path = m_dir / "results.json";
  write_file_atomically(path, "old");
  write_file_atomically(path, "new");
  EXPECT_EQ(read(path), "new");
  int files = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(m_dir)) ++files;
  EXPECT_EQ(files, 1);
}

TEST_F(AtomicFile, UnwritableDirectoryIsARuntimeFailureNamingThePath) {
  fs::create_directories(m_dir);
  const fs::path blocker = m_dir / "file";
  write_file_atomically(blocker, "x");
  try {
    write_file_atomically(blocker / "results.json", "y");  // a file cannot be a directory
    FAIL() << "expected a RuntimeFailure";
  } catch (const RuntimeFailure& e) {
    EXPECT_NE(std::string(e.what()).find(blocker.string()), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace poolbench::util
