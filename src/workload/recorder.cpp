#include "workload/recorder.hpp"

#include <algorithm>
#include <ctime>

#include "metrics/hdr_codec.hpp"

namespace poolbench::workload {

Recorder::Recorder(Clock::time_point measure_start, std::int64_t last_second)
    : m_measure_start(measure_start), m_last_second(last_second) {}

namespace {

/// Adds one to a progress counter only its worker writes: a relaxed load and store, not a
/// locked read-modify-write (the sampling thread only reads it).
void bump(std::atomic<std::int64_t>& counter) noexcept {
  counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

}  // namespace

SecondCounts& Recorder::at_second(Clock::time_point now) {
  // Most completions fall in the current second: no division, no resize.
  if (now < m_current_end) return m_seconds[static_cast<std::size_t>(m_current)];
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
  m_current_end = m_current >= m_last_second
                      ? Clock::time_point::max()
                      : m_measure_start + std::chrono::seconds(m_current + 1);
  return m_seconds[static_cast<std::size_t>(m_current)];
}

void Recorder::close_current() {
  if (m_current < 0) return;
  if (m_seconds.size() <= static_cast<std::size_t>(m_current)) {
    m_seconds.resize(static_cast<std::size_t>(m_current) + 1);
  }
  m_seconds[static_cast<std::size_t>(m_current)].latency_hist =
      metrics::encode_hdr_v2_base64(m_second_latency);
  // Each completion is recorded once, in its second's histogram; the run's histogram gets
  // the second's counts here (up to the second's largest value: a few thousand adds).
  latency.merge(m_second_latency);
  last_second_p99_ms.store(
      static_cast<double>(m_second_latency.value_at_percentile_us(99.0)) / 1000.0,
      std::memory_order_relaxed);
  m_second_latency.reset();
}

void Recorder::completed(Clock::time_point now, std::chrono::microseconds value) {
  SecondCounts& row = at_second(now);
  ++row.completed;
  m_second_latency.record(value.count());  // into `latency` when the second closes
  counters.add_completed();
  bump(live_completed);
}

void Recorder::timed_out(Clock::time_point now, std::string_view message) {
  ++at_second(now).timeouts;
  counters.add_timeout();
  if (timeout_message.empty()) timeout_message = message;
  bump(live_timeouts);
}

void Recorder::failed(Clock::time_point now, std::string_view sqlstate) {
  SecondCounts& row = at_second(now);
  ++row.errors;
  ++row.errors_by_sqlstate[std::string(sqlstate)];
  counters.add_error(sqlstate);
  bump(live_errors);
}

namespace {

/// The calling thread's CPU time (user + system), seconds.
double thread_cpu_s() noexcept {
  timespec now{};
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now) != 0) return 0;
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

}  // namespace

void Recorder::observe_cpu(Clock::time_point now, Clock::time_point measure_end) {
  if (m_cpu_ended || now < m_measure_start) return;
  if (!m_cpu_started) {
    m_cpu_started = true;
    m_cpu_start_s = m_cpu_end_s = thread_cpu_s();
    m_cpu_wall_start = m_cpu_wall_end = Clock::now();
  }
  if (now >= measure_end) {
    m_cpu_ended = true;
    m_cpu_end_s = thread_cpu_s();
    m_cpu_wall_end = Clock::now();
  }
}

double Recorder::cpu_busy() const noexcept {
  const double wall_s = std::chrono::duration<double>(m_cpu_wall_end - m_cpu_wall_start).count();
  return wall_s > 0 ? cpu_measured_s() / wall_s : 0.0;
}

void Recorder::finish() {
  close_current();
  m_current = static_cast<std::int64_t>(m_seconds.size());
  m_current_end = Clock::time_point::min();
  if (m_cpu_started && !m_cpu_ended) {
    m_cpu_ended = true;
    m_cpu_end_s = thread_cpu_s();
    m_cpu_wall_end = Clock::now();
  }
}

namespace {

using std::chrono::steady_clock;

/// start_connect()'s attempt: the inner one, timed from its start to its take().
class RecordingAttempt final : public pg::ConnectAttempt {
 public:
  RecordingAttempt(RecordingFactory& factory, std::unique_ptr<pg::ConnectAttempt> inner)
      : m_factory(factory), m_inner(std::move(inner)), m_started(steady_clock::now()) {}
  pg::ConnectWait waiting_for() const noexcept override { return m_inner->waiting_for(); }
  int socket() const noexcept override { return m_inner->socket(); }
  void advance() noexcept override { m_inner->advance(); }
  pool::ConnectResult take() noexcept override {
    pool::ConnectResult result = m_inner->take();
    m_factory.record(result, std::chrono::duration_cast<std::chrono::microseconds>(
                                 steady_clock::now() - m_started));
    return result;
  }

 private:
  RecordingFactory& m_factory;
  std::unique_ptr<pg::ConnectAttempt> m_inner;
  steady_clock::time_point m_started;
};

}  // namespace

void RecordingFactory::record(const pool::ConnectResult& result,
                              std::chrono::microseconds took) noexcept {
  if (!result.connection || !m_recording.load(std::memory_order_relaxed)) return;
  std::lock_guard lock(m_mutex);
  m_connect.record(took.count());
}

pool::ConnectResult RecordingFactory::connect() noexcept {
  const auto start = steady_clock::now();
  pool::ConnectResult result = m_inner.connect();
  record(result,
         std::chrono::duration_cast<std::chrono::microseconds>(steady_clock::now() - start));
  return result;
}

std::unique_ptr<pg::ConnectAttempt> RecordingFactory::start_connect() noexcept {
  std::unique_ptr<pg::ConnectAttempt> inner = m_inner.start_connect();
  if (!inner) return nullptr;
  try {
    return std::make_unique<RecordingAttempt>(*this, std::move(inner));
  } catch (...) {
    return nullptr;  // out of memory: a failed connect
  }
}

metrics::HdrHistogram RecordingFactory::take_histogram() {
  std::lock_guard lock(m_mutex);
  metrics::HdrHistogram copy = m_connect;
  m_connect.reset();
  return copy;
}

}  // namespace poolbench::workload
