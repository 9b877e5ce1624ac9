#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "cli/run_binary.hpp"
#include "cli/run_fixture.hpp"
#include "cluster/cluster.hpp"

// `poolbench profiles list | show | check` end to end: exit codes, output, and that no
// password ever reaches stdout or stderr.

namespace {

namespace fs = std::filesystem;
using poolbench::testing::run_process;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

using poolbench::testing::k_binary;
const std::map<std::string, std::string> k_no_dsn = {{"POOLBENCH_DSN", ""}};

/// An empty working directory per test, to prove nothing is written.
class ProfilesCli : public ::testing::Test {
 protected:
  void SetUp() override {
    m_dir = fs::temp_directory_path() /
            ("poolbench-cli-profiles-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(m_dir);
  }
  void TearDown() override { fs::remove_all(m_dir); }
  bool dir_is_empty() const { return fs::is_empty(m_dir); }
  fs::path m_dir;
};

TEST_F(ProfilesCli, ListShowsEveryShippedProfileWithItsDescription) {
  const auto result = run_process(k_binary, {"profiles", "list"}, k_no_dsn, m_dir.string());
  EXPECT_EQ(result.exit_code, 0) << result.err;
  for (const char* name : {"default", "ssd", "hdd", "mem-8gb", "mem-16gb", "wal-write-heavy",
                           "wal-read-heavy", "parallel", "prod", "prod-hardened"}) {
    EXPECT_THAT(result.out, HasSubstr(std::string("  ") + name + " ")) << name;
  }
  EXPECT_THAT(result.out, HasSubstr("random_page_cost 1.1"));
  EXPECT_TRUE(dir_is_empty());
}

TEST_F(ProfilesCli, ShowPrintsResolvedNormalizedSettings) {
  const auto result = run_process(k_binary, {"profiles", "show", "prod"}, k_no_dsn);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("shared_buffers"));
  EXPECT_THAT(result.out, HasSubstr("512MB"));
  EXPECT_THAT(result.out, HasSubstr("restart"));
  EXPECT_THAT(result.out, HasSubstr("prod.conf:"));
}

TEST_F(ProfilesCli, HelpTeachesWithExamples) {
  const auto result = run_process(k_binary, {"profiles", "--help"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_THAT(result.out, HasSubstr("Examples:"));
  EXPECT_THAT(result.out, HasSubstr("poolbench profiles check ssd+wal-write-heavy"));
  EXPECT_THAT(result.out, HasSubstr("--dsn"));
}

TEST_F(ProfilesCli, UnknownProfileOrActionExitsTwo) {
  auto result = run_process(k_binary, {"profiles", "show", "sssd"}, k_no_dsn);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("did you mean 'ssd'"));
  result = run_process(k_binary, {"profiles", "frob"});
  EXPECT_EQ(result.exit_code, 2);
  result = run_process(k_binary, {"profiles", "check"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("missing NAME"));
}

TEST_F(ProfilesCli, BadProfileFileExitsTwoNamingFileAndLineAndWritesNothing) {
  const fs::path bad = m_dir / "bad.conf";
  std::ofstream(bad) << "# mine\nrandom_page_cost = 1.1\nwork_mem = 12XB\n";
  for (const char* action : {"show", "check"}) {
    const auto result =
        run_process(k_binary, {"profiles", action, bad.string()}, k_no_dsn, m_dir.string());
    EXPECT_EQ(result.exit_code, 2) << action;
    EXPECT_THAT(result.err, HasSubstr(bad.string() + ":3: invalid value for parameter "
                                                     "\"work_mem\""));
    EXPECT_TRUE(result.out.empty()) << result.out;
  }
  fs::remove(bad);
  EXPECT_TRUE(dir_is_empty());
  const auto missing =
      run_process(k_binary, {"profiles", "check", (m_dir / "none.conf").string()}, k_no_dsn);
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("none.conf: cannot read"));
}

TEST_F(ProfilesCli, CheckSsdOnTheEmbeddedServerExitsZeroAndPrintsEachSetting) {
  const auto result = run_process(k_binary, {"profiles", "check", "ssd"}, k_no_dsn, m_dir.string());
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_THAT(result.out, HasSubstr("embedded PostgreSQL"));
  EXPECT_THAT(result.out, ContainsRegex("random_page_cost +1\\.1 +1\\.1 +yes"));
  EXPECT_THAT(result.out, HasSubstr("all 2 settings match"));
  EXPECT_THAT(result.out, HasSubstr("Memory rules"));
  EXPECT_TRUE(dir_is_empty());
}

/// A server with a password the test knows: the cluster's own, read from its passfile.
class ProfilesCliWithServer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    s_cluster = std::make_unique<poolbench::cluster::Cluster>();
    std::ifstream in(s_cluster->passfile());
    std::string line;
    std::getline(in, line);
    s_password = line.substr(line.rfind(':') + 1);
  }
  static void TearDownTestSuite() { s_cluster.reset(); }
  static std::string url(const std::string& password) {
    return "postgresql://poolbench:" + password +
           "@127.0.0.1:" + std::to_string(s_cluster->port()) + "/poolbench?sslmode=disable";
  }
  static inline std::unique_ptr<poolbench::cluster::Cluster> s_cluster;
  static inline std::string s_password;
};

TEST_F(ProfilesCliWithServer, CheckWithDsnComparesOnlyAndNeverPrintsThePassword) {
  ASSERT_GE(s_password.size(), 16U);
  // The server runs PostgreSQL's defaults: ssd does not match (exit 1), default does.
  auto result = run_process(k_binary, {"profiles", "check", "ssd", "--dsn", url(s_password)});
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  EXPECT_THAT(result.out, ContainsRegex("random_page_cost +1\\.1 +4 +NO"));
  EXPECT_THAT(result.out, HasSubstr("poolbench:****@127.0.0.1"));
  EXPECT_THAT(result.out + result.err, Not(HasSubstr(s_password)));

  result =
      run_process(k_binary, {"profiles", "check", "default"}, {{"POOLBENCH_DSN", url(s_password)}});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_THAT(result.out + result.err, Not(HasSubstr(s_password)));
}

TEST_F(ProfilesCliWithServer, FailedConnectionsNeverPrintThePassword) {
  const std::string secret = "Wr0ngSecretPassw0rd";
  auto result = run_process(k_binary, {"profiles", "check", "ssd", "--dsn", url(secret)});
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_THAT(result.out + result.err, Not(HasSubstr(secret)));
  // Unreachable port.
  result = run_process(k_binary, {"profiles", "check", "ssd"},
                       {{"POOLBENCH_DSN", "postgresql://u:" + secret + "@127.0.0.1:1/db"}});
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_THAT(result.out + result.err, Not(HasSubstr(secret)));
  // A bad profile with a DSN: exit 2 after reading the server's parameters, still no secret.
  result = run_process(k_binary, {"profiles", "check", "nope", "--dsn", url(s_password)});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.out + result.err, Not(HasSubstr(s_password)));
}

}  // namespace
