// poolbench plan: the seeds' example end to end, --json, bad input.

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/plan_validate.hpp"
#include "cli/run_binary.hpp"
#include "cli/run_fixture.hpp"

using poolbench::testing::run_process;

namespace {

using poolbench::testing::k_binary;

TEST(CliPlan, TheSeedsExampleGivesTwentyFiveConnectionsAndTwentyPlusTen) {
  const auto result = run_process(
      k_binary, {"plan", "--rps", "500", "--query-time", "50ms", "--request-time", "200ms"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(result.err.empty()) << result.err;
  const std::string& out = result.out;
  EXPECT_NE(out.find("500 req/s x 200ms = 100 concurrent requests"), std::string::npos) << out;
  EXPECT_NE(out.find("100 concurrent x 50ms / 200ms = 25 connections"), std::string::npos) << out;
  EXPECT_NE(out.find("pool_size 20 + max_overflow 10"), std::string::npos) << out;
  EXPECT_NE(out.find("Very high traffic (> 200 RPS)"), std::string::npos) << out;
  EXPECT_NE(out.find("database:\n  pool_size: 20\n  max_overflow: 10\n  pool_timeout: 60\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("?pool_size=20&max_overflow=10&pool_timeout=60"), std::string::npos) << out;
  EXPECT_NE(out.find("fit: max_connections = 100"), std::string::npos) << out;
}

TEST(CliPlan, JsonPrintsTheSamePlanAsOneDocument) {
  const auto result = run_process(k_binary, {"plan", "--rps", "500", "--query-time", "0.05",
                                             "--request-time", "0.2", "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto plan = nlohmann::json::parse(result.out);
  EXPECT_EQ(plan["schema"], "poolbench.plan/1");
  EXPECT_DOUBLE_EQ(plan["concurrency"].get<double>(), 100);
  EXPECT_DOUBLE_EQ(plan["seeds_formula"]["connections_needed"].get<double>(), 25);
  EXPECT_EQ(plan["recommended"]["pool_size"], 20);
  EXPECT_EQ(plan["recommended"]["max_overflow"], 10);
  EXPECT_EQ(plan["tier"]["name"], "very_high");
  EXPECT_EQ(plan["budget"]["fits"], true);
  EXPECT_EQ(plan["database_url_query"], "?pool_size=20&max_overflow=10&pool_timeout=60");
}

TEST(CliPlan, ARecommendationOverTheBoundsAndBudgetIsWarned) {
  const auto result = run_process(k_binary, {"plan", "--rps", "10000", "--query-time", "30ms",
                                             "--instances", "2", "--max-connections", "200"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("warning: outside the seeds' validation bounds: pool_size must be <= "
                            "100"),
            std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("exceed what max_connections = 200 leaves"), std::string::npos)
      << result.out;
}

TEST(CliPlan, BothReservedSettingsComeOffTheBudget) {
  // The seeds' example: 4 instances x (20 + 10) = 120 connections.
  const std::vector<std::string> args = {
      "plan",  "--rps",       "2000", "--query-time",      "50ms", "--request-time",
      "200ms", "--instances", "4",    "--max-connections", "130",  "--json"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> all = args;
    all.insert(all.end(), extra.begin(), extra.end());
    const auto result = run_process(k_binary, all);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return nlohmann::json::parse(result.out)["budget"];
  };
  const auto defaults = with({});
  EXPECT_EQ(defaults["needed"], 120);
  EXPECT_EQ(defaults["available"], 127);  // superuser_reserved_connections = 3
  EXPECT_TRUE(defaults["fits"].get<bool>());
  const auto reserved =
      with({"--superuser-reserved-connections", "5", "--reserved-connections", "6"});
  EXPECT_EQ(reserved["available"], 119);
  EXPECT_FALSE(reserved["fits"].get<bool>());
  EXPECT_NE(reserved["message"].get<std::string>().find(
                "superuser_reserved_connections = 5 + reserved_connections = 6"),
            std::string::npos)
      << reserved["message"];
}

TEST(CliPlan, BadInputExitsTwoWithOneMessageNamingTheFlag) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"plan", "--query-time", "50ms"}, "--rps and --query-time are required"},
      {{"plan", "--rps", "0", "--query-time", "50ms"}, "--rps: expected"},
      {{"plan", "--rps", "abc", "--query-time", "50ms"}, "rps"},
      {{"plan", "--rps", "10", "--query-time", "fast"}, "--query-time: expected a duration"},
      {{"plan", "--rps", "10", "--query-time", "5ms", "--timeout-rate", "2"}, "--timeout-rate"},
      {{"plan", "--rps", "10", "--query-time", "5ms", "--instances", "0"}, "--instances"},
      {{"plan", "--rps", "10", "--query-tme", "5ms"}, "did you mean '--query-time'"},
      {{"plan", "--rps", "10", "--query-time", "5ms", "--dsn", "postgresql://x@127.0.0.1/x"},
       "go with --validate"},
      {{"plan", "--rps", "10", "--query-time", "5ms", "--validate", "--validate-duration", "0s"},
       "--validate-duration: expected"},
  };
  for (const auto& c : cases) {
    const auto result = run_process(k_binary, c.args);
    EXPECT_EQ(result.exit_code, 2) << c.args.back();
    EXPECT_TRUE(result.out.empty()) << result.out;
    EXPECT_NE(result.err.find(c.message), std::string::npos) << result.err;
  }
}

TEST(CliPlan, HelpShowsTheFlagsAndTheSeedsExample) {
  const auto result = run_process(k_binary, {"plan", "--help"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_NE(result.out.find("--queries-per-request"), std::string::npos);
  EXPECT_NE(result.out.find("--rps 500 --query-time 50ms --request-time 200ms"), std::string::npos);
}

TEST(CliPlan, ValidateRunsTheRecommendationAndShowsPredictedNextToMeasured) {
  // 200 req/s holding a connection 20 ms of a 100 ms request: ~4 in use.
  const auto result = run_process(k_binary,
                                  {"plan", "--rps", "200", "--query-time", "20ms", "--request-time",
                                   "100ms", "--validate", "--validate-duration", "3s", "--json"},
                                  {{"POOLBENCH_DSN", ""}});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto json = nlohmann::json::parse(result.out);
  const auto& v = json["validation"];
  const auto& measured = v["measured"];
  EXPECT_EQ(v["server"], "embedded");
  // Every arrival of the 3 s window was served through the recommended pool, none failed,
  // and Little's law puts ~4 connections in use (the formula's prediction).
  EXPECT_EQ(measured["errors"].get<long>(), 0);
  EXPECT_GT(measured["requests"].get<long>(), 400);
  // Tolerance: the Poisson count of n arrivals varies by 1/sqrt(n) (four of those, two-sided:
  // P(false failure) < 6.4e-5 per run), and the hold is the planned 20 ms plus a SELECT
  // round trip and the check-in (up to 10 % more).
  const double predicted = v["predicted"]["connections_in_use"].get<double>();
  const double n = measured["requests"].get<double>();
  EXPECT_NEAR(measured["connections_in_use"].get<double>(), predicted,
              predicted * (4 / std::sqrt(n) + 0.1));
  if (v["invalid"].is_string()) {
    // A generator that fell behind (a loaded machine) gets no models: no measured waits.
    EXPECT_TRUE(measured["p_wait"].is_null()) << v["invalid"];
    EXPECT_TRUE(measured["mean_wait_ms"].is_null()) << v["invalid"];
  } else {
    EXPECT_GE(measured["p_wait"].get<double>(), 0.0);
    EXPECT_LE(measured["p_wait"].get<double>(), 1.0);
  }
}

TEST(CliPlan, AnInvalidValidationPrintsNoMeasuredWaitAndSaysWhy) {
  // What validate_plan returns when the run's cell is invalid: the analysis gave no models.
  const auto validation = nlohmann::json::parse(R"json({
    "server": "embedded", "interrupted": false,
    "predicted": {"connections_in_use": 4.0, "p_wait": 0.01, "mean_wait_ms": 0.2,
                  "timeout_rate": 0.0, "throughput_rps": 200.0, "slo_p99_ms": null},
    "measured": {"connections_in_use": 3.9, "p_wait": null, "mean_wait_ms": null,
                 "timeout_rate": 0.0, "throughput_rps": 199.0, "p99_latency_ms": 31.0,
                 "errors": 0, "dropped": 0, "requests": 597},
    "invalid": "the load generator fell behind: schedule lag p99 12.0 ms (limit 10 ms)"})json");
  std::ostringstream out;
  poolbench::cli::print_validation(validation, out);
  const std::string text = out.str();
  EXPECT_NE(text.find("P(wait)                            0.0100            -"), std::string::npos)
      << text;
  EXPECT_NE(text.find("INVALID: the load generator fell behind"), std::string::npos) << text;
}

}  // namespace
