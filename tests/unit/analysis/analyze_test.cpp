#include "analysis/analyze.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <gtest/gtest.h>
#include <unistd.h>

#include "analysis/finite_source.hpp"
#include "cli/run_binary.hpp"
#include "metrics/hdr_codec.hpp"
#include "metrics/hdr_histogram.hpp"
#include "unit/analysis/cell_by_id.hpp"
#include "util/error.hpp"

namespace poolbench::analysis {
namespace {

using nlohmann::json;

/// A closed-loop cell with just what analyze() reads.
json cell(const std::string& id, int pool_size, int max_overflow, long long timeouts, double p99_ms,
          const std::string& profile = "ssd", const std::string& status = "ok") {
  const long long completed = 1000;
  const long long requests = completed + timeouts;
  return {{"id", id},
          {"status", status},
          {"params",
           {{"pool_size", pool_size},
            {"max_overflow", max_overflow},
            {"pool_timeout_s", 1.0},
            {"profile", profile},
            {"pool.pool_size", std::to_string(pool_size)},
            {"pool.max_overflow", std::to_string(max_overflow)},
            {"server.profile", profile}}},
          {"summary",
           {{"duration_s", 10.0},
            {"requests", requests},
            {"completed", completed},
            {"timeouts", timeouts},
            {"throughput_rps", 100.0 + pool_size},
            {"timeout_rate", static_cast<double>(timeouts) / static_cast<double>(requests)},
            {"latency_ms", {{"mean", 20.0}, {"p99", p99_ms}}},
            {"checkout_wait_ms", {{"mean", 1.0}}},
            {"hold_ms", {{"mean", 10.0}}},
            {"pool", {{"mean_checked_out", 1.0 + pool_size / 4.0}}}}},
          {"timeseries",
           json::array(
               {{{"t_s", 0}, {"checked_out", pool_size * 0.95}, {"overflow", 0.0}, {"invalid", 0}},
                {{"t_s", 1}, {"checked_out", 1.0}, {"overflow", 0.0}, {"invalid", 0}}})}};
}

/// Results of the embedded server on a 4-core host, whose scenario models every environment
/// of seed 003's table (workload.environment), so that every environment row applies.
json results_with(json cells) {
  return {{"schema", "poolbench.results/1"},
          {"host", {{"cores", 4}}},
          {"server", {{"embedded", true}}},
          {"scenario",
           {{"workload",
             {{"mode", "closed"},
              {"clients", 16},
              {"environment", "development+testing+staging+production"}}},
            {"pool", {{"pool_size", 5}, {"max_overflow", 0}, {"pool_timeout", "1s"}}},
            {"slo", {{"timeout_rate", 0}, {"p99_latency", "50ms"}}}}},
          {"cells", std::move(cells)}};
}

TEST(Analyze, VerdictsFollowTheSmallestPoolThatMetTheSlo) {
  const json analysis = analyze(results_with(json::array({
      cell("a", 2, 0, 40, 30),  // timeouts: undersized
      cell("b", 4, 0, 0, 80),   // p99 over 50 ms: undersized
      cell("c", 4, 2, 0, 40),   // total 6, met: the smallest that met
      cell("d", 8, 0, 0, 35),   // total 8, met: oversized
      cell("e", 2, 4, 0, 45),   // total 6 too, met: adequate (not larger than c)
      cell("f", 16, 4, 0, 0, "ssd", "failed"),
      cell("g", 2, 0, 0, 20, "hdd"),  // another group: met alone
  })));
  EXPECT_EQ(analysis["schema"], "poolbench.analysis/1");
  EXPECT_EQ(cell_by_id(analysis, "a")["verdict"], "undersized");
  EXPECT_NE(cell_by_id(analysis, "a")["reasons"][0].get<std::string>().find("40 pool timeouts"),
            std::string::npos);
  EXPECT_EQ(cell_by_id(analysis, "b")["verdict"], "undersized");
  EXPECT_NE(cell_by_id(analysis, "b")["reasons"][0].get<std::string>().find("latency p99 80.0"),
            std::string::npos);
  EXPECT_EQ(cell_by_id(analysis, "c")["verdict"], "adequate");
  EXPECT_EQ(cell_by_id(analysis, "d")["verdict"], "oversized");
  EXPECT_EQ(cell_by_id(analysis, "d")["evidence_cell"], "e");  // 2+4 sorts before 4+2
  EXPECT_EQ(cell_by_id(analysis, "e")["verdict"], "adequate");
  EXPECT_EQ(cell_by_id(analysis, "f")["verdict"], "not_measured");
  EXPECT_EQ(cell_by_id(analysis, "g")["verdict"], "adequate");

  ASSERT_EQ(analysis["groups"].size(), 2u);
  const json& ssd = analysis["groups"][0];
  EXPECT_EQ(ssd["key"], "server.profile=ssd");
  EXPECT_EQ(ssd["smallest_met"]["cell"], "e");
  EXPECT_EQ(ssd["smallest_met"]["total"], 6);
  // N = 1.5, 2, 3 (mean_checked_out): three distinct concurrencies, the USL needs four.
  EXPECT_EQ(ssd["usl"]["status"], "not_enough_points");
  EXPECT_NE(ssd["usl"]["reason"].get<std::string>().find("3 distinct concurrencies"),
            std::string::npos);
  EXPECT_FALSE(ssd["usl"]["good_fit"].get<bool>());
  EXPECT_EQ(ssd["usl"]["concurrency_source"], "pool.mean_checked_out");
  EXPECT_TRUE(ssd["erlang_c_smallest_servers"].is_null());  // closed loop
  EXPECT_EQ(ssd["hikaricp"]["connections"], 8);  // the embedded server: this host's 4 cores
  EXPECT_EQ(ssd["hikaricp"]["status"], "ok");
  EXPECT_EQ(analysis["groups"][1]["hikaricp"]["connections"], 9);  // hdd: one spindle
  EXPECT_EQ(analysis["groups"][1]["usl"]["status"], "not_enough_points");

  // Seed rows: the tier of the measured arrival rate (5040 requests in the 5 measured cells'
  // 50 s: "high", 20 + 10), larger than the smallest total that met (6), so oversized by
  // inference.
  const json& tier = ssd["seed_rows"][0];
  EXPECT_EQ(tier["table"], "traffic_tier");
  EXPECT_EQ(tier["name"], "high");
  EXPECT_EQ(tier["verdict"], "oversized");
  EXPECT_EQ(tier["basis"], "inferred");
  EXPECT_NE(tier["applies"].get<std::string>().find("measured arrival rate 100.8"),
            std::string::npos)
      << tier.dump();
  const json& testing_row = ssd["seed_rows"][2];  // testing: 5 + 5
  EXPECT_EQ(testing_row["name"], "testing");
  EXPECT_EQ(testing_row["verdict"], "oversized");

  // Closed loop: concurrency = clients; sum rule against all 16.
  const json& c = cell_by_id(analysis, "c");
  EXPECT_EQ(c["sum_rule"]["concurrent_requests"], 16.0);
  EXPECT_EQ(c["sum_rule"]["holds"], false);
  EXPECT_DOUBLE_EQ(c["seeds_formula"]["connections_needed"].get<double>(), 16 * 10.0 / 20.0);
  EXPECT_DOUBLE_EQ(c["little"]["predicted_in_use"].get<double>(), 104 * 0.010);
  EXPECT_EQ(c["erlang_c"]["status"], "not_applicable");
  // Monitoring: one of two seconds above 90% of pool_size 4 → fired; no overflow, no invalid.
  EXPECT_EQ(c["monitoring"][0]["rule"], "checked_out_over_90pct_of_pool_size");
  EXPECT_EQ(c["monitoring"][0]["fired"], true);
  EXPECT_EQ(c["monitoring"][0]["seconds_matching"], 1);
  EXPECT_EQ(c["monitoring"][1]["fired"], false);
  EXPECT_EQ(c["monitoring"][2]["fired"], false);
}

TEST(Analyze, ConnectionsTheServerRefusedMakeACellOverBudgetNotUndersized) {
  json refused = cell("r", 20, 10, 0, 30, "default");
  refused["summary"]["errors"] = 4468;
  refused["summary"]["errors_by_sqlstate"] = {{"53300", 4468}};
  const json analysis =
      analyze(results_with(json::array({refused, cell("p", 20, 10, 0, 30, "prod")})));
  const json& r = cell_by_id(analysis, "r");
  EXPECT_EQ(r["verdict"], "over_budget");
  EXPECT_FALSE(r["met"].get<bool>());
  EXPECT_NE(r["reasons"][0].get<std::string>().find("53300"), std::string::npos) << r.dump();
  EXPECT_EQ(cell_by_id(analysis, "p")["verdict"], "adequate");
}

TEST(Analyze, ACellThatDroppedArrivalsIsNeverAdequate) {
  // The case: 2,000 rps open loop, max_in_flight 4, 5 ms requests: 4,295 of 6,001
  // arrivals dropped, and every completed request fast and without a timeout.
  json dropped = cell("d", 4, 0, 0, 6);
  dropped["summary"]["requests"] = 6001;
  dropped["summary"]["completed"] = 1706;
  dropped["summary"]["dropped"] = 4295;
  json none = results_with(json::array({dropped, cell("n", 8, 0, 0, 6)}));
  none["scenario"].erase("slo");  // no slo: drops count all the same
  for (const json& results : {results_with(json::array({dropped, cell("n", 8, 0, 0, 6)})), none}) {
    const json analysis = analyze(results);
    const json& d = cell_by_id(analysis, "d");
    EXPECT_EQ(d["verdict"], "undersized") << d.dump();
    EXPECT_FALSE(d["met"].get<bool>());
    EXPECT_NE(d["reasons"].dump().find("4295 of 6001 arrivals dropped"), std::string::npos)
        << d.dump();
    // The bigger pool that met is now the smallest that met: adequate, not oversized.
    EXPECT_EQ(cell_by_id(analysis, "n")["verdict"], "adequate");
    EXPECT_EQ(analysis["groups"][0]["smallest_met"]["cell"], "n");
  }
}

TEST(Analyze, ErrorsCountAgainstTheSloErrorRateWhichDefaultsToZero) {
  json failing = cell("e", 4, 0, 0, 6);
  failing["summary"]["errors"] = 3;
  failing["summary"]["requests"] = 1003;
  failing["summary"]["errors_by_sqlstate"] = {{"57P01", 3}};
  json results = results_with(json::array({failing}));
  const json strict = analyze(results);
  EXPECT_EQ(strict["slo"]["error_rate"], 0.0);
  EXPECT_EQ(strict["slo"]["drop_rate"], 0.0);
  EXPECT_EQ(cell_by_id(strict, "e")["verdict"], "undersized");
  EXPECT_NE(cell_by_id(strict, "e")["reasons"].dump().find("slo.error_rate"), std::string::npos);
  results["scenario"]["slo"]["error_rate"] = 0.01;  // 3 of 1003 is within it
  EXPECT_EQ(cell_by_id(analyze(results), "e")["verdict"], "adequate");
  results["scenario"].erase("slo");  // no slo: any error is a miss
  EXPECT_EQ(cell_by_id(analyze(results), "e")["verdict"], "undersized");
}

TEST(Analyze, AnInvalidCellGetsNoModelNoVerdictAndCountsInNoGroup) {
  json invalid = cell("i", 2, 0, 0, 20);  // would be the smallest that met
  invalid["invalid"] = {{"reason", "the load generator fell behind: schedule lag p99 23 ms"}};
  const json analysis = analyze(results_with(json::array({invalid, cell("m", 4, 0, 0, 20)})));
  const json& i = cell_by_id(analysis, "i");
  EXPECT_EQ(i["verdict"], "invalid");
  EXPECT_TRUE(i["met"].is_null());
  EXPECT_EQ(i["reasons"][0], "the load generator fell behind: schedule lag p99 23 ms");
  for (const char* model : {"little", "erlang_c", "seeds_formula", "monitoring"}) {
    EXPECT_FALSE(i.contains(model)) << model;
  }
  EXPECT_EQ(cell_by_id(analysis, "m")["verdict"], "adequate");
  const json& group = analysis["groups"][0];
  EXPECT_EQ(group["smallest_met"]["cell"], "m");
  for (const auto& point : group["usl"]["observations"]) EXPECT_NE(point["cell"], "i");
}

TEST(Analyze, AMeasuredSeedRowTakesTheVerdictOfItsCell) {
  const json analysis = analyze(results_with(json::array({
      cell("small", 5, 5, 3, 30),  // the testing row (5 + 5), measured: undersized
      cell("big", 20, 10, 0, 30),  // staging (20 + 10), measured: adequate
  })));
  const json& rows = analysis["groups"][0]["seed_rows"];
  EXPECT_EQ(rows[2]["name"], "testing");
  EXPECT_EQ(rows[2]["verdict"], "undersized");
  EXPECT_EQ(rows[2]["basis"], "measured");
  EXPECT_EQ(rows[3]["name"], "staging");
  EXPECT_EQ(rows[3]["verdict"], "adequate");
  EXPECT_EQ(rows[3]["evidence_cell"], "big");
  EXPECT_EQ(rows[1]["name"], "development");     // 5 + 10 = 15: at or below... not covered:
  EXPECT_EQ(rows[1]["verdict"], "not_covered");  // 10 missed, 30 met, nothing between
  EXPECT_EQ(rows[4]["name"], "production");      // 50 + 20 > 30 that met
  EXPECT_EQ(rows[4]["verdict"], "oversized");
}

TEST(Analyze, SeedRowsAreJudgedOnlyWhereTheyApply) {
  json results = results_with(json::array({cell("a", 5, 5, 0, 30), cell("b", 20, 10, 0, 30)}));
  results["scenario"]["workload"].erase("environment");
  json rows = analyze(results)["groups"][0]["seed_rows"];
  ASSERT_EQ(rows.size(), 1u) << rows.dump();  // no environment named, no mix known: the tier
  EXPECT_EQ(rows[0]["table"], "traffic_tier");

  results["scenario"]["workload"]["environment"] = "production";
  // A read-heavy mix: one writing transaction of weight 1 in 10 (10% of the requests write).
  results["scenario"]["transactions"] = {
      {{"name", "read"}, {"weight", 9}, {"script", "SELECT 1;"}},
      {{"name", "write"}, {"weight", 1}, {"script", "\\set x 1\nUPDATE t SET v = 1;"}}};
  rows = analyze(results)["groups"][0]["seed_rows"];
  ASSERT_EQ(rows.size(), 3u) << rows.dump();
  EXPECT_EQ(rows[1]["name"], "production");
  EXPECT_EQ(rows[2]["table"], "workload");
  EXPECT_EQ(rows[2]["name"], "read_heavy");
  EXPECT_NE(rows[2]["applies"].get<std::string>().find("10% of the requests write"),
            std::string::npos)
      << rows[2].dump();
}

TEST(Analyze, HikaricpUsesTheServersCoresOrSaysTheyAreUnknown) {
  json results = results_with(json::array({cell("a", 5, 5, 0, 30)}));
  results["server"]["embedded"] = false;  // a --dsn server: this host's cores are not its
  json hikari = analyze(results)["groups"][0]["hikaricp"];
  EXPECT_EQ(hikari["status"], "not_computed");
  EXPECT_TRUE(hikari["connections"].is_null());
  EXPECT_NE(hikari["reason"].get<std::string>().find("not computed: server cores unknown"),
            std::string::npos);
  results["scenario"]["server"] = {{"cores", 16}};  // server.cores / --server-cores
  hikari = analyze(results)["groups"][0]["hikaricp"];
  EXPECT_EQ(hikari["connections"], 32);
  EXPECT_EQ(hikari["cores_source"], "server.cores");
}

TEST(Analyze, TheFiniteSourceModelCoversClosedLoopCells) {
  const json analysis = analyze(results_with(json::array({cell("a", 4, 0, 0, 30)})));
  const json& finite = analysis["cells"][0]["finite_source"];
  ASSERT_EQ(finite["status"], "ok") << finite.dump();
  // 16 clients, 4 connections, hold 10 ms; away from the pool: latency 20 - wait 1 - hold 10
  // = 9 ms per request.
  EXPECT_EQ(finite["clients"], 16);
  EXPECT_EQ(finite["servers"], 4);
  EXPECT_DOUBLE_EQ(finite["mean_think_ms"].get<double>(), 9.0);
  const FiniteSource m = finite_source(16, 4, 0.009, 0.010);
  EXPECT_DOUBLE_EQ(finite["p_wait"].get<double>(), m.p_wait);
  EXPECT_DOUBLE_EQ(finite["throughput_rps"].get<double>(), m.throughput_per_s);
  EXPECT_DOUBLE_EQ(finite["measured_throughput_rps"].get<double>(), 104.0);
  EXPECT_EQ(analysis["cells"][0]["erlang_c"]["status"], "not_applicable");
}

/// `n` checkouts of `value_us` each, as a cell's histograms hold them.
std::string histogram_of(std::int64_t value_us, std::int64_t n) {
  metrics::HdrHistogram histogram;
  for (std::int64_t i = 0; i < n; ++i) histogram.record(value_us);
  return metrics::encode_hdr_v2_base64(histogram);
}

TEST(Analyze, TheMeasuredWaitIsTheQueueWaitNotTheConnectionWorkAfterTheGrant) {
  // Every checkout granted at once (queue_wait 10 us) but then pre-pinged for 5 ms
  // (checkout_wait 5 ms): nobody waited for a slot.
  json c = cell("a", 4, 0, 0, 30);
  c["histograms"] = {{"checkout_wait", histogram_of(5000, 100)},
                     {"queue_wait", histogram_of(10, 100)}};
  c["summary"]["checkout_wait_ms"] = {{"mean", 5.0}, {"p99", 5.0}};
  c["summary"]["queue_wait_ms"] = {{"mean", 0.01}, {"p99", 0.01}};
  const json analysis = analyze(results_with(json::array({c})));
  for (const char* model : {"finite_source", "erlang_c"}) {
    const json& m = analysis["cells"][0][model];
    EXPECT_EQ(m["measured_wait_source"], "queue_wait") << model;
    EXPECT_EQ(m["measured_p_wait"], 0.0) << model;
    EXPECT_DOUBLE_EQ(m["measured_mean_wait_ms"].get<double>(), 0.01) << model;
    EXPECT_DOUBLE_EQ(m["measured_p99_wait_ms"].get<double>(), 0.01) << model;
  }
  // Away from the pool: latency 20 - the whole checkout wait 5 - hold 10 ms.
  EXPECT_DOUBLE_EQ(analysis["cells"][0]["finite_source"]["mean_think_ms"].get<double>(), 5.0);

  // Results written before queue_wait was measured: the checkout wait, and they say so.
  c["histograms"].erase("queue_wait");
  c["summary"].erase("queue_wait_ms");
  const json older = analyze(results_with(json::array({c})));
  const json& m = older["cells"][0]["finite_source"];
  EXPECT_EQ(m["measured_wait_source"], "checkout_wait");
  EXPECT_EQ(m["measured_p_wait"], 1.0);
  EXPECT_DOUBLE_EQ(m["measured_mean_wait_ms"].get<double>(), 5.0);
}

TEST(Analyze, MonitoringRulesFireOnOverflowMostOfTheTimeAndOnInvalid) {
  const json rows = json::array({{{"checked_out", 1}, {"overflow", 1}, {"invalid", 0}},
                                 {{"checked_out", 1}, {"overflow", 2}, {"invalid", 1}},
                                 {{"checked_out", 1}, {"overflow", 0}, {"invalid", 1}}});
  const json rules = evaluate_monitoring_rules(rows, 10, 1);
  EXPECT_EQ(rules[0]["fired"], false);
  EXPECT_EQ(rules[1]["rule"], "overflow_consistently");
  EXPECT_EQ(rules[1]["fired"], true);  // 2 of 3 seconds
  EXPECT_EQ(rules[2]["fired"], true);
  EXPECT_EQ(evaluate_monitoring_rules(rows, 0, 1)[0]["fired"], false);  // no limit
}

TEST(Analyze, ANonResultsDocumentIsBadInput) {
  EXPECT_THROW(analyze(json::object()), InputError);
  EXPECT_THROW(analyze(json{{"cells", json::array({1})}}), InputError);
  EXPECT_THROW(analyze(json{{"cells", json::array({{{"id", "x"}, {"summary", 3}}})}}), InputError);
}

json load_fixture() {
  std::ifstream in(std::string(POOLBENCH_ANALYSIS_FIXTURES) + "/erlang_trimmed.json");
  return json::parse(in);
}

// The erlang sample: open loop, Poisson 200/s, exponential holds of ~21 ms (A ≈ 4.4),
// pool_timeout 200 ms, SLO timeout_rate 0.01 and p99 250 ms.
TEST(AnalyzeErlangSample, ModelsMatchTheMeasuredCells) {
  const json analysis = analyze(load_fixture());
  if (std::getenv("POOLBENCH_DUMP_ANALYSIS")) std::cerr << analysis.dump(1) << "\n";
  const std::string p2 = "pool.pool_size=2,pool.max_overflow=0,server.profile=ssd#0";
  const std::string p6 = "pool.pool_size=6,pool.max_overflow=0,server.profile=ssd#0";
  const json& two = cell_by_id(analysis, p2);
  // 2 connections for 4.4 erlangs: unstable; at least 1 - 2/4.4 = 55% cannot be served,
  // and 54% timed out.
  EXPECT_EQ(two["erlang_c"]["status"], "unstable");
  EXPECT_NEAR(two["erlang_c"]["predicted_timeout_rate"].get<double>(), 0.5428, 0.02);
  EXPECT_EQ(two["verdict"], "undersized");
  // Little's law within 5% wherever the pool was not saturated.
  const json& six = cell_by_id(analysis, p6);
  EXPECT_LT(std::abs(six["little"]["relative_error"].get<double>()), 0.05);
  EXPECT_EQ(six["erlang_c"]["status"], "ok");
  EXPECT_NEAR(six["erlang_c"]["p_wait"].get<double>(),
              six["erlang_c"]["measured_p_wait"].get<double>(), 0.1);
  EXPECT_EQ(six["verdict"], "adequate");
  // The fixture predates queue_wait: its measured waits are checkout waits, and say so.
  EXPECT_EQ(six["erlang_c"]["measured_wait_source"], "checkout_wait");
  EXPECT_EQ(
      cell_by_id(analysis, "pool.pool_size=8,pool.max_overflow=0,server.profile=ssd#0")["verdict"],
      "oversized");
  EXPECT_EQ(analysis["groups"].size(), 2u);
  const json& ssd = analysis["groups"][0];
  EXPECT_EQ(ssd["key"], "server.profile=ssd");
  EXPECT_EQ(ssd["smallest_met"]["cell"],
            "pool.pool_size=2,pool.max_overflow=4,server.profile=ssd#0");  // 2 + 4 = 6 + 0
  ASSERT_TRUE(ssd["erlang_c_smallest_servers"].is_number());
  EXPECT_NEAR(ssd["erlang_c_smallest_servers"].get<int>(), 6, 1);
  EXPECT_EQ(two["monitoring"][0]["fired"], true);  // 2 of 2 checked out all the time
}

// The fixture dropped the histograms analyze() does not read (and the per-second ones); the
// schema requires them, so the test puts the checkout_wait one in their place.
TEST(AnalyzeErlangSample, TheAnalysisBlockValidatesAgainstTheResultsSchema) {
  json results = load_fixture();
  results["analysis"] = analyze(results);
  for (auto& cell : results["cells"]) {
    for (const char* name : {"latency", "hold", "connect", "schedule_lag"}) {
      cell["histograms"][name] = cell["histograms"]["checkout_wait"];
    }
    for (auto& row : cell["timeseries"]) row["latency_hist"] = cell["histograms"]["checkout_wait"];
  }
  const auto path = std::filesystem::temp_directory_path() /
                    ("poolbench_analysis_" + std::to_string(::getpid()) + ".json");
  std::ofstream(path) << results.dump();
  const auto check = poolbench::testing::validate_results_schema(path);
  std::filesystem::remove(path);
  EXPECT_EQ(check.exit_code, 0) << check.err;
}

}  // namespace
}  // namespace poolbench::analysis
