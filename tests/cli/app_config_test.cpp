// `--app-config config.yaml` (the seeds' application config): pool settings from its keys,
// their ${VAR:-default} expansion and the DATABASE_POOL_* variables, shown with where each
// came from, and beaten by --set (docs/cli.md: later wins).

#include <gtest/gtest.h>

#include "cli/run_fixture.hpp"

namespace {

using poolbench::testing::k_test_scenarios;
using poolbench::testing::line_starting_with;

// setup_table.yaml's pool: pool_size 2, max_overflow 1, pool_timeout 5s. No database.url:
// the run uses an embedded server.
constexpr const char* k_config =
    "database:\n"
    "  pool_size: \"${DATABASE_POOL_SIZE:-7}\"\n"
    "  max_overflow: \"${APP_CONFIG_TEST_MAX_OVERFLOW:-0}\"\n"
    "  pool_timeout: ${APP_CONFIG_TEST_POOL_TIMEOUT:-9}\n"
    "  environment_mode: dev\n";

class RunAppConfig : public poolbench::testing::RunFixture {
 protected:
  /// The "Pool settings (where each came from)" row of `setting`.
  static std::string row(const std::string& err, const std::string& setting) {
    return line_starting_with(err.substr(err.find("Pool settings (where each came from):")),
                              "  " + setting + " ");
  }
};

TEST_F(RunAppConfig, ItsExpandedValuesBeatTheScenarioAndTheTableNamesTheConfigFile) {
  const std::string config = write("config.yaml", k_config);
  const auto result = run({k_test_scenarios + "setup_table.yaml", "--app-config", config},
                          {{"DATABASE_POOL_SIZE", ""},
                           {"DATABASE_POOL_TIMEOUT", ""},
                           {"APP_CONFIG_TEST_MAX_OVERFLOW", "3"},
                           {"APP_CONFIG_TEST_POOL_TIMEOUT", ""}});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  ASSERT_NE(result.err.find("Pool settings (where each came from):"), std::string::npos)
      << result.err;
  // The ${VAR:-default} default (7, 9), and a set variable (3).
  EXPECT_EQ(row(result.err, "pool_size"),
            "  pool_size      7        " + config + ": database.pool_size");
  EXPECT_EQ(row(result.err, "max_overflow"),
            "  max_overflow   3        " + config + ": database.max_overflow");
  EXPECT_EQ(row(result.err, "pool_timeout"),
            "  pool_timeout   9s       " + config + ": database.pool_timeout");
  const auto json = results();
  EXPECT_EQ(json["scenario"]["pool"]["pool_size"], 7);
  EXPECT_EQ(json["scenario"]["pool"]["max_overflow"], 3);
  EXPECT_EQ(json["scenario"]["pool"]["pool_timeout"], "9s");
  EXPECT_EQ(json["cells"][0]["params"]["pool_size"], 7);
  EXPECT_EQ(json["cells"][0]["params"]["max_overflow"], 3);
  EXPECT_GT(json["cells"][0]["summary"]["completed"].get<long>(), 0);
}

TEST_F(RunAppConfig, SetBeatsTheConfigFileAndItsVariablesWhateverTheFlagOrder) {
  const std::string config = write("config.yaml", k_config);
  // --set comes first on the command line: precedence is by source, not by flag order.
  const auto result = run({k_test_scenarios + "setup_table.yaml", "--set", "pool.max_overflow=2",
                           "--set", "pool.pool_timeout=4s", "--app-config", config},
                          {{"DATABASE_POOL_SIZE", "5"},
                           {"DATABASE_POOL_TIMEOUT", "11"},
                           {"APP_CONFIG_TEST_MAX_OVERFLOW", "3"},
                           {"APP_CONFIG_TEST_POOL_TIMEOUT", ""}});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  // The seed's DATABASE_POOL_SIZE beats the file's key; --set beats the file and variables.
  EXPECT_EQ(row(result.err, "pool_size"), "  pool_size      5        DATABASE_POOL_SIZE");
  EXPECT_EQ(row(result.err, "max_overflow"), "  max_overflow   2        --set pool.max_overflow=2");
  EXPECT_EQ(row(result.err, "pool_timeout"),
            "  pool_timeout   4s       --set pool.pool_timeout=4s");
  const auto json = results();
  EXPECT_EQ(json["scenario"]["pool"]["pool_size"], 5);
  EXPECT_EQ(json["scenario"]["pool"]["max_overflow"], 2);
  EXPECT_EQ(json["scenario"]["pool"]["pool_timeout"], "4s");
  EXPECT_EQ(json["cells"][0]["params"]["max_overflow"], 2);
}

}  // namespace
