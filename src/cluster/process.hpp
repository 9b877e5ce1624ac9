#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

// Child processes for the embedded cluster: fork/exec with an argument vector (never a shell
// string), optionally as another user. Not thread-safe per object; distinct objects are
// independent.

namespace poolbench::cluster {

/// The user a child runs as (setgid/setgroups/setuid in the child before exec).
struct RunAs {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string name;
};

/// Who the PostgreSQL server must run as: nullopt (the current user) unless poolbench runs
/// as root, which PostgreSQL refuses; then the `postgres` system user if it exists, else
/// `nobody`.
std::optional<RunAs> server_user();

struct SpawnOptions {
  std::optional<RunAs> run_as;
  /// stdout and stderr are appended to this file (created mode 0600 if missing); empty:
  /// /dev/null.
  std::filesystem::path output_file;
  /// Working directory of the child; empty: "/" (a user switch may leave the old one
  /// unreadable).
  std::filesystem::path working_dir;
  /// Signal the child gets when the spawning *thread* dies (PR_SET_PDEATHSIG); 0 = none.
  int parent_death_signal = 0;
};

/// Owns one child process. The destructor SIGKILLs and reaps it if it still runs, so a child
/// never outlives its owner unnoticed. Move-only.
class ChildProcess {
 public:
  /// Starts argv[0] (an absolute path) with argv in its own process group, so a terminal's
  /// Ctrl-C reaches only poolbench, which then stops the child in order. Throws
  /// RuntimeFailure when fork or exec fails (the exec error is reported, not swallowed).
  static ChildProcess spawn(const std::vector<std::string>& argv, const SpawnOptions& options);
  /// Takes ownership of an already started child.
  static ChildProcess adopt(pid_t pid) { return ChildProcess(pid); }

  ChildProcess() = default;
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const noexcept { return m_pid; }
  /// True while the child has not exited (reaps it without blocking when it has).
  bool running() noexcept;
  /// Waits up to `timeout` for the child to exit; true when it has exited (and was reaped).
  bool wait_for(std::chrono::milliseconds timeout) noexcept;
  /// Sends `signal_number` if the child still runs.
  void signal(int signal_number) noexcept;
  /// Raw wait status once the child was reaped.
  std::optional<int> wait_status() const noexcept { return m_status; }

 private:
  explicit ChildProcess(pid_t pid) : m_pid(pid) {}
  void kill_and_reap() noexcept;

  pid_t m_pid = -1;
  std::optional<int> m_status;
};

struct CommandResult {
  int exit_code = -1;  ///< exit status, or 128 + signal
  std::string output;  ///< stdout and stderr, interleaved
};

/// Runs argv to completion, capturing its output. A child still running after `timeout` is
/// killed and RuntimeFailure is thrown naming the command.
CommandResult run_command(const std::vector<std::string>& argv, const std::optional<RunAs>& run_as,
                          std::chrono::seconds timeout);

/// The first executable `program` on PATH, or nullopt.
std::optional<std::filesystem::path> find_program(const std::string& program);

/// Recursively gives `path` to `user` (no-op for nullopt). Throws RuntimeFailure.
void chown_tree(const std::filesystem::path& path, const std::optional<RunAs>& user);

/// Process start time of `pid` (field 22 of /proc/<pid>/stat, clock ticks since boot), to tell
/// a live process from a reused pid; nullopt when no such process exists.
std::optional<unsigned long long> process_start_time(pid_t pid);

}  // namespace poolbench::cluster
