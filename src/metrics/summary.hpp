#pragma once

// Per-run/per-interval building blocks of results.json (docs/results.md, What is measured and
// Results): the outcome counters and the millisecond summary of a histogram, with their
// JSON forms using docs/results.md's key names.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "metrics/hdr_histogram.hpp"

namespace poolbench::metrics {

/// Outcome counters of requests (one request = one execution of a transaction script).
/// Invariants, kept by construction: requests() = completed + timeouts + errors + dropped,
/// and errors = the sum of errors_by_sqlstate (every error has a SQLSTATE; docs/results.md: a lost
/// connection without one counts as 08006, a failed connect as 08001).
/// Thread safety: none; one per worker thread, merged after the threads join.
class Counters {
 public:
  void add_completed(std::int64_t n = 1) noexcept { m_completed += n; }
  void add_timeout(std::int64_t n = 1) noexcept { m_timeouts += n; }
  void add_dropped(std::int64_t n = 1) noexcept { m_dropped += n; }
  /// Counts one error under `sqlstate` (5 characters). Allocates only the first time a
  /// SQLSTATE is seen.
  void add_error(std::string_view sqlstate, std::int64_t n = 1);

  void merge(const Counters& other);

  std::int64_t requests() const noexcept { return m_completed + m_timeouts + m_errors + m_dropped; }
  std::int64_t completed() const noexcept { return m_completed; }
  std::int64_t timeouts() const noexcept { return m_timeouts; }
  std::int64_t errors() const noexcept { return m_errors; }
  std::int64_t dropped() const noexcept { return m_dropped; }
  const std::map<std::string, std::int64_t, std::less<>>& errors_by_sqlstate() const noexcept {
    return m_errors_by_sqlstate;
  }
  /// timeouts / requests (a fraction, docs/results.md's `timeout_rate`); 0 when there were no
  /// requests.
  double timeout_rate() const noexcept;

  friend bool operator==(const Counters&, const Counters&) = default;

 private:
  std::int64_t m_completed = 0;
  std::int64_t m_timeouts = 0;
  std::int64_t m_errors = 0;
  std::int64_t m_dropped = 0;
  std::map<std::string, std::int64_t, std::less<>> m_errors_by_sqlstate;
};

/// JSON: {"requests", "completed", "timeouts", "errors", "dropped", "errors_by_sqlstate":
/// {"57P01": 3, ...}} (docs/results.md's summary keys; timeout_rate and throughput_rps need the
/// run's duration and are written by the caller).
void to_json(nlohmann::json& json, const Counters& counters);
/// Reads what to_json writes; throws poolbench::InputError naming the key when a key is
/// missing or not a non-negative integer, a SQLSTATE is not 5 characters of [0-9A-Z], or the
/// invariants above do not hold.
void from_json(const nlohmann::json& json, Counters& counters);

/// A histogram summarised in milliseconds (docs/results.md's `latency_ms`, `checkout_wait_ms`,
/// `hold_ms`, `connect_ms`, `schedule_lag_ms`). Percentiles and max are highest equivalent
/// values (HdrHistogram::value_at_percentile_us, max_us), the mean is HdrHistogram's
/// bucket-median mean. All 0 for an empty histogram (the caller's counters tell whether
/// anything was recorded).
struct HistogramSummaryMs {
  double mean = 0.0;
  double p50 = 0.0;
  double p90 = 0.0;
  double p99 = 0.0;
  double p999 = 0.0;
  double max = 0.0;

  friend bool operator==(const HistogramSummaryMs&, const HistogramSummaryMs&) = default;
};

/// Summarises a histogram of microsecond values.
HistogramSummaryMs summarize_ms(const HdrHistogram& histogram_us);

/// JSON: {"mean", "p50", "p90", "p99", "p999", "max"}, numbers in milliseconds.
void to_json(nlohmann::json& json, const HistogramSummaryMs& summary);
/// Reads what to_json writes; throws poolbench::InputError naming a missing key, a value
/// that is not a finite non-negative number, or an object with other keys.
void from_json(const nlohmann::json& json, HistogramSummaryMs& summary);

}  // namespace poolbench::metrics
