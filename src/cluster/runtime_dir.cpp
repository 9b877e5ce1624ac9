#include "cluster/runtime_dir.hpp"

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/error.hpp"

namespace poolbench::cluster {
namespace {

namespace fs = std::filesystem;

constexpr const char* k_owner_file = "owner";

bool owner_alive(const fs::path& dir) {
  std::ifstream in(dir / k_owner_file);
  long long pid = 0;
  unsigned long long start_time = 0;
  if (!(in >> pid >> start_time)) {
    // No owner file yet: a directory being created right now, or garbage. Only old ones are
    // stale.
    std::error_code error;
    const auto modified = fs::last_write_time(dir, error);
    if (error) return false;
    return fs::file_time_type::clock::now() - modified < std::chrono::minutes(5);
  }
  const auto actual = process_start_time(static_cast<pid_t>(pid));
  return actual && *actual == start_time;
}

std::optional<pid_t> postmaster_pid(const fs::path& data_dir) {
  std::ifstream in(data_dir / "postmaster.pid");
  long long pid = 0;
  if (!(in >> pid) || pid <= 0) return std::nullopt;
  // Only a process that really runs postgres on this data directory.
  std::ifstream cmdline(fmt::format("/proc/{}/cmdline", pid), std::ios::binary);
  std::stringstream content;
  content << cmdline.rdbuf();
  if (content.str().find(data_dir.string()) == std::string::npos) return std::nullopt;
  return static_cast<pid_t>(pid);
}

/// A pid that no longer runs anything: absent, or a zombie waiting for its parent to reap it
/// (a postmaster whose parent poolbench is still alive stays a zombie until reaped).
bool process_gone(pid_t pid) {
  std::ifstream stat(fmt::format("/proc/{}/stat", pid));
  std::string content;
  if (!std::getline(stat, content)) return true;
  const auto close = content.rfind(')');
  return close != std::string::npos && content.size() > close + 2 && content[close + 2] == 'Z';
}

bool wait_gone(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!process_gone(pid)) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

}  // namespace

fs::path runtime_root() {
  // NOLINTNEXTLINE(concurrency-mt-unsafe): read before any thread that could setenv
  const char* own = std::getenv(k_runtime_dir_variable);
  const fs::path root = own != nullptr && *own == '/'
                            ? fs::path(own)
                            : fs::path(fmt::format("/tmp/poolbench-{}", ::geteuid()));
  if (::mkdir(root.c_str(), 0755) != 0 && errno != EEXIST) {
    throw RuntimeFailure(fmt::format("cannot create {}: {}", root.string(), std::strerror(errno)));
  }
  struct stat info {};
  if (::lstat(root.c_str(), &info) != 0 || !S_ISDIR(info.st_mode) || info.st_uid != ::geteuid() ||
      (info.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    throw RuntimeFailure(
        fmt::format("{} is not a directory owned by this user and writable only by it; remove it",
                    root.string()));
  }
  ::chmod(root.c_str(), 0755);
  return root;
}

std::string random_token(std::size_t length) {
  static constexpr std::string_view k_alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device device;
  std::uniform_int_distribution<std::size_t> pick(0, k_alphabet.size() - 1);
  std::string token;
  for (std::size_t i = 0; i < length; ++i) token += k_alphabet[pick(device)];
  return token;
}

RunDir::RunDir(const fs::path& root) {
  for (int attempt = 0; attempt < 10 && m_path.empty(); ++attempt) {
    const fs::path candidate = root / fmt::format("{}-{}", ::getpid(), random_token(6));
    if (::mkdir(candidate.c_str(), 0755) == 0) m_path = candidate;
  }
  if (m_path.empty()) {
    throw RuntimeFailure(fmt::format("cannot create a directory under {}", root.string()));
  }
  std::ofstream owner(m_path / k_owner_file);
  owner << ::getpid() << ' ' << process_start_time(::getpid()).value_or(0) << '\n';
  if (!owner) throw RuntimeFailure(fmt::format("cannot write {}/owner", m_path.string()));
}

RunDir::~RunDir() {
  std::error_code error;
  fs::remove_all(m_path, error);
}

namespace {

void stop_pid(pid_t pid) {
  ::kill(pid, SIGQUIT);  // immediate shutdown: the data is thrown away anyway
  if (!wait_gone(pid, std::chrono::seconds(5))) {
    ::kill(pid, SIGKILL);
    wait_gone(pid, std::chrono::seconds(5));
  }
}

}  // namespace

void kill_orphan_postmaster(const fs::path& data_dir) {
  if (const auto pid = postmaster_pid(data_dir)) stop_pid(*pid);
}

int remove_stale_clusters(const fs::path& root) {
  int removed = 0;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(root, error)) {
    if (!entry.is_directory(error) || entry.is_symlink(error)) continue;
    if (owner_alive(entry.path())) continue;
    const auto pid = postmaster_pid(entry.path() / "data");
    // Claim the directory first: of several processes cleaning up at once, exactly one wins
    // the rename, so no two remove_all() calls race over the same tree.
    const fs::path claimed = root / fmt::format(".stale-{}", random_token(8));
    if (::rename(entry.path().c_str(), claimed.c_str()) != 0) continue;
    if (pid) stop_pid(*pid);
    fs::remove_all(claimed, error);
    ++removed;
  }
  return removed;
}

}  // namespace poolbench::cluster
