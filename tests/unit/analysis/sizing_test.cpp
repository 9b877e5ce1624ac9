#include "analysis/sizing.hpp"

#include <gtest/gtest.h>

namespace poolbench::analysis {
namespace {

TEST(SeedsFormula, ReproducesTheSeedExampleOfTwentyFiveConnections) {
  // seed 000: 100 concurrent × 0.05 s / 0.2 s = 25 → pool_size 20, max_overflow 10.
  EXPECT_DOUBLE_EQ(seeds_connections_needed(100, 0.05, 0.2), 25.0);
  const PoolSplit split = split_with_headroom(25);
  EXPECT_EQ(split.pool_size, 20);
  EXPECT_EQ(split.max_overflow, 10);
  EXPECT_EQ(split.total(), 30);
}

TEST(SeedsFormula, SplitAlwaysKeepsOnePersistentConnection) {
  EXPECT_EQ(split_with_headroom(0).pool_size, 1);
  EXPECT_EQ(split_with_headroom(0.3).total(), 1);
  EXPECT_EQ(split_total(3).pool_size, 2);
  EXPECT_EQ(split_total(3).max_overflow, 1);
}

TEST(SeedsSumRule, ComparesThePoolTotalWithConcurrencyAndUnboundedAlwaysHolds) {
  EXPECT_TRUE(seeds_sum_rule_holds(20, 10, 30));
  EXPECT_FALSE(seeds_sum_rule_holds(20, 10, 30.5));
  EXPECT_TRUE(seeds_sum_rule_holds(0, 10, 1e6));
  EXPECT_TRUE(seeds_sum_rule_holds(5, -1, 1e6));
  EXPECT_EQ(pool_total(20, 10), 30);
  EXPECT_FALSE(pool_total(5, -1).has_value());
}

TEST(TrafficTier, FollowsTheDesignBoundaries) {
  EXPECT_EQ(traffic_tier(9.99), "low");
  EXPECT_EQ(traffic_tier(10), "medium");
  EXPECT_EQ(traffic_tier(50), "medium");
  EXPECT_EQ(traffic_tier(50.5), "high");
  EXPECT_EQ(traffic_tier(200), "high");
  EXPECT_EQ(traffic_tier(200.1), "very_high");
}

TEST(SeedTables, EncodeTheSeedRows) {
  ASSERT_EQ(seed_tier_rows().size(), 4u);
  const PoolRow& very_high = seed_tier_row(500);
  EXPECT_EQ(very_high.name, "very_high");
  EXPECT_EQ(very_high.pool_size, 30);
  EXPECT_EQ(very_high.max_overflow, 20);
  EXPECT_EQ(very_high.pool_timeout_s, 60);
  EXPECT_EQ(seed_tier_row(5).pool_size, 5);
  EXPECT_EQ(seed_tier_row(100).max_overflow, 10);
  ASSERT_EQ(seed_environment_rows().size(), 4u);
  EXPECT_EQ(seed_environment_rows()[3].pool_size, 50);
  EXPECT_EQ(seed_environment_rows()[3].max_overflow, 20);
  ASSERT_EQ(seed_workload_rows().size(), 2u);
  EXPECT_EQ(seed_workload_rows()[0].name, "read_heavy");
  EXPECT_EQ(seed_workload_rows()[1].pool_timeout_s, 60);
}

TEST(SeedBounds, ReportsEachSettingOutsideTheValidationBounds) {
  EXPECT_TRUE(seed_bounds_violations(20, 10, 30, 1800).empty());
  EXPECT_TRUE(seed_bounds_violations(100, 100, 300, 7200).empty());
  const auto problems = seed_bounds_violations(120, 101, 0.5, 60);
  ASSERT_EQ(problems.size(), 4u);
  EXPECT_EQ(problems[0], "pool_size must be <= 100 (is 120)");
  EXPECT_EQ(problems[2], "pool_timeout must be >= 1 (is 0.5)");
}

TEST(HikariCp, CountsTwoPerCoreAndOneSpindleForHdd) {
  EXPECT_EQ(hikaricp_connections(2, "hdd").connections, 5);
  EXPECT_EQ(hikaricp_connections(2, "ssd").connections, 4);
  EXPECT_EQ(hikaricp_connections(8, "default").effective_spindles, 0);
}

}  // namespace
}  // namespace poolbench::analysis
