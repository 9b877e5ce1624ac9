#include "metrics/hdr_histogram.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace poolbench::metrics {
namespace {

using ::testing::HasSubstr;

constexpr std::int64_t k_one_hour_us = 3'600'000'000;

// Latency-like data over the whole range: mostly 100 µs .. 100 ms, a tail up to 1 h, some
// exact small values (where buckets are 1 µs wide) and zeros.
std::vector<std::int64_t> random_latencies_us(std::size_t n, std::uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> body(std::log(5000.0), 1.5);
  std::uniform_int_distribution<std::int64_t> small(0, 3000);
  std::uniform_int_distribution<std::int64_t> tail(1, k_one_hour_us);
  std::uniform_int_distribution<int> pick(0, 99);
  std::vector<std::int64_t> values;
  values.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const int kind = pick(rng);
    if (kind < 10) {
      values.push_back(small(rng));
    } else if (kind < 12) {
      values.push_back(tail(rng));
    } else {
      values.push_back(std::min<std::int64_t>(static_cast<std::int64_t>(body(rng)), k_one_hour_us));
    }
  }
  return values;
}

// Nearest-rank target for a percentile given in thousandths of a percent, in exact integer
// arithmetic: ceil(p/100 · n), at least 1.
std::int64_t exact_rank(std::int64_t percentile_milli, std::int64_t n) {
  const std::int64_t rank = (percentile_milli * n + 99'999) / 100'000;
  return std::max<std::int64_t>(rank, 1);
}

TEST(HdrHistogram, LatencyGeometryMatchesHdrHistogramsBucketConfig) {
  const HdrHistogram h;
  EXPECT_EQ(h.counts_len(), 23552u);  // docs/references.md §3: 2048 sub-buckets, 22 buckets
  EXPECT_EQ(hdr_counts_len(k_latency_config), 23552u);
  // 1 .. 2^53-1 with 3 digits: 43 buckets, 45056 counts (as HdrHistogram's test suites).
  EXPECT_EQ(hdr_counts_len({1, 9'007'199'254'740'991, 3}), 45056u);
  EXPECT_EQ(h.index_of(0), 0u);
  EXPECT_EQ(h.index_of(2047), 2047u);
  EXPECT_EQ(h.index_of(2048), 2048u);
  EXPECT_EQ(h.index_of(2049), 2048u);
  EXPECT_EQ(h.index_of(4096), 3072u);
  EXPECT_EQ(h.value_at_index(2048), 2048);
  EXPECT_EQ(h.value_at_index(3072), 4096);
  EXPECT_EQ(h.value_at_index(23551), std::int64_t{2047} << 21);
  EXPECT_EQ(h.lowest_equivalent_value_us(2049), 2048);
  EXPECT_EQ(h.highest_equivalent_value_us(2048), 2049);
  EXPECT_EQ(h.equivalent_range_us(1000), 1);
  EXPECT_EQ(h.equivalent_range_us(k_one_hour_us), std::int64_t{1} << 21);
  EXPECT_LT(h.index_of(k_one_hour_us), h.counts_len());
}

TEST(HdrHistogram, ARoundTripThroughEveryIndexIsTheIdentity) {
  for (const HdrConfig& config : {k_latency_config, HdrConfig{1000, 10'000'000'000, 2},
                                  HdrConfig{1, std::numeric_limits<std::int64_t>::max(), 5}}) {
    const HdrHistogram h(config);
    for (std::size_t i = 0; i < h.counts_len(); i += (i < 5000 ? 1 : 97)) {
      ASSERT_EQ(h.index_of(h.value_at_index(i)), i)
          << "config digits " << config.significant_digits;
    }
  }
}

TEST(HdrHistogram, InvalidConfigsAreRejectedWithTheReason) {
  EXPECT_THAT(hdr_config_problem({0, 1000, 3}), HasSubstr("lowest discernible value must be >= 1"));
  EXPECT_THAT(hdr_config_problem({1, 1000, 0}), HasSubstr("significant digits must be 1..5"));
  EXPECT_THAT(hdr_config_problem({1, 1000, 6}), HasSubstr("significant digits must be 1..5"));
  EXPECT_THAT(hdr_config_problem({100, 199, 3}), HasSubstr("must be >= 2 x lowest"));
  EXPECT_THAT(
      hdr_config_problem({std::int64_t{1} << 55, std::numeric_limits<std::int64_t>::max(), 3}),
      HasSubstr("exceeds 64 bits"));
  EXPECT_EQ(hdr_config_problem(k_latency_config), "");
  EXPECT_THROW(HdrHistogram({1, 1, 3}), std::invalid_argument);
}

TEST(HdrHistogram, EveryRecordedValueIsReportedWithinThreeSignificantDigits) {
  const HdrHistogram h;
  for (const std::int64_t v : random_latencies_us(20'000, 7)) {
    const std::int64_t lowest = h.lowest_equivalent_value_us(v);
    const std::int64_t highest = h.highest_equivalent_value_us(v);
    ASSERT_LE(lowest, v);
    ASSERT_GE(highest, v);
    // Bucket width: 1 µs below 2048, then at most v / 1024 (< v / 1000).
    ASSERT_LE(highest - lowest + 1, std::max<std::int64_t>(1, v / 1024)) << v;
  }
}

TEST(HdrHistogram, PercentilesEqualExactNearestRankPercentilesToTheBucket) {
  const std::vector<std::int64_t> milli_percentiles = {
      0,      1,      1000,   10'000, 25'000, 33'333, 50'000, 66'667,
      75'000, 90'000, 95'000, 99'000, 99'900, 99'990, 99'999, 100'000};
  for (const std::size_t n : {std::size_t{1}, std::size_t{2}, std::size_t{7}, std::size_t{1000},
                              std::size_t{12'345}, std::size_t{100'003}}) {
    std::vector<std::int64_t> values = random_latencies_us(n, static_cast<std::uint32_t>(n));
    HdrHistogram h;
    for (const std::int64_t v : values) {
      h.record(v);
    }
    std::sort(values.begin(), values.end());
    for (const std::int64_t pm : milli_percentiles) {
      const double percentile = static_cast<double>(pm) / 1000.0;
      const std::int64_t exact =
          values[static_cast<std::size_t>(exact_rank(pm, static_cast<std::int64_t>(n)) - 1)];
      const std::int64_t ours = h.value_at_percentile_us(percentile);
      // Exact to the bucket: our answer is the bucket's bound, so it differs from the exact
      // order statistic by less than that bucket's width.
      const std::int64_t expected =
          pm == 0 ? h.lowest_equivalent_value_us(exact) : h.highest_equivalent_value_us(exact);
      ASSERT_EQ(ours, expected) << "n=" << n << " p=" << percentile << " exact=" << exact;
      ASSERT_LT(std::abs(ours - exact), h.equivalent_range_us(exact));
    }
  }
}

TEST(HdrHistogram, PercentileCountTargetRoundsUpLikeJavaWithAnUlpGuard) {
  HdrHistogram thirteen;
  for (std::int64_t v = 1; v <= 13; ++v) {
    thirteen.record(v);
  }
  // 10% of 13 = 1.3: Java/JS take rank 2 (ceil); HdrHistogram_c would take rank 1.
  EXPECT_EQ(thirteen.value_at_percentile_us(10.0), 2);
  HdrHistogram thousand;
  for (std::int64_t v = 1; v <= 1000; ++v) {
    thousand.record(v);
  }
  // 99.9 / 100 * 1000 = 999.0000000000001 in binary floating point: still rank 999.
  EXPECT_EQ(thousand.value_at_percentile_us(99.9), 999);
  EXPECT_EQ(thousand.value_at_percentile_us(0.0), 1);
  EXPECT_EQ(thousand.value_at_percentile_us(100.0), 1000);
  EXPECT_EQ(thousand.value_at_percentile_us(250.0), 1000);  // clamped
  EXPECT_EQ(thousand.value_at_percentile_us(-1.0), 1);
  EXPECT_EQ(thousand.value_at_percentile_us(std::nan("")), 1);
}

TEST(HdrHistogram, MinMaxMeanAndStddevMatchTheDataWithinBucketResolution) {
  const std::vector<std::int64_t> values = random_latencies_us(50'000, 11);
  HdrHistogram h;
  double sum = 0.0;
  double half_width_sum = 0.0;
  double half_width_sq_sum = 0.0;
  for (const std::int64_t v : values) {
    h.record(v);
    sum += static_cast<double>(v);
    const double half_width = static_cast<double>(h.equivalent_range_us(v)) / 2.0;
    half_width_sum += half_width;
    half_width_sq_sum += half_width * half_width;
  }
  const auto n = static_cast<double>(values.size());
  const double mean = sum / n;
  double sq = 0.0;
  for (const std::int64_t v : values) {
    sq += (static_cast<double>(v) - mean) * (static_cast<double>(v) - mean);
  }
  const double stddev = std::sqrt(sq / n);
  const auto [min_it, max_it] = std::minmax_element(values.begin(), values.end());
  EXPECT_EQ(h.total_count(), static_cast<std::int64_t>(values.size()));
  EXPECT_EQ(h.min_us(), h.lowest_equivalent_value_us(*min_it));
  EXPECT_EQ(h.max_us(), h.highest_equivalent_value_us(*max_it));
  // Each value is replaced by its bucket's median: off by at most half a bucket width.
  EXPECT_NEAR(h.mean_us(), mean, half_width_sum / n + 1e-6 * mean);
  EXPECT_NEAR(h.stddev_us(), stddev, std::sqrt(half_width_sq_sum / n) + 1e-6 * stddev);
}

TEST(HdrHistogram, AnEmptyHistogramReportsZeros) {
  const HdrHistogram h;
  EXPECT_EQ(h.total_count(), 0);
  EXPECT_EQ(h.min_us(), 0);
  EXPECT_EQ(h.min_nonzero_us(), 0);
  EXPECT_EQ(h.max_us(), 0);
  EXPECT_EQ(h.mean_us(), 0.0);
  EXPECT_EQ(h.stddev_us(), 0.0);
  EXPECT_EQ(h.value_at_percentile_us(99.0), 0);
  int buckets = 0;
  h.for_each_recorded([&](const HdrBucket&) { ++buckets; });
  EXPECT_EQ(buckets, 0);
}

TEST(HdrHistogram, ZeroIsRecordedButIsNotTheMinimumNonZeroValue) {
  HdrHistogram h;
  h.record(0);
  h.record(0);
  EXPECT_EQ(h.max_us(), 0);
  h.record(5000);
  EXPECT_EQ(h.min_us(), 0);
  EXPECT_EQ(h.min_nonzero_us(), 5000);
  EXPECT_EQ(h.value_at_percentile_us(50.0), 0);
  EXPECT_EQ(h.value_at_percentile_us(100.0), h.highest_equivalent_value_us(5000));
}

TEST(HdrHistogram, ValuesAboveTheRangeAreClampedAndCountedAsSaturated) {
  HdrHistogram h;
  h.record(10);
  h.record(k_one_hour_us + 1);
  h.record(std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(h.total_count(), 3);
  EXPECT_EQ(h.saturated_count(), 2);
  EXPECT_EQ(h.max_us(), h.highest_equivalent_value_us(k_one_hour_us));
  EXPECT_EQ(h.value_at_percentile_us(100.0), h.highest_equivalent_value_us(k_one_hour_us));
  EXPECT_EQ(h.value_at_percentile_us(50.0), h.highest_equivalent_value_us(k_one_hour_us));
  h.record(k_one_hour_us);  // the highest trackable value itself is in range
  EXPECT_EQ(h.saturated_count(), 2);
}

TEST(HdrHistogram, NegativeValuesAreRecordedAsZeroAndCounted) {
  HdrHistogram h;
  h.record(-5);
  h.record(std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(h.total_count(), 2);
  EXPECT_EQ(h.negative_count(), 2);
  EXPECT_EQ(h.saturated_count(), 0);
  EXPECT_EQ(h.counts()[0], 2);
  EXPECT_EQ(h.max_us(), 0);
}

TEST(HdrHistogram, RecordNEqualsRecordingNTimes) {
  HdrHistogram once;
  HdrHistogram many;
  once.record_n(1234, 5);
  once.record_n(99, 0);
  once.record_n(99, -3);
  for (int i = 0; i < 5; ++i) {
    many.record(1234);
  }
  EXPECT_TRUE(once.has_same_counts(many));
  EXPECT_EQ(once.total_count(), 5);
}

TEST(HdrHistogram, MergeEqualsRecordingEverythingInOneHistogram) {
  std::vector<std::int64_t> values = random_latencies_us(40'000, 3);
  values.push_back(-1);
  values.push_back(k_one_hour_us * 2);
  HdrHistogram all;
  std::vector<HdrHistogram> parts(4);
  for (std::size_t i = 0; i < values.size(); ++i) {
    all.record(values[i]);
    parts[i % parts.size()].record(values[i]);
  }
  HdrHistogram merged;
  merged.merge(HdrHistogram{});  // merging an empty one changes nothing
  for (const HdrHistogram& part : parts) {
    merged.merge(part);
  }
  EXPECT_TRUE(merged.has_same_counts(all));
  EXPECT_EQ(merged.total_count(), all.total_count());
  EXPECT_EQ(merged.saturated_count(), 1);
  EXPECT_EQ(merged.negative_count(), 1);
  EXPECT_EQ(merged.min_us(), all.min_us());
  EXPECT_EQ(merged.min_nonzero_us(), all.min_nonzero_us());
  EXPECT_EQ(merged.max_us(), all.max_us());
  EXPECT_DOUBLE_EQ(merged.mean_us(), all.mean_us());
  for (const double p : {0.0, 50.0, 90.0, 99.0, 99.9, 100.0}) {
    EXPECT_EQ(merged.value_at_percentile_us(p), all.value_at_percentile_us(p)) << p;
  }
}

TEST(HdrHistogram, MergeAcrossConfigsRecordsEachBucketAtItsLowestValue) {
  HdrHistogram coarse({1, 1'000'000'000'000, 2});
  coarse.record(123'456);            // bucket [122880, 123903] with 2 digits
  coarse.record(500'000'000'000);    // beyond our 1 h: saturates when merged
  coarse.record(2'000'000'000'000);  // saturated in coarse already
  HdrHistogram ours;
  ours.merge(coarse);
  EXPECT_EQ(ours.total_count(), 3);
  EXPECT_EQ(ours.saturated_count(), 2);
  EXPECT_EQ(ours.value_at_percentile_us(0.0),
            ours.lowest_equivalent_value_us(coarse.lowest_equivalent_value_us(123'456)));

  HdrHistogram small_range({1, 1'000'000, 3});
  small_range.record(5'000'000);  // saturated there, in range here: keeps its count
  ours.merge(small_range);
  EXPECT_EQ(ours.total_count(), 4);
  EXPECT_EQ(ours.saturated_count(), 3);
}

// Reference for record_corrected: HdrHistogram's loop, one value at a time.
void record_corrected_naively(HdrHistogram& h, std::int64_t value, std::int64_t interval) {
  h.record(value);
  if (interval <= 0 || value <= interval) {
    return;
  }
  for (std::int64_t missing = value - interval; missing >= interval; missing -= interval) {
    h.record(missing);
  }
}

TEST(HdrHistogram, RecordCorrectedAddsTheValuesOfTheStalledRequests) {
  HdrHistogram h;
  h.record_corrected(1000, 100);  // 1000, 900, ..., 100 (wrk2's example shape)
  EXPECT_EQ(h.total_count(), 10);
  EXPECT_EQ(h.min_us(), 100);
  EXPECT_EQ(h.max_us(), 1000);
  EXPECT_EQ(h.value_at_percentile_us(50.0), 500);

  HdrHistogram plain;
  plain.record_corrected(1000, 1000);  // not longer than the interval: nothing added
  plain.record_corrected(1000, 0);     // no interval: nothing added
  plain.record_corrected(1000, -5);
  EXPECT_EQ(plain.total_count(), 3);
}

TEST(HdrHistogram, RecordCorrectedEqualsTheOneByOneLoop) {
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<std::int64_t> value_dist(0, 200'000);
  std::uniform_int_distribution<std::int64_t> interval_dist(1, 5'000);
  HdrHistogram bulk;
  HdrHistogram naive;
  for (int i = 0; i < 300; ++i) {
    const std::int64_t value = value_dist(rng);
    const std::int64_t interval = i % 50 == 0 ? 1 : interval_dist(rng);
    bulk.record_corrected(value, interval);
    record_corrected_naively(naive, value, interval);
  }
  // Above the range: 4e9 and 3.8e9 saturate, 3.6e9 is the highest trackable value itself.
  bulk.record_corrected(4'000'000'000, 200'000'000);
  record_corrected_naively(naive, 4'000'000'000, 200'000'000);
  EXPECT_TRUE(bulk.has_same_counts(naive));
  EXPECT_EQ(bulk.total_count(), naive.total_count());
  EXPECT_EQ(bulk.saturated_count(), 2);
  EXPECT_EQ(naive.saturated_count(), 2);
  EXPECT_EQ(bulk.min_us(), naive.min_us());
  EXPECT_EQ(bulk.min_nonzero_us(), naive.min_nonzero_us());
  EXPECT_EQ(bulk.max_us(), naive.max_us());
}

TEST(HdrHistogram, RecordCorrectedWorksBucketWiseNotValueWise) {
  // An hour-long stall at a 1 µs interval is 3.6e9 values: a value-by-value loop would take
  // many seconds, the bucket-wise one a few thousand steps.
  HdrHistogram h;
  h.record_corrected(k_one_hour_us, 1);
  EXPECT_EQ(h.total_count(), k_one_hour_us);  // the value itself and 1 .. 3.6e9 - 1
  EXPECT_EQ(h.min_us(), 1);
  EXPECT_EQ(h.value_at_percentile_us(50.0), h.highest_equivalent_value_us(1'800'000'000));
  EXPECT_EQ(h.saturated_count(), 0);

  HdrHistogram saturated;
  saturated.record_corrected(k_one_hour_us + 7, 3);  // +7, +4 and +1 are above the range
  EXPECT_EQ(saturated.saturated_count(), 3);
  EXPECT_EQ(saturated.total_count(), (k_one_hour_us + 7) / 3);
  EXPECT_EQ(saturated.min_us(), 4);  // 3.6e9 + 7 - 3k >= 3: the smallest is 4
}

TEST(HdrHistogram, ResetEmptiesButKeepsTheConfig) {
  HdrHistogram h({1000, 10'000'000, 2});
  h.record(5000);
  h.record(-1);
  h.record(1'000'000'000);
  h.reset();
  EXPECT_TRUE(h.has_same_counts(HdrHistogram({1000, 10'000'000, 2})));
  EXPECT_EQ(h.total_count(), 0);
  EXPECT_EQ(h.saturated_count(), 0);
  EXPECT_EQ(h.negative_count(), 0);
  EXPECT_EQ(h.max_us(), 0);
  EXPECT_EQ(h.min_nonzero_us(), 0);
  h.record(5000);
  EXPECT_EQ(h.min_nonzero_us(), h.lowest_equivalent_value_us(5000));
}

TEST(HdrHistogram, ResetClearsEveryBucketFilledByRecordMergeCorrectionAndDecoding) {
  // reset() clears only up to the largest value's bucket: every way of filling a bucket
  // must raise that value.
  HdrHistogram other;
  other.record(90'000'000);
  HdrHistogram h;
  h.record(17);
  h.record_corrected(400'000, 1000);
  h.merge(other);
  h.add_at_index(h.counts_len() - 1, 2);
  h.record(std::numeric_limits<std::int64_t>::max());  // saturated
  h.reset();
  EXPECT_TRUE(h.has_same_counts(HdrHistogram()));
  h.record(3);
  HdrHistogram expected;
  expected.record(3);
  EXPECT_TRUE(h.has_same_counts(expected));
}

TEST(HdrHistogram, IterationVisitsTheNonEmptyBucketsInOrder) {
  HdrHistogram h;
  h.record(3000);
  h.record(7);
  h.record(7);
  std::vector<HdrBucket> seen;
  h.for_each_recorded([&](const HdrBucket& bucket) { seen.push_back(bucket); });
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].lowest_us, 7);
  EXPECT_EQ(seen[0].highest_us, 7);
  EXPECT_EQ(seen[0].count, 2);
  EXPECT_EQ(seen[1].lowest_us, 3000);
  EXPECT_EQ(seen[1].highest_us, 3001);
  EXPECT_EQ(seen[1].count, 1);
  EXPECT_EQ(seen[1].index, h.index_of(3000));
}

}  // namespace
}  // namespace poolbench::metrics
