#include "metrics/client_stats.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <functional>
#include <numeric>

namespace poolbench::metrics {
namespace {

/// The clients that bear the "worst fifth" of the timeouts: ceil(n / 5).
constexpr std::int64_t k_fifth = 5;
constexpr std::uint32_t k_count_limit = UINT32_MAX;

}  // namespace

int WaitSketch::bucket_of(std::int64_t value_us) noexcept {
  if (value_us < (std::int64_t{1} << k_first_power)) return 0;
  const auto value = static_cast<std::uint64_t>(value_us);
  const int power = std::min(static_cast<int>(std::bit_width(value)) - 1, k_last_power);
  // The two bits after the leading one pick the quarter of [2^power, 2^(power+1)).
  const int sub = power == k_last_power && value >= (std::uint64_t{2} << k_last_power)
                      ? k_sub_buckets - 1
                      : static_cast<int>((value >> (power - 2)) & 3U);
  return 1 + (power - k_first_power) * k_sub_buckets + sub;
}

std::int64_t WaitSketch::upper_edge_us(int bucket) noexcept {
  if (bucket == 0) return (std::int64_t{1} << k_first_power) - 1;
  const int power = k_first_power + (bucket - 1) / k_sub_buckets;
  const int sub = (bucket - 1) % k_sub_buckets;
  return (std::int64_t{1} << power) + (std::int64_t{sub + 1} << (power - 2)) - 1;
}

void WaitSketch::record(std::int64_t value_us) noexcept {
  value_us = std::max<std::int64_t>(value_us, 0);
  m_max_us = std::max(m_max_us, value_us);
  const int bucket = bucket_of(value_us);
  if (m_counts[static_cast<std::size_t>(bucket)] == k_count_limit) {
    m_total = 0;
    for (auto& count : m_counts) {
      count = (count + 1U) / 2U;  // a recorded bucket stays > 0
      m_total += count;
    }
  }
  ++m_counts[static_cast<std::size_t>(bucket)];
  ++m_total;
}

std::int64_t WaitSketch::quantile_us(double q) const noexcept {
  if (m_total == 0) return 0;
  // The smallest bucket whose cumulative count reaches ceil(q·total) (HdrHistogram's rule).
  const auto target = std::max<std::uint64_t>(
      1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(m_total))));
  std::uint64_t seen = 0;
  for (int bucket = 0; bucket < k_buckets; ++bucket) {
    seen += m_counts[static_cast<std::size_t>(bucket)];
    if (seen >= target) return std::min(upper_edge_us(bucket), m_max_us);
  }
  return m_max_us;
}

Fairness fairness_of(const std::vector<std::int64_t>& completed,
                     const std::vector<std::int64_t>& timeouts) {
  Fairness out;
  out.clients = static_cast<std::int64_t>(completed.size());
  if (completed.empty()) return out;
  const auto [low, high] = std::minmax_element(completed.begin(), completed.end());
  out.completions_min = *low;
  out.completions_max = *high;
  double sum = 0;
  double squares = 0;
  for (const std::int64_t x : completed) {
    sum += static_cast<double>(x);
    squares += static_cast<double>(x) * static_cast<double>(x);
  }
  if (squares > 0) out.jain_index = sum * sum / (static_cast<double>(completed.size()) * squares);
  std::vector<std::int64_t> sorted = timeouts;
  std::sort(sorted.begin(), sorted.end(), std::greater<>());
  out.timeouts = std::accumulate(sorted.begin(), sorted.end(), std::int64_t{0});
  const auto worst = static_cast<std::ptrdiff_t>((out.clients + k_fifth - 1) / k_fifth);
  const std::int64_t borne = std::accumulate(
      sorted.begin(), sorted.begin() + std::min<std::ptrdiff_t>(worst, sorted.size()),
      std::int64_t{0});
  if (out.timeouts > 0) {
    out.timeouts_worst_fifth_share = static_cast<double>(borne) / static_cast<double>(out.timeouts);
  }
  return out;
}

}  // namespace poolbench::metrics
