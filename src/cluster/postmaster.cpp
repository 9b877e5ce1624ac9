#include "cluster/postmaster.hpp"

#include <deque>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

namespace poolbench::cluster {
namespace {

namespace fs = std::filesystem;

/// Line 8 of postmaster.pid (PostgreSQL >= 10) is the server status: "starting", "ready",
/// "stopping".
bool pid_file_says_ready(const fs::path& data_dir) {
  std::ifstream in(data_dir / "postmaster.pid");
  std::string line;
  for (int index = 0; index < 8; ++index) {
    if (!std::getline(in, line)) return false;
  }
  return line.starts_with("ready");
}

}  // namespace

Postmaster::Postmaster(ServerBinaries binaries, fs::path data_dir, fs::path log_file,
                       std::optional<RunAs> run_as)
    : m_binaries(std::move(binaries)),
      m_data_dir(std::move(data_dir)),
      m_log_file(std::move(log_file)),
      m_run_as(std::move(run_as)) {}

Postmaster::~Postmaster() {
  stop_escalating();
}

void Postmaster::start(std::chrono::seconds timeout) {
  if (running()) throw RuntimeFailure("internal: the server is already running");
  std::error_code error;
  const auto log_offset = fs::exists(m_log_file, error) ? fs::file_size(m_log_file, error) : 0;
  SpawnOptions options;
  options.run_as = m_run_as;
  options.output_file = m_log_file;
  options.working_dir = m_data_dir;
  // If poolbench dies without unwinding (SIGKILL), the server shuts down at once instead of
  // running on; the next start removes the directory (remove_stale_clusters).
  options.parent_death_signal = SIGQUIT;
  m_child =
      ChildProcess::spawn({m_binaries.postgres().string(), "-D", m_data_dir.string()}, options);
  if (m_run_as) ::chown(m_log_file.c_str(), m_run_as->uid, m_run_as->gid);

  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pid_file_says_ready(m_data_dir)) {
    if (!m_child.running()) {
      std::ifstream in(m_log_file);
      in.seekg(static_cast<std::streamoff>(log_offset));
      std::stringstream text;
      text << in.rdbuf();
      const std::string log = text.str();
      if (log.find("could not bind IPv4 address") != std::string::npos ||
          log.find("Address already in use") != std::string::npos) {
        throw PortInUse("the server's port was taken by another process");
      }
      throw RuntimeFailure(fmt::format("the PostgreSQL server failed to start (log {}):\n{}",
                                       m_log_file.string(), log_tail(m_log_file)));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      stop_escalating();
      throw RuntimeFailure(
          fmt::format("the PostgreSQL server was not ready within {} s (log {}):\n{}",
                      timeout.count(), m_log_file.string(), log_tail(m_log_file)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

bool Postmaster::stop_fast(std::chrono::milliseconds timeout) noexcept {
  if (!m_child.running()) return true;
  m_child.signal(SIGINT);
  return m_child.wait_for(timeout);
}

bool Postmaster::stop_immediate(std::chrono::milliseconds timeout) noexcept {
  if (!m_child.running()) return true;
  m_child.signal(SIGQUIT);
  return m_child.wait_for(timeout);
}

void Postmaster::stop_escalating() noexcept {
  if (!m_child.running()) return;
  if (stop_fast(std::chrono::seconds(5))) return;
  m_child.signal(SIGQUIT);
  if (m_child.wait_for(std::chrono::seconds(5))) return;
  m_child.signal(SIGKILL);
  m_child.wait_for(std::chrono::seconds(5));
}

void Postmaster::reload() {
  if (!m_child.running()) throw RuntimeFailure("the embedded PostgreSQL server is not running");
  m_child.signal(SIGHUP);
}

std::string log_tail(const fs::path& file, std::size_t lines) {
  std::ifstream in(file);
  std::deque<std::string> last;
  std::string line;
  while (std::getline(in, line)) {
    last.push_back(line);
    if (last.size() > lines) last.pop_front();
  }
  std::string text;
  for (const auto& item : last) text += "  " + item + "\n";
  return text;
}

void write_owned_file(const fs::path& file, const std::string& content,
                      const std::optional<RunAs>& owner) {
  const fs::path temporary = file.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out) throw RuntimeFailure(fmt::format("cannot write {}", temporary.string()));
  }
  ::chmod(temporary.c_str(), 0600);
  if (owner && ::chown(temporary.c_str(), owner->uid, owner->gid) != 0) {
    throw RuntimeFailure(fmt::format("cannot give {} to {}", temporary.string(), owner->name));
  }
  std::error_code error;
  fs::rename(temporary, file, error);
  if (error)
    throw RuntimeFailure(fmt::format("cannot write {}: {}", file.string(), error.message()));
}

}  // namespace poolbench::cluster
