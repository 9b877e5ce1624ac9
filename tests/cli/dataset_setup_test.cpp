// `dataset.setup`: a scenario that brings its own SQL instead of the pgbench tables.

#include <filesystem>

#include <gtest/gtest.h>

#include "cli/run_fixture.hpp"

namespace {

namespace fs = std::filesystem;
using poolbench::testing::k_test_scenarios;

class RunDatasetSetup : public poolbench::testing::RunFixture {};

TEST_F(RunDatasetSetup, CreatesTheScenariosOwnTableWhichEveryRequestThenReads) {
  const auto result = run({k_test_scenarios + "setup_table.yaml"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("dataset.setup ran in"), std::string::npos) << result.err;
  EXPECT_EQ(result.err.find("pgbench tables"), std::string::npos) << result.err;
  const auto json = results();
  const auto& s = json["cells"][0]["summary"];
  // Each request divides by the rows it finds for a random key of the table: a missing table
  // or row would be an error (42P01, 22012).
  EXPECT_GT(s["completed"].get<long>(), 0);
  EXPECT_EQ(s["errors"].get<long>(), 0) << s["errors_by_sqlstate"];
  EXPECT_EQ(s["requests"].get<long>(), s["completed"].get<long>() + s["timeouts"].get<long>() +
                                           s["errors"].get<long>() + s["dropped"].get<long>());
  EXPECT_NE(json["scenario"]["dataset"]["setup"].get<std::string>().find("CREATE TABLE"),
            std::string::npos);
}

TEST_F(RunDatasetSetup, SetupSqlTheServerRejectsIsBadInputNamingTheFileKeyAndError) {
  const auto result = run({k_test_scenarios + "bad_setup.yaml"});
  // The scenario's SQL is wrong, not the server: exit 2, nothing measured, nothing written.
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_NE(result.err.find("bad_setup.yaml:4:10: dataset.setup: the server rejected the setup SQL "
                            "(SQLSTATE 42P01)"),
            std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("no_such_table"), std::string::npos) << result.err;
  EXPECT_EQ(result.err.find("Running bad_setup"), std::string::npos) << result.err;
  EXPECT_EQ(result.err.find("internal error"), std::string::npos) << result.err;
  EXPECT_FALSE(fs::exists(m_out));
}

}  // namespace
