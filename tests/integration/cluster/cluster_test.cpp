#include "cluster/cluster.hpp"

#include <filesystem>
#include <fstream>
#include <memory>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include "cluster/scenarios_dir.hpp"
#include "cluster/template_cache.hpp"
#include "pg/session.hpp"

namespace poolbench::cluster {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

/// One SCRAM cluster shared by the tests of this suite (a start costs ~0.2 s warm, a profile
/// change with a restart ~0.1 s; the tests leave it on the default profile).
class EmbeddedCluster : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { s_cluster = std::make_unique<Cluster>(); }
  static void TearDownTestSuite() { s_cluster.reset(); }
  static Cluster& cluster() { return *s_cluster; }
  static std::string password() {
    std::ifstream in(s_cluster->passfile());
    std::string line;
    std::getline(in, line);
    return line.substr(line.rfind(':') + 1);
  }
  static inline std::unique_ptr<Cluster> s_cluster;
};

TEST_F(EmbeddedCluster, EveryShippedProfileAppliesAndVerifies) {
  const auto entries = list_profiles(profiles_dir());
  ASSERT_EQ(entries.size(), 10U) << profiles_dir();
  for (const auto& entry : entries) {
    SCOPED_TRACE(entry.name);
    const Profile profile = load_profile(entry.name, profiles_dir());
    ApplyResult result;
    ASSERT_NO_THROW(result = cluster().apply_profile(profile));
    EXPECT_TRUE(result.all_match()) << mismatch_message(result.checks);
    EXPECT_EQ(result.checks.size(), profile.settings.size());
    auto session = pg::Session::connect(cluster().conninfo());
    EXPECT_EQ(session.query("SELECT 1").rows.size(), 1U);
  }
  const auto back = cluster().apply_profile(load_profile("default", profiles_dir()));
  EXPECT_TRUE(back.restarted);  // the last profile set postmaster settings
  auto session = pg::Session::connect(cluster().admin_conninfo());
  EXPECT_EQ(session.query("SHOW shared_buffers").rows[0][0], "128MB");
}

TEST_F(EmbeddedCluster, ComposedProfilesApplyWithTheLaterNameWinning) {
  const auto result =
      cluster().apply_profile(load_profile("hdd+ssd+wal-write-heavy", profiles_dir()));
  EXPECT_TRUE(result.all_match());
  auto session = pg::Session::connect(cluster().conninfo());
  EXPECT_EQ(session.query("SHOW random_page_cost").rows[0][0], "1.1");
  EXPECT_EQ(session.query("SHOW wal_buffers").rows[0][0], "32MB");
  cluster().apply_profile(load_profile("default", profiles_dir()));
}

TEST_F(EmbeddedCluster, SettingsThatOnlyNeedAReloadDoNotRestart) {
  const pid_t before = cluster().postmaster_pid();
  const auto result = cluster().apply_profile(load_profile("ssd", profiles_dir()));
  EXPECT_FALSE(result.restarted);
  EXPECT_EQ(cluster().postmaster_pid(), before);
  cluster().apply_profile(load_profile("default", profiles_dir()));
}

TEST_F(EmbeddedCluster, ComparingAnUnappliedProfileReportsEachMismatchByName) {
  auto session = pg::Session::connect(cluster().conninfo());
  const auto checks = compare_settings(session, load_profile("prod", profiles_dir()),
                                       cluster().catalog(), ServerKind::other);
  ASSERT_EQ(checks.size(), 6U);
  const std::string message = mismatch_message(checks);
  EXPECT_THAT(message, HasSubstr("shared_buffers: profile 512MB, server 128MB"));
  EXPECT_THAT(message, HasSubstr("max_connections: profile 200, server 100"));
  EXPECT_THAT(message, HasSubstr("prod.conf:"));
}

TEST_F(EmbeddedCluster, ScramConnectionsUseThePassfileAndAWrongPasswordFails) {
  EXPECT_EQ(cluster().conninfo().find(password()), std::string::npos);
  EXPECT_EQ(cluster().masked_dsn().find(password()), std::string::npos);
  EXPECT_EQ(fs::status(cluster().passfile()).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  auto session = pg::Session::connect(cluster().conninfo());
  EXPECT_EQ(session.query("SELECT 1").rows.size(), 1U);
  const std::string base = fmt::format(
      "host=127.0.0.1 port={} user=poolbench dbname=poolbench "
      "sslmode=disable passfile=/nonexistent",
      cluster().port());
  EXPECT_THROW(pg::Session::connect(base + " password=wrong-password"), pg::PgError);
  EXPECT_THROW(pg::Session::connect(base), pg::PgError);  // no password at all
  EXPECT_NO_THROW(pg::Session::connect(base + " password=" + password()));
}

TEST_F(EmbeddedCluster, PgStatStatementsIsAlwaysPreloaded) {
  auto session = pg::Session::connect(cluster().conninfo());
  EXPECT_THAT(session.query("SHOW shared_preload_libraries").rows[0][0].value_or(""),
              HasSubstr("pg_stat_statements"));
  EXPECT_NO_THROW(session.query("SELECT count(*) FROM pg_stat_statements"));
  // The password set at start is not recorded there.
  const auto rows =
      session.query("SELECT count(*) FROM pg_stat_statements WHERE query ~* $1", {password()});
  EXPECT_EQ(rows.rows[0][0], "0");
}

TEST_F(EmbeddedCluster, RestartKeepsThePortAndTheDsnWorking) {
  const pid_t before = cluster().postmaster_pid();
  cluster().restart();
  EXPECT_NE(cluster().postmaster_pid(), before);
  EXPECT_NO_THROW(pg::Session::connect(cluster().conninfo()).query("SELECT 1"));
}

TEST_F(EmbeddedCluster, TheSocketPathStaysUnderTheLimit) {
  const std::string socket = (cluster().socket_dir() / ".s.PGSQL.65535").string();
  EXPECT_LT(socket.size(), 107U);
  EXPECT_TRUE(socket.starts_with("/tmp/"));
}

TEST_F(EmbeddedCluster, ConnectionLimitsAreReadForTheBudgetCheck) {
  auto session = pg::Session::connect(cluster().conninfo());
  const auto budget = read_connection_limits(session);
  EXPECT_EQ(budget.max_connections, 100);
  EXPECT_EQ(budget.superuser_reserved_connections, 3);
}

TEST(EmbeddedClusterTls, SslmodeRequireConnectionsUseTls) {
  ClusterOptions options;
  options.ssl = true;
  Cluster server(options);
  EXPECT_THAT(server.conninfo(), HasSubstr("sslmode=require"));
  auto session = pg::Session::connect(server.conninfo());
  const auto rows =
      session.query("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
  EXPECT_EQ(rows.rows.at(0).at(0), "t");
  const std::string wrong = fmt::format(
      "host=127.0.0.1 port={} user=poolbench dbname=poolbench sslmode=require "
      "passfile=/nonexistent password=wrong",
      server.port());
  EXPECT_THROW(pg::Session::connect(wrong), pg::PgError);
}

TEST(EmbeddedClusterTrust, TrustModeNeedsNoPassword) {
  ClusterOptions options;
  options.auth = AuthMode::trust;
  Cluster server(options);
  EXPECT_NO_THROW(pg::Session::connect(
      fmt::format("host=127.0.0.1 port={} user=poolbench dbname=poolbench sslmode=disable "
                  "passfile=/nonexistent",
                  server.port())));
}

TEST(EmbeddedClusterStart, AProfileGivenAtStartIsVerifiedAndABadOneStartsNothing) {
  ClusterOptions options;
  options.profile = load_profile("prod", profiles_dir());
  {
    Cluster server(options);
    auto session = pg::Session::connect(server.conninfo());
    EXPECT_EQ(session.query("SHOW max_connections").rows[0][0], "200");
  }
  const fs::path bad = fs::temp_directory_path() / fmt::format("bad-{}.conf", ::getpid());
  std::ofstream(bad) << "work_mem = 4MB\nshared_bufers = 1GB\n";
  options.profile = load_profile(bad.string(), profiles_dir());
  try {
    Cluster server(options);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr(bad.string() + ":2: unknown parameter"));
  }
  // No directory of this process (named "<pid>-...") was left behind: nothing was started.
  for (const auto& entry : fs::directory_iterator(runtime_root())) {
    EXPECT_FALSE(entry.path().filename().string().starts_with(std::to_string(::getpid()) + "-"))
        << entry.path();
  }
  fs::remove(bad);
}

TEST(EmbeddedClusterStart, WarmStartsCopyTheCachedTemplate) {
  const auto binaries = find_server_binaries();
  const auto tpl = ensure_template(binaries, server_user());
  EXPECT_TRUE(fs::exists(tpl.data_dir / "PG_VERSION"));
  EXPECT_NE(tpl.catalog.find("shared_buffers"), nullptr);
  EXPECT_NE(tpl.catalog.find("pg_stat_statements.max"), nullptr);  // read with the preload
  Cluster server;
  EXPECT_EQ(server.server_version(), tpl.version);
  // Made once in the template, so present in every copy.
  auto session = pg::Session::connect(server.conninfo());
  EXPECT_EQ(session
                .query("SELECT count(*) FROM pg_extension WHERE extname = "
                       "'pg_stat_statements'")
                .rows[0][0],
            "1");
}

}  // namespace
}  // namespace poolbench::cluster
