// workload.mode: replay in the analysis: the trace's arrivals do not depend on the pool, so a
// replay cell is modelled as an open loop (Erlang C) at its measured arrival rate, never as
// a closed loop of clients.

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "analysis/analyze.hpp"
#include "analysis/queueing.hpp"
#include "cli/run_binary.hpp"
#include "unit/analysis/cell_by_id.hpp"

namespace poolbench::analysis {
namespace {

using nlohmann::json;

/// A replay cell at `speed` through `pool_size` connections: `requests` arrivals in 10 s,
/// `timeouts` of them timed out, holds of 10 ms, latency 20 ms.
json replay_cell(const std::string& id, int pool_size, double speed, long long requests,
                 long long timeouts = 0, double mean_checked_out = 1.0) {
  const long long completed = requests - timeouts;
  return {{"id", id},
          {"status", "ok"},
          {"params",
           {{"pool_size", pool_size},
            {"max_overflow", 0},
            {"pool_timeout_s", 1.0},
            {"pool.pool_size", std::to_string(pool_size)},
            {"replay.speed", fmt::format("{:g}", speed)}}},
          {"summary",
           {{"duration_s", 10.0},
            {"requests", requests},
            {"completed", completed},
            {"timeouts", timeouts},
            {"throughput_rps", static_cast<double>(completed) / 10.0},
            {"timeout_rate", static_cast<double>(timeouts) / static_cast<double>(requests)},
            {"latency_ms", {{"mean", 20.0}, {"p99", 30.0}}},
            {"checkout_wait_ms", {{"mean", 1.0}}},
            {"hold_ms", {{"mean", 10.0}}},
            {"pool", {{"mean_checked_out", mean_checked_out}}}}}};
}

/// Results of a replay scenario (no workload.rate, no workload.clients: a replay has
/// neither), with a pool_size x replay.speed matrix.
json replay_results(json cells) {
  return {{"schema", "poolbench.results/1"},
          {"host", {{"cores", 4}}},
          {"server", {{"embedded", true}}},
          {"scenario",
           {{"workload", {{"mode", "replay"}, {"duration", "10s"}}},
            {"replay", {{"trace", "trace.jsonl.gz"}, {"speed", 1.0}, {"loop", false}}},
            {"pool", {{"pool_size", 2}, {"max_overflow", 0}, {"pool_timeout", "1s"}}},
            {"slo", {{"timeout_rate", 0}, {"p99_latency", "50ms"}}}}},
          {"cells", std::move(cells)}};
}

TEST(AnalyzeReplay, ACellSaysReplayWithTheTracesMeasuredRateAndSpeed) {
  // 1,000 arrivals in 10 s: 100 requests/s, from the trace at 2x.
  const json analysis = analyze(replay_results(json::array({replay_cell("r", 4, 2, 1000)})));
  const json& workload = analysis["cells"][0]["workload"];
  EXPECT_EQ(workload["mode"], "replay");
  EXPECT_EQ(workload["arrival_source"], "trace");
  EXPECT_DOUBLE_EQ(workload["arrival_rate_rps"].get<double>(), 100.0);
  EXPECT_DOUBLE_EQ(workload["replay_speed"].get<double>(), 2.0);
  EXPECT_TRUE(workload["clients"].is_null()) << workload.dump();
  // The tier follows the arrivals (100/s), not the throughput.
  EXPECT_DOUBLE_EQ(workload["tier_rps"].get<double>(), 100.0);
}

TEST(AnalyzeReplay, ErlangCAppliesAtTheMeasuredArrivalRateAndTheFiniteSourceModelDoesNot) {
  const json analysis = analyze(replay_results(json::array({replay_cell("r", 4, 2, 1000)})));
  const json& erlang = analysis["cells"][0]["erlang_c"];
  ASSERT_EQ(erlang["status"], "ok") << erlang.dump();
  EXPECT_EQ(erlang["arrival_source"], "trace");
  EXPECT_DOUBLE_EQ(erlang["arrival_rate_rps"].get<double>(), 100.0);
  EXPECT_DOUBLE_EQ(erlang["measured_arrival_rate_rps"].get<double>(), 100.0);
  const ErlangC expected = erlang_c(4, 100.0, 0.010);
  EXPECT_DOUBLE_EQ(erlang["offered_load"].get<double>(), expected.offered_load);
  EXPECT_DOUBLE_EQ(erlang["p_wait"].get<double>(), expected.p_wait);

  const json& finite = analysis["cells"][0]["finite_source"];
  EXPECT_EQ(finite["status"], "not_applicable");
  EXPECT_EQ(finite["reason"],
            "replay: arrivals come from the trace, not from a finite population of clients "
            "(erlang_c applies)");
  // Little's concurrency at the measured rate: 100/s x 20 ms.
  EXPECT_DOUBLE_EQ(analysis["cells"][0]["seeds_formula"]["concurrent_requests"].get<double>(), 2.0);
}

TEST(AnalyzeReplay, ErlangCSaysSoWhenNoRequestOfTheTraceArrived) {
  json empty = replay_cell("r", 4, 1, 0);
  empty["summary"]["timeout_rate"] = 0.0;
  const json analysis = analyze(replay_results(json::array({empty})));
  const json& erlang = analysis["cells"][0]["erlang_c"];
  EXPECT_EQ(erlang["status"], "not_applicable");
  EXPECT_EQ(erlang["reason"], "replay: no request of the trace arrived in the measurement window");
}

TEST(AnalyzeReplay, TheGroupsErlangCSizeUsesTheArrivalsPooledOverItsCells) {
  // One speed, two pools: 1,000 and 1,200 arrivals in 10 s each (the window's edges cut a
  // trace differently): 110 requests/s.
  const json analysis = analyze(replay_results(
      json::array({replay_cell("small", 2, 4, 1000, 30), replay_cell("big", 8, 4, 1200)})));
  ASSERT_EQ(analysis["groups"].size(), 1u);
  const json& group = analysis["groups"][0];
  WaitTarget target;
  target.max_p_wait_longer = 0.001;  // slo.timeout_rate 0: the least target
  target.wait_limit_s = 1.0;
  const auto expected = erlang_c_smallest_servers(110.0, 0.010, target);
  ASSERT_TRUE(expected.has_value());
  EXPECT_EQ(group["erlang_c_smallest_servers"], *expected) << group.dump();
  EXPECT_EQ(cell_by_id(analysis, "small")["verdict"], "undersized");
  EXPECT_EQ(cell_by_id(analysis, "big")["verdict"], "adequate");
}

TEST(AnalyzeReplay, OnlyCellsThatFellShortOfTheTracesArrivalsMeasuredACapacity) {
  // Four pools at one speed: two served every arrival (their throughput is the trace's
  // rate, not a capacity), two timed out a share of them.
  const json analysis = analyze(replay_results(json::array({
      replay_cell("p1", 1, 4, 1000, 400, 1.0),
      replay_cell("p2", 2, 4, 1000, 200, 2.0),
      replay_cell("p4", 4, 4, 1000, 0, 1.2),
      replay_cell("p8", 8, 4, 1000, 0, 1.1),
  })));
  const json& usl = analysis["groups"][0]["usl"];
  EXPECT_EQ(usl["unsaturated_cells"], 2) << usl.dump();
  ASSERT_EQ(usl["observations"].size(), 2u);
  EXPECT_EQ(usl["observations"][0]["cell"], "p1");
  EXPECT_EQ(usl["observations"][1]["cell"], "p2");
}

TEST(AnalyzeReplay, AnOpenLoopCellStillTakesItsRateFromTheScenario) {
  json results = replay_results(json::array({replay_cell("o", 4, 1, 1000)}));
  results["scenario"]["workload"] = {{"mode", "open"}, {"rate", 120}};
  results["cells"][0]["params"].erase("replay.speed");
  const json analysis = analyze(results);
  const json& cell = analysis["cells"][0];
  EXPECT_EQ(cell["workload"]["mode"], "open");
  EXPECT_EQ(cell["workload"]["arrival_source"], "workload.rate");
  EXPECT_DOUBLE_EQ(cell["workload"]["arrival_rate_rps"].get<double>(), 120.0);
  EXPECT_TRUE(cell["workload"]["replay_speed"].is_null());
  EXPECT_EQ(cell["erlang_c"]["arrival_source"], "workload.rate");
  EXPECT_DOUBLE_EQ(cell["erlang_c"]["arrival_rate_rps"].get<double>(), 120.0);
  EXPECT_DOUBLE_EQ(cell["erlang_c"]["measured_arrival_rate_rps"].get<double>(), 100.0);
}

// The erlang sample's fixture turned into a replay (its cells as if replayed from a trace):
// the analysis block, replay keys included, validates against the results schema.
TEST(AnalyzeReplay, TheAnalysisBlockOfAReplayValidatesAgainstTheResultsSchema) {
  std::ifstream in(std::string(POOLBENCH_ANALYSIS_FIXTURES) + "/erlang_trimmed.json");
  json results = json::parse(in);
  results["scenario"]["workload"] = {{"mode", "replay"}, {"duration", "6s"}};
  results["scenario"]["replay"] = {{"trace", "trace.jsonl.gz"}, {"speed", 2.0}, {"loop", false}};
  results["analysis"] = analyze(results);
  ASSERT_EQ(results["analysis"]["cells"][0]["workload"]["mode"], "replay");
  ASSERT_EQ(results["analysis"]["cells"][0]["erlang_c"]["arrival_source"], "trace");
  for (auto& cell : results["cells"]) {
    for (const char* name : {"latency", "hold", "connect", "schedule_lag"}) {
      cell["histograms"][name] = cell["histograms"]["checkout_wait"];
    }
    for (auto& row : cell["timeseries"]) row["latency_hist"] = cell["histograms"]["checkout_wait"];
  }
  const auto path = std::filesystem::temp_directory_path() /
                    ("poolbench_replay_analysis_" + std::to_string(::getpid()) + ".json");
  std::ofstream(path) << results.dump();
  const auto check = poolbench::testing::validate_results_schema(path);
  std::filesystem::remove(path);
  EXPECT_EQ(check.exit_code, 0) << check.err;
}

}  // namespace
}  // namespace poolbench::analysis
