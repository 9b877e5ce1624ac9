#include "analysis/queueing.hpp"

#include <cmath>

#include <gtest/gtest.h>

namespace poolbench::analysis {
namespace {

// REFERENCES.md §4 (1): 100 calls per 30 min, 3 min handling: A = 10 erlangs, c = 14 agents
// (R package ErlangC 0.1.0 README; pyworkforce 0.1.0), reproduced to full precision.
TEST(ErlangC, ReproducesThePublishedFourteenAgentExample) {
  const double lambda = 100.0 / 1800.0;  // per second
  const ErlangC q = erlang_c(14, lambda, 180.0);
  EXPECT_NEAR(q.offered_load, 10.0, 1e-12);
  EXPECT_TRUE(q.stable);
  EXPECT_NEAR(q.p_wait, 0.1741319335950498, 1e-13);
  EXPECT_NEAR(q.mean_wait_s, 7.83593701177724, 1e-11);
  EXPECT_NEAR(1 - q.p_wait_longer_than(20), 0.8883500191794669, 1e-13);
  EXPECT_NEAR(q.occupancy, 0.7142857, 1e-7);
}

// (2) pyworkforce test_over_occupancy_erlangc: A = 10, c = 15.
TEST(ErlangC, ReproducesPyworkforceFifteenAgentValues) {
  const ErlangC q = erlang_c(15, 10.0 / 3.0, 3.0);  // minutes as the unit: λ·h = 10
  EXPECT_NEAR(q.p_wait, 0.102, 5e-4);
  EXPECT_NEAR(1 - q.p_wait_longer_than(0.33), 0.941, 5e-4);
  EXPECT_NEAR(q.occupancy, 0.667, 5e-4);
}

// (3) A = 48, c = 55 (Westbay tutorial inputs), REFERENCES.md's own computation.
TEST(ErlangC, MatchesTheFortyEightErlangComputation) {
  const ErlangC q = erlang_c(55, 48.0 / 240.0, 240.0);  // 4-minute handling time
  EXPECT_NEAR(q.p_wait, 0.23870, 5e-6);
  EXPECT_NEAR(q.mean_wait_s, 8.184, 5e-4);
  EXPECT_NEAR(1 - q.p_wait_longer_than(15), 0.84588, 5e-6);
}

TEST(ErlangB, RecurrenceIsStableForLargeLoadsAndMatchesSmallCases) {
  EXPECT_DOUBLE_EQ(erlang_b(0, 3.0), 1.0);
  EXPECT_DOUBLE_EQ(erlang_b(1, 1.0), 0.5);    // A / (1 + A)
  EXPECT_NEAR(erlang_b(2, 1.0), 0.2, 1e-15);  // (A²/2) / (1 + A + A²/2)
  const double b = erlang_b(5000, 4900.0);    // factorials would overflow here
  EXPECT_TRUE(std::isfinite(b));
  EXPECT_GT(b, 0.0);
  EXPECT_LT(b, 0.05);
}

TEST(ErlangC, AnOverloadedPoolIsUnstableWithALossFloor) {
  const ErlangC q = erlang_c(2, 200.0, 0.022);  // A = 4.4 > 2
  EXPECT_FALSE(q.stable);
  EXPECT_EQ(q.p_wait, 1.0);
  EXPECT_TRUE(std::isinf(q.mean_wait_s));
  EXPECT_EQ(q.p_wait_longer_than(0.2), 1.0);
  EXPECT_NEAR(q.overload_loss_floor(), 1 - 2 / 4.4, 1e-12);
  EXPECT_EQ(erlang_c(5, 200.0, 0.022).overload_loss_floor(), 0.0);
}

TEST(ErlangC, SmallestServersMeetsTheTargetAndOneFewerDoesNot) {
  WaitTarget target;
  target.max_p_wait = 0.2;
  const auto c = erlang_c_smallest_servers(100.0 / 1800.0, 180.0, target);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(*c, 14);  // 0.174 at 14; 13 waits more often
  EXPECT_GT(erlang_c(13, 100.0 / 1800.0, 180.0).p_wait, 0.2);

  WaitTarget by_mean;
  by_mean.max_mean_wait_s = 7.9;
  EXPECT_EQ(erlang_c_smallest_servers(100.0 / 1800.0, 180.0, by_mean), 14);

  WaitTarget by_timeout;
  by_timeout.max_p_wait_longer = 1 - 0.8883500191794669 + 1e-12;
  by_timeout.wait_limit_s = 20;
  EXPECT_EQ(erlang_c_smallest_servers(100.0 / 1800.0, 180.0, by_timeout), 14);

  EXPECT_EQ(erlang_c_smallest_servers(200.0, 0.022, WaitTarget{}), 5);  // floor(4.4) + 1
  WaitTarget impossible;
  impossible.max_p_wait = 0;
  EXPECT_FALSE(erlang_c_smallest_servers(200.0, 0.022, impossible, 50).has_value());
}

TEST(LittleCheck, PredictsConnectionsInUseFromThroughputAndHold) {
  const LittleCheck check = little_check(200.0, 0.022, 4.0);
  EXPECT_NEAR(check.predicted_in_use, 4.4, 1e-12);
  ASSERT_TRUE(check.relative_error.has_value());
  EXPECT_NEAR(*check.relative_error, 0.1, 1e-12);
  EXPECT_FALSE(little_check(0, 0.02, 0).relative_error.has_value());
}

}  // namespace
}  // namespace poolbench::analysis
