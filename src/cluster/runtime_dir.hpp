#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "cluster/process.hpp"

// Directories of running embedded clusters (data, Unix socket, password file, log) under
// /tmp/poolbench-<uid>/ (or $POOLBENCH_RUNTIME_DIR), and removal of what a killed run left
// behind.

namespace poolbench::cluster {

/// The environment variable that gives a process its own runtime root: an absolute path (a
/// short one: the server's socket lives about 40 bytes below it, under the 107-byte limit, and
/// every directory above it must be searchable by the server user when poolbench runs as
/// root). Every poolbench process removes the stale clusters of its runtime root when it
/// starts one; processes that share none (e.g. concurrent tests that kill a run and then
/// look for what it left) do not race over each other's directories.
inline constexpr const char* k_runtime_dir_variable = "POOLBENCH_RUNTIME_DIR";

/// $POOLBENCH_RUNTIME_DIR when it holds an absolute path, else /tmp/poolbench-<uid> (mode
/// 0755 so the server user can reach its own subdirectories), created if missing (not its
/// parents). Throws RuntimeFailure when it exists but is not ours (another user, a symlink,
/// or writable by others): a shared /tmp must not let someone else plant our directories.
std::filesystem::path runtime_root();

/// `length` random characters from [a-z0-9] (std::random_device).
std::string random_token(std::size_t length);

/// One cluster's directory, `<root>/<pid>-<token>`: short enough that the socket path
/// `<dir>/sock/.s.PGSQL.<port>` stays far below the 107-byte limit. It holds an `owner` file
/// (this process's pid and start time) that remove_stale_clusters() reads. Removed with
/// everything in it on destruction.
class RunDir {
 public:
  explicit RunDir(const std::filesystem::path& root);
  RunDir(const RunDir&) = delete;
  RunDir& operator=(const RunDir&) = delete;
  ~RunDir();
  const std::filesystem::path& path() const noexcept { return m_path; }

 private:
  std::filesystem::path m_path;
};

/// For every directory under `root` whose owning process is gone (pid dead, or reused by
/// another process): stops any postmaster still running on its data directory (immediate
/// shutdown, then SIGKILL) and removes the directory. Returns how many were removed. Never
/// touches a directory whose owner is alive.
int remove_stale_clusters(const std::filesystem::path& root);

/// Stops a postmaster running on `data_dir` (pid from postmaster.pid, checked against
/// /proc/<pid>/cmdline) with SIGQUIT then SIGKILL. For postmasters that are not our children.
void kill_orphan_postmaster(const std::filesystem::path& data_dir);

}  // namespace poolbench::cluster
