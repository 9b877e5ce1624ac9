// cells[].server_stats from two readings: differences of known values, statements ordered
// and averaged, a reset inside the window, nulls with their reasons, and what summary
// derives per request.

#include "results/server_stats.hpp"

#include <gtest/gtest.h>

namespace poolbench::results {
namespace {

CounterReading reading(Counters values) {
  return {std::move(values), {}};
}

TEST(ServerStats, CounterDeltaIsEndMinusStartForEveryCounter) {
  const auto delta =
      counter_delta(reading({{"tup_inserted", 1000}, {"blks_hit", 50}, {"blks_read", 7}}),
                    reading({{"tup_inserted", 1250}, {"blks_hit", 80}, {"blks_read", 7}}));
  ASSERT_TRUE(delta.values);
  EXPECT_EQ(delta.values->at("tup_inserted"), 250);
  EXPECT_EQ(delta.values->at("blks_hit"), 30);
  EXPECT_EQ(delta.values->at("blks_read"), 0);
  EXPECT_TRUE(delta.reason.empty());
}

TEST(ServerStats, ACounterThatWentDownMeansTheStatisticsWereResetAndGivesNoDelta) {
  const auto delta = counter_delta(reading({{"wal_bytes", 5000}}), reading({{"wal_bytes", 100}}));
  EXPECT_FALSE(delta.values);
  EXPECT_NE(delta.reason.find("reset"), std::string::npos) << delta.reason;
  EXPECT_NE(delta.reason.find("wal_bytes"), std::string::npos) << delta.reason;
}

TEST(ServerStats, AMissingReadingAtEitherEndGivesItsReason) {
  const auto no_start =
      counter_delta({std::nullopt, "pg_stat_wal: no such view"}, reading({{"wal_bytes", 1}}));
  EXPECT_FALSE(no_start.values);
  EXPECT_EQ(no_start.reason, "pg_stat_wal: no such view");
  const auto no_end = counter_delta(reading({{"wal_bytes", 1}}), {std::nullopt, "connection lost"});
  EXPECT_EQ(no_end.reason, "connection lost");
}

TEST(ServerStats, StatementDeltasAreOrderedByExecutionTimeWithTheirMean) {
  const std::map<std::string, StatementReading> start = {
      {"1", {"SELECT $1", {{"calls", 10}, {"total_exec_ms", 5}, {"shared_blks_hit", 10}}}},
      {"2", {"UPDATE t", {{"calls", 4}, {"total_exec_ms", 40}, {"shared_blks_hit", 0}}}},
      {"3", {"idle one", {{"calls", 3}, {"total_exec_ms", 1}, {"shared_blks_hit", 0}}}}};
  const std::map<std::string, StatementReading> end = {
      {"1", {"SELECT $1", {{"calls", 110}, {"total_exec_ms", 25}, {"shared_blks_hit", 310}}}},
      {"2", {"UPDATE t", {{"calls", 14}, {"total_exec_ms", 140}, {"shared_blks_hit", 20}}}},
      {"3", {"idle one", {{"calls", 3}, {"total_exec_ms", 1}, {"shared_blks_hit", 0}}}},
      {"4", {"INSERT new", {{"calls", 2}, {"total_exec_ms", 8}, {"shared_blks_hit", 4}}}}};
  const auto deltas = statement_deltas(start, end);
  ASSERT_EQ(deltas.size(), 3U);  // "idle one" had no calls inside the window
  EXPECT_EQ(deltas[0].query, "UPDATE t");
  EXPECT_EQ(deltas[0].values.at("calls"), 10);
  EXPECT_EQ(deltas[0].values.at("mean_exec_ms"), 10);
  EXPECT_EQ(deltas[1].query, "SELECT $1");
  EXPECT_EQ(deltas[1].values.at("shared_blks_hit"), 300);
  EXPECT_EQ(deltas[1].values.at("mean_exec_ms"), 0.2);
  EXPECT_EQ(deltas[2].query, "INSERT new");  // new inside the window: counted from 0
  EXPECT_EQ(deltas[2].values.at("calls"), 2);
}

ServerSnapshot snapshot(double commits, double hit, double read, double wal, double timed,
                        double requested, double temp) {
  ServerSnapshot s;
  s.database = reading({{"xact_commit", commits},
                        {"blks_hit", hit},
                        {"blks_read", read},
                        {"temp_bytes", temp},
                        {"tup_inserted", 0}});
  s.bgwriter = reading({{"checkpoints_timed", timed}, {"checkpoints_req", requested}});
  s.wal = reading({{"wal_bytes", wal}});
  s.tables = reading({{"heap_blks_read", 0}});
  s.statements = std::map<std::string, StatementReading>{};
  return s;
}

TEST(ServerStats, SummaryDerivesRatiosAndPerRequestFiguresFromKnownValues) {
  OsWindow os;
  os.server_cpu_s = 2.0;
  os.poolbench_cpu_s = 0.5;
  os.disk_reason = "no block device";
  os.peak_server_rss_reason = "not readable";
  const nlohmann::json stats =
      server_stats_json(snapshot(0, 100, 10, 1000, 3, 1, 0),
                        snapshot(1000, 1000, 110, 801000, 4, 3, 4096), WaitEventCounts{}, {}, os);
  nlohmann::json summary = {{"completed", 1000}};
  add_server_summary(summary, stats);
  EXPECT_DOUBLE_EQ(summary["cache_hit_ratio"].get<double>(), 0.9);  // 900 / (900 + 100)
  EXPECT_DOUBLE_EQ(summary["wal_bytes_per_transaction"].get<double>(), 800);
  EXPECT_DOUBLE_EQ(summary["server_cpu_ms_per_request"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(summary["client_cpu_ms_per_request"].get<double>(), 0.5);
  EXPECT_EQ(summary["checkpoints"].get<double>(), 3);  // 1 timed + 2 requested
  EXPECT_DOUBLE_EQ(summary["temp_bytes_per_request"].get<double>(), 4.096);
  EXPECT_TRUE(stats["os"]["disk"].is_null());
  EXPECT_EQ(stats["missing"]["os.disk"], "no block device");
  EXPECT_EQ(stats["missing"]["os.peak_server_rss_bytes"], "not readable");
  EXPECT_FALSE(stats["missing"].contains("database"));
}

TEST(ServerStats, PerRequestFiguresDivideByTheRequestsBetweenTheReadings) {
  // The start reading came late: the server saw 800 of the client's 1000 requests.
  OsWindow os;
  os.server_cpu_s = 2.0;
  os.poolbench_cpu_s = 0.5;
  nlohmann::json stats =
      server_stats_json(snapshot(0, 100, 10, 1000, 3, 1, 0),
                        snapshot(1000, 1000, 110, 801000, 4, 3, 4096), WaitEventCounts{}, {}, os);
  ReadingWindow window;
  window.requests = 800;
  window.requests_in_start_reading = 12;
  window.start_reading_ms = 90;
  window.start_lag_ms = 250;
  stats["window"] = window_json(window);
  EXPECT_EQ(stats["window"], nlohmann::json({{"requests", 800},
                                             {"requests_in_start_reading", 12},
                                             {"start_reading_ms", 90.0},
                                             {"start_lag_ms", 250.0}}));
  nlohmann::json summary = {{"completed", 1000}};
  EXPECT_EQ(server_requests(summary, stats), 800);
  add_server_summary(summary, stats);
  EXPECT_DOUBLE_EQ(summary["cache_hit_ratio"].get<double>(), 0.9);  // a ratio: unchanged
  EXPECT_DOUBLE_EQ(summary["wal_bytes_per_transaction"].get<double>(), 800000.0 / 800);
  EXPECT_DOUBLE_EQ(summary["blks_read_per_request"].get<double>(), 100.0 / 800);
  EXPECT_DOUBLE_EQ(summary["server_cpu_ms_per_request"].get<double>(), 2000.0 / 800);
  EXPECT_DOUBLE_EQ(summary["client_cpu_ms_per_request"].get<double>(), 500.0 / 800);
  EXPECT_DOUBLE_EQ(summary["temp_bytes_per_request"].get<double>(), 4096.0 / 800);
  // A cell recorded before the window: per completed request.
  stats.erase("window");
  EXPECT_EQ(server_requests(summary, stats), 1000);
}

TEST(ServerStats, NullKeysCarryTheirReasonAndTheSummaryFiguresAreNull) {
  ServerSnapshot start;
  start.database = start.bgwriter = start.wal = start.tables = {std::nullopt, "no monitor"};
  start.statements_reason = "no monitor";
  OsWindow os;
  os.server_cpu_reason = os.disk_reason = os.peak_server_rss_reason = "remote server";
  os.poolbench_cpu_s = 1;
  const nlohmann::json stats = server_stats_json(start, start, std::nullopt, "no monitor", os);
  for (const char* key : {"database", "bgwriter", "wal", "tables", "statements", "wait_events"}) {
    EXPECT_TRUE(stats[key].is_null()) << key;
    EXPECT_EQ(stats["missing"][key], "no monitor") << key;
  }
  EXPECT_EQ(stats["missing"]["os.server_cpu_s"], "remote server");
  nlohmann::json summary = {{"completed", 10}};
  add_server_summary(summary, stats);
  for (const char* key :
       {"cache_hit_ratio", "wal_bytes_per_transaction", "server_cpu_ms_per_request", "checkpoints",
        "temp_bytes_per_request", "blks_read_per_request"}) {
    EXPECT_TRUE(summary[key].is_null()) << key;
  }
  EXPECT_DOUBLE_EQ(summary["client_cpu_ms_per_request"].get<double>(), 100);
}

TEST(ServerStats, WaitEventsAreListedMostFrequentFirst) {
  WaitEventCounts waits;
  waits.samples = 5;
  waits.counts[{"Lock", "transactionid"}] = 7;
  waits.counts[{"IO", "DataFileRead"}] = 2;
  waits.counts[{"LWLock", "WALWrite"}] = 9;
  const nlohmann::json stats =
      server_stats_json(ServerSnapshot{}, ServerSnapshot{}, waits, {}, OsWindow{});
  const auto& events = stats["wait_events"]["events"];
  ASSERT_EQ(events.size(), 3U);
  EXPECT_EQ(stats["wait_events"]["samples"], 5);
  EXPECT_EQ(events[0]["wait_event"], "WALWrite");
  EXPECT_EQ(events[1]["wait_event_type"], "Lock");
  EXPECT_EQ(events[1]["count"], 7);
}

TEST(ServerStats, ServerStatementsSumsEveryStatementPerRequest) {
  ServerSnapshot start = snapshot(0, 0, 0, 0, 0, 0, 0);
  ServerSnapshot end = start;
  (*end.statements)["9"] = {"SELECT 1", {{"calls", 40}, {"total_exec_ms", 20}}};
  (*end.statements)["8"] = {"SELECT 2", {{"calls", 10}, {"total_exec_ms", 30}}};
  const nlohmann::json summary = statements_summary(start, end, 25);
  EXPECT_EQ(summary["calls"], 50);
  EXPECT_EQ(summary["total_exec_ms"], 50);
  EXPECT_DOUBLE_EQ(summary["mean_exec_ms"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(summary["exec_ms_per_request"].get<double>(), 2.0);
  EXPECT_EQ(summary["requests"], 25);
  ServerSnapshot unread;
  unread.statements_reason = "no extension";
  EXPECT_TRUE(statements_summary(unread, end, 25).is_null());
}

}  // namespace
}  // namespace poolbench::results
