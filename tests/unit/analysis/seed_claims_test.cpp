// Seed 001's behaviour table and session-latency row judged on hand-made cells.

#include "analysis/seed_claims.hpp"

#include <map>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace poolbench::analysis {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

json cell(int clients, int overflow_used, int timeouts, double wait_p99_ms) {
  return {{"id", "clients=" + std::to_string(clients)},
          {"status", "ok"},
          {"params",
           {{"pool_size", 20},
            {"max_overflow", 10},
            {"pool_timeout_s", 30.0},
            {"workload.clients", std::to_string(clients)}}},
          {"summary",
           {{"timeouts", timeouts},
            {"pool", {{"max_overflow_used", overflow_used}}},
            {"checkout_wait_ms", {{"p50", 0.2}, {"p99", wait_p99_ms}, {"max", 3 * wait_p99_ms}}}}}};
}

TEST(SeedClaims, TheBehaviourTableRowsAreJudgedByConcurrency) {
  const json results = {{"scenario", {{"workload", {{"mode", "closed"}, {"clients", 15}}}}},
                        {"cells",
                         {cell(15, 0, 0, 2.0), cell(25, 5, 0, 4.0), cell(40, 10, 0, 500.0),
                          cell(45, 10, 12, 30000.0)}}};
  const json claims = seed_claims(results);
  ASSERT_EQ(claims.size(), 4u);  // three behaviour rows + the session row
  EXPECT_EQ(claims[0]["row"], "Low traffic (< 20 concurrent)");
  EXPECT_EQ(claims[0]["cells"][0]["verdict"], "holds");
  EXPECT_EQ(claims[1]["cells"][0]["verdict"], "holds");
  // 40 clients waited but none timed out: the row's "then fail" did not happen.
  EXPECT_EQ(claims[2]["cells"][0]["verdict"], "differs");
  EXPECT_THAT(claims[2]["cells"][0]["evidence"].get<std::string>(), HasSubstr("does not fail"));
  EXPECT_EQ(claims[2]["cells"][1]["verdict"], "holds");
  EXPECT_EQ(claims[3]["row"], "Get session from pool");
  EXPECT_EQ(claims[3]["cells"].size(), 1u);  // only the cell whose pool had room
}

TEST(SeedClaims, OverflowBelowTwentyOrNoneAboveItDiffers) {
  const json results = {{"scenario", {{"workload", {{"mode", "closed"}}}}},
                        {"cells", {cell(15, 3, 0, 2.0), cell(25, 0, 0, 1.0)}}};
  const json claims = seed_claims(results);
  EXPECT_EQ(claims[0]["cells"][0]["verdict"], "differs");
  EXPECT_EQ(claims[1]["cells"][0]["verdict"], "differs");
}

TEST(SeedClaims, OtherPoolsSpeakOnlyToTheSessionRow) {
  json other = cell(4, 0, 0, 0.5);
  other["params"]["pool_size"] = 8;
  other["params"]["max_overflow"] = 0;
  const json claims = seed_claims({{"cells", {other}}});
  ASSERT_EQ(claims.size(), 1u);
  EXPECT_EQ(claims[0]["table"], "Typical Latencies");
}

TEST(SeedClaims, ACellRunningOneOperationAloneIsJudgedAgainstTheLatencyTable) {
  const json scenario = {
      {"workload", {{"mode", "closed"}, {"clients", 4}, {"mix", "none"}}},
      {"request", {{"app_time", "0s"}}},
      {"transactions",
       {{{"name", "read"},
         {"weight", 1.0},
         {"script", "\\set aid random(1, 10)\nSELECT abalance FROM a WHERE aid = :aid;\n"}},
        {{"name", "pay"},
         {"weight", 1.0},
         {"script", "BEGIN;\nUPDATE a SET b = b + 1 WHERE aid = 1;\nEND;\n"}},
        {{"name", "slow"}, {"weight", 1.0}, {"script", "SELECT 1;\n\\sleep 5ms\n"}}}},
      {"mixes",
       {{"reads", {{"read", 1.0}, {"pay", 0.0}, {"slow", 0.0}}},
        {"payments", {{"read", 0.0}, {"pay", 1.0}, {"slow", 0.0}}},
        {"sleeping", {{"read", 0.0}, {"pay", 0.0}, {"slow", 1.0}}}}}};
  auto with_mix = [](json c, const char* mix, double p50_ms) {
    c["params"]["workload.mix"] = mix;
    c["summary"]["latency_ms"] = {{"p50", p50_ms}, {"p99", 2 * p50_ms}};
    return c;
  };
  const json base = cell(4, 0, 0, 0.5);
  const json results = {{"scenario", scenario},
                        {"cells",
                         {with_mix(base, "reads", 0.4), with_mix(base, "payments", 12.0),
                          with_mix(base, "sleeping", 6.0)}}};
  const json claims = seed_claims(results);
  std::map<std::string, std::string> verdicts;
  for (const auto& claim : claims) {
    verdicts[claim["row"]] = claim["cells"][0]["verdict"];
  }
  EXPECT_EQ(verdicts["Simple SELECT by ID"], "holds");       // 0.4 ms <= 3 ms
  EXPECT_EQ(verdicts["Transaction commit"], "differs");      // 12 ms > 10 ms
  EXPECT_EQ(verdicts.count("Health check (SELECT 1)"), 0u);  // it sleeps: not the statement's
}

TEST(SeedClaims, AReportQueryIsNotASimpleSelectById) {
  auto results_for = [](const char* sql) {
    const json scenario = {{"workload", {{"mode", "closed"}, {"clients", 4}, {"mix", "none"}}},
                           {"request", {{"app_time", "0s"}}},
                           {"transactions", {{{"name", "q"}, {"weight", 1.0}, {"script", sql}}}}};
    json c = cell(4, 0, 0, 0.5);
    c["summary"]["latency_ms"] = {{"p50", 0.4}, {"p99", 0.8}};
    return json{{"scenario", scenario}, {"cells", {c}}};
  };
  auto rows = [](const json& claims) {
    std::vector<std::string> out;
    for (const auto& claim : claims) out.push_back(claim["row"]);
    return out;
  };
  EXPECT_THAT(rows(seed_claims(results_for("SELECT b FROM a WHERE aid = :aid;\n"))),
              ::testing::Contains("Simple SELECT by ID"));
  for (const char* report : {"SELECT aid FROM a WHERE aid BETWEEN 1 AND 9 ORDER BY f OFFSET 8;\n",
                             "SELECT b, count(*) FROM a WHERE c = 1 GROUP BY b;\n"}) {
    EXPECT_THAT(rows(seed_claims(results_for(report))),
                ::testing::Not(::testing::Contains("Simple SELECT by ID")))
        << report;
  }
}

TEST(SeedClaims, ProfileRowsNeedRepetitionsAndRangesThatDoNotOverlap) {
  auto run = [](const char* profile, double p50_ms, const char* mix) {
    return json{
        {"id", std::string(profile) + "-" + mix},
        {"status", "ok"},
        {"params", {{"profile", profile}, {"server.profile", profile}, {"workload.mix", mix}}},
        {"summary", {{"latency_ms", {{"p50", p50_ms}}}}}};
  };
  const json results = {{"cells",
                         {run("ssd", 20, "scan"), run("ssd", 22, "scan"), run("hdd", 30, "scan"),
                          run("hdd", 33, "scan"),  // apart: holds
                          run("ssd", 25, "join"), run("ssd", 31, "join"), run("hdd", 30, "join"),
                          run("hdd", 40, "join"),                             // overlap
                          run("ssd", 50, "once"), run("hdd", 10, "once")}}};  // one each
  const json claims = seed_claims(results);
  json row;
  for (const auto& claim : claims) {
    if (claim["table"] == "Query Planner") row = claim;
  }
  ASSERT_TRUE(row.is_object()) << claims.dump();
  std::map<std::string, std::string> by_mix;
  for (const auto& cell : row["cells"]) {
    by_mix[cell["id"].get<std::string>()] = cell["verdict"].get<std::string>();
  }
  EXPECT_EQ(by_mix["ssd-scan"], "holds");
  EXPECT_EQ(by_mix["ssd-join"], "inconclusive");
  EXPECT_EQ(by_mix["ssd-once"], "inconclusive");  // 50 vs 10, but one sample a side
}

}  // namespace
}  // namespace poolbench::analysis
