// Every arrival accounted for, end to end against the embedded PostgreSQL: an open loop
// beyond max_in_flight drops arrivals, and a dropped arrival is a request never served (the
// SLO, the exit code, the verdicts and the report say so); a generator that cannot keep its
// schedule makes its cell invalid, shown first and judged by nothing.

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/run_fixture.hpp"

namespace {

using nlohmann::json;
using poolbench::testing::k_binary;
using poolbench::testing::k_source;
using poolbench::testing::run_process;
using ::testing::HasSubstr;

/// Open loop at 2,000 rps, at most 4 requests in flight, each holding its connection 5 ms
/// in the server: at most ~800 of the 2,000 arrivals a second can be served.
const std::string k_overloaded = R"(name: overloaded
dataset: { scale: 1 }
workload: { mode: open, rate: 2000, arrival: poisson, max_in_flight: 4, duration: 3s, warmup: 1s }
transactions:
  - name: sleep
    script: |
      SELECT pg_sleep(0.005);
pool: { pool_size: 4, max_overflow: 0, pool_timeout: 5s }
slo: { timeout_rate: 0 }
)";

class Accounting : public poolbench::testing::RunFixture {
 protected:
  poolbench::testing::ProcessResult matrix(std::vector<std::string> args) {
    args.insert(args.begin(), "matrix");
    for (const char* extra : {"--out", m_out.c_str(), "--settle", "0s"}) args.push_back(extra);
    return run_process(k_binary, args, {{"POOLBENCH_DSN", ""}}, k_source);
  }
};

TEST_F(Accounting, AnOpenLoopThatDropsArrivalsMissesTheSloAndIsNeverAdequate) {
  const auto result = run({write("overloaded.yaml", k_overloaded), "--quiet"});
  // Before drops counted: exit 0, "adequate", with ~4,300 of ~6,000 arrivals never served.
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  EXPECT_THAT(result.err, HasSubstr("SLO missed: slo.drop_rate: limit 0, measured 0."));
  EXPECT_THAT(result.out, HasSubstr("drop_rate"));
  const json results = this->results();
  const json& cell = results["cells"][0];
  const json& s = cell["summary"];
  // Served <= 4 in flight x 3 s / 5 ms = 2,400; dropped = requests - served - timeouts -
  // errors. Dropping at most a quarter needs requests <= 3,200 (with no timeouts or errors),
  // 36 standard deviations under the Poisson mean of 6,000 arrivals in 3 s: a false failure
  // with probability < 1e-100 per run.
  EXPECT_GT(s["dropped"].get<long>(), s["requests"].get<long>() / 4) << s.dump();
  EXPECT_EQ(s["requests"].get<long>(), s["completed"].get<long>() + s["timeouts"].get<long>() +
                                           s["errors"].get<long>() + s["dropped"].get<long>());
  EXPECT_EQ(results["scenario"]["slo"]["drop_rate"], 0.0);
  EXPECT_EQ(results["scenario"]["slo"]["error_rate"], 0.0);
  const json& judged = results["analysis"]["cells"][0];
  EXPECT_NE(judged["verdict"], "adequate") << judged.dump();
  EXPECT_NE(judged["verdict"], "oversized") << judged.dump();
  // On a machine too loaded to keep 2,000 arrivals a second on schedule the cell is invalid
  // (its own test below); otherwise the drops make it undersized.
  if (!cell.contains("invalid")) {
    EXPECT_EQ(judged["verdict"], "undersized") << judged.dump();
    EXPECT_EQ(judged["met"], false);
    EXPECT_THAT(judged["reasons"].dump(), HasSubstr("arrivals dropped")) << judged.dump();
  }
  const auto validate = poolbench::testing::validate_results_schema(m_out / "results.json");
  EXPECT_EQ(validate.exit_code, 0) << validate.err;
  // The report shows the drops: a column in summary.md and index.html, and a finding.
  const std::string md = poolbench::testing::read_file(m_out / "summary.md");
  EXPECT_THAT(md, HasSubstr("| rps | p99 ms | timeouts | dropped | errors | verdict |"));
  EXPECT_THAT(md, HasSubstr("cells dropped arrivals"));
  EXPECT_THAT(poolbench::testing::read_file(m_out / "index.html"),
              HasSubstr("<th class=\"n\">dropped</th>"));
}

TEST_F(Accounting, MatrixFailOnSloCountsDroppedArrivals) {
  const std::string scenario = write("overloaded.yaml", k_overloaded);
  const std::vector<std::string> args = {scenario, "--set", "workload.duration=2s", "--set",
                                         "workload.warmup=500ms"};
  auto result = matrix(args);
  EXPECT_EQ(result.exit_code, 0) << result.err;  // a sweep's misses are findings
  EXPECT_THAT(result.out, HasSubstr("SLO MISS: drop_rate"));
  auto strict = args;
  strict.push_back("--fail-on-slo");
  strict.push_back("--fresh");
  result = matrix(strict);
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_THAT(result.err, HasSubstr("1 of 1 cells missed the scenario's slo:"));
}

TEST_F(Accounting, AGeneratorThatCannotKeepItsScheduleMarksTheCellInvalid) {
  // One worker thread asked for 3 million arrivals a second, each running 20 \set commands
  // in the loop (per_statement checkout: no connection, nothing else to wait for): it cannot
  // start them on time, so arrivals start ever later (seconds by the end).
  std::string script;
  for (int i = 0; i < 20; ++i) script += "      \\set v" + std::to_string(i) + " random(1, 1000)\n";
  const std::string scenario = write("flood.yaml", R"(name: flood
dataset: { scale: 1 }
workload: { mode: open, rate: 3000000, arrival: uniform, max_in_flight: 100, duration: 1s, warmup: 0s }
request: { checkout: per_statement }
transactions:
  - name: compute
    script: |
)" + script + R"(pool: { pool_size: 1, max_overflow: 0 }
slo: { timeout_rate: 0 }
)");
  const auto result = run({scenario, "--threads", "1", "--quiet"});
  ASSERT_TRUE(result.exit_code == 0 || result.exit_code == 1) << result.err;
  const json results = this->results();
  const json& cell = results["cells"][0];
  ASSERT_TRUE(cell.contains("invalid")) << cell["summary"].dump();
  const std::string reason = cell["invalid"]["reason"].get<std::string>();
  EXPECT_THAT(reason, HasSubstr("the load generator fell behind: "));
  EXPECT_GT(cell["summary"]["schedule_lag_ms"]["p99"].get<double>(), 10.0);
  // Shown first, with the reason; judged by nothing.
  const auto invalid_at = result.out.find("INVALID: the load generator fell behind");
  ASSERT_NE(invalid_at, std::string::npos) << result.out;
  EXPECT_LT(invalid_at, result.out.find("status ")) << result.out;
  EXPECT_EQ(results["analysis"]["cells"][0]["verdict"], "invalid");
  EXPECT_FALSE(results["analysis"]["cells"][0].contains("erlang_c"));
  EXPECT_THAT(poolbench::testing::read_file(m_out / "summary.md"),
              HasSubstr("**Invalid cells.** 1 of 1 cells"));
  EXPECT_THAT(poolbench::testing::read_file(m_out / "index.html"),
              HasSubstr("<b>Invalid cells.</b>"));
  const auto validate = poolbench::testing::validate_results_schema(m_out / "results.json");
  EXPECT_EQ(validate.exit_code, 0) << validate.err;
}

}  // namespace
