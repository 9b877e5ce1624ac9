#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cluster/runtime_dir.hpp"

// No embedded server outlives poolbench: normal exit, exception, SIGINT, SIGTERM; and a
// run killed outright (SIGKILL) leaves a directory that the next start removes.

namespace poolbench::cluster {
namespace {

namespace fs = std::filesystem;

const std::string k_child = POOLBENCH_CLUSTER_CHILD;

/// This test process and its children get a runtime root of their own
/// ($POOLBENCH_RUNTIME_DIR): in the shared /tmp/poolbench-<uid>, a concurrent poolbench
/// process starting a cluster removes the stale directory of a killed child before this
/// test's own remove_stale_clusters() call can, and the test would count 0.
class OwnRuntimeRoot : public ::testing::Environment {
 public:
  void SetUp() override {
    m_root = fmt::format("/tmp/poolbench-{}-leaks-{}", ::geteuid(), ::getpid());
    ::setenv(k_runtime_dir_variable, m_root.c_str(), 1);
    ASSERT_EQ(runtime_root(), m_root);
  }
  void TearDown() override {
    std::error_code error;
    fs::remove_all(m_root, error);
  }

 private:
  fs::path m_root;
};

[[maybe_unused]] ::testing::Environment* const k_own_root =
    ::testing::AddGlobalTestEnvironment(new OwnRuntimeRoot);

struct Child {
  pid_t pid = -1;
  pid_t postmaster = -1;
  fs::path data_dir;
};

/// Starts cluster_child MODE and reads its "<postmaster pid> <data dir>" line.
Child start_child(const std::string& mode) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  Child child;
  child.pid = ::fork();
  if (child.pid == 0) {
    ::dup2(fds[1], 1);
    ::close(fds[0]);
    ::execl(k_child.c_str(), k_child.c_str(), mode.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  ::close(fds[1]);
  std::string line;
  char c = 0;
  while (::read(fds[0], &c, 1) == 1 && c != '\n') line += c;
  ::close(fds[0]);
  std::istringstream in(line);
  in >> child.postmaster >> child.data_dir;
  return child;
}

int wait_exit(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/// True when `pid` is gone within `timeout` (a zombie counts as gone: it runs nothing).
bool gone(pid_t pid, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  do {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string content;
    if (!std::getline(stat, content)) return true;
    const auto state = content.substr(content.rfind(')') + 2, 1);
    if (state == "Z") return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  } while (std::chrono::steady_clock::now() < deadline);
  return false;
}

/// Any process whose command line names `data_dir` (postmaster or its children).
bool any_process_on(const fs::path& data_dir) {
  for (const auto& entry : fs::directory_iterator("/proc")) {
    std::ifstream cmdline(entry.path() / "cmdline", std::ios::binary);
    std::stringstream text;
    text << cmdline.rdbuf();
    if (text.str().find(data_dir.string()) != std::string::npos) return true;
  }
  return false;
}

void expect_no_leak(const Child& child) {
  ASSERT_GT(child.postmaster, 0);
  EXPECT_TRUE(gone(child.postmaster, std::chrono::seconds(5)));
  EXPECT_FALSE(any_process_on(child.data_dir));
  EXPECT_FALSE(fs::exists(child.data_dir.parent_path())) << child.data_dir;
}

TEST(ClusterLeaks, NormalExitStopsTheServerAndRemovesItsDirectory) {
  const Child child = start_child("exit");
  EXPECT_EQ(wait_exit(child.pid), 0);
  expect_no_leak(child);
}

TEST(ClusterLeaks, AnExceptionStopsTheServerAndRemovesItsDirectory) {
  const Child child = start_child("throw");
  EXPECT_EQ(wait_exit(child.pid), 3);
  expect_no_leak(child);
}

TEST(ClusterLeaks, SigintStopsTheServerAndRemovesItsDirectory) {
  const Child child = start_child("wait");
  ASSERT_TRUE(fs::exists(child.data_dir));
  ::kill(child.pid, SIGINT);
  EXPECT_EQ(wait_exit(child.pid), 130);
  expect_no_leak(child);
}

TEST(ClusterLeaks, SigtermStopsTheServerAndRemovesItsDirectory) {
  const Child child = start_child("wait");
  ::kill(child.pid, SIGTERM);
  EXPECT_EQ(wait_exit(child.pid), 130);
  expect_no_leak(child);
}

TEST(ClusterLeaks, AKilledRunsServerStopsAndItsDirectoryIsRemovedAtTheNextStart) {
  const Child child = start_child("wait");
  ::kill(child.pid, SIGKILL);
  wait_exit(child.pid);
  // The server follows its parent (parent-death signal); the directory stays behind...
  EXPECT_TRUE(gone(child.postmaster, std::chrono::seconds(10)));
  EXPECT_TRUE(fs::exists(child.data_dir));
  // ...until the next start (which calls this) finds its owner dead.
  EXPECT_GE(remove_stale_clusters(runtime_root()), 1);
  EXPECT_FALSE(fs::exists(child.data_dir.parent_path()));
}

TEST(ClusterLeaks, AStaleDirectoryWithARunningServerIsStoppedAndRemoved) {
  // A run whose server survived (e.g. it was started from a thread that is gone): its owner
  // file names a dead process while its postmaster still runs.
  const Child child = start_child("wait");
  const fs::path owner = child.data_dir.parent_path() / "owner";
  std::ofstream(owner, std::ios::trunc) << "999999999 1\n";
  EXPECT_GE(remove_stale_clusters(runtime_root()), 1);
  EXPECT_TRUE(gone(child.postmaster, std::chrono::seconds(10)));
  EXPECT_FALSE(fs::exists(child.data_dir));
  ::kill(child.pid, SIGINT);
  EXPECT_EQ(wait_exit(child.pid), 130);
}

TEST(ClusterLeaks, DirectoriesOfLiveRunsAreLeftAlone) {
  const Child child = start_child("wait");
  remove_stale_clusters(runtime_root());
  EXPECT_TRUE(fs::exists(child.data_dir));
  EXPECT_FALSE(gone(child.postmaster, std::chrono::seconds(0)));
  ::kill(child.pid, SIGINT);
  EXPECT_EQ(wait_exit(child.pid), 130);
  expect_no_leak(child);
}

}  // namespace
}  // namespace poolbench::cluster
