#include "matrix/shard.hpp"

#include <numeric>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "scenario/shard_split.hpp"
#include "util/error.hpp"

namespace poolbench::matrix {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

scenario::Scenario scenario(const std::string& workload, const std::string& pool) {
  return scenario::parse_scenario("name: s\nworkload: " + workload +
                                      "\ntransactions:\n  - name: t\n    script: SELECT 1;\n"
                                      "pool: " +
                                      pool + "\n",
                                  "s.yaml", {});
}

TEST(ShardFlag, ParsesZeroBasedIndexOfCount) {
  const auto spec = parse_shard("2/3");
  EXPECT_EQ(spec.index, 2);
  EXPECT_EQ(spec.count, 3);
  EXPECT_EQ(parse_shard("0/1").count, 1);
}

TEST(ShardFlag, RefusesIndexOutOfRangeZeroCountAndNonNumbers) {
  for (const char* bad : {"0/0", "3/3", "-1/3", "a/b", "1", "1/", "/3", "1/3/4", "1 /3", ""}) {
    EXPECT_THROW(
        {
          try {
            parse_shard(bad);
          } catch (const InputError& e) {
            EXPECT_THAT(e.what(), HasSubstr("--shard"));
            throw;
          }
        },
        InputError)
        << bad;
  }
}

TEST(StartAt, Rfc3339UtcAndUnixSecondsNameTheSameInstant) {
  const auto rfc = parse_start_at("2026-01-31T12:00:00Z");
  EXPECT_EQ(rfc, parse_start_at("1769860800"));
  EXPECT_EQ(rfc, parse_start_at("2026-01-31T12:00:00+00:00"));
  EXPECT_EQ(format_rfc3339(rfc), "2026-01-31T12:00:00Z");
  const auto fraction = parse_start_at("2026-01-31T12:00:00.25Z");
  EXPECT_EQ(fraction - rfc, std::chrono::milliseconds(250));
  EXPECT_EQ(parse_start_at("1769860800.25"), fraction);
  EXPECT_EQ(format_rfc3339(fraction), "2026-01-31T12:00:00.250000Z");
}

TEST(StartAt, RefusesLocalTimesOffsetsImpossibleDatesAndWords) {
  for (const char* bad :
       {"2026-01-31T12:00:00", "2026-01-31T12:00:00+02:00", "2026-02-30T00:00:00Z",
        "2026-13-01T00:00:00Z", "now", "-5", "12:00", ""}) {
    EXPECT_THROW(parse_start_at(bad), InputError) << bad;
  }
}

TEST(SlotLength, IsWarmupPlusDurationPlusSettlePlusMarginAndRefusesTransactionBoundCells) {
  const auto s = scenario("{ clients: 4, duration: 10s, warmup: 2s }", "{ pool_size: 2 }");
  EXPECT_EQ(slot_length(s, std::chrono::seconds(1)),
            std::chrono::seconds(10 + 2 + 1) + k_slot_margin);
  const auto by_count = scenario("{ clients: 4, transactions: 100 }", "{ pool_size: 2 }");
  EXPECT_THROW(slot_length(by_count, {}), InputError);
}

TEST(ShardLoad, ClosedLoopClientsOfAllShardsAddUpExactly) {
  for (int clients : {3, 7, 16, 100}) {
    for (int instances : {1, 2, 5}) {
      for (int shards : {1, 2, 3}) {
        if (clients < std::max(instances, shards)) continue;
        const auto s = scenario(fmt::format("{{ clients: {}, duration: 1s }}", clients),
                                fmt::format("{{ pool_size: 2, instances: {} }}", instances));
        int total = 0;
        for (int i = 0; i < shards; ++i) {
          const auto load = scenario::shard_load(s, {i, shards});
          EXPECT_EQ(load.scenario.workload.clients, load.clients);
          EXPECT_GE(load.clients, 1);
          total += load.clients;
        }
        EXPECT_EQ(total, clients) << clients << " clients, " << instances << " instances, "
                                  << shards << " shards";
      }
    }
  }
}

TEST(ShardLoad, OpenLoopRatesOfAllShardsAddUpToTheTotal) {
  for (int instances : {1, 4}) {
    const auto s = scenario("{ mode: open, rate: 300, duration: 1s }",
                            fmt::format("{{ pool_size: 2, instances: {} }}", instances));
    double total = 0;
    for (int i = 0; i < 3; ++i)
      total += scenario::shard_load(s, {i, 3}).scenario.workload.rate_per_s;
    EXPECT_NEAR(total, 300.0, 1e-9);
  }
}

TEST(ShardLoad, InstanceIGoesToShardIModNWhenThereAreEnoughInstances) {
  const auto s = scenario("{ clients: 10, duration: 1s }", "{ pool_size: 3, instances: 5 }");
  const auto zero = scenario::shard_load(s, {0, 2});
  const auto one = scenario::shard_load(s, {1, 2});
  EXPECT_THAT(zero.instances, ElementsAre("app-1", "app-3", "app-5"));
  EXPECT_THAT(one.instances, ElementsAre("app-2", "app-4"));
  EXPECT_EQ(zero.clients, 6);
  EXPECT_EQ(one.clients, 4);
  EXPECT_EQ(zero.scenario.pool.instances, 3);
  EXPECT_EQ(zero.scenario.pool.settings.pool_size, 3);  // full pool settings per instance
  EXPECT_EQ(zero.total_pools, 5);
}

TEST(ShardLoad, FewerInstancesThanShardsMeansEveryShardRunsItsOwnCopies) {
  const auto s = scenario("{ clients: 10, duration: 1s }", "{ pool_size: 3 }");
  const auto load = scenario::shard_load(s, {2, 3});
  EXPECT_THAT(load.instances, ElementsAre("app-1"));
  EXPECT_EQ(load.clients, 3);
  EXPECT_EQ(load.total_pools, 3);
  EXPECT_EQ(load.scenario.pool.settings.pool_size, 3);
}

TEST(ShardLoad, AShardWithoutClientsIsBadInput) {
  const auto s = scenario("{ clients: 2, duration: 1s }", "{ pool_size: 3 }");
  EXPECT_THROW(scenario::shard_load(s, {2, 3}), InputError);
}

TEST(ShardSeed, DiffersPerShardAndIsStable) {
  EXPECT_NE(scenario::shard_seed(42, {0, 3}), scenario::shard_seed(42, {1, 3}));
  EXPECT_EQ(scenario::shard_seed(42, {1, 3}), scenario::shard_seed(42, {1, 3}));
  EXPECT_EQ(scenario::shard_seed(42, {0, 1}), 42u);
}

}  // namespace
}  // namespace poolbench::matrix
