// The seeds' max_connections budget statements and memory rows judged on hand-made cells.

#include "analysis/budget_claims.hpp"

#include <map>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "analysis/seed_claims.hpp"

namespace poolbench::analysis {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

/// A fleet cell: `pools` instances at 20 + 10, on a server with `max_connections`.
json fleet_cell(const std::string& id, int pools, int max_connections, int refused, int peak) {
  json instances = json::array();
  for (int i = 0; i < pools; ++i) {
    instances.push_back({{"name", "svc" + std::to_string(i)},
                         {"pool_size", 20},
                         {"max_overflow", 10},
                         {"pool", {{"max_checked_out", peak / pools}}}});
  }
  json errors = json::object();
  if (refused > 0) errors["53300"] = refused;
  return {{"id", id},
          {"status", "ok"},
          {"params", {{"pool_size", 20}, {"max_overflow", 10}, {"pool_timeout_s", 30.0}}},
          {"server",
           {{"max_connections", max_connections},
            {"superuser_reserved_connections", 3},
            {"harness_connections", 2}}},
          {"summary", {{"errors_by_sqlstate", errors}, {"instances", instances}}}};
}

/// Verdicts of one claim row by cell id, or an empty map when the row is absent.
std::map<std::string, std::string> verdicts(const json& claims, const std::string& seed,
                                            const std::string& row_part) {
  std::map<std::string, std::string> out;
  for (const auto& claim : claims) {
    if (claim["seed"] != seed ||
        claim["row"].get<std::string>().find(row_part) == std::string::npos)
      continue;
    for (const auto& cell : claim["cells"]) out[cell["id"]] = cell["verdict"];
  }
  return out;
}

TEST(BudgetClaims, TheBudgetArithmeticPredictsRefusedConnections) {
  // 5 x 30 + 2 = 152: fits 200 - 3 = 197, not 100 - 3 = 97.
  const json results = {
      {"cells",
       {fleet_cell("fits", 5, 200, 0, 150), fleet_cell("refused", 5, 100, 40, 97),
        fleet_cell("fits-but-refused", 5, 200, 3, 150), fleet_cell("never-full", 5, 100, 0, 50)}}};
  const json claims = budget_claims(results);
  const auto rule = verdicts(claims, "003", "each application instance");
  EXPECT_EQ(rule.at("fits"), "holds");
  EXPECT_EQ(rule.at("refused"), "holds");
  EXPECT_EQ(rule.at("fits-but-refused"), "differs");
  EXPECT_EQ(rule.at("never-full"), "inconclusive");
  EXPECT_THAT(claims.dump(), HasSubstr("raise max_connections to at least 155"));
}

TEST(BudgetClaims, SeedFourRowsJudgeFleetsByTheirServersMaxConnections) {
  const json results = {{"cells",
                         {fleet_cell("prod", 5, 200, 0, 150), fleet_cell("default", 5, 100, 40, 97),
                          fleet_cell("small-fleet", 2, 100, 0, 60)}}};
  const json claims = budget_claims(results);
  const auto too_low = verdicts(claims, "004", "default 100");
  EXPECT_EQ(too_low.at("default"), "holds");
  EXPECT_EQ(too_low.at("small-fleet"), "differs");  // 2 x 30 + 2 = 62 fits in 97
  EXPECT_EQ(too_low.count("prod"), 0u);
  const auto prod = verdicts(claims, "004", "max_connections = 200");
  EXPECT_EQ(prod.at("prod"), "holds");
}

TEST(BudgetClaims, OnePoolThatFitsSaysNothingAndTheRunsServerIsTheFallback) {
  json single = fleet_cell("single", 1, 100, 0, 30);
  single["summary"].erase("instances");
  single.erase("server");
  json results = {{"server", {{"max_connections", 100}}}, {"cells", {single}}};
  EXPECT_TRUE(budget_claims(results).empty());
  // Four instances of that pool (4 x 30 = 120 > 97) on the run's server: judged.
  results["cells"][0]["params"]["pool.instances"] = "4";
  results["cells"][0]["summary"]["errors_by_sqlstate"] = {{"53300", 7}};
  EXPECT_EQ(verdicts(budget_claims(results), "003", "each application instance").at("single"),
            "holds");
}

TEST(BudgetClaims, MemoryRowsCompareProfilesAndStateTheRulesForThisHost) {
  auto run = [](const char* profile, double rps, const char* shared_buffers) {
    return json{{"id", std::string(profile) + "-" + std::to_string(static_cast<int>(rps))},
                {"status", "ok"},
                {"params", {{"profile", profile}, {"server.profile", profile}}},
                {"server",
                 {{"max_connections", 100},
                  {"memory",
                   {{"shared_buffers", shared_buffers},
                    {"effective_cache_size", "6GB"},
                    {"work_mem", "8MB"}}}}},
                {"summary", {{"throughput_rps", rps}}}};
  };
  const json results = {{"host", {{"memory_bytes", 8.0 * 1024 * 1024 * 1024}}},
                        {"cells",
                         {run("mem-8gb", 120, "2GB"), run("mem-8gb", 125, "2GB"),
                          run("default", 100, "128MB"), run("default", 104, "128MB")}}};
  const json claims = seed_claims(results);
  const auto rows = verdicts(claims, "000", "For 8GB RAM system");
  ASSERT_EQ(rows.size(), 1u) << claims.dump(2);
  EXPECT_EQ(rows.begin()->second, "holds");
  const std::string text = claims.dump();
  // On an 8GB host the 8GB row's settings are the rule's: 25% and 75% of RAM.
  EXPECT_THAT(text, HasSubstr("shared_buffers = 2GB is 25% of this host's RAM (8GB)"));
  EXPECT_THAT(text, HasSubstr("work_mem x max_connections = 8MB x 100 = 800MB"));
  EXPECT_EQ(verdicts(claims, "000", "For 16GB RAM system").size(), 0u);  // not measured
}

}  // namespace
}  // namespace poolbench::analysis
