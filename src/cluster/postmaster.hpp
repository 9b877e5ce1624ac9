#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "cluster/binaries.hpp"
#include "cluster/process.hpp"
#include "util/error.hpp"

// One PostgreSQL server process (postmaster) on a data directory, run as a child of
// poolbench. Not thread-safe: the owner (Cluster) serializes calls.

namespace poolbench::cluster {

/// The server did not start because its TCP port was taken (another server grabbed the free
/// port we picked): the caller may retry with another port.
class PortInUse : public RuntimeFailure {
 public:
  using RuntimeFailure::RuntimeFailure;
};

class Postmaster {
 public:
  Postmaster(ServerBinaries binaries, std::filesystem::path data_dir,
             std::filesystem::path log_file, std::optional<RunAs> run_as);
  Postmaster(const Postmaster&) = delete;
  Postmaster& operator=(const Postmaster&) = delete;
  /// Stops the server (stop_escalating()) if it still runs.
  ~Postmaster();

  /// Starts `postgres -D data_dir` and waits until postmaster.pid says "ready". Throws
  /// PortInUse or RuntimeFailure (with the end of the server log) when it exits or is not
  /// ready within `timeout`.
  void start(std::chrono::seconds timeout);

  /// Asks for a fast shutdown (SIGINT: sessions are ended, a checkpoint is written) and waits
  /// up to `timeout`. True when the server has exited.
  bool stop_fast(std::chrono::milliseconds timeout) noexcept;

  /// Asks for an immediate shutdown (SIGQUIT: no checkpoint; the next start recovers) and
  /// waits up to `timeout`. True when the server has exited.
  bool stop_immediate(std::chrono::milliseconds timeout) noexcept;

  /// Never leaks: fast shutdown (5 s), then immediate (SIGQUIT, 5 s), then SIGKILL.
  void stop_escalating() noexcept;

  /// Sends SIGHUP: the server rereads its configuration files.
  void reload();

  bool running() noexcept { return m_child.running(); }
  pid_t pid() const noexcept { return m_child.pid(); }
  const std::filesystem::path& log_file() const noexcept { return m_log_file; }

 private:
  ServerBinaries m_binaries;
  std::filesystem::path m_data_dir;
  std::filesystem::path m_log_file;
  std::optional<RunAs> m_run_as;
  ChildProcess m_child;
};

/// The last `lines` lines of a log file, for error messages.
std::string log_tail(const std::filesystem::path& file, std::size_t lines = 15);

/// Writes `content` to `file` (mode 0600) and gives it to `owner`. Throws RuntimeFailure.
void write_owned_file(const std::filesystem::path& file, const std::string& content,
                      const std::optional<RunAs>& owner);

}  // namespace poolbench::cluster
