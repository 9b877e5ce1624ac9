#include "metrics/hdr_histogram.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace poolbench::metrics {

namespace {

// HdrHistogram's derived geometry (hdr_calculate_bucket_config).
struct Geometry {
  int unit_magnitude = 0;
  int sub_bucket_half_count_magnitude = 0;
  std::int64_t sub_bucket_count = 0;
  std::int64_t bucket_count = 0;
};

int sub_bucket_half_count_magnitude_for(int significant_digits) {
  std::int64_t largest_value_with_single_unit_resolution = 2;
  for (int i = 0; i < significant_digits; ++i) {
    largest_value_with_single_unit_resolution *= 10;
  }
  // ceil(log2(x)) for x >= 2.
  const int sub_bucket_count_magnitude =
      std::bit_width(static_cast<std::uint64_t>(largest_value_with_single_unit_resolution - 1));
  return std::max(sub_bucket_count_magnitude, 1) - 1;
}

Geometry geometry_of(const HdrConfig& config) {
  Geometry g;
  g.unit_magnitude =
      std::bit_width(static_cast<std::uint64_t>(config.lowest_discernible_value_us)) - 1;
  g.sub_bucket_half_count_magnitude =
      sub_bucket_half_count_magnitude_for(config.significant_digits);
  g.sub_bucket_count = std::int64_t{1} << (g.sub_bucket_half_count_magnitude + 1);
  // Smallest number of buckets whose top value exceeds the highest trackable value.
  std::int64_t smallest_untrackable_value = g.sub_bucket_count << g.unit_magnitude;
  std::int64_t buckets_needed = 1;
  while (smallest_untrackable_value <= config.highest_trackable_value_us) {
    if (smallest_untrackable_value > std::numeric_limits<std::int64_t>::max() / 2) {
      ++buckets_needed;
      break;
    }
    smallest_untrackable_value <<= 1;
    ++buckets_needed;
  }
  g.bucket_count = buckets_needed;
  return g;
}

}  // namespace

std::string hdr_config_problem(const HdrConfig& config) {
  if (config.lowest_discernible_value_us < 1) {
    return fmt::format("lowest discernible value must be >= 1 (got {})",
                       config.lowest_discernible_value_us);
  }
  if (config.significant_digits < 1 || config.significant_digits > 5) {
    return fmt::format("significant digits must be 1..5 (got {})", config.significant_digits);
  }
  if (config.lowest_discernible_value_us > config.highest_trackable_value_us / 2) {
    return fmt::format("highest trackable value {} must be >= 2 x lowest discernible value {}",
                       config.highest_trackable_value_us, config.lowest_discernible_value_us);
  }
  const int unit_magnitude =
      std::bit_width(static_cast<std::uint64_t>(config.lowest_discernible_value_us)) - 1;
  if (unit_magnitude + sub_bucket_half_count_magnitude_for(config.significant_digits) > 61) {
    return fmt::format("lowest discernible value {} with {} significant digits exceeds 64 bits",
                       config.lowest_discernible_value_us, config.significant_digits);
  }
  return {};
}

std::size_t hdr_counts_len(const HdrConfig& config) {
  const Geometry g = geometry_of(config);
  return static_cast<std::size_t>((g.bucket_count + 1) * (g.sub_bucket_count / 2));
}

HdrHistogram::HdrHistogram(const HdrConfig& config) : m_config(config) {
  if (const std::string problem = hdr_config_problem(config); !problem.empty()) {
    throw std::invalid_argument("HdrHistogram: " + problem);
  }
  const Geometry g = geometry_of(config);
  m_unit_magnitude = g.unit_magnitude;
  m_sub_bucket_half_count_magnitude = g.sub_bucket_half_count_magnitude;
  m_sub_bucket_count = g.sub_bucket_count;
  m_sub_bucket_half_count = g.sub_bucket_count / 2;
  m_sub_bucket_mask = static_cast<std::uint64_t>(g.sub_bucket_count - 1) << g.unit_magnitude;
  m_unit_magnitude_mask = (std::int64_t{1} << g.unit_magnitude) - 1;
  m_counts.assign(hdr_counts_len(config), 0);
}

std::int64_t HdrHistogram::clamp_out_of_range(std::int64_t value_us, std::int64_t count) noexcept {
  if (value_us < 0) {
    m_negative_count += count;
    return 0;
  }
  m_saturated_count += count;
  return m_config.highest_trackable_value_us;
}

void HdrHistogram::record_corrected(std::int64_t value_us,
                                    std::int64_t expected_interval_us) noexcept {
  record(value_us);
  if (expected_interval_us <= 0 || value_us <= expected_interval_us) {
    return;
  }
  const std::int64_t highest = m_config.highest_trackable_value_us;
  // The synthetic values are current, current - I, ... down to >= I.
  std::int64_t current = value_us - expected_interval_us;
  if (current > highest) {
    // Those above the range saturate; record them in one go (record_n counts them).
    const std::int64_t n = (current - highest - 1) / expected_interval_us + 1;
    record_n(current, n);
    current -= n * expected_interval_us;
  }
  while (current >= expected_interval_us) {
    // All of current, current - I, ... that are >= the bucket's lowest value share its count.
    const std::int64_t floor_us =
        std::max(lowest_equivalent_value_us(current), expected_interval_us);
    const std::int64_t n = (current - floor_us) / expected_interval_us + 1;
    const std::int64_t smallest = current - (n - 1) * expected_interval_us;
    record_n(smallest, n);
    current = smallest - expected_interval_us;
  }
}

void HdrHistogram::merge(const HdrHistogram& other) noexcept {
  if (other.m_total_count == 0) {
    return;
  }
  m_negative_count += other.m_negative_count;
  if (other.m_config == m_config) {
    // Every count of `other` above its largest value's index is zero (see reset()).
    const std::size_t end = std::min(other.index_of(other.m_max_value_us) + 1, m_counts.size());
    for (std::size_t i = 0; i < end; ++i) {
      m_counts[i] += other.m_counts[i];
    }
    m_total_count += other.m_total_count;
    m_saturated_count += other.m_saturated_count;
    m_max_value_us = std::max(m_max_value_us, other.m_max_value_us);
    m_min_nonzero_value_us = std::min(m_min_nonzero_value_us, other.m_min_nonzero_value_us);
    return;
  }
  // Other's saturated values sit at its highest value: if that fits our range they are
  // still saturated values and keep their count; if not, record_n counts them again here.
  if (other.m_config.highest_trackable_value_us <= m_config.highest_trackable_value_us) {
    m_saturated_count += other.m_saturated_count;
  }
  other.for_each_recorded(
      [this](const HdrBucket& bucket) { record_n(bucket.lowest_us, bucket.count); });
}

void HdrHistogram::reset() noexcept {
  // Every count above the largest recorded value's index is zero already (record, merge,
  // add_at_index and the clamps all raise m_max_value_us): a per-second histogram of
  // millisecond latencies clears a few KiB instead of the whole 184 KiB.
  if (m_total_count > 0) {
    const std::size_t end = std::min(index_of(m_max_value_us) + 1, m_counts.size());
    std::fill(m_counts.begin(), m_counts.begin() + static_cast<std::ptrdiff_t>(end), 0);
  }
  m_total_count = 0;
  m_saturated_count = 0;
  m_negative_count = 0;
  m_max_value_us = 0;
  m_min_nonzero_value_us = std::numeric_limits<std::int64_t>::max();
}

namespace {

// Java's Math.ulp for the finite non-negative doubles value_at_percentile_us produces.
double ulp(double x) {
  if (x <= 0.0) {
    return 0.0;
  }
  return std::ldexp(1.0, std::ilogb(x) - 52);
}

}  // namespace

std::int64_t HdrHistogram::value_at_percentile_us(double percentile) const noexcept {
  if (m_total_count == 0) {
    return 0;
  }
  const double p = percentile > 0.0 ? std::min(percentile, 100.0) : 0.0;  // NaN -> 0
  const double fp_count = p / 100.0 * static_cast<double>(m_total_count);
  auto target = static_cast<std::int64_t>(std::ceil(fp_count - ulp(fp_count)));
  target = std::clamp<std::int64_t>(target, 1, m_total_count);
  const std::size_t last = index_of(m_max_value_us);
  std::int64_t cumulative = 0;
  for (std::size_t i = 0; i <= last; ++i) {
    cumulative += m_counts[i];
    if (cumulative >= target) {
      const std::int64_t value = value_at_index(i);
      return p == 0.0 ? lowest_equivalent_value_us(value) : highest_equivalent_value_us(value);
    }
  }
  return max_us();  // unreachable: the counts up to the max index add up to total_count
}

std::int64_t HdrHistogram::min_us() const noexcept {
  if (m_total_count == 0 || m_counts[0] > 0) {
    return 0;
  }
  return min_nonzero_us();
}

std::int64_t HdrHistogram::min_nonzero_us() const noexcept {
  if (m_min_nonzero_value_us == std::numeric_limits<std::int64_t>::max()) {
    return 0;
  }
  return lowest_equivalent_value_us(m_min_nonzero_value_us);
}

std::int64_t HdrHistogram::max_us() const noexcept {
  return m_max_value_us == 0 ? 0 : highest_equivalent_value_us(m_max_value_us);
}

double HdrHistogram::mean_us() const noexcept {
  if (m_total_count == 0) {
    return 0.0;
  }
  double sum = 0.0;
  for_each_recorded([&](const HdrBucket& bucket) {
    sum += static_cast<double>(median_equivalent_value_us(bucket.lowest_us)) *
           static_cast<double>(bucket.count);
  });
  return sum / static_cast<double>(m_total_count);
}

double HdrHistogram::stddev_us() const noexcept {
  if (m_total_count == 0) {
    return 0.0;
  }
  const double mean = mean_us();
  double sum_of_squares = 0.0;
  for_each_recorded([&](const HdrBucket& bucket) {
    const double deviation =
        static_cast<double>(median_equivalent_value_us(bucket.lowest_us)) - mean;
    sum_of_squares += deviation * deviation * static_cast<double>(bucket.count);
  });
  return std::sqrt(sum_of_squares / static_cast<double>(m_total_count));
}

bool HdrHistogram::has_same_counts(const HdrHistogram& other) const noexcept {
  return m_config == other.m_config && m_counts == other.m_counts;
}

std::int64_t HdrHistogram::value_at_index(std::size_t index) const noexcept {
  std::int64_t bucket = (static_cast<std::int64_t>(index) >> m_sub_bucket_half_count_magnitude) - 1;
  std::int64_t sub_bucket =
      (static_cast<std::int64_t>(index) & (m_sub_bucket_half_count - 1)) + m_sub_bucket_half_count;
  if (bucket < 0) {
    sub_bucket -= m_sub_bucket_half_count;
    bucket = 0;
  }
  return sub_bucket << (bucket + m_unit_magnitude);
}

std::int64_t HdrHistogram::lowest_equivalent_value_us(std::int64_t value_us) const noexcept {
  return value_at_index(index_of(value_us));
}

std::int64_t HdrHistogram::equivalent_range_us(std::int64_t value_us) const noexcept {
  const auto value = static_cast<std::uint64_t>(value_us);
  const int pow2_ceiling = 64 - std::countl_zero(value | m_sub_bucket_mask);
  const int bucket = pow2_ceiling - m_unit_magnitude - (m_sub_bucket_half_count_magnitude + 1);
  const auto sub_bucket = static_cast<std::int64_t>(value >> (bucket + m_unit_magnitude));
  const int adjusted_bucket = sub_bucket >= m_sub_bucket_count ? bucket + 1 : bucket;
  return std::int64_t{1} << (m_unit_magnitude + adjusted_bucket);
}

std::int64_t HdrHistogram::highest_equivalent_value_us(std::int64_t value_us) const noexcept {
  return lowest_equivalent_value_us(value_us) + equivalent_range_us(value_us) - 1;
}

std::int64_t HdrHistogram::median_equivalent_value_us(std::int64_t value_us) const noexcept {
  return lowest_equivalent_value_us(value_us) + (equivalent_range_us(value_us) >> 1);
}

void HdrHistogram::add_at_index(std::size_t index, std::int64_t count) noexcept {
  if (count <= 0) {
    return;
  }
  m_counts[index] += count;
  m_total_count += count;
  const std::int64_t value = value_at_index(index);
  m_max_value_us = std::max(m_max_value_us, value);
  if (index != 0) {
    m_min_nonzero_value_us = std::min(m_min_nonzero_value_us, value);
  }
}

}  // namespace poolbench::metrics
