// The seeds' server-side rules (cache hit ratio, work_mem against temp files, requested vs
// timed checkpoints, lock waits) judged per cell on hand-made server_stats, both ways, and
// the largest server-side differences between profiles.

#include "analysis/server_claims.hpp"

#include <map>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "analysis/analyze.hpp"
#include "analysis/seed_claims.hpp"
#include "analysis/server_differences.hpp"

namespace poolbench::analysis {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

/// A measured cell with server evidence that satisfies every rule: 99.5% cache hits, no temp
/// files, one timed checkpoint, 1 lock wait in 40 busy backend samples (2.5%).
json good_cell(const std::string& id) {
  return {
      {"id", id},
      {"status", "ok"},
      {"params", {{"pool_size", 4}, {"max_overflow", 0}, {"pool_timeout_s", 30.0}}},
      {"server",
       {{"max_connections", 100},
        {"memory", {{"shared_buffers", "128MB"}, {"work_mem", "4MB"}}},
        {"wal", {{"max_wal_size", "1GB"}, {"checkpoint_timeout", "5min"}}}}},
      {"summary",
       {{"completed", 1000},
        {"cache_hit_ratio", 0.995},
        {"temp_bytes_per_request", 0},
        {"wal_bytes_per_transaction", 100},
        {"server_cpu_ms_per_request", 0.5},
        {"checkpoints", 1}}},
      {"timeseries",
       {{{"server_active", 10}, {"server_idle_in_tx", 0}},
        {{"server_active", 20}, {"server_idle_in_tx", 10}}}},
      {"server_stats",
       {{"database", {{"blks_hit", 995}, {"blks_read", 5}, {"temp_files", 0}, {"temp_bytes", 0}}},
        {"bgwriter", {{"checkpoints_timed", 1}, {"checkpoints_req", 0}}},
        {"wal", {{"wal_bytes", 100000}}},
        {"wait_events",
         {{"samples", 2},
          {"events",
           {{{"wait_event_type", "IO"}, {"wait_event", "DataFileRead"}, {"count", 4}},
            {{"wait_event_type", "Lock"}, {"wait_event", "transactionid"}, {"count", 1}}}}}}}}};
}

/// Verdicts of the row whose `row` text contains `row_part`, by cell id; empty if absent.
std::map<std::string, std::string> verdicts(const json& claims, const std::string& row_part) {
  std::map<std::string, std::string> out;
  for (const auto& claim : claims) {
    if (claim["row"].get<std::string>().find(row_part) == std::string::npos) continue;
    for (const auto& cell : claim["cells"]) out[cell["id"]] = cell["verdict"];
  }
  return out;
}

/// The evidence of cell `id` in the row containing `row_part`.
std::string evidence(const json& claims, const std::string& row_part, const std::string& id) {
  for (const auto& claim : claims) {
    if (claim["row"].get<std::string>().find(row_part) == std::string::npos) continue;
    for (const auto& cell : claim["cells"]) {
      if (cell["id"] == id) return cell["evidence"];
    }
  }
  return "(none)";
}

constexpr const char* k_cache = "Cache hit ratios";
constexpr const char* k_work_mem = "work_mem";
constexpr const char* k_checkpoints = "max_wal_size";
constexpr const char* k_locks = "Lock contention";

TEST(ServerClaims, ACellWithinEveryRuleHoldsEachOneWithItsEvidence) {
  const json claims = server_claims({{"cells", {good_cell("good")}}});
  ASSERT_EQ(claims.size(), 4u) << claims.dump(2);
  for (const char* row : {k_cache, k_work_mem, k_checkpoints, k_locks}) {
    EXPECT_EQ(verdicts(claims, row).at("good"), "holds") << row;
  }
  EXPECT_THAT(evidence(claims, k_cache, "good"),
              HasSubstr("99.500% (pg_stat_database: blks_hit 995, blks_read 5) with "
                        "shared_buffers = 128MB"));
  EXPECT_THAT(evidence(claims, k_work_mem, "good"), HasSubstr("0 temporary files"));
  EXPECT_THAT(evidence(claims, k_work_mem, "good"), HasSubstr("with work_mem = 4MB"));
  EXPECT_THAT(evidence(claims, k_checkpoints, "good"),
              HasSubstr("1 checkpoints timed, 0 requested with max_wal_size = 1GB, "
                        "checkpoint_timeout = 5min"));
  // 10 + 20 + 10 busy backend samples, one of them on a lock: 2.5% < 5%.
  EXPECT_THAT(evidence(claims, k_locks, "good"),
              HasSubstr("1 of 40 sampled non-idle backends waited on a lock (2.5%"));
  EXPECT_THAT(evidence(claims, k_locks, "good"), HasSubstr("Lock:transactionid 1"));
  // seed_claims() lists them after the other rows.
  EXPECT_EQ(verdicts(seed_claims({{"cells", {good_cell("good")}}}), k_cache).at("good"), "holds");
}

TEST(ServerClaims, ACellOffEveryRuleDiffersInEachOne) {
  json bad = good_cell("bad");
  bad["summary"]["cache_hit_ratio"] = 0.99;  // "> 99%": exactly 99% is not above it
  bad["summary"]["temp_bytes_per_request"] = 8192;
  bad["server_stats"]["database"]["temp_files"] = 3;
  bad["server_stats"]["database"]["temp_bytes"] = 8192000;
  bad["server_stats"]["bgwriter"]["checkpoints_req"] = 2;
  // 2 lock waits in 40 busy backend samples: 5%, the threshold itself, differs.
  bad["server_stats"]["wait_events"]["events"][1]["count"] = 2;
  const json claims = server_claims({{"cells", {bad}}});
  for (const char* row : {k_cache, k_work_mem, k_checkpoints, k_locks}) {
    EXPECT_EQ(verdicts(claims, row).at("bad"), "differs") << row;
  }
  EXPECT_THAT(evidence(claims, k_work_mem, "bad"), HasSubstr("3 temporary files, 7.8MB in all"));
  EXPECT_THAT(evidence(claims, k_checkpoints, "bad"), HasSubstr("explicit CHECKPOINT"));
  EXPECT_THAT(evidence(claims, k_locks, "bad"), HasSubstr("(5.0%"));
}

TEST(ServerClaims, ThresholdsAreTheSeedsNinetyNinePercentAndFivePercentOfSamples) {
  EXPECT_DOUBLE_EQ(k_cache_hit_ratio, 0.99);
  EXPECT_DOUBLE_EQ(k_lock_wait_share, 0.05);
  json just_above = good_cell("above");
  just_above["summary"]["cache_hit_ratio"] = 0.9901;
  // Without a time series the waiting backends are the denominator: 1 lock of 5 waits.
  just_above.erase("timeseries");
  const json claims = server_claims({{"cells", {just_above}}});
  EXPECT_EQ(verdicts(claims, k_cache).at("above"), "holds");
  EXPECT_EQ(verdicts(claims, k_locks).at("above"), "differs");
  EXPECT_THAT(evidence(claims, k_locks, "above"), HasSubstr("1 of 5 sampled"));
}

TEST(ServerClaims, CellsWithoutTheEvidenceHaveNoRow) {
  json none = good_cell("none");
  none.erase("server_stats");
  EXPECT_TRUE(server_claims({{"cells", {none}}}).empty());
  // Null keys: no block accesses, no pg_stat_bgwriter, no samples of a busy backend.
  json nulls = good_cell("nulls");
  nulls["summary"]["cache_hit_ratio"] = nullptr;
  nulls["server_stats"]["database"] = nullptr;
  nulls["server_stats"]["bgwriter"] = nullptr;
  nulls["server_stats"]["wait_events"] = nullptr;
  EXPECT_TRUE(server_claims({{"cells", {nulls}}}).empty());
  // A cell that is not measured (the generator fell behind) is no evidence either.
  json invalid = good_cell("invalid");
  invalid["invalid"] = {{"reason", "schedule lag"}};
  EXPECT_TRUE(server_claims({{"cells", {invalid}}}).empty());
  // One cell with evidence next to one without: only the one.
  const json claims = server_claims({{"cells", {none, good_cell("good")}}});
  EXPECT_EQ(verdicts(claims, k_cache).size(), 1u);
  EXPECT_EQ(verdicts(claims, k_cache).count("none"), 0u);
}

/// A cell of `profile` with the given server-side numbers.
json profile_cell(const std::string& id, const std::string& profile, double checkpoints,
                  double blks_read, double wal_per_tx) {
  json cell = good_cell(id);
  cell["params"]["profile"] = profile;
  cell["params"]["server.profile"] = profile;
  cell["params"]["pool.pool_size"] = "4";
  cell["summary"]["checkpoints"] = checkpoints;
  cell["summary"]["wal_bytes_per_transaction"] = wal_per_tx;
  cell["server_stats"]["database"]["blks_read"] = blks_read;
  return cell;
}

TEST(ServerDifferences, ProfilesOfOneGroupAreComparedByTheirMeansLargestFirst) {
  const json results = {
      {"cells",
       {profile_cell("h1", "hdd", 2, 3000, 100), profile_cell("h2", "hdd", 4, 5000, 100),
        profile_cell("s1", "ssd", 0, 1000, 110), profile_cell("s2", "ssd", 0, 1000, 130)}}};
  const json diffs = detail::server_differences(results);
  ASSERT_EQ(diffs.size(), 3u) << diffs.dump(2);  // the other metrics are equal
  // Checkpoints 3 vs 0 (no ratio) first, then blocks read per request 4 vs 1, then WAL.
  EXPECT_EQ(diffs[0]["metric"], "checkpoints");
  EXPECT_EQ(diffs[0]["profiles"], json({"hdd", "ssd"}));
  EXPECT_EQ(diffs[0]["means"], json({3.0, 0.0}));
  EXPECT_TRUE(diffs[0]["ratio"].is_null());
  EXPECT_EQ(diffs[0]["cells"], json({2, 2}));
  EXPECT_EQ(diffs[0]["group"], "pool.pool_size=4");
  EXPECT_EQ(diffs[1]["metric"], "blks_read_per_request");
  EXPECT_DOUBLE_EQ(diffs[1]["means"][0].get<double>(), 4.0);  // 4000 blocks / 1000 requests
  EXPECT_DOUBLE_EQ(diffs[1]["ratio"].get<double>(), 4.0);
  EXPECT_EQ(diffs[2]["metric"], "wal_bytes_per_transaction");
  EXPECT_EQ(diffs[2]["profiles"], json({"ssd", "hdd"}));
  EXPECT_DOUBLE_EQ(diffs[2]["ratio"].get<double>(), 1.2);
  EXPECT_EQ(diffs[2]["ranges"], json({{110.0, 130.0}, {100.0, 100.0}}));
}

TEST(ServerDifferences, ProfilesWhoseRepetitionsOverlapAreNotADifference) {
  // hdd's WAL per transaction 90-200, ssd's 100-120: the means differ (145 vs 110), but the
  // repetitions disagree as much as the profiles do. Blocks read (3-5 vs 1) do not overlap.
  const json results = {
      {"cells",
       {profile_cell("h1", "hdd", 0, 3000, 90), profile_cell("h2", "hdd", 0, 5000, 200),
        profile_cell("s1", "ssd", 0, 1000, 100), profile_cell("s2", "ssd", 0, 1000, 120)}}};
  const json diffs = detail::server_differences(results);
  ASSERT_EQ(diffs.size(), 1u) << diffs.dump(2);
  EXPECT_EQ(diffs[0]["metric"], "blks_read_per_request");
  EXPECT_EQ(diffs[0]["ranges"], json({{3.0, 5.0}, {1.0, 1.0}}));
}

TEST(ServerDifferences, OnlyCellsThatDifferOnlyInTheirProfileAreCompared) {
  json other_pool = profile_cell("s1", "ssd", 0, 1000, 100);
  other_pool["params"]["pool.pool_size"] = "8";
  json no_stats = profile_cell("s2", "ssd", 0, 1000, 100);
  no_stats.erase("server_stats");
  const json results = {{"cells", {profile_cell("h1", "hdd", 5, 9000, 900), other_pool, no_stats}}};
  EXPECT_TRUE(detail::server_differences(results).empty());
  // analyze() carries them.
  const json analysis = analyze(
      {{"cells",
        {profile_cell("h1", "hdd", 5, 9000, 900), profile_cell("s1", "ssd", 0, 1000, 100)}}},
      "results.json");
  EXPECT_EQ(analysis["server_differences"].size(), 3u);
}

TEST(ServerDifferences, AtMostAHandfulAreListed) {
  json cells = json::array();
  for (const char* profile : {"a", "b", "c", "d"}) {
    json cell = profile_cell(profile, profile, 1, 1000, 100);
    cell["summary"]["checkpoints"] = std::string(profile)[0] - 'a' + 1;
    cells.push_back(cell);
  }
  EXPECT_EQ(detail::server_differences({{"cells", cells}}).size(),
            detail::k_max_server_differences);  // 6 pairs differ in checkpoints
}

}  // namespace
}  // namespace poolbench::analysis
