// workload.mode: replay through the generator against the in-process fake server: every
// request of the trace once with its statements, arrival offsets divided by replay.speed,
// the window cutting the trace, replay.loop, --shard's split by request. Assertions are on
// counts (which requests are intended inside the window), never on timing.

#include <cstdint>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "scenario/shard_split.hpp"
#include "support/load_harness.hpp"
#include "util/error.hpp"
#include "util/gzip.hpp"
#include "workload/generator.hpp"

namespace poolbench::workload {
namespace {

namespace fs = std::filesystem;
using testing::FakeLoadRun;
using testing::FakeServer;
using testing::run_fake_load;
using testing::scenario_from;

/// A temporary directory for one test's trace, removed after it.
class ReplayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    m_dir = fs::temp_directory_path() /
            ("poolbench-replay-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(m_dir);
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(m_dir, ignored);
  }

  /// A trace of `requests` requests `step_us` apart, each BEGIN (simple), a SELECT with one
  /// parameter after a `gap_us` gap, COMMIT: 3 statements per request.
  fs::path write_trace(int requests, std::int64_t step_us, std::int64_t gap_us = 0) {
    const fs::path path = m_dir / "trace.jsonl.gz";
    util::GzWriter writer(path);
    const nlohmann::json header = {
        {"format", "poolbench.trace"},
        {"version", 1},
        {"source", "log"},
        {"requests", requests},
        {"sessions", 1},
        {"span_s", static_cast<double>((requests - 1) * step_us) / 1e6},
        {"redacted", false},
        {"statements",
         {{{"sql", "BEGIN"}, {"protocol", "simple"}},
          {{"sql", "SELECT abalance FROM pgbench_accounts WHERE aid = $1"},
           {"protocol", "extended"}},
          {{"sql", "COMMIT"}, {"protocol", "simple"}}}}};
    writer.write_line(header.dump());
    for (int i = 0; i < requests; ++i) {
      const nlohmann::json request = {
          {"at_us", i * step_us},
          {"session", 0},
          {"hold_us", 100},
          {"statements",
           {{{"q", 0}, {"gap_us", 0}, {"duration_us", 10}, {"params", nlohmann::json::array()}},
            {{"q", 1}, {"gap_us", gap_us}, {"duration_us", 10}, {"params", {std::to_string(i)}}},
            {{"q", 2}, {"gap_us", 0}, {"duration_us", 10}, {"params", nlohmann::json::array()}}}}};
      writer.write_line(request.dump());
    }
    writer.finish();
    return path;
  }

  scenario::Scenario replay_scenario(const fs::path& trace, const std::string& workload,
                                     const std::string& replay) {
    return scenario_from("workload: {mode: replay, warmup: 0s, " + workload +
                         "}\nreplay: {trace: " + trace.string() + ", " + replay +
                         "}\npool: {pool_size: 4}\n");
  }

  fs::path m_dir;
};

void expect_all_completed(const FakeLoadRun& run, std::int64_t requests) {
  const auto& counters = run.result.counters;
  EXPECT_EQ(counters.requests(), requests);
  EXPECT_EQ(counters.completed(), requests);
  EXPECT_EQ(counters.errors() + counters.timeouts() + counters.dropped(), 0);
  EXPECT_EQ(run.result.unfinished, 0);
  // Each request: BEGIN, the SELECT, COMMIT; the SELECT prepared once per connection.
  EXPECT_EQ(run.server.statements, static_cast<std::uint64_t>(3 * requests));
  EXPECT_GE(run.server.prepares, 1U);
  EXPECT_LE(run.server.prepares, run.server.connects);
}

TEST_F(ReplayTest, EveryRequestOfTheTraceRunsOnceWithItsStatements) {
  const auto trace = write_trace(200, 1000, 500);
  FakeServer server;
  const FakeLoadRun run =
      run_fake_load(replay_scenario(trace, "duration: 10s", "speed: 1"), server, 2);
  expect_all_completed(run, 200);
  // The run ends with the trace (0.2 s), not workload.duration.
  EXPECT_LT(run.result.measured_s, 5.0);
  // Every request holds its connection through the 500 us gap before its SELECT.
  EXPECT_GE(run.result.hold.value_at_percentile_us(1), 500);
}

TEST_F(ReplayTest, TheWindowKeepsTheRequestsIntendedInsideItAtTheirOffsetsDividedBySpeed) {
  // 100 requests 10 ms apart (0 .. 990 ms); a 500 ms window holds offsets / speed < 500 ms:
  // 50 at speed 1, all 100 at speed 2, 25 at speed 0.5.
  const auto trace = write_trace(100, 10'000);
  for (const auto& [speed, expected] :
       {std::pair{"1", 50}, std::pair{"2", 100}, std::pair{"0.5", 25}}) {
    FakeServer server;
    const FakeLoadRun run = run_fake_load(
        replay_scenario(trace, "duration: 500ms", std::string("speed: ") + speed), server);
    expect_all_completed(run, expected);
  }
}

TEST_F(ReplayTest, LoopStartsTheTraceOverUntilTheWindowEnds) {
  // 10 requests 10 ms apart: one pass lasts 100 ms (the span and one mean gap), so a
  // 500 ms window holds five passes.
  const auto trace = write_trace(10, 10'000);
  FakeServer server;
  const FakeLoadRun run =
      run_fake_load(replay_scenario(trace, "duration: 500ms", "loop: true"), server, 2);
  expect_all_completed(run, 50);
}

TEST_F(ReplayTest, ShardsSplitTheTraceByRequest) {
  const auto trace = write_trace(100, 1000);
  const auto full = replay_scenario(trace, "duration: 10s", "speed: 1");
  std::int64_t total = 0;
  for (int index = 0; index < 3; ++index) {
    const auto load = scenario::shard_load(full, {index, 3});
    FakeServer server;
    const FakeLoadRun run = run_fake_load(load.scenario, server);
    expect_all_completed(run, index == 0 ? 34 : 33);  // requests index, index + 3, ...
    total += run.result.counters.requests();
  }
  EXPECT_EQ(total, 100);
}

TEST_F(ReplayTest, StatementErrorsAreCountedBySqlstate) {
  const auto trace = write_trace(50, 1000);
  FakeServer server(testing::FakeServerOptions{.failure_rate = 1.0, .failure_sqlstate = "42P01"});
  const FakeLoadRun run =
      run_fake_load(replay_scenario(trace, "duration: 10s", "speed: 1"), server);
  EXPECT_EQ(run.result.counters.errors(), 50);
  EXPECT_EQ(run.result.counters.errors_by_sqlstate().at("42P01"), 50);
}

TEST_F(ReplayTest, AReplayScenarioWithoutItsTraceIsRefusedAtLoad) {
  EXPECT_THROW(replay_scenario(m_dir / "missing.jsonl.gz", "duration: 1s", "speed: 1"), InputError);
}

}  // namespace
}  // namespace poolbench::workload
