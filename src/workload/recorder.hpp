#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/client_stats.hpp"
#include "metrics/hdr_histogram.hpp"
#include "metrics/summary.hpp"
#include "pg/statement_connection.hpp"

namespace poolbench::workload {

/// One second of a worker's (or, merged, the run's) outcomes, by completion time.
struct SecondCounts {
  std::int64_t completed = 0;
  std::int64_t timeouts = 0;
  std::int64_t errors = 0;
  std::map<std::string, std::int64_t> errors_by_sqlstate;  ///< of `errors`; empty: none
  std::string latency_hist;  ///< that second's latency histogram, HdrHistogram V2 base64
};

/// One app instance's (pool's) share of what a worker measured, when there are several.
struct InstanceStats {
  metrics::Counters counters;  ///< completed, timeouts, errors (arrivals dropped before a
                               ///< pool is chosen count only in the totals)
  metrics::HdrHistogram latency;
  metrics::HdrHistogram checkout_wait;

  void merge(const InstanceStats& other) {
    counters.merge(other.counters);
    latency.merge(other.latency);
    checkout_wait.merge(other.checkout_wait);
  }
};

/// What one worker thread measured. Single writer (its worker thread), read after the
/// thread joined; only the live_* atomics are read while running (for the progress line).
///
/// Time series: completions are recorded in (nearly) time order by one thread, so the
/// histogram of a second is encoded and reset when the first completion of a later second
/// arrives; only one 184 KiB per-second histogram is alive per worker.
class Recorder {
 public:
  using Clock = std::chrono::steady_clock;
  /// Rows are seconds since `measure_start`; completions after second `last_second` count
  /// in that last row.
  explicit Recorder(Clock::time_point measure_start,
                    std::int64_t last_second = std::numeric_limits<std::int64_t>::max());

  /// Moves the window (same meaning as the constructor's arguments) before any recording:
  /// the generator makes its recorders first and starts its clock after.
  void set_window(Clock::time_point measure_start, std::int64_t last_second) noexcept {
    m_measure_start = measure_start;
    m_last_second = last_second;
  }

  /// A measured request completed `latency` after its intended start.
  void completed(Clock::time_point now, std::chrono::microseconds latency);
  /// A measured request failed with the pool timeout (its wait is recorded by the caller).
  void timed_out(Clock::time_point now, std::string_view message);
  /// A measured request failed with an error (`sqlstate`: 5 characters).
  void failed(Clock::time_point now, std::string_view sqlstate);
  /// An open-loop arrival found max_in_flight requests already running.
  void dropped() { counters.add_dropped(); }

  /// Called by the worker on every loop turn: reads the thread's CPU clock (and the wall
  /// clock) on the first turn at or after `measure_start` and the first at or after
  /// `measure_end`, so cpu_measured_s() is the CPU time of about the measurement window.
  void observe_cpu(Clock::time_point now, Clock::time_point measure_end);
  /// The worker thread's CPU time (user + system) between the two readings, seconds.
  double cpu_measured_s() const noexcept { return m_cpu_end_s - m_cpu_start_s; }
  /// The fraction of the wall time between the two readings the thread was on a CPU (a
  /// loop turn can outlast the window when it runs many requests inline: the span read,
  /// not the window's length, is the denominator, so this never exceeds 1 by much).
  double cpu_busy() const noexcept;

  /// Closes the last second (and the CPU window, when the loop ended before its end).
  /// Call once, from the worker thread, after its loop ended.
  void finish();
  const std::vector<SecondCounts>& seconds() const noexcept { return m_seconds; }

  /// Complete after finish(): each second's latencies are added when that second closes.
  metrics::HdrHistogram latency;
  metrics::HdrHistogram checkout_wait;
  metrics::HdrHistogram queue_wait;  ///< checkout_wait without the connect and pre-ping
  metrics::HdrHistogram hold;
  metrics::HdrHistogram schedule_lag;
  metrics::Counters counters;
  std::string timeout_message;  ///< the first QueuePool timeout message seen
  std::int64_t retries = 0;     ///< serialization/deadlock retries (request.max_tries)
  std::int64_t unfinished = 0;  ///< still running when the drain deadline passed
  /// Per instance, by pool index; empty when the run has one pool.
  std::vector<InstanceStats> instances;
  /// Closed loop: one per client of this worker (sized before the clients start, never
  /// resized after: clients keep pointers); empty in an open loop.
  std::vector<metrics::ClientStats> clients;

  // Progress, read by the sampling thread while the worker runs (relaxed).
  std::atomic<std::int64_t> live_completed{0};
  std::atomic<std::int64_t> live_timeouts{0};
  std::atomic<std::int64_t> live_errors{0};
  std::atomic<double> last_second_p99_ms{0};  ///< of the last closed second

 private:
  SecondCounts& at_second(Clock::time_point now);
  void close_current();

  Clock::time_point m_measure_start;
  std::int64_t m_last_second;
  metrics::HdrHistogram m_second_latency;
  std::int64_t m_current = -1;  ///< the second m_second_latency belongs to
  /// When m_current ends (max() for the last row; min() before the first completion and
  /// after finish()): at_second() takes its fast path before it.
  Clock::time_point m_current_end = Clock::time_point::min();
  std::vector<SecondCounts> m_seconds;
  bool m_cpu_started = false;
  bool m_cpu_ended = false;
  double m_cpu_start_s = 0;
  double m_cpu_end_s = 0;
  Clock::time_point m_cpu_wall_start;
  Clock::time_point m_cpu_wall_end;
};

/// Wraps a connection factory and records each successful connect's duration (the
/// `connect` histogram), blocking or not (from start_connect() to the attempt's take()).
/// Thread-safe: connects happen on any worker thread; they are rare enough for a mutex.
class RecordingFactory final : public pg::AsyncConnectionFactory {
 public:
  explicit RecordingFactory(pg::AsyncConnectionFactory& inner) : m_inner(inner) {}
  pool::ConnectResult connect() noexcept override;
  std::unique_ptr<pg::ConnectAttempt> start_connect() noexcept override;
  std::chrono::milliseconds connect_timeout() const noexcept override {
    return m_inner.connect_timeout();
  }
  /// Records one connect that took `took` (if recording and it succeeded).
  void record(const pool::ConnectResult& result, std::chrono::microseconds took) noexcept;
  /// Starts counting (connects before, e.g. during warmup, are not recorded).
  void start_recording() { m_recording = true; }
  metrics::HdrHistogram take_histogram();

 private:
  pg::AsyncConnectionFactory& m_inner;
  std::atomic<bool> m_recording{false};
  std::mutex m_mutex;
  metrics::HdrHistogram m_connect;  // guarded by m_mutex
};

}  // namespace poolbench::workload
