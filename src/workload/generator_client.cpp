// The per-client state machine of the load generator (see generator_internal.hpp): think,
// app_time, acquire through the pool's asynchronous path, run the script's commands with
// non-blocking statements, check in, record.

#include <algorithm>
#include <limits>

#include "pg/errors.hpp"
#include "workload/generator_internal.hpp"

namespace poolbench::workload::detail {

/// The last one-second row of the window: completions after the end (requests intended
/// inside it that finish late) are counted there. No limit when the run counts transactions.
std::int64_t last_second(const Shared& shared) {
  if (shared.measure_end == Clock::time_point::max())
    return std::numeric_limits<std::int64_t>::max();
  const auto window =
      std::chrono::duration_cast<microseconds>(shared.measure_end - shared.measure_start);
  return std::max<std::int64_t>(0, (window.count() + 999'999) / 1'000'000 - 1);
}

Client::Client(Worker& worker, std::int64_t id, std::size_t pool_index)
    : m_worker(worker),
      m_pool(worker.shared.options.pools[pool_index]),
      m_pool_index(pool_index),
      m_state(make_client_params(worker.shared.seeds, id, worker.shared.scenario.dataset.scale),
              worker.shared.slot_count) {}

bool Client::measured() const noexcept {
  return m_intended >= m_worker.shared.measure_start && m_intended < m_worker.shared.measure_end;
}

void Client::arm_timer(Clock::time_point at, Phase phase) {
  m_phase = phase;
  m_worker.loop.add_timer(at, this, ++m_token);
}

void Client::start_request(Clock::time_point intended, Clock::time_point now) {
  m_intended = intended;
  ++m_worker.in_flight;
  if (measured()) {
    m_worker.recorder.schedule_lag.record(duration_cast<microseconds>(now - intended).count());
  }
  // Pick the transaction by weight.
  const auto& weights = m_worker.shared.cumulative_weights;
  const double draw = m_state.rng().uniform_double() * weights.back();
  const auto it = std::upper_bound(weights.begin(), weights.end(), draw);
  m_transaction =
      &m_worker.shared.options.transactions[static_cast<std::size_t>(std::min<std::ptrdiff_t>(
          it - weights.begin(), static_cast<std::ptrdiff_t>(weights.size()) - 1))];
  m_tries = 0;
  const auto app_time = m_worker.shared.scenario.request.app_time;
  if (app_time.count() > 0) {
    arm_timer(now + app_time, Phase::app_time);
  } else {
    begin_script(now);
  }
}

void Client::begin_script(Clock::time_point now) {
  ++m_tries;
  m_pc = 0;
  m_pinned = false;
  m_rng_at_start = m_state.rng();
  if (m_worker.shared.scenario.request.checkout == CheckoutMode::per_request &&
      (!m_lease || m_kept)) {
    acquire(now);
  } else {
    step();
  }
}

void Client::acquire(Clock::time_point now) {
  m_phase = Phase::acquiring;
  m_acquire_started = now;
  EventLoop* loop = &m_worker.loop;
  auto wake = [loop, this] { loop->post(this); };
  pool::AsyncAcquire async =
      m_kept ? m_pool->exchange_async(std::move(m_lease), wake) : m_pool->acquire_async(wake);
  m_kept = false;
  if (async.result) {
    on_acquired(std::move(*async.result));
    return;
  }
  m_ticket = std::move(async.ticket);
  m_worker.loop.add_timer(m_ticket.deadline(), this, ++m_token);
}

void Client::on_acquired(pool::AcquireResult result) {
  const auto now = Clock::now();
  if (measured()) {
    const auto wait_us = duration_cast<microseconds>(now - m_acquire_started).count();
    m_worker.recorder.checkout_wait.record(wait_us);
    if (!m_worker.recorder.instances.empty()) {
      m_worker.recorder.instances[m_pool_index].checkout_wait.record(wait_us);
    }
  }
  if (!result.ok()) {
    if (result.status == pool::AcquireStatus::timeout) {
      finish(false, {}, true, result.error);
    } else {
      finish(false, result.sqlstate);
    }
    return;
  }
  m_lease = std::move(result.lease);
  m_acquired_at = now;
  if (m_pending_sql != nullptr) {
    const SqlCommand* command = m_pending_sql;
    m_pending_sql = nullptr;
    send(*command);
  } else {
    step();
  }
}

void Client::step() {
  const auto& commands = m_transaction->script.commands();
  while (m_pc < commands.size()) {
    const Command& command = commands[m_pc++];
    if (const auto* set = std::get_if<SetCommand>(&command)) {
      if (!execute_set(*set, m_state)) {
        finish(false, k_sqlstate_script_error);
        return;
      }
    } else if (const auto* sleep = std::get_if<SleepCommand>(&command)) {
      microseconds duration{0};
      if (!sleep_duration(*sleep, m_state, duration)) {
        finish(false, k_sqlstate_script_error);
        return;
      }
      arm_timer(Clock::now() + duration, Phase::sleeping);
      return;
    } else {
      const auto& sql = std::get<SqlCommand>(command);
      if (!m_lease) {
        m_pending_sql = &sql;
        acquire(Clock::now());
        return;
      }
      send(sql);
      return;
    }
  }
  finish(true);
}

void Client::send(const SqlCommand& command) {
  m_phase = Phase::querying;
  auto& connection = m_lease.as<pg::StatementConnection>();
  if (auto failure = connection.prepare(command.prepared_name, command.text)) {
    on_statement_done(pg::StatementOutcome{false, 0, std::move(failure)});
    return;
  }
  if (command.is_begin) m_pinned = true;
  if (command.is_commit) m_pinned = false;
  m_params.render(command, m_state);
  if (!connection.send_prepared_raw(command.prepared_name, m_params.count(), m_params.values())) {
    on_statement_done(connection.take_outcome());
    return;
  }
  m_watched_fd = connection.socket();
  m_worker.loop.watch_readable(m_watched_fd, connection.serial(), this);
}

void Client::on_readable() {
  if (m_phase != Phase::querying || !m_lease) return;
  auto& connection = m_lease.as<pg::StatementConnection>();
  if (connection.consume() == pg::Progress::busy) return;  // still watched
  m_worker.loop.unwatch(m_watched_fd);
  m_watched_fd = -1;
  on_statement_done(connection.take_outcome());
}

void Client::on_statement_done(pg::StatementOutcome outcome) {
  if (!outcome.ok) {
    const pg::PgFailure& failure = *outcome.failure;
    const int max_tries = m_worker.shared.scenario.request.max_tries;
    if (failure.kind == pg::ErrorKind::retryable && (max_tries == 0 || m_tries < max_tries) &&
        !m_worker.shared.stop_now) {
      // pgbench's retry: roll back, restore the random state, rerun the whole script.
      m_lease.connection().rollback();
      m_state.rng() = m_rng_at_start;
      ++m_worker.recorder.retries;
      if (m_worker.shared.scenario.request.checkout == CheckoutMode::per_statement) {
        release_connection();
      }
      begin_script(Clock::now());
      return;
    }
    finish(false, failure.sqlstate);
    return;
  }
  if (m_worker.shared.scenario.request.checkout == CheckoutMode::per_statement && !m_pinned) {
    release_connection();
  }
  step();
}

Clock::time_point Client::release_connection(bool keep) {
  if (m_watched_fd >= 0) {
    m_worker.loop.unwatch(m_watched_fd);
    m_watched_fd = -1;
  }
  if (!m_lease) return Clock::now();
  m_kept = keep;
  if (!keep) m_lease.release();  // the hold ends when the check-in (and any reset) is done
  const auto now = Clock::now();
  if (measured()) {
    m_worker.recorder.hold.record(duration_cast<microseconds>(now - m_acquired_at).count());
  }
  return now;
}

void Client::release_kept() noexcept {
  if (!m_kept) return;
  m_kept = false;
  m_lease.release();
}

void Client::finish(bool ok, std::string_view sqlstate, bool timeout, std::string_view message) {
  // One clock read for the hold's end, the completion and the next request's start.
  // Kept for the next request's exchange only when the check-in would do nothing but queue
  // it (no reset, not broken): the hold measured here is then the same.
  const bool keep = m_worker.shared.back_to_back && m_lease &&
                    !m_lease.connection().in_transaction() && !m_lease.connection().is_broken();
  const auto now = release_connection(keep);
  m_pending_sql = nullptr;
  if (measured()) {
    const std::string_view state = sqlstate.empty() ? pg::k_sqlstate_connection_failure : sqlstate;
    const auto latency = duration_cast<microseconds>(now - m_intended);
    if (ok) {
      m_worker.recorder.completed(now, latency);
    } else if (timeout) {
      m_worker.recorder.timed_out(now, message);
    } else {
      m_worker.recorder.failed(now, state);
    }
    if (!m_worker.recorder.instances.empty()) {
      InstanceStats& instance = m_worker.recorder.instances[m_pool_index];
      if (ok) {
        instance.counters.add_completed();
        instance.latency.record(latency.count());
      } else if (timeout) {
        instance.counters.add_timeout();
      } else {
        instance.counters.add_error(state);
      }
    }
  }
  m_phase = Phase::idle;
  ++m_token;
  --m_worker.in_flight;
  m_worker.request_done(*this, ++m_requests_done, now);
}

void Client::abandon() {
  if (m_phase == Phase::idle) return;
  if (m_ticket.pending()) m_pool->cancel(m_ticket);
  release_connection();
  m_pending_sql = nullptr;
  ++m_token;
  if (m_phase == Phase::thinking) {
    --m_worker.thinking;
  } else {
    --m_worker.in_flight;
    if (measured()) ++m_worker.recorder.unfinished;
  }
  m_phase = Phase::idle;
}

void Client::use_pool(std::size_t index) {
  m_pool_index = index;
  m_pool = m_worker.shared.options.pools[index];
}

void Client::think_until(Clock::time_point ready) {
  m_intended = ready;
  ++m_worker.thinking;
  arm_timer(ready, Phase::thinking);
}

void Client::on_timer(std::uint64_t token) {
  if (token != m_token) return;  // stale
  switch (m_phase) {
    case Phase::thinking:
      m_phase = Phase::idle;
      --m_worker.thinking;
      start_request(m_intended, Clock::now());  // intended start: when it became ready
      break;
    case Phase::app_time:
      begin_script(Clock::now());
      break;
    case Phase::sleeping:
      step();
      break;
    case Phase::acquiring:
      on_posted();  // the deadline: poll for the result (a timeout, or a late grant)
      break;
    default:
      break;
  }
}

void Client::on_posted() {
  if (m_phase == Phase::querying) {
    on_readable();  // a socket that could not be watched: read what is there
    return;
  }
  if (m_phase != Phase::acquiring || !m_ticket.pending()) return;
  if (auto result = m_pool->poll(m_ticket)) on_acquired(std::move(*result));
}

}  // namespace poolbench::workload::detail
