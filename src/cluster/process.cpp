#include "cluster/process.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

#include <fcntl.h>
#include <fmt/format.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/error.hpp"
#include "util/fd.hpp"

namespace poolbench::cluster {
namespace {

using util::Fd;

/// getpwnam_r's buffer for one passwd entry (sysconf's _SC_GETPW_R_SIZE_MAX is a hint).
constexpr std::size_t k_passwd_buffer_bytes = 16384;
/// The child's exit status when exec (or a step before it) failed; the errno goes to the
/// parent through the report pipe. 127 is what a shell uses for "command not found".
constexpr int k_exit_exec_failed = 127;
/// The child's exit status when the parent died before PR_SET_PDEATHSIG took effect.
constexpr int k_exit_parent_gone = 126;
/// Descriptors below this are closed in the child before exec (those of other threads).
constexpr int k_inherited_fd_limit = 1024;

std::string errno_text(int error) {
  return std::strerror(error);
}

std::optional<RunAs> lookup_user(const char* name) {
  struct passwd pwd {};
  struct passwd* found = nullptr;
  std::vector<char> buffer(k_passwd_buffer_bytes);
  if (getpwnam_r(name, &pwd, buffer.data(), buffer.size(), &found) != 0 || found == nullptr) {
    return std::nullopt;
  }
  return RunAs{found->pw_uid, found->pw_gid, found->pw_name};
}

/// Everything the child needs, prepared before fork: after fork only async-signal-safe calls.
struct ChildPlan {
  std::vector<std::string> argv_storage;
  std::vector<char*> argv;
  std::string working_dir;
  std::optional<RunAs> run_as;
  int output_fd = -1;
  int parent_death_signal = 0;
  pid_t parent = 0;
};

[[noreturn]] void child_fail(int report_fd, int error) {
  const int value = error;
  [[maybe_unused]] auto written = ::write(report_fd, &value, sizeof value);
  _exit(k_exit_exec_failed);
}

[[noreturn]] void run_child(const ChildPlan& plan, int report_fd) {
  ::setpgid(0, 0);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);  // a blocked SIGINT/SIGTERM must not be inherited
  ::signal(SIGINT, SIG_DFL);
  ::signal(SIGTERM, SIG_DFL);
  ::signal(SIGPIPE, SIG_DFL);
  if (plan.run_as) {
    const gid_t gid = plan.run_as->gid;
    if (::setgroups(1, &gid) != 0 || ::setgid(gid) != 0 || ::setuid(plan.run_as->uid) != 0) {
      child_fail(report_fd, errno);
    }
  }
  // Set after the user switch: a credential change clears the parent-death signal.
  if (plan.parent_death_signal != 0) {
    ::prctl(PR_SET_PDEATHSIG, plan.parent_death_signal);
    if (::getppid() != plan.parent) _exit(k_exit_parent_gone);
  }
  if (::chdir(plan.working_dir.c_str()) != 0) child_fail(report_fd, errno);
  const int null_fd = ::open("/dev/null", O_RDONLY);
  if (null_fd < 0 || ::dup2(null_fd, 0) < 0) child_fail(report_fd, errno);
  const int out = plan.output_fd >= 0 ? plan.output_fd : ::open("/dev/null", O_WRONLY);
  if (out < 0 || ::dup2(out, 1) < 0 || ::dup2(out, 2) < 0) child_fail(report_fd, errno);
  // Descriptors poolbench holds (sockets of other threads, files) stay with poolbench: their
  // owners are in the parent; here, between fork and exec, only raw calls are safe.
  for (int fd = STDERR_FILENO + 1; fd < k_inherited_fd_limit; ++fd) {
    if (fd != report_fd) ::close(fd);
  }
  ::execv(plan.argv[0], plan.argv.data());
  child_fail(report_fd, errno);
}

pid_t spawn_process(const std::vector<std::string>& argv, const std::optional<RunAs>& run_as,
                    const std::filesystem::path& working_dir, int output_fd,
                    int parent_death_signal) {
  if (argv.empty()) throw RuntimeFailure("internal: empty command");
  ChildPlan plan;
  plan.argv_storage = argv;
  for (auto& arg : plan.argv_storage) plan.argv.push_back(arg.data());
  plan.argv.push_back(nullptr);
  plan.working_dir = working_dir.empty() ? std::string("/") : working_dir.string();
  plan.run_as = run_as;
  plan.output_fd = output_fd;
  plan.parent_death_signal = parent_death_signal;
  plan.parent = ::getpid();

  auto [report_read, report_write] = util::make_pipe(O_CLOEXEC);
  if (!report_read.valid()) {
    throw RuntimeFailure(fmt::format("cannot start {}: pipe: {}", argv[0], errno_text(errno)));
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    throw RuntimeFailure(fmt::format("cannot start {}: fork: {}", argv[0], errno_text(errno)));
  }
  if (pid == 0) run_child(plan, report_write.get());
  report_write.reset();
  int child_errno = 0;
  ssize_t got = 0;
  do {
    got = ::read(report_read.get(), &child_errno, sizeof child_errno);
  } while (got < 0 && errno == EINTR);
  if (got == static_cast<ssize_t>(sizeof child_errno)) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    throw RuntimeFailure(fmt::format("cannot start {}{}: {}", argv[0],
                                     run_as ? " as user " + run_as->name : std::string(),
                                     errno_text(child_errno)));
  }
  return pid;
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

std::optional<RunAs> server_user() {
  if (::geteuid() != 0) return std::nullopt;
  if (auto user = lookup_user("postgres")) return user;
  if (auto user = lookup_user("nobody")) return user;
  throw RuntimeFailure(
      "poolbench runs as root and PostgreSQL refuses to; neither a 'postgres' nor a 'nobody' "
      "user exists to run the server as (create one, e.g. apt-get install postgresql)");
}

ChildProcess ChildProcess::spawn(const std::vector<std::string>& argv,
                                 const SpawnOptions& options) {
  Fd output;
  if (!options.output_file.empty()) {
    output =
        Fd(::open(options.output_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
    if (output.get() < 0) {
      throw RuntimeFailure(
          fmt::format("cannot open {}: {}", options.output_file.string(), errno_text(errno)));
    }
  }
  return ChildProcess(spawn_process(argv, options.run_as, options.working_dir, output.get(),
                                    options.parent_death_signal));
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : m_pid(std::exchange(other.m_pid, -1)), m_status(other.m_status) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    kill_and_reap();
    m_pid = std::exchange(other.m_pid, -1);
    m_status = other.m_status;
  }
  return *this;
}

ChildProcess::~ChildProcess() {
  kill_and_reap();
}

void ChildProcess::kill_and_reap() noexcept {
  if (m_pid > 0 && running()) {
    ::kill(m_pid, SIGKILL);
    wait_for(std::chrono::seconds(10));
  }
  m_pid = -1;
}

bool ChildProcess::running() noexcept {
  if (m_pid <= 0 || m_status) return false;
  int status = 0;
  const pid_t result = ::waitpid(m_pid, &status, WNOHANG);
  if (result == m_pid) {
    m_status = status;
    return false;
  }
  return result == 0;
}

bool ChildProcess::wait_for(std::chrono::milliseconds timeout) noexcept {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::milliseconds(1);
  while (running()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(20));
  }
  return true;
}

void ChildProcess::signal(int signal_number) noexcept {
  if (running()) ::kill(m_pid, signal_number);
}

CommandResult run_command(const std::vector<std::string>& argv, const std::optional<RunAs>& run_as,
                          std::chrono::seconds timeout) {
  auto [read_end, write_end] = util::make_pipe(O_CLOEXEC);
  if (!read_end.valid()) {
    throw RuntimeFailure(fmt::format("cannot run {}: pipe: {}", argv.at(0), errno_text(errno)));
  }
  ChildProcess child = ChildProcess::adopt(spawn_process(argv, run_as, {}, write_end.get(), 0));
  write_end.reset();

  CommandResult result;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buffer[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      throw RuntimeFailure(fmt::format("{} did not finish within {} s", argv[0], timeout.count()));
    }
    pollfd entry{read_end.get(), POLLIN, 0};
    const int ready = ::poll(&entry, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    const ssize_t got = ::read(read_end.get(), buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;  // every writer closed: the child exited (or closed its output)
    result.output.append(buffer, static_cast<std::size_t>(got));
  }
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  if (!child.wait_for(std::max(left, std::chrono::milliseconds(100)))) {
    throw RuntimeFailure(fmt::format("{} did not finish within {} s", argv[0], timeout.count()));
  }
  result.exit_code = exit_code_of(*child.wait_status());
  return result;
}

std::optional<std::filesystem::path> find_program(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;
    const std::filesystem::path candidate = std::filesystem::path(dir) / program;
    std::error_code error;
    if (std::filesystem::is_regular_file(candidate, error) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return std::nullopt;
}

void chown_tree(const std::filesystem::path& path, const std::optional<RunAs>& user) {
  if (!user) return;
  auto change = [&](const std::filesystem::path& entry) {
    if (::lchown(entry.c_str(), user->uid, user->gid) != 0) {
      throw RuntimeFailure(fmt::format("cannot give {} to user {}: {}", entry.string(), user->name,
                                       errno_text(errno)));
    }
  };
  change(path);
  if (!std::filesystem::is_directory(std::filesystem::symlink_status(path))) return;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(path)) {
    change(entry.path());
  }
}

std::optional<unsigned long long> process_start_time(pid_t pid) {
  std::ifstream stat_file(fmt::format("/proc/{}/stat", pid));
  std::string content;
  if (!stat_file || !std::getline(stat_file, content)) return std::nullopt;
  // The command name (field 2) may contain spaces and parentheses: parse after the last ')'.
  const auto close = content.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(content.substr(close + 2));
  std::string field;
  // Fields after the name start at field 3 (state); starttime is field 22.
  for (int index = 3; index <= 22; ++index) {
    if (!(fields >> field)) return std::nullopt;
  }
  return std::stoull(field);
}

}  // namespace poolbench::cluster
