#include "metrics/client_stats.hpp"

#include <gtest/gtest.h>

namespace poolbench::metrics {
namespace {

// SQLAlchemy 1.4's split in the fairness scenario (pool 2+1, 5 busy clients): 20, 20, 20,
// 1, 1 completions, the last two with 13 timeouts each. Jain = 62² / (5 × 1202) by hand.
TEST(Fairness, SqlalchemysUnevenSplitHasALowJainIndex) {
  const Fairness f = fairness_of({20, 20, 20, 1, 1}, {0, 0, 0, 13, 13});
  EXPECT_EQ(f.clients, 5);
  ASSERT_TRUE(f.jain_index.has_value());
  EXPECT_NEAR(*f.jain_index, 62.0 * 62.0 / (5.0 * 1202.0), 1e-12);
  EXPECT_EQ(f.completions_min, 1);
  EXPECT_EQ(f.completions_max, 20);
  EXPECT_EQ(f.timeouts, 26);
  // The worst fifth of 5 clients is one client: 13 of the 26 timeouts.
  ASSERT_TRUE(f.timeouts_worst_fifth_share.has_value());
  EXPECT_DOUBLE_EQ(*f.timeouts_worst_fifth_share, 0.5);
}

TEST(Fairness, AnEvenSplitHasJainIndexOneAndTimeoutsSpreadEvenly) {
  const Fairness f =
      fairness_of({12, 12, 12, 12, 12, 12, 12, 12, 12, 12}, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1});
  EXPECT_DOUBLE_EQ(*f.jain_index, 1.0);
  EXPECT_EQ(f.completions_min, 12);
  EXPECT_EQ(f.completions_max, 12);
  // The worst fifth of 10 clients is 2 clients, bearing 2 of 10 timeouts.
  EXPECT_DOUBLE_EQ(*f.timeouts_worst_fifth_share, 0.2);
}

TEST(Fairness, OneClientWithEverythingHasJainIndexOneOverN) {
  const Fairness f = fairness_of({40, 0, 0, 0}, {0, 0, 0, 0});
  EXPECT_DOUBLE_EQ(*f.jain_index, 0.25);
  EXPECT_FALSE(f.timeouts_worst_fifth_share.has_value());  // no timeouts: no share
  const Fairness none = fairness_of({0, 0}, {3, 3});
  EXPECT_FALSE(none.jain_index.has_value());  // no completions: no index
  EXPECT_DOUBLE_EQ(*none.timeouts_worst_fifth_share, 0.5);
}

TEST(WaitSketch, QuantilesAreUpperBoundsWithinABucketAndNeverAboveTheMaximum) {
  WaitSketch sketch;
  for (int i = 0; i < 98; ++i) sketch.record(5);  // did not wait
  sketch.record(1000);
  sketch.record(300'000);                  // a 0.3 s timeout
  EXPECT_EQ(sketch.quantile_us(0.5), 15);  // the "no wait" bucket's upper edge
  const std::int64_t p99 = sketch.quantile_us(0.99);
  EXPECT_GE(p99, 1000);
  EXPECT_LE(p99, 1000 * 1.25);                  // a quarter-power-of-two bucket
  EXPECT_EQ(sketch.quantile_us(1.0), 300'000);  // capped at the exact maximum
  EXPECT_EQ(sketch.max_us(), 300'000);
  EXPECT_EQ(WaitSketch().quantile_us(0.99), 0);
}

TEST(WaitSketch, CountsManyWaitsWithoutLosingTheirShape) {
  WaitSketch sketch;
  // 200 000 short waits and 2 000 long ones (1%): p98 is among the short ones, p99.5 among
  // the long ones (counts well beyond 16 bits).
  for (int i = 0; i < 200'000; ++i) sketch.record(100);
  for (int i = 0; i < 2'000; ++i) sketch.record(50'000);
  EXPECT_LE(sketch.quantile_us(0.98), 125);
  EXPECT_GE(sketch.quantile_us(0.995), 50'000);
}

}  // namespace
}  // namespace poolbench::metrics
