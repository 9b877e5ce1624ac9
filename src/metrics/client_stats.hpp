#pragma once

// Per-client outcomes of a closed-loop run (who was served, who waited) and the fairness
// figures over them. Bounded memory: a ClientStats is ~500 bytes whatever the run's length, so
// 10 000 clients cost ~5 MB. Thread safety: none; a client's stats are written by its
// worker thread only and read after the threads joined.

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

namespace poolbench::metrics {

/// A compact log histogram of one client's checkout waits (µs): 4 buckets per power of two
/// from 16 µs to ~36 min (below 16 µs: "did not wait"), 32-bit counts (halved together
/// should one ever reach 2^32: later values then weigh double), and the exact maximum. Quantiles
/// are upper bounds at most 19% high (a bucket's upper edge), never above the maximum, so a client
/// whose every wait ended at the pool_timeout reads as that timeout.
class WaitSketch {
 public:
  static constexpr int k_sub_buckets = 4;  ///< per power of two
  static constexpr int k_first_power = 4;  ///< 2^4 = 16 µs: the first bucket's edge
  static constexpr int k_last_power = 31;  ///< 2^31 µs ~ 36 min: the top bucket
  static constexpr int k_buckets = 1 + (k_last_power - k_first_power + 1) * k_sub_buckets;

  void record(std::int64_t value_us) noexcept;
  /// The q-quantile (q in [0, 1]) in µs: 0 with no value recorded.
  std::int64_t quantile_us(double q) const noexcept;
  std::int64_t max_us() const noexcept { return m_max_us; }

 private:
  static int bucket_of(std::int64_t value_us) noexcept;
  static std::int64_t upper_edge_us(int bucket) noexcept;

  std::array<std::uint32_t, k_buckets> m_counts{};
  std::uint64_t m_total = 0;  ///< sum of m_counts (halved with them)
  std::int64_t m_max_us = 0;
};

/// One closed-loop client's requests whose intended start fell in the measurement window.
struct ClientStats {
  std::int64_t id = 0;         ///< the generator's client id, 0-based
  std::uint32_t instance = 0;  ///< its app instance (pool), in scenario order
  std::uint32_t completed = 0;
  std::uint32_t timeouts = 0;
  std::uint32_t errors = 0;
  WaitSketch waits;  ///< checkout waits, timed-out ones at their timeout
};

/// How evenly the clients were served (completions) and who bore the timeouts.
struct Fairness {
  std::int64_t clients = 0;
  /// Jain's index of the completions, (sum x)² / (n·sum x²): 1 when every client completed
  /// as many requests, 1/n when one client completed them all; none without completions.
  std::optional<double> jain_index;
  std::int64_t completions_min = 0;
  std::int64_t completions_max = 0;
  std::int64_t timeouts = 0;
  /// The share of all timeouts borne by the worst ceil(n/5) clients (those with the most):
  /// 0.2 when timeouts are spread evenly, 1 when that fifth bore them all; none without
  /// timeouts.
  std::optional<double> timeouts_worst_fifth_share;
};

/// Fairness over clients given by their completions and timeouts (same length, >= 1 client).
Fairness fairness_of(const std::vector<std::int64_t>& completed,
                     const std::vector<std::int64_t>& timeouts);

}  // namespace poolbench::metrics
