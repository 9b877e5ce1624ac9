#include <filesystem>
#include <fstream>
#include <map>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cluster/binaries.hpp"
#include "cluster/scenarios_dir.hpp"
#include "util/error.hpp"

namespace poolbench::cluster {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

/// A fake file system root with server bin directories made of empty executables.
class Discovery : public ::testing::Test {
 protected:
  void SetUp() override {
    m_root = fs::temp_directory_path() /
             ("poolbench-discovery-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(m_root / "versions");
  }
  void TearDown() override { fs::remove_all(m_root); }

  fs::path make_bindir(const std::string& relative, bool complete = true) {
    const fs::path dir = m_root / relative;
    fs::create_directories(dir);
    for (const char* name : {"postgres", "initdb"}) {
      if (!complete && std::string(name) == "initdb") continue;
      std::ofstream(dir / name) << "#!/bin/sh\n";
      ::chmod((dir / name).c_str(), 0755);
    }
    return dir;
  }

  DiscoveryEnv env() {
    DiscoveryEnv env;
    env.getenv = [this](const std::string& name) -> std::optional<std::string> {
      const auto found = m_env.find(name);
      if (found == m_env.end()) return std::nullopt;
      return found->second;
    };
    env.pg_config_bindir = [this] { return m_pg_config; };
    env.versions_root = m_root / "versions";
    return env;
  }

  fs::path m_root;
  std::map<std::string, std::string> m_env;
  std::optional<std::string> m_pg_config;
};

TEST_F(Discovery, TheEnvironmentVariableComesFirst) {
  const auto explicit_dir = make_bindir("custom/bin");
  m_pg_config = make_bindir("pgconfig/bin").string();
  make_bindir("versions/16/bin");
  m_env["POOLBENCH_PG_BINDIR"] = explicit_dir.string();
  const auto found = find_server_binaries(env());
  EXPECT_EQ(found.bindir, explicit_dir);
  EXPECT_EQ(found.found_by, "POOLBENCH_PG_BINDIR");
}

TEST_F(Discovery, ABadEnvironmentVariableIsAnInputErrorNotSilentlySkipped) {
  m_env["POOLBENCH_PG_BINDIR"] = make_bindir("half/bin", false).string();
  make_bindir("versions/15/bin");
  EXPECT_THROW(find_server_binaries(env()), InputError);
}

TEST_F(Discovery, PgConfigComesSecondWhenItHoldsTheServer) {
  m_pg_config = make_bindir("pgconfig/bin").string();
  make_bindir("versions/16/bin");
  EXPECT_EQ(find_server_binaries(env()).found_by, "pg_config --bindir");
}

TEST_F(Discovery, PgConfigWithoutServerBinariesFallsThroughToTheNewestVersion) {
  m_pg_config = make_bindir("client-only/bin", false).string();
  make_bindir("versions/9.6/bin");
  make_bindir("versions/15/bin");
  make_bindir("versions/13/bin");
  make_bindir("versions/17/bin", false);  // incomplete: skipped
  EXPECT_EQ(find_server_binaries(env()).bindir, m_root / "versions/15/bin");
}

TEST_F(Discovery, NothingFoundSaysWhatToInstallWithExitThree) {
  try {
    find_server_binaries(env());
    FAIL() << "expected RuntimeFailure";
  } catch (const RuntimeFailure& e) {
    EXPECT_EQ(e.exit_code(), ExitCode::runtime_failure);
    EXPECT_THAT(e.what(), HasSubstr("apt-get install postgresql"));
    EXPECT_THAT(e.what(), HasSubstr("--dsn"));
  }
}

TEST(ServerVersion, IsReadFromPostgresVersionOutput) {
  EXPECT_EQ(parse_postgres_version("postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n"),
            "15.18");
  EXPECT_EQ(parse_postgres_version("postgres (PostgreSQL) 17beta1\n"), "17beta1");
  EXPECT_THROW(parse_postgres_version("something else"), RuntimeFailure);
}

TEST_F(Discovery, ScenariosDirPrefersTheVariableThenTheExecutablesNeighbourhood) {
  const fs::path exe = m_root / "build" / "poolbench";
  fs::create_directories(m_root / "build");
  fs::create_directories(m_root / "scenarios");
  auto no_env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  EXPECT_EQ(scenarios_dir(no_env, exe), (m_root / "scenarios").lexically_normal());
  auto with_env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "POOLBENCH_SCENARIOS_DIR") return "/somewhere/scenarios";
    return std::nullopt;
  };
  EXPECT_EQ(scenarios_dir(with_env, exe), fs::path("/somewhere/scenarios"));
  fs::remove_all(m_root / "scenarios");
  fs::create_directories(m_root / "share" / "poolbench" / "scenarios");
  EXPECT_EQ(scenarios_dir(no_env, exe),
            (m_root / "share" / "poolbench" / "scenarios").lexically_normal());
  fs::remove_all(m_root / "share");
  // Nothing next to the binary: the source tree's scenarios/ baked in at build time.
  EXPECT_TRUE(fs::is_directory(scenarios_dir(no_env, exe) / "profiles"));
}

}  // namespace
}  // namespace poolbench::cluster
