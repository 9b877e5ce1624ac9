#pragma once

// An HDR (high dynamic range) histogram with HdrHistogram's exact bucket geometry, so that
// our V2 encodings (metrics/hdr_codec.hpp) decode to the same buckets in HdrHistogram's own
// tools (Java, C, JS). Written for poolbench; the algorithms follow HdrHistogram_c
// (`hdr_calculate_bucket_config`, `counts_index`, `hdr_value_at_index`) and Java's
// `AbstractHistogram` (percentile rule), see docs/references.md §3.
//
// Values are integers in microseconds everywhere in poolbench (the class itself is
// unit-agnostic; every value parameter and result below is named `_us`).

#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

namespace poolbench::metrics {

/// The three parameters that fix a histogram's geometry (HdrHistogram's constructor
/// arguments). Two histograms with equal configs have identical buckets.
struct HdrConfig {
  std::int64_t lowest_discernible_value_us = 1;
  std::int64_t highest_trackable_value_us = 3'600'000'000;
  int significant_digits = 3;

  friend bool operator==(const HdrConfig&, const HdrConfig&) = default;
};

/// poolbench's geometry for every latency histogram: 1 µs to 1 h (3.6e9 µs), 3 significant
/// digits => 2048 sub-buckets, 22 buckets, 23,552 counts (184 KiB per histogram).
inline constexpr HdrConfig k_latency_config{1, 3'600'000'000, 3};

/// Returns what is wrong with `config` (HdrHistogram's own rules: lowest >= 1, 1..5
/// significant digits, highest >= 2 * lowest, lowest and digits small enough for 64-bit
/// values), or an empty string when it is valid.
std::string hdr_config_problem(const HdrConfig& config);

/// Number of counts a histogram with `config` holds (HdrHistogram's `counts_len`).
/// Precondition: `hdr_config_problem(config).empty()`.
std::size_t hdr_counts_len(const HdrConfig& config);

/// One non-empty bucket, as `HdrHistogram::for_each_recorded` reports it: every value in
/// [lowest_us, highest_us] is "equivalent" (recorded into the same count).
struct HdrBucket {
  std::size_t index = 0;
  std::int64_t lowest_us = 0;
  std::int64_t highest_us = 0;
  std::int64_t count = 0;
};

/// A fixed-size HDR histogram of int64 counts (184 KiB for k_latency_config: reuse one with
/// reset() for per-interval rows rather than constructing one per interval). Copyable
/// (copies the counts) and movable.
///
/// Thread safety: none. One writer, no concurrent readers; poolbench keeps one histogram
/// per worker thread and merges them after the threads have joined.
///
/// Accuracy: a recorded value v is reported back within its bucket
/// [lowest_equivalent_value_us(v), highest_equivalent_value_us(v)], whose width is at most
/// max(2^floor(log2(lowest_discernible_value_us)), v · 10^-significant_digits): for
/// k_latency_config exact below 2048 µs, then at most v / 1024.
///
/// Out-of-range values are never lost (so counts stay equal to the number of requests):
/// values above `highest_trackable_value_us` are recorded as that value and counted in
/// `saturated_count()`; negative values are recorded as 0 and counted in
/// `negative_count()`. Both counters survive `merge` but not encoding (V2 has no field for
/// them).
class HdrHistogram {
 public:
  /// Allocates the counts (the only allocation; `record` never allocates).
  /// Throws std::invalid_argument if `hdr_config_problem(config)` is not empty.
  explicit HdrHistogram(const HdrConfig& config = k_latency_config);

  /// Records one value. O(1), allocation-free, never throws.
  void record(std::int64_t value_us) noexcept { record_n(value_us, 1); }

  /// Records `count` occurrences of one value (count <= 0 records nothing). O(1).
  void record_n(std::int64_t value_us, std::int64_t count) noexcept {
    if (count <= 0) [[unlikely]] {
      return;
    }
    if (static_cast<std::uint64_t>(value_us) >
        static_cast<std::uint64_t>(m_config.highest_trackable_value_us)) [[unlikely]] {
      value_us = clamp_out_of_range(value_us, count);
    }
    m_counts[index_of(value_us)] += count;
    m_total_count += count;
    if (value_us > m_max_value_us) {
      m_max_value_us = value_us;
    }
    if (value_us > m_unit_magnitude_mask && value_us < m_min_nonzero_value_us) {
      m_min_nonzero_value_us = value_us;
    }
  }

  /// Records `value_us` and, like HdrHistogram's `recordValueWithExpectedInterval` (and
  /// wrk2), corrects for coordinated omission: when `value_us > expected_interval_us > 0`
  /// it also records the values the stalled requests would have had,
  /// value - k·interval for every k >= 1 with value - k·interval >= interval.
  /// The result is identical (counts, min, max) to recording those values one by one, but
  /// the synthetic values are added a bucket at a time: O(buckets between interval and
  /// value), at most O(counts_len), never O(value / interval). Never throws or allocates.
  void record_corrected(std::int64_t value_us, std::int64_t expected_interval_us) noexcept;

  /// Adds every count of `other` into this histogram. Same config: counts are added index
  /// by index (exact). Different config: each of other's buckets is recorded at its lowest
  /// equivalent value (HdrHistogram's rule), saturating above our highest trackable value.
  void merge(const HdrHistogram& other) noexcept;

  /// Empties the histogram (keeps the config and the allocation). O(counts up to max).
  void reset() noexcept;

  /// The value at `percentile` (0..100; outside values are clamped, NaN counts as 0), as
  /// HdrHistogram Java/JS compute it: the count target is
  ///   max(1, ceil(percentile/100 · total_count − ulp))
  /// (nearest rank, rounded up; the one-ulp guard keeps p·N that is exact in decimal from
  /// being pushed one rank higher by floating-point error), and the result is the highest
  /// equivalent value of the bucket where the cumulative count reaches the target (the
  /// lowest equivalent value for percentile 0). 0 for an empty histogram.
  /// HdrHistogram_c rounds the target to nearest instead ((int64)(p/100·N + 0.5)); we use
  /// the Java rule so our percentiles equal hdr-histogram-js's. O(counts up to max).
  std::int64_t value_at_percentile_us(double percentile) const noexcept;

  /// Lowest equivalent value of the smallest recorded value (0 if a 0, or any value in
  /// bucket 0, was recorded; 0 when empty). As HdrHistogram_c's `hdr_min`.
  std::int64_t min_us() const noexcept;
  /// Lowest equivalent value of the smallest recorded value outside bucket 0 (i.e. > 0 for
  /// lowest_discernible_value_us = 1); 0 when there is none. As HdrHistogram's
  /// `minNonZeroValue`, except that Java reports Long.MAX_VALUE when there is none.
  std::int64_t min_nonzero_us() const noexcept;
  /// Highest equivalent value of the largest recorded value; 0 when empty or all zeros.
  std::int64_t max_us() const noexcept;
  /// Mean and population standard deviation, computed as HdrHistogram does from each
  /// bucket's median equivalent value. 0 when empty.
  double mean_us() const noexcept;
  double stddev_us() const noexcept;

  std::int64_t total_count() const noexcept { return m_total_count; }
  /// Number of recorded values that were above highest_trackable_value_us (and recorded as
  /// it). Included in total_count().
  std::int64_t saturated_count() const noexcept { return m_saturated_count; }
  /// Number of recorded negative values (recorded as 0). Included in total_count().
  std::int64_t negative_count() const noexcept { return m_negative_count; }

  /// Calls `visit(const HdrBucket&)` for each non-empty bucket in increasing value order.
  template <typename Visitor>
  void for_each_recorded(Visitor&& visit) const {
    if (m_total_count == 0) {
      return;
    }
    const std::size_t last = index_of(m_max_value_us);
    for (std::size_t i = 0; i <= last; ++i) {
      if (m_counts[i] != 0) {
        const std::int64_t lowest = value_at_index(i);
        visit(HdrBucket{.index = i,
                        .lowest_us = lowest,
                        .highest_us = highest_equivalent_value_us(lowest),
                        .count = m_counts[i]});
      }
    }
  }

  /// True when both have the same config and the same count in every bucket (the
  /// distribution; the saturated/negative counters are not compared).
  bool has_same_counts(const HdrHistogram& other) const noexcept;

  // Geometry (HdrHistogram's names). Values must be in [0, highest representable].
  const HdrConfig& config() const noexcept { return m_config; }
  std::size_t counts_len() const noexcept { return m_counts.size(); }
  std::span<const std::int64_t> counts() const noexcept { return m_counts; }

  /// Index of the count that `value_us` (>= 0, <= the largest value the counts cover)
  /// is recorded in.
  std::size_t index_of(std::int64_t value_us) const noexcept {
    const auto value = static_cast<std::uint64_t>(value_us);
    const int pow2_ceiling = 64 - std::countl_zero(value | m_sub_bucket_mask);
    const int bucket = pow2_ceiling - m_unit_magnitude - (m_sub_bucket_half_count_magnitude + 1);
    const auto sub_bucket = static_cast<std::int64_t>(value >> (bucket + m_unit_magnitude));
    return static_cast<std::size_t>(
        (static_cast<std::int64_t>(bucket + 1) << m_sub_bucket_half_count_magnitude) + sub_bucket -
        m_sub_bucket_half_count);
  }
  /// Lowest value recorded at `index` (< counts_len()).
  std::int64_t value_at_index(std::size_t index) const noexcept;
  std::int64_t lowest_equivalent_value_us(std::int64_t value_us) const noexcept;
  std::int64_t highest_equivalent_value_us(std::int64_t value_us) const noexcept;
  std::int64_t median_equivalent_value_us(std::int64_t value_us) const noexcept;
  /// Width of the bucket holding `value_us` (a power of two).
  std::int64_t equivalent_range_us(std::int64_t value_us) const noexcept;

  /// For decoders: adds `count` (>= 0) at `index` (< counts_len()), as if the bucket's
  /// lowest value had been recorded `count` times.
  void add_at_index(std::size_t index, std::int64_t count) noexcept;

 private:
  std::int64_t clamp_out_of_range(std::int64_t value_us, std::int64_t count) noexcept;

  HdrConfig m_config;
  int m_unit_magnitude = 0;
  int m_sub_bucket_half_count_magnitude = 0;
  std::int64_t m_sub_bucket_count = 0;
  std::int64_t m_sub_bucket_half_count = 0;
  std::uint64_t m_sub_bucket_mask = 0;
  std::int64_t m_unit_magnitude_mask = 0;  // values <= this fall into bucket 0, index 0
  std::vector<std::int64_t> m_counts;
  std::int64_t m_total_count = 0;
  std::int64_t m_saturated_count = 0;
  std::int64_t m_negative_count = 0;
  // Raw extremes of what was recorded (reported through the equivalent-value functions).
  std::int64_t m_max_value_us = 0;
  std::int64_t m_min_nonzero_value_us = std::numeric_limits<std::int64_t>::max();
};

}  // namespace poolbench::metrics
