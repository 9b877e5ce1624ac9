// analysis.plan_changes: statements whose recorded plan shape differs between profiles, with
// each profile's latency taken only from the cells whose mix runs the statement.

#include <string>

#include <gtest/gtest.h>

#include "analysis/analyze.hpp"

namespace poolbench::analysis {
namespace {

using nlohmann::json;

json plan(const std::string& transaction, int line, const std::string& fingerprint,
          const std::string& shape) {
  return {{"transaction", transaction}, {"line", line},
          {"statement", "SELECT ..."},  {"parameters", json::array()},
          {"fingerprint", fingerprint}, {"shape", shape},
          {"total_cost", 1.0},          {"plan", json::object()},
          {"reason", nullptr}};
}

/// A measured cell of `profile` running `mix`, p50 latency `p50_ms`, with `plans`.
json cell(const std::string& id, const std::string& profile, const std::string& mix, double p50_ms,
          json plans) {
  return {{"id", id},
          {"status", "ok"},
          {"params",
           {{"pool_size", 2},
            {"max_overflow", 0},
            {"pool_timeout_s", 30.0},
            {"profile", profile},
            {"server.profile", profile},
            {"workload.mix", mix}}},
          {"summary",
           {{"duration_s", 10.0},
            {"requests", 100},
            {"completed", 100},
            {"timeouts", 0},
            {"throughput_rps", 10.0},
            {"timeout_rate", 0.0},
            {"latency_ms", {{"mean", p50_ms}, {"p50", p50_ms}, {"p99", 2 * p50_ms}}},
            {"checkout_wait_ms", {{"mean", 0.0}}},
            {"hold_ms", {{"mean", p50_ms}}},
            {"pool", {{"mean_checked_out", 1.0}}}}},
          {"plans", std::move(plans)}};
}

json results(json cells) {
  return {{"schema", "poolbench.results/1"},
          {"host", {{"cores", 2}}},
          {"server", {{"embedded", true}}},
          {"scenario",
           {{"workload", {{"mode", "closed"}, {"clients", 2}, {"duration", "10s"}}},
            {"transactions",
             {{{"name", "report"}, {"script", "SELECT 1;"}},
              {{"name", "lookup"}, {"script", "SELECT 2;"}}}},
            {"mixes", {{"report", {{"report", 1}}}, {"lookup", {{"lookup", 1}}}}},
            {"pool", {{"pool_size", 2}, {"max_overflow", 0}, {"pool_timeout", "30s"}}}}},
          {"cells", std::move(cells)}};
}

/// Every cell records both statements' plans (plans are recorded for the whole scenario);
/// the report statement flips between the profiles, the lookup does not.
json two_profiles() {
  const json ssd_plans = json::array({plan("report", 1, "aaaa", "Index Scan using pk on t"),
                                      plan("lookup", 1, "cccc", "Index Only Scan using pk on t")});
  const json hdd_plans = json::array({plan("report", 1, "bbbb", "Seq Scan on t"),
                                      plan("lookup", 1, "cccc", "Index Only Scan using pk on t")});
  return results(json::array(
      {cell("0", "ssd", "report", 20.0, ssd_plans), cell("1", "ssd", "lookup", 5.0, ssd_plans),
       cell("2", "hdd", "report", 80.0, hdd_plans), cell("3", "hdd", "lookup", 6.0, hdd_plans),
       cell("4", "ssd", "report", 30.0, ssd_plans)}));
}

TEST(PlanChanges, AStatementWhosePlanDiffersBetweenProfilesIsOneChange) {
  const json changes = analyze(two_profiles(), "results.json")["plan_changes"];
  ASSERT_EQ(changes.size(), 1u) << changes.dump(2);
  const json& change = changes[0];
  EXPECT_EQ(change["transaction"], "report");
  EXPECT_EQ(change["line"], 1);
  EXPECT_EQ(change["statement"], "report line 1: SELECT ...");
  EXPECT_EQ(change["profiles"], json::array({"ssd", "hdd"}));
  EXPECT_EQ(change["fingerprints"], json::array({"aaaa", "bbbb"}));
  EXPECT_EQ(change["shapes"], json::array({"Index Scan using pk on t", "Seq Scan on t"}));
  // The mean p50 of the cells that run `report` (20 and 30 ms for ssd), not the lookups'.
  EXPECT_DOUBLE_EQ(change["latency_p50_ms"][0].get<double>(), 25.0);
  EXPECT_DOUBLE_EQ(change["latency_p50_ms"][1].get<double>(), 80.0);
  EXPECT_EQ(change["varies_within"], json::array());  // each profile's cells agree
}

TEST(PlanChanges, APlanThatChangedWithinAProfileIsNotThatProfilesDoing) {
  // The first ssd cell planned `lookup` with a Seq Scan, the later ones (after ANALYZE saw the
  // table grow) with the index, as hdd's did: the first cells differ, but not by profile.
  json results = two_profiles();
  results["cells"][0]["plans"][1] = plan("lookup", 1, "dddd", "Seq Scan on t");
  const json changes = analyze(results, "results.json")["plan_changes"];
  ASSERT_EQ(changes.size(), 2u) << changes.dump(2);
  const json& lookup = changes[1];
  EXPECT_EQ(lookup["transaction"], "lookup");
  EXPECT_EQ(lookup["fingerprints"], json::array({"dddd", "cccc"}));
  EXPECT_EQ(lookup["varies_within"], json::array({"ssd"}));
  EXPECT_EQ(changes[0]["varies_within"], json::array());  // report: ssd's cells agree
  // The same plan in every profile's first cell, but not in all of ssd's: still reported.
  results["cells"][0]["plans"][1] = plan("lookup", 1, "cccc", "Index Only Scan using pk on t");
  results["cells"][4]["plans"][1] = plan("lookup", 1, "dddd", "Seq Scan on t");
  const json later = analyze(results, "results.json")["plan_changes"];
  ASSERT_EQ(later.size(), 2u) << later.dump(2);
  EXPECT_EQ(later[1]["varies_within"], json::array({"ssd"}));
}

TEST(PlanChanges, TheSamePlanEverywhereOrNoPlansIsNoChange) {
  json same = two_profiles();
  for (auto& c : same["cells"]) c["plans"][0]["fingerprint"] = "aaaa";
  EXPECT_TRUE(analyze(same, "results.json")["plan_changes"].empty());
  json none = two_profiles();
  for (auto& c : none["cells"]) c.erase("plans");
  EXPECT_TRUE(analyze(none, "results.json")["plan_changes"].empty());
}

TEST(PlanChanges, AStatementWithoutAPlanInOneProfileTakesNoPartThere) {
  json results = two_profiles();
  for (auto& c : results["cells"]) {
    if (c["params"]["profile"] == "hdd") {
      c["plans"][0]["fingerprint"] = nullptr;  // not explained: a reason instead
      c["plans"][0]["reason"] = "parameter $1 is NULL: no representative value";
    }
  }
  EXPECT_TRUE(analyze(results, "results.json")["plan_changes"].empty());
}

TEST(PlanChanges, AFailedCellsPlansTakeNoPartAndAProfileWithoutARunningCellHasNoLatency) {
  json results = two_profiles();
  results["cells"][2]["status"] = "failed";  // hdd's only report cell
  const json changes = analyze(results, "results.json")["plan_changes"];
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0]["profiles"], json::array({"ssd", "hdd"}));  // hdd's lookup cell has it
  EXPECT_TRUE(changes[0]["latency_p50_ms"][1].is_null());
}

}  // namespace
}  // namespace poolbench::analysis
