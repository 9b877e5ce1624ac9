#include "matrix/merge.hpp"

#include <functional>
#include <random>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "metrics/hdr_codec.hpp"
#include "metrics/summary.hpp"
#include "util/error.hpp"

namespace poolbench::matrix {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

constexpr double k_measure_start = 1'800'000'000.5;  ///< the cell's scheduled measurement start
constexpr int k_seconds = 3;

/// What one synthetic shard measured.
struct Shard {
  int index = 0;
  int count = 3;
  std::vector<std::int64_t> latencies_us;  ///< completions, spread evenly over k_seconds
  int timeouts = 0;
  int errors = 0;     ///< all 57P01
  double late_s = 0;  ///< started this long after the schedule
  double duration_s = 3.0;
};

std::vector<std::int64_t> random_latencies(std::uint64_t seed, std::size_t n, double mean_us) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> dist(std::log(mean_us), 0.8);
  std::vector<std::int64_t> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(static_cast<std::int64_t>(dist(rng)) + 1);
  return out;
}

std::size_t second_of(std::size_t i, std::size_t n) {
  return i * k_seconds / n;
}

json make_cell(const Shard& s) {
  metrics::HdrHistogram latency;
  metrics::HdrHistogram wait;
  for (const auto v : s.latencies_us) {
    latency.record(v);
    wait.record(v / 3);
  }
  metrics::Counters counters;
  counters.add_completed(static_cast<std::int64_t>(s.latencies_us.size()));
  counters.add_timeout(s.timeouts);
  if (s.errors > 0) counters.add_error("57P01", s.errors);
  json summary;
  metrics::to_json(summary, counters);
  summary["duration_s"] = s.duration_s;
  summary["throughput_rps"] = 0.0;  // stale on purpose: the merge recomputes it
  summary["timeout_rate"] = 0.0;
  summary["retries"] = s.index;
  summary["unfinished"] = 0;
  summary["pool"] = {
      {"max_checked_out", 2 + s.index}, {"max_overflow_used", 1}, {"mean_checked_out", 1.5},
      {"connects", 10 + s.index},       {"recycles", 0},          {"invalidations", s.index},
      {"preping_failures", 0}};
  json rows = json::array();
  for (int k = 0; k < k_seconds; ++k) {
    metrics::HdrHistogram second;
    std::int64_t completed = 0;
    for (std::size_t i = 0; i < s.latencies_us.size(); ++i) {
      if (second_of(i, s.latencies_us.size()) == static_cast<std::size_t>(k)) {
        second.record(s.latencies_us[i]);
        ++completed;
      }
    }
    rows.push_back({{"t_s", k},
                    {"unix_s", k_measure_start + s.late_s + k + 0.003 * s.index},
                    {"throughput_rps", completed},
                    {"timeouts", k == 0 ? s.timeouts : 0},
                    {"errors", k == 0 ? s.errors : 0},
                    {"checked_out", 1.0 + s.index},
                    {"checked_in", 0.5},
                    {"overflow", 0.0},
                    {"waiting", 0.25},
                    {"invalid", s.index},
                    {"server_active", 2},
                    {"server_idle", nullptr},
                    {"server_idle_in_tx", 0},
                    {"latency_hist", metrics::encode_hdr_v2_base64(second)}});
  }
  const metrics::HdrHistogram empty;
  return {{"id", "pool.pool_size=2#0"},
          {"index", 0},
          {"params", {{"pool_size", 2}, {"max_overflow", 1}, {"profile", "default"}}},
          {"repetition", 0},
          {"status", "ok"},
          {"summary", summary},
          {"server_settings", json::object()},
          {"histograms",
           {{"latency", metrics::encode_hdr_v2_base64(latency)},
            {"checkout_wait", metrics::encode_hdr_v2_base64(wait)},
            {"hold", metrics::encode_hdr_v2_base64(latency)},
            {"connect", metrics::encode_hdr_v2_base64(empty)},
            {"schedule_lag", metrics::encode_hdr_v2_base64(empty)}}},
          {"timeseries", rows},
          {"shard",
           {{"clients", 2},
            {"instances", {"app-1"}},
            {"total_pools", s.count},
            {"slot_start_unix_s", k_measure_start - 0.5},
            {"measure_start_unix_s", k_measure_start},
            {"late_s", s.late_s}}}};
}

ShardResults make_shard(const Shard& s) {
  json results = {
      {"schema", "poolbench.results/1"},
      {"dsn", "postgresql://poolbench@127.0.0.1:5432/poolbench"},
      {"tool", {{"name", "poolbench"}, {"version", "0.9.0"}, {"git", "abc"}, {"build_type", "x"}}},
      {"host", {{"hostname", fmt::format("node-{}", s.index)}}},
      {"server", json::object()},
      {"scenario",
       {{"name", "tiny"},
        {"file", fmt::format("/machine-{}/tiny.yaml", s.index)},  // paths may differ
        {"pool", {{"pool_size", 2}, {"instances", 1}, {"fleet", json::array()}}}}},
      {"shard",
       {{"index", s.index},
        {"count", s.count},
        {"start_at", "2027-01-15T08:00:00Z"},
        {"start_at_unix_s", k_measure_start - 0.5},
        {"settle_s", 0.0}}},
      {"cells", json::array({make_cell(s)})}};
  return {fmt::format("shard-{}.json", s.index), results};
}

std::vector<Shard> three_shards() {
  std::vector<Shard> shards;
  for (int i = 0; i < 3; ++i) {
    Shard s;
    s.index = i;
    s.latencies_us = random_latencies(100 + i, 900 + 100 * i, 2000.0 * (i + 1));
    s.timeouts = i;
    s.errors = 2 * i;
    s.duration_s = 3.0 + 0.001 * i;
    shards.push_back(s);
  }
  return shards;
}

std::vector<ShardResults> results_of(const std::vector<Shard>& shards) {
  std::vector<ShardResults> out;
  for (const auto& s : shards) out.push_back(make_shard(s));
  return out;
}

TEST(MergeShards, CountersAreTheShardsSumsAndRatesComeFromTheSums) {
  const json merged = merge_shards(results_of(three_shards()));
  ASSERT_EQ(merged["cells"].size(), 1u);
  const json& s = merged["cells"][0]["summary"];
  EXPECT_EQ(s["completed"], 900 + 1000 + 1100);
  EXPECT_EQ(s["timeouts"], 0 + 1 + 2);
  EXPECT_EQ(s["errors"], 0 + 2 + 4);
  EXPECT_EQ(s["errors_by_sqlstate"]["57P01"], 6);
  EXPECT_EQ(s["requests"], 3000 + 3 + 6);
  EXPECT_EQ(s["retries"], 0 + 1 + 2);
  EXPECT_DOUBLE_EQ(s["duration_s"].get<double>(), 3.002);
  EXPECT_DOUBLE_EQ(s["throughput_rps"].get<double>(), 3000 / 3.002);
  EXPECT_DOUBLE_EQ(s["timeout_rate"].get<double>(), 3.0 / 3009.0);
  EXPECT_EQ(s["pool"]["connects"], 10 + 11 + 12);
  EXPECT_EQ(s["pool"]["max_checked_out"], 2 + 3 + 4);
  EXPECT_DOUBLE_EQ(s["pool"]["mean_checked_out"].get<double>(), 4.5);
  EXPECT_EQ(merged["cells"][0]["status"], "ok");
  EXPECT_EQ(merged["shards"]["count"], 3);
  EXPECT_FALSE(merged.contains("shard"));
  EXPECT_FALSE(merged["cells"][0].contains("shard"));
  EXPECT_EQ(merged["cells"][0]["shards"].size(), 3u);
}

TEST(MergeShards, WarmupCountersAndGeneratorThreadsAreEveryShards) {
  auto shards = results_of(three_shards());
  for (std::size_t i = 0; i < shards.size(); ++i) {
    json& summary = shards[i].results["cells"][0]["summary"];
    summary["pool"]["warmup"] = {
        {"max_checked_out", 2}, {"max_overflow_used", 1}, {"connects", 4 + static_cast<int>(i)},
        {"recycles", 0},        {"invalidations", 0},     {"preping_failures", 0}};
    summary["generator"] = {{"threads", 1}, {"worker_cpu_s", {0.5}}, {"worker_cpu_busy", {0.2}}};
  }
  const json merged = merge_shards(shards);
  const json& s = merged["cells"][0]["summary"];
  EXPECT_EQ(s["pool"]["connects"], 10 + 11 + 12);  // the measurement window's
  EXPECT_EQ(s["pool"]["warmup"]["connects"], 4 + 5 + 6);
  EXPECT_EQ(s["generator"]["threads"], 3);
  EXPECT_EQ(s["generator"]["worker_cpu_busy"], json({0.2, 0.2, 0.2}));
  EXPECT_FALSE(merged["cells"][0].contains("invalid"));
}

TEST(MergeShards, AShardWhoseGeneratorFellBehindMakesTheMergedCellInvalid) {
  auto shards = results_of(three_shards());
  shards[1].results["cells"][0]["invalid"] = {
      {"reason", "the load generator fell behind: schedule lag p99 40 ms (limit 10 ms)"}};
  const json merged = merge_shards(shards);
  EXPECT_EQ(merged["cells"][0]["invalid"]["reason"],
            "shard 1: the load generator fell behind: schedule lag p99 40 ms (limit 10 ms)");
  // A worker of one shard on a CPU all the time shows in the merged summary itself.
  auto busy = results_of(three_shards());
  busy[2].results["cells"][0]["summary"]["generator"] = {
      {"threads", 1}, {"worker_cpu_s", {2.9}}, {"worker_cpu_busy", {0.97}}};
  EXPECT_THAT(merge_shards(busy)["cells"][0]["invalid"]["reason"].get<std::string>(),
              HasSubstr("a worker thread was on a CPU 97% of the time"));
}

TEST(MergeShards, PercentilesEqualThoseOfAllValuesRecordedInOneHistogram) {
  const auto shards = three_shards();
  metrics::HdrHistogram all;
  for (const auto& s : shards) {
    for (const auto v : s.latencies_us) all.record(v);
  }
  const json merged = merge_shards(results_of(shards));
  const json& cell = merged["cells"][0];
  const auto histogram =
      metrics::decode_hdr_v2_base64(cell["histograms"]["latency"].get<std::string>());
  EXPECT_TRUE(histogram.has_same_counts(all));
  json expected;
  metrics::to_json(expected, metrics::summarize_ms(all));
  EXPECT_EQ(cell["summary"]["latency_ms"], expected);
  // Not the mean of the shards' p99s: the shards differ, so that would be wrong.
  EXPECT_GT(cell["summary"]["latency_ms"]["p99"].get<double>(), 0.0);
}

TEST(MergeShards, TimeSeriesRowsAreMatchedByWallClockSecondOnTheSharedGrid) {
  auto shards = three_shards();
  shards[1].late_s = 1.02;  // shard 1 started a second late: its rows are one second later
  const json merged = merge_shards(results_of(shards));
  const json& rows = merged["cells"][0]["timeseries"];
  ASSERT_EQ(rows.size(), 4u);
  auto completed = [&](int shard, int second) {
    const auto& cell = make_cell(shards[static_cast<std::size_t>(shard)]);
    return cell["timeseries"][static_cast<std::size_t>(second)]["throughput_rps"]
        .get<std::int64_t>();
  };
  EXPECT_EQ(rows[0]["throughput_rps"], completed(0, 0) + completed(2, 0));
  EXPECT_EQ(rows[1]["throughput_rps"], completed(0, 1) + completed(1, 0) + completed(2, 1));
  EXPECT_EQ(rows[3]["throughput_rps"], completed(1, 2));
  EXPECT_EQ(rows[1]["shards"], 3);
  EXPECT_DOUBLE_EQ(rows[1]["checked_out"].get<double>(), 1.0 + 2.0 + 3.0);  // gauges summed
  EXPECT_EQ(rows[1]["server_active"], 6);
  EXPECT_TRUE(rows[1]["server_idle"].is_null());
  EXPECT_EQ(rows[0]["timeouts"], 0 + 2);
  EXPECT_DOUBLE_EQ(rows[2]["unix_s"].get<double>(), k_measure_start + 2);
  EXPECT_DOUBLE_EQ(rows[2]["t_s"].get<double>(), 2);
  // Each row's percentiles come from that second's merged histogram.
  metrics::HdrHistogram second;
  for (const int shard : {0, 1, 2}) {
    const auto& s = shards[static_cast<std::size_t>(shard)];
    const std::size_t k = shard == 1 ? 0 : 1;  // row 1 holds shard 1's first second
    for (std::size_t i = 0; i < s.latencies_us.size(); ++i) {
      if (second_of(i, s.latencies_us.size()) == k) second.record(s.latencies_us[i]);
    }
  }
  EXPECT_DOUBLE_EQ(rows[1]["p99_ms"].get<double>(),
                   static_cast<double>(second.value_at_percentile_us(99)) / 1000.0);
  EXPECT_TRUE(metrics::decode_hdr_v2_base64(rows[1]["latency_hist"].get<std::string>())
                  .has_same_counts(second));
}

/// One shard's server_stats: server-wide counters that differ a little between the shards'
/// readings, as they do when each reads the same server a moment apart.
json shard_server_stats(int i) {
  const json statement = {{"query", "SELECT abalance FROM pgbench_accounts WHERE aid = $1"},
                          {"calls", 1000.0 * (i + 1)},
                          {"total_exec_ms", 10.0 * (i + 1)}};
  json stats = {
      {"database",
       {{"xact_commit", std::vector<double>{100, 98, 99}[static_cast<std::size_t>(i)]},
        {"blks_hit", 1000.0 + 10 * i},
        {"blks_read", std::vector<double>{5, 9, 7}[static_cast<std::size_t>(i)]},
        {"temp_bytes", 0.0}}},
      {"bgwriter",
       {{"checkpoints_timed", i == 1 ? 1.0 : 0.0}, {"checkpoints_req", i == 2 ? 2.0 : 0.0}}},
      {"wal", {{"wal_bytes", std::vector<double>{1000, 1200, 1100}[static_cast<std::size_t>(i)]}}},
      {"tables", {{"heap_blks_read", 3.0 + i}}},
      {"statements", json::array({statement})},
      {"statements_left_out", i},
      {"wait_events",
       {{"samples", 3},
        {"events",
         json::array(
             {{{"wait_event_type", "Lock"}, {"wait_event", "transactionid"}, {"count", 2 - i}},
              {{"wait_event_type", "LWLock"}, {"wait_event", "WALWrite"}, {"count", 4 * i}}})}}},
      {"os",
       {{"server_cpu_s", 1.5 + 0.1 * i},
        {"poolbench_cpu_s", i == 0 ? 0.5 : 0.25},
        {"disk", nullptr},
        {"peak_server_rss_bytes", nullptr}}},
      {"missing",
       {{"os.disk", "the data directory is on overlayfs"},
        {"os.peak_server_rss_bytes", "no /proc/<pid>/smaps_rollup"}}}};
  if (i == 0) {
    stats["os"]["disk"] = {{"device", "sda"}, {"write_bytes", 4096.0}, {"reads", 2.0}};
    stats["missing"].erase("os.disk");
  }
  if (i == 1) {  // a shard on another machine than the server: no server /proc
    stats["tables"] = nullptr;
    stats["missing"]["tables"] = "pg_statio_user_tables: permission denied";
    stats["os"]["server_cpu_s"] = nullptr;
    stats["missing"]["os.server_cpu_s"] = "the server at db.example is not on this machine";
  }
  if (i == 2) {
    stats["wait_events"] = nullptr;
    stats["missing"]["wait_events"] = "no 1 s sample was taken";
  }
  return stats;
}

TEST(MergeShards, ServerWideCountersTakeTheWidestReadingAndPerShardOnesAreSummed) {
  auto shards = results_of(three_shards());
  for (std::size_t i = 0; i < shards.size(); ++i)
    shards[i].results["cells"][0]["server_stats"] = shard_server_stats(static_cast<int>(i));
  const json merged = merge_shards(shards);
  const json& stats = merged["cells"][0]["server_stats"];
  EXPECT_EQ(stats["database"]["xact_commit"], 100.0);  // not 297: one server, read three times
  EXPECT_EQ(stats["database"]["blks_hit"], 1020.0);
  EXPECT_EQ(stats["database"]["blks_read"], 9.0);
  EXPECT_EQ(stats["bgwriter"]["checkpoints_timed"], 1.0);
  EXPECT_EQ(stats["bgwriter"]["checkpoints_req"], 2.0);
  EXPECT_EQ(stats["wal"]["wal_bytes"], 1200.0);
  EXPECT_EQ(stats["tables"]["heap_blks_read"], 5.0);  // shard 1 could not read it
  // pg_stat_statements: the reading with the most calls (shard 2's), with its left-out count.
  EXPECT_EQ(stats["statements"], shard_server_stats(2)["statements"]);
  EXPECT_EQ(stats["statements_left_out"], 2);
  // Each shard sampled its own backends: samples and counts add up (shard 2 took none).
  EXPECT_EQ(stats["wait_events"]["samples"], 6);
  EXPECT_EQ(
      stats["wait_events"]["events"],
      json::array({{{"wait_event_type", "LWLock"}, {"wait_event", "WALWrite"}, {"count", 4}},
                   {{"wait_event_type", "Lock"}, {"wait_event", "transactionid"}, {"count", 3}}}));
  EXPECT_DOUBLE_EQ(stats["os"]["server_cpu_s"].get<double>(), 1.7);
  EXPECT_DOUBLE_EQ(stats["os"]["poolbench_cpu_s"].get<double>(), 0.5 + 0.25 + 0.25);
  EXPECT_EQ(stats["os"]["disk"], shard_server_stats(0)["os"]["disk"]);
  EXPECT_TRUE(stats["os"]["peak_server_rss_bytes"].is_null());
  EXPECT_EQ(stats["missing"],
            json({{"os.peak_server_rss_bytes", "shard 0: no /proc/<pid>/smaps_rollup"}}));
  // summary's derived keys over the merged figures and the merged completed requests.
  const json& summary = merged["cells"][0]["summary"];
  ASSERT_EQ(summary["completed"], 3000);
  EXPECT_DOUBLE_EQ(summary["cache_hit_ratio"].get<double>(), 1020.0 / 1029.0);
  EXPECT_DOUBLE_EQ(summary["wal_bytes_per_transaction"].get<double>(), 1200.0 / 3000);
  EXPECT_DOUBLE_EQ(summary["server_cpu_ms_per_request"].get<double>(), 1700.0 / 3000);
  EXPECT_DOUBLE_EQ(summary["client_cpu_ms_per_request"].get<double>(), 1000.0 / 3000);
  EXPECT_EQ(summary["checkpoints"], 3.0);
  EXPECT_EQ(summary["temp_bytes_per_request"], 0.0);
}

TEST(MergeShards, ThePerRequestFiguresDivideByEveryShardsRequestsBetweenItsReadings) {
  // Each shard counted its own requests between its readings (fewer than it completed: its
  // start reading came late); the merged counters are server-wide, so the requests add up.
  auto shards = results_of(three_shards());
  for (std::size_t i = 0; i < shards.size(); ++i) {
    json& cell = shards[i].results["cells"][0];
    cell["server_stats"] = shard_server_stats(static_cast<int>(i));
    cell["server_stats"]["window"] = {{"requests", 900 - 100 * static_cast<int>(i)},
                                      {"requests_in_start_reading", 5},
                                      {"start_reading_ms", 80.0 + 10 * static_cast<double>(i)},
                                      {"start_lag_ms", 3.0}};
    cell["summary"]["server_statements"] = {{"calls", 1000.0 * static_cast<double>(i + 1)},
                                            {"total_exec_ms", 240.0},
                                            {"mean_exec_ms", 0.1},
                                            {"requests", 900 - 100 * static_cast<int>(i)},
                                            {"exec_ms_per_request", 0.3}};
  }
  const json merged = merge_shards(shards);
  const json& cell = merged["cells"][0];
  EXPECT_EQ(cell["server_stats"]["window"], json({{"requests", 2400},
                                                  {"requests_in_start_reading", 15},
                                                  {"start_reading_ms", 100.0},
                                                  {"start_lag_ms", 3.0}}));
  const json& summary = cell["summary"];
  ASSERT_EQ(summary["completed"], 3000);
  EXPECT_DOUBLE_EQ(summary["wal_bytes_per_transaction"].get<double>(), 1200.0 / 2400);
  EXPECT_DOUBLE_EQ(summary["blks_read_per_request"].get<double>(), 9.0 / 2400);
  EXPECT_EQ(summary["server_statements"]["requests"], 2400);
  EXPECT_DOUBLE_EQ(summary["server_statements"]["exec_ms_per_request"].get<double>(), 0.1);
  // One shard without a window: every merged per-request figure is per completed request.
  shards[1].results["cells"][0]["server_stats"].erase("window");
  shards[1].results["cells"][0]["summary"]["server_statements"].erase("requests");
  const json older = merge_shards(shards)["cells"][0];
  EXPECT_FALSE(older["server_stats"].contains("window"));
  EXPECT_DOUBLE_EQ(older["summary"]["wal_bytes_per_transaction"].get<double>(), 1200.0 / 3000);
  EXPECT_EQ(older["summary"]["server_statements"]["requests"], 3000);
}

TEST(MergeShards, AKeyNoShardReadIsNullWithTheFirstShardsReason) {
  auto shards = results_of(three_shards());
  for (std::size_t i = 0; i < shards.size(); ++i) {
    json stats = shard_server_stats(static_cast<int>(i));
    stats["wal"] = nullptr;
    stats["missing"]["wal"] = fmt::format("pg_stat_wal: reset ({})", i);
    if (i == 1) {
      stats["os"]["poolbench_cpu_s"] = nullptr;  // a sum without one shard's would be wrong
      stats["missing"]["os.poolbench_cpu_s"] = "no /proc/self/stat";
    }
    shards[i].results["cells"][0]["server_stats"] = stats;
  }
  const json merged = merge_shards(shards);
  const json& stats = merged["cells"][0]["server_stats"];
  EXPECT_TRUE(stats["wal"].is_null());
  EXPECT_EQ(stats["missing"]["wal"], "shard 0: pg_stat_wal: reset (0)");
  EXPECT_TRUE(stats["os"]["poolbench_cpu_s"].is_null());
  EXPECT_EQ(stats["missing"]["os.poolbench_cpu_s"], "shard 1: no /proc/self/stat");
  EXPECT_TRUE(merged["cells"][0]["summary"]["wal_bytes_per_transaction"].is_null());
  EXPECT_TRUE(merged["cells"][0]["summary"]["client_cpu_ms_per_request"].is_null());
  // Shards without server_stats (server.stats: false) give a merged cell without it.
  const json plain = merge_shards(results_of(three_shards()));
  EXPECT_FALSE(plain["cells"][0].contains("server_stats"));
  EXPECT_FALSE(plain["cells"][0]["summary"].contains("cache_hit_ratio"));
}

json plan(int line, const std::string& fingerprint) {
  return {{"transaction", "tpcb"},      {"line", line},
          {"statement", "SELECT 1"},    {"parameters", {"7"}},
          {"fingerprint", fingerprint}, {"shape", "Result"},
          {"total_cost", 0.01},         {"plan", {{"Node Type", "Result"}}},
          {"reason", nullptr}};
}

TEST(MergeShards, PlansAreTheFirstShardsAndAFingerprintAnotherShardSawDifferIsNoted) {
  auto shards = results_of(three_shards());
  for (std::size_t i = 0; i < shards.size(); ++i) {
    shards[i].results["cells"][0]["plans"] = json::array(
        {plan(3, "00000000000000aa"), plan(5, i == 2 ? "00000000000000cc" : "00000000000000bb")});
  }
  const json merged = merge_shards(shards);
  const json& plans = merged["cells"][0]["plans"];
  ASSERT_EQ(plans.size(), 2u);
  EXPECT_EQ(plans[0], plan(3, "00000000000000aa"));  // the same in every shard: unchanged
  EXPECT_EQ(plans[1]["fingerprint"], "00000000000000bb");
  EXPECT_EQ(plans[1]["shards_differ"],
            json::array({{{"shard", 2}, {"fingerprint", "00000000000000cc"}}}));
  EXPECT_FALSE(merge_shards(results_of(three_shards()))["cells"][0].contains("plans"));
}

TEST(MergeShards, PlansNoShardRecordedAreNullWithTheFirstShardsReason) {
  auto shards = results_of(three_shards());
  for (auto& shard : shards) {
    shard.results["cells"][0]["plans"] = nullptr;
    shard.results["cells"][0]["plans_reason"] = "no monitoring connection to the server";
  }
  const json none = merge_shards(shards)["cells"][0];
  EXPECT_TRUE(none["plans"].is_null());
  EXPECT_EQ(none["plans_reason"], "no monitoring connection to the server");
  // One shard's plans are the merged cell's, and the others' reason goes.
  shards[1].results["cells"][0]["plans"] = json::array({plan(3, "00000000000000aa")});
  shards[1].results["cells"][0].erase("plans_reason");
  const json one = merge_shards(shards)["cells"][0];
  ASSERT_TRUE(one["plans"].is_array());
  EXPECT_EQ(one["plans"][0]["fingerprint"], "00000000000000aa");
  EXPECT_FALSE(one.contains("plans_reason"));
}

/// The message of the InputError merge_shards throws, or "" when it does not.
std::string refusal(std::vector<ShardResults> shards) {
  try {
    merge_shards(shards);
  } catch (const InputError& e) {
    return e.what();
  }
  return {};
}

TEST(MergeShards, RefusesShardsOfAnotherScenarioVersionCountOrStartNamingTheFile) {
  auto shards = results_of(three_shards());
  auto changed = [&](const std::function<void(json&)>& change) {
    auto copy = shards;
    change(copy[2].results);
    return refusal(copy);
  };
  EXPECT_THAT(changed([](json& r) { r["scenario"]["pool"]["pool_size"] = 3; }),
              HasSubstr("shard-2.json: its scenario differs"));
  EXPECT_THAT(changed([](json& r) { r["tool"]["version"] = "1.0.0"; }),
              HasSubstr("shard-2.json: the poolbench version"));
  EXPECT_THAT(changed([](json& r) { r["shard"]["count"] = 4; }),
              HasSubstr("shard-2.json: the shard count"));
  EXPECT_THAT(changed([](json& r) { r["shard"]["start_at"] = "2027-01-15T08:01:00Z"; }),
              HasSubstr("shard-2.json: shard.start_at"));
  EXPECT_THAT(changed([](json& r) { r.erase("shard"); }), HasSubstr("shard-2.json: not a shard"));
  EXPECT_THAT(changed([](json& r) { r["cells"][0]["id"] = "other#0"; }),
              HasSubstr("has no cell pool.pool_size=2#0"));
  EXPECT_THAT(changed([](json& r) { r["cells"][0]["histograms"]["latency"] = "HISTFAAA"; }),
              HasSubstr("shard-2.json: cell pool.pool_size=2#0: histograms.latency"));
}

TEST(MergeShards, RefusesADuplicateOrMissingShardIndex) {
  auto shards = results_of(three_shards());
  auto duplicate = shards;
  duplicate[2] = make_shard(three_shards()[1]);
  duplicate[2].name = "again.json";
  EXPECT_THAT(refusal(duplicate), HasSubstr("again.json: shard 1 of 3 again (also shard-1.json)"));
  shards.pop_back();
  EXPECT_THAT(refusal(shards), HasSubstr("shard(s) 2 of 3 missing"));
  EXPECT_THAT(refusal({}), HasSubstr("give the shards"));
}

TEST(MergeShards, TheMergedScenarioCountsEveryShardsPools) {
  const json merged = merge_shards(results_of(three_shards()));
  EXPECT_EQ(merged["scenario"]["pool"]["instances"], 3);  // one instance per shard, 3 shards
}

TEST(MergeShards, ShardOrderOnTheCommandLineDoesNotMatter) {
  auto shards = results_of(three_shards());
  const json forward = merge_shards(shards);
  std::swap(shards[0], shards[2]);
  const json backward = merge_shards(shards);
  EXPECT_EQ(forward["cells"][0]["summary"], backward["cells"][0]["summary"]);
  EXPECT_EQ(forward["cells"][0]["timeseries"], backward["cells"][0]["timeseries"]);
}

}  // namespace
}  // namespace poolbench::matrix
