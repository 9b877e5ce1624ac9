// The shipped scenarios/read_heavy.yaml, shortened to 5 s at scale 1, end to end against an
// embedded PostgreSQL: it succeeds, balances, and its results.json validates.

#include <gtest/gtest.h>

#include "cli/run_fixture.hpp"

namespace {

using poolbench::testing::validate_results_schema;

class RunReadHeavy : public poolbench::testing::RunFixture {};

TEST_F(RunReadHeavy, FiveSecondsAtScaleOneMeetItsSloAndWriteValidResults) {
  const auto result = run({"scenarios/read_heavy.yaml", "--set", "workload.duration=5s", "--set",
                           "workload.warmup=1s", "--set", "dataset.scale=1"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("pgbench tables created at scale 1"), std::string::npos) << result.err;
  const auto validate = validate_results_schema(m_out / "results.json");
  EXPECT_EQ(validate.exit_code, 0) << validate.err;

  const auto json = results();
  const auto& cell = json["cells"][0];
  const auto& s = cell["summary"];
  EXPECT_EQ(cell["status"], "ok");
  EXPECT_EQ(s["requests"].get<long>(), s["completed"].get<long>() + s["timeouts"].get<long>() +
                                           s["errors"].get<long>() + s["dropped"].get<long>());
  EXPECT_GT(s["completed"].get<long>(), 0);
  EXPECT_EQ(s["timeouts"].get<long>(), 0);  // its slo: timeout_rate 0
  EXPECT_EQ(s["errors"].get<long>(), 0) << s["errors_by_sqlstate"];
  EXPECT_NEAR(s["duration_s"].get<double>(), 5.0, 0.5);
  EXPECT_EQ(json["scenario"]["name"], "read_heavy");
  EXPECT_EQ(json["scenario"]["dataset"]["scale"], 1);
  EXPECT_EQ(cell["params"]["pool_size"], 30);
  EXPECT_EQ(cell["params"]["max_overflow"], 5);
  // 16 clients never need more than 16 of the 30 + 5 connections.
  EXPECT_LE(s["pool"]["max_checked_out"].get<int>(), 16);
}

}  // namespace
