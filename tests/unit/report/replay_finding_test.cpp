// The finding of a replay matrix (issue #17: "the report names the speed at which each pool
// stops meeting the SLO"), on synthesized results of replay.speed x pool.pool_size, with
// verdicts from the slo: and from analyze()'s.

#include <string>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "analysis/analyze.hpp"
#include "report/report_model.hpp"

namespace poolbench::report {
namespace {

using nlohmann::json;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* k_prefix = "Replay speed each pool meets the SLO at: ";

/// A replay cell through `pool_size`+0 connections at `speed`; its latency p99 `p99_ms`
/// (the SLO's limit is 50 ms) and no timeouts.
json replay_cell(int pool_size, const std::string& speed, double p99_ms, int repetition = 0) {
  const std::string id =
      fmt::format("replay.speed={},pool.pool_size={}#{}", speed, pool_size, repetition);
  const double requests = 1000 * std::stod(speed);
  return {{"id", id},
          {"status", "ok"},
          {"repetition", repetition},
          {"params",
           {{"pool_size", pool_size},
            {"max_overflow", 0},
            {"pool_timeout_s", 2.0},
            {"pool.pool_size", std::to_string(pool_size)},
            {"replay.speed", speed}}},
          {"summary",
           {{"duration_s", 4.0},
            {"requests", requests},
            {"completed", requests},
            {"timeouts", 0},
            {"errors", 0},
            {"dropped", 0},
            {"throughput_rps", requests / 4.0},
            {"timeout_rate", 0.0},
            {"latency_ms", {{"mean", p99_ms / 3}, {"p50", p99_ms / 4}, {"p99", p99_ms}}},
            {"checkout_wait_ms", {{"mean", 0.1}, {"p99", 0.5}}},
            {"hold_ms", {{"mean", 2.0}}},
            {"pool", {{"mean_checked_out", 0.5}}}}}};
}

/// A replay results document: the scenario of scenarios/replay_example/ with `cells`.
json replay_results(json cells) {
  return {{"schema", "poolbench.results/1"},
          {"scenario",
           {{"name", "replay_example"},
            {"workload", {{"mode", "replay"}, {"duration", "4s"}, {"warmup", "0s"}}},
            {"replay", {{"trace", "trace.jsonl.gz"}, {"speed", 1.0}, {"loop", false}}},
            {"pool", {{"pool_size", 2}, {"max_overflow", 0}, {"pool_timeout", "2s"}}},
            {"slo", {{"p99_latency", "50ms"}, {"timeout_rate", 0}}},
            {"matrix", {{"replay.speed", {"1", "2", "4"}}, {"pool.pool_size", {"2", "4"}}}}}},
          {"cells", std::move(cells)}};
}

/// The finding that starts with k_prefix, else "".
std::string replay_finding(const std::vector<std::string>& found) {
  for (const auto& line : found) {
    if (line.starts_with(k_prefix)) return line;
  }
  return {};
}

/// 2 connections meet the SLO at 1x and miss from 2x; 4 connections meet it at every speed.
json two_pools_three_speeds() {
  return replay_results(json::array({
      replay_cell(2, "1", 30),
      replay_cell(2, "2", 80),
      replay_cell(2, "4", 400),
      replay_cell(4, "1", 20),
      replay_cell(4, "2", 25),
      replay_cell(4, "4", 45),
  }));
}

constexpr const char* k_two_pools_finding =
    "Replay speed each pool meets the SLO at: 2+0 holds up to 1x, misses from 2x; "
    "4+0 holds up to 4x (every speed tried).";

TEST(ReplayFinding, NamesTheSpeedAtWhichEachPoolStopsMeetingTheSloByTheSlo) {
  // The model points into the results: they outlive it.
  const json results = two_pools_three_speeds();
  const ReportModel model = build_model(results, nullptr, "results.json");
  ASSERT_EQ(model.verdict_source, "slo");
  EXPECT_EQ(replay_finding(findings(model)), k_two_pools_finding);
  EXPECT_EQ(model.load_text, "replay of trace.jsonl.gz at 1, 2, 4x, 4s");
}

TEST(ReplayFinding, NamesTheSameSpeedsWithTheAnalysisVerdicts) {
  // analyze() judges each speed as a group of its own: at 1x the 4-connection pool is
  // oversized (it met), at 2x and 4x the 2-connection pool is undersized (it missed).
  json results = two_pools_three_speeds();
  results["analysis"] = analysis::analyze(results);
  const ReportModel model = build_model(results, &results["analysis"], "results.json");
  ASSERT_EQ(model.verdict_source, "analysis");
  EXPECT_EQ(replay_finding(findings(model)), k_two_pools_finding);
}

TEST(ReplayFinding, APoolThatMissesAtEverySpeedHoldsAtNone) {
  const json results = replay_results(json::array({
      replay_cell(2, "1", 60),
      replay_cell(2, "2", 90),
      replay_cell(4, "1", 20),
      replay_cell(4, "2", 70),
  }));
  const ReportModel model = build_model(results, nullptr, "results.json");
  EXPECT_EQ(replay_finding(findings(model)),
            "Replay speed each pool meets the SLO at: 2+0 holds at no speed judged, misses from "
            "1x; 4+0 holds up to 1x, misses from 2x.");
}

TEST(ReplayFinding, ASpeedHoldsOnlyWhenEveryRepetitionAtItMet) {
  const json results = replay_results(json::array({
      replay_cell(4, "1", 20, 0),
      replay_cell(4, "1", 22, 1),
      replay_cell(4, "1.5", 30, 0),
      replay_cell(4, "1.5", 70, 1),
      replay_cell(4, "3", 20, 0),
      replay_cell(4, "3", 20, 1),
  }));
  const ReportModel model = build_model(results, nullptr, "results.json");
  // One pool: the group is the pool alone; 1.5x missed in one repetition of two.
  EXPECT_EQ(replay_finding(findings(model)),
            "Replay speed each pool meets the SLO at: 4+0 holds up to 1x, misses from 1.5x.");
}

TEST(ReplayFinding, NoReplaySpeedAxisNoFinding) {
  json results = replay_results(json::array({replay_cell(2, "1", 30), replay_cell(4, "1", 80)}));
  const auto found = findings(build_model(results, nullptr, "results.json"));
  EXPECT_THAT(found, Not(Contains(HasSubstr("Replay speed"))));
  // `poolbench run` ignores the matrix: its one cell has no replay.speed param.
  json run = replay_results(json::array({replay_cell(2, "1", 30)}));
  run["cells"][0]["params"].erase("replay.speed");
  run["scenario"]["replay"]["speed"] = 1.5;
  EXPECT_EQ(build_model(run, nullptr, "results.json").load_text,
            "replay of trace.jsonl.gz at 1.5x, 4s");
}

}  // namespace
}  // namespace poolbench::report
