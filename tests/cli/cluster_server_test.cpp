#include <filesystem>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/run_binary.hpp"
#include "cli/run_fixture.hpp"
#include "pg/session.hpp"

// `poolbench server`: prints a DSN that works and holds no secret, and stops (removing its
// data) on SIGINT.

namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

using poolbench::testing::k_binary;

/// The value after "  <label>: " in `text`.
std::string field(const std::string& text, const std::string& label) {
  const auto start = text.find("  " + label + ":");
  if (start == std::string::npos) return {};
  const auto value = text.find_first_not_of(' ', start + label.size() + 3);
  return text.substr(value, text.find('\n', value) - value);
}

TEST(CliServer, PrintsAWorkingSecretFreeDsnAndStopsCleanlyOnSigint) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::close(fds[0]);
    ::execl(k_binary.c_str(), k_binary.c_str(), "server", "--profile", "ssd",
            static_cast<char*>(nullptr));
    _exit(127);
  }
  ::close(fds[1]);
  std::string out;
  char c = 0;
  while (out.find("Ctrl-C") == std::string::npos && ::read(fds[0], &c, 1) == 1) out += c;

  const std::string conninfo = field(out, "conninfo");
  const fs::path data = field(out, "data");
  ASSERT_FALSE(conninfo.empty()) << out;
  EXPECT_THAT(field(out, "DSN"), HasSubstr("postgresql://poolbench@127.0.0.1:"));
  EXPECT_THAT(field(out, "DSN"), HasSubstr("passfile="));
  EXPECT_THAT(conninfo, Not(HasSubstr("password")));
  auto session = poolbench::pg::Session::connect(conninfo);
  EXPECT_EQ(session.query("SHOW random_page_cost").rows.at(0).at(0), "1.1");
  session = poolbench::pg::Session::connect(conninfo);  // a second client works too
  EXPECT_TRUE(fs::exists(data));

  ::kill(pid, SIGINT);
  int status = 0;
  ::waitpid(pid, &status, 0);
  while (::read(fds[0], &c, 1) == 1) out += c;
  ::close(fds[0]);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_THAT(out, HasSubstr("Stopped."));
  EXPECT_FALSE(fs::exists(data.parent_path())) << data;
}

TEST(CliServer, BadFlagsExitTwo) {
  using poolbench::testing::run_process;
  EXPECT_EQ(run_process(k_binary, {"server", "--auth", "md5"}).exit_code, 2);
  EXPECT_EQ(run_process(k_binary, {"server", "--port", "0"}).exit_code, 2);
  EXPECT_EQ(run_process(k_binary, {"server", "--profile", "nope"}).exit_code, 2);
  const auto help = run_process(k_binary, {"server", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("Examples:"));
}

}  // namespace
