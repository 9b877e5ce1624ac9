#include "cluster/budget.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace poolbench::cluster {
namespace {

using ::testing::HasSubstr;

TEST(ConnectionBudget, PoolsThatFitLeaveSpareConnections) {
  ConnectionBudget budget;
  budget.instances = 3;
  budget.pool_size = 20;
  budget.max_overflow = 10;
  budget.max_connections = 100;
  budget.superuser_reserved_connections = 3;
  const auto verdict = check_connection_budget(budget);
  EXPECT_TRUE(verdict.fits);
  EXPECT_EQ(verdict.needed, 90);
  EXPECT_EQ(verdict.available, 97);
  EXPECT_THAT(verdict.message, HasSubstr("7 spare"));
}

TEST(ConnectionBudget, TooManyInstancesExceedMaxConnectionsInTheSeedsTerms) {
  ConnectionBudget budget;
  budget.instances = 4;
  budget.pool_size = 20;
  budget.max_overflow = 10;
  budget.max_connections = 100;
  budget.superuser_reserved_connections = 3;
  const auto verdict = check_connection_budget(budget);
  EXPECT_FALSE(verdict.fits);
  EXPECT_EQ(verdict.needed, 120);
  EXPECT_THAT(verdict.message, HasSubstr("4 app instance(s) x (pool_size 20 + max_overflow 10)"));
  EXPECT_THAT(verdict.message, HasSubstr("Each application instance needs its own pool"));
  EXPECT_THAT(verdict.message, HasSubstr("at most 24"));
  EXPECT_THAT(verdict.message, HasSubstr("max_connections to at least 123"));
}

TEST(ConnectionBudget, ReservedConnectionsCountAgainstTheBudget) {
  ConnectionBudget budget;
  budget.instances = 1;
  budget.pool_size = 95;
  budget.max_overflow = 0;
  budget.max_connections = 100;
  budget.superuser_reserved_connections = 3;
  EXPECT_TRUE(check_connection_budget(budget).fits);  // 95 <= 97
  budget.reserved_connections = 3;                    // PostgreSQL 16
  const auto verdict = check_connection_budget(budget);
  EXPECT_FALSE(verdict.fits);  // 95 > 94
  EXPECT_EQ(verdict.available, 94);
  EXPECT_THAT(verdict.message, HasSubstr("reserved_connections = 3"));
}

TEST(ConnectionBudget, OtherConnectionsAreAdded) {
  ConnectionBudget budget;
  budget.pool_size = 90;
  budget.max_overflow = 7;
  budget.max_connections = 100;
  EXPECT_TRUE(check_connection_budget(budget).fits);  // exactly 97
  budget.other_connections = 1;
  EXPECT_FALSE(check_connection_budget(budget).fits);
}

TEST(ConnectionBudget, UnboundedPoolsNeverFit) {
  ConnectionBudget budget;
  budget.pool_size = 0;
  EXPECT_FALSE(check_connection_budget(budget).fits);
  EXPECT_THAT(check_connection_budget(budget).message, HasSubstr("pool_size = 0 means no limit"));
  budget.pool_size = 5;
  budget.max_overflow = -1;
  EXPECT_THAT(check_connection_budget(budget).message, HasSubstr("max_overflow = -1"));
}

constexpr double k_gib = 1024.0 * 1024 * 1024;

TEST(MemoryRules, SettingsSizedByTheSeedsRulesGiveNoWarning) {
  const MemorySettings settings{2 * k_gib, 6 * k_gib, 8 * 1024 * 1024, 100};
  const auto findings = evaluate_memory_rules(settings, 8 * k_gib);
  ASSERT_EQ(findings.size(), 3U);
  for (const auto& finding : findings) EXPECT_FALSE(finding.warning) << finding.message;
  EXPECT_THAT(findings[0].message, HasSubstr("shared_buffers = 2GB is 25%"));
  EXPECT_THAT(findings[2].message, HasSubstr("8MB x 100 = 800MB worst case"));
}

TEST(MemoryRules, FarFromTheRulesGivesWarnings) {
  // mem-16gb on an 8GB host: shared_buffers 50%, effective_cache_size 150%.
  const MemorySettings settings{4 * k_gib, 12 * k_gib, 16 * 1024 * 1024, 100};
  const auto findings = evaluate_memory_rules(settings, 8 * k_gib);
  EXPECT_TRUE(findings[0].warning);
  EXPECT_TRUE(findings[1].warning);
  EXPECT_FALSE(findings[2].warning);                                         // 1.6GB + 4GB < 8GB
  const MemorySettings greedy{4 * k_gib, 6 * k_gib, 64 * 1024 * 1024, 200};  // 12.5GB worst
  EXPECT_TRUE(evaluate_memory_rules(greedy, 8 * k_gib)[2].warning);
}

TEST(MemoryRules, BytesAreFormattedReadably) {
  EXPECT_EQ(format_bytes(512.0 * 1024 * 1024), "512MB");
  EXPECT_EQ(format_bytes(1.5 * k_gib), "1.5GB");
  EXPECT_EQ(format_bytes(100), "100B");
}

}  // namespace
}  // namespace poolbench::cluster
