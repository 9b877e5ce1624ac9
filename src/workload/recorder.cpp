#include "workload/recorder.hpp"

#include <algorithm>

#include "metrics/hdr_codec.hpp"

namespace poolbench::workload {

Recorder::Recorder(Clock::time_point measure_start, std::int64_t last_second)
    : m_measure_start(measure_start), m_last_second(last_second) {}

SecondCounts& Recorder::at_second(Clock::time_point now) {
  const auto since = now - m_measure_start;
  const std::int64_t second = std::min(
      m_last_second,
      since.count() < 0 ? 0 : std::chrono::duration_cast<std::chrono::seconds>(since).count());
  if (second > m_current) {
    close_current();
    m_current = second;
  }
  // A completion that arrives a moment late for an already closed second is counted in the
  // current one: the rows stay exact in total and never reopen an encoded histogram.
  if (m_seconds.size() <= static_cast<std::size_t>(m_current)) {
    m_seconds.resize(static_cast<std::size_t>(m_current) + 1);
  }
  return m_seconds[static_cast<std::size_t>(m_current)];
}

void Recorder::close_current() {
  if (m_current < 0) return;
  if (m_seconds.size() <= static_cast<std::size_t>(m_current)) {
    m_seconds.resize(static_cast<std::size_t>(m_current) + 1);
  }
  m_seconds[static_cast<std::size_t>(m_current)].latency_hist =
      metrics::encode_hdr_v2_base64(m_second_latency);
  last_second_p99_ms.store(
      static_cast<double>(m_second_latency.value_at_percentile_us(99.0)) / 1000.0,
      std::memory_order_relaxed);
  m_second_latency.reset();
}

void Recorder::completed(Clock::time_point now, std::chrono::microseconds value) {
  SecondCounts& row = at_second(now);
  ++row.completed;
  latency.record(value.count());
  m_second_latency.record(value.count());
  counters.add_completed();
  live_completed.fetch_add(1, std::memory_order_relaxed);
}

void Recorder::timed_out(Clock::time_point now, std::string_view message) {
  ++at_second(now).timeouts;
  counters.add_timeout();
  if (timeout_message.empty()) timeout_message = message;
  live_timeouts.fetch_add(1, std::memory_order_relaxed);
}

void Recorder::failed(Clock::time_point now, std::string_view sqlstate) {
  SecondCounts& row = at_second(now);
  ++row.errors;
  ++row.errors_by_sqlstate[std::string(sqlstate)];
  counters.add_error(sqlstate);
  live_errors.fetch_add(1, std::memory_order_relaxed);
}

void Recorder::finish() {
  close_current();
  m_current = static_cast<std::int64_t>(m_seconds.size());
}

pool::ConnectResult RecordingFactory::connect() noexcept {
  const auto start = std::chrono::steady_clock::now();
  pool::ConnectResult result = m_inner.connect();
  if (result.connection && m_recording.load(std::memory_order_relaxed)) {
    const auto took = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - start);
    std::lock_guard lock(m_mutex);
    m_connect.record(took.count());
  }
  return result;
}

metrics::HdrHistogram RecordingFactory::take_histogram() {
  std::lock_guard lock(m_mutex);
  metrics::HdrHistogram copy = m_connect;
  m_connect.reset();
  return copy;
}

}  // namespace poolbench::workload
