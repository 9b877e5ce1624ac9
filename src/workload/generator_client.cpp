// The per-client state machine of the load generator (see generator_internal.hpp): think,
// app_time, acquire (generator_connection.cpp), run the script's commands with non-blocking
// statements, check in, record.

#include <algorithm>
#include <limits>
#include <utility>

#include <fmt/format.h>

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

namespace {

/// A closed-loop client's own tally (fairness per client).
void count_own(metrics::ClientStats& stats, RequestOutcome outcome) noexcept {
  switch (outcome) {
    case RequestOutcome::completed:
      ++stats.completed;
      break;
    case RequestOutcome::timed_out:
      ++stats.timeouts;
      break;
    case RequestOutcome::failed:
      ++stats.errors;
      break;
  }
}

}  // namespace

Client::Client(Worker& worker, std::int64_t id, std::size_t pool_index)
    : m_worker(worker),
      m_pool(worker.shared.options.pools[pool_index]),
      m_pool_index(pool_index),
      m_state(
          script::make_client_params(worker.shared.seeds, id, worker.shared.scenario.dataset.scale),
          worker.shared.slot_count) {}

void Client::set_intended(Clock::time_point intended) noexcept {
  m_intended = intended;
  m_measured = intended >= m_worker.shared.measure_start && intended < m_worker.shared.measure_end;
}

void Client::arm_timer(Clock::time_point at, Phase phase) {
  m_phase = phase;
  m_worker.loop.add_timer(at, this, ++m_token);
}

void Client::open_request(Clock::time_point intended, Clock::time_point now) {
  set_intended(intended);
  ++m_worker.in_flight;
  if (measured()) {
    m_worker.recorder.schedule_lag.record(duration_cast<microseconds>(now - intended).count());
  }
}

void Client::start_replay(ReplayItem& item, Clock::time_point now) {
  open_request(item.intended, now);
  std::swap(m_replay, item.request);
  m_tries = 0;
  // The trace's gaps are the application's time (request.app_time is not added).
  begin_script(now);
}

void Client::start_request(Clock::time_point intended, Clock::time_point now) {
  open_request(intended, now);
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
  m_gap_waited = false;
  m_pinned = false;
  m_rng_at_start = m_state.rng();
  if (m_transaction != nullptr) m_state.set_names(m_transaction->script.variable_names());
  if (m_worker.shared.scenario.request.checkout == scenario::CheckoutMode::per_request &&
      (!m_lease || m_kept)) {
    acquire(now);
  } else {
    step();
  }
}

void Client::step_replay() {
  if (m_pc >= m_replay.statements.size()) {
    finish(RequestOutcome::completed);
    return;
  }
  const scenario::TraceStatement& statement = m_replay.statements[m_pc];
  if (statement.gap_us > 0 && !m_gap_waited) {
    // Application time inside the request: the connection stays held (unscaled by speed:
    // speed changes how often requests come, not what each one does).
    m_gap_waited = true;
    arm_timer(Clock::now() + microseconds(statement.gap_us), Phase::sleeping);
    return;
  }
  m_gap_waited = false;
  ++m_pc;
  const script::SqlCommand& command = m_worker.shared.replay_commands[statement.q];
  if (!m_lease) {
    m_pending_sql = &command;
    acquire(Clock::now());
    return;
  }
  send(command);
}

bool Client::replays_simple() const noexcept {
  if (m_worker.shared.replay == nullptr) return false;
  const scenario::TraceStatement& statement = m_replay.statements[m_pc - 1];
  return m_worker.shared.replay_simple[statement.q] && statement.params.empty();
}

void Client::send_replay(const script::SqlCommand& command, pg::StatementConnection& connection) {
  const scenario::TraceStatement& statement = m_replay.statements[m_pc - 1];
  bool sent = false;
  if (replays_simple()) {
    sent = connection.send_simple_query(command.text.c_str());
  } else {
    m_replay_params.clear();
    for (const auto& param : statement.params)
      m_replay_params.push_back(param ? param->c_str() : nullptr);
    sent = connection.send_prepared_raw(command.prepared_name,
                                        static_cast<int>(m_replay_params.size()),
                                        m_replay_params.empty() ? nullptr : m_replay_params.data());
  }
  if (!sent) {
    on_statement_done(connection.take_outcome());
    return;
  }
  watch(connection);
}

void Client::step() {
  if (m_worker.shared.replay != nullptr) {
    step_replay();
    return;
  }
  const auto& commands = m_transaction->script.commands();
  while (m_pc < commands.size()) {
    const script::Command& command = commands[m_pc++];
    if (const auto* set = std::get_if<script::SetCommand>(&command)) {
      if (!execute_set(*set, m_state)) {
        finish(RequestOutcome::failed, k_sqlstate_script_error);
        return;
      }
    } else if (const auto* branch = std::get_if<script::IfCommand>(&command)) {
      bool taken = false;
      if (!evaluate_condition(*branch, m_state, taken)) {
        finish(RequestOutcome::failed, k_sqlstate_script_error);
        return;
      }
      if (!taken) m_pc = branch->false_target;
    } else if (const auto* jump = std::get_if<script::JumpCommand>(&command)) {
      m_pc = jump->target;
    } else if (const auto* sleep = std::get_if<script::SleepCommand>(&command)) {
      microseconds duration{0};
      if (!sleep_duration(*sleep, m_state, duration)) {
        finish(RequestOutcome::failed, k_sqlstate_script_error);
        return;
      }
      arm_timer(Clock::now() + duration, Phase::sleeping);
      return;
    } else {
      const auto& sql = std::get<script::SqlCommand>(command);
      if (!m_lease) {
        m_pending_sql = &sql;
        acquire(Clock::now());
        return;
      }
      send(sql);
      return;
    }
  }
  finish(RequestOutcome::completed);
}

void Client::send(const script::SqlCommand& command) {
  m_phase = Phase::querying;
  auto& connection = m_lease.as<pg::StatementConnection>();
  // The statement sent last on this very connection (serials are never reused) is known
  // to be prepared there without a look-up by name.
  const bool known_prepared =
      connection.serial() == m_prepared_serial && &command == m_prepared_command;
  if (prepares(command) && !known_prepared && !connection.is_prepared(command.prepared_name)) {
    // Once per connection and statement: the parse may wait for a lock (a stalled table),
    // so it is waited for on the loop like the statement itself.
    m_preparing = &command;
    if (!connection.send_prepare(command.prepared_name, command.text)) {
      on_prepared(connection.take_outcome());
      return;
    }
    watch(connection);
    return;
  }
  m_prepared_serial = connection.serial();
  m_prepared_command = &command;
  if (command.is_begin) m_pinned = true;
  if (command.is_commit) m_pinned = false;
  if (m_worker.shared.replay != nullptr) {
    send_replay(command, connection);
    return;
  }
  send_script_statement(command, connection);
}

bool Client::prepares(const script::SqlCommand& command) const noexcept {
  if (command.compound) return false;
  if (m_worker.shared.replay != nullptr) return !replays_simple();
  return m_worker.shared.scenario.workload.protocol == scenario::QueryProtocol::prepared;
}

bool Client::render_quoted(const script::SqlCommand& command, pg::StatementConnection& connection) {
  if (!m_params.render(command, m_state)) return false;
  m_simple_sql.clear();
  std::size_t copied = 0;
  for (std::size_t i = 0; i < command.param_offsets.size(); ++i) {
    const std::size_t offset = command.param_offsets[i];
    m_simple_sql.append(command.simple_text, copied, offset - copied);
    copied = offset;
    if (m_params.is_null(i)) {
      m_simple_sql += "NULL";
    } else if (!connection.append_literal(m_simple_sql, m_params.value(i))) {
      m_state.set_error(
          fmt::format("SQL (line {}): parameter {} cannot be quoted (not valid in "
                      "the connection's client encoding)",
                      command.line, i + 1));
      return false;
    }
  }
  m_simple_sql.append(command.simple_text, copied);
  return true;
}

void Client::send_script_statement(const script::SqlCommand& command,
                                   pg::StatementConnection& connection) {
  const scenario::QueryProtocol protocol = m_worker.shared.scenario.workload.protocol;
  bool rendered = false;
  if (command.compound) {
    rendered = render_simple(command, m_state, m_simple_sql);
  } else if (protocol == scenario::QueryProtocol::simple) {
    rendered = render_quoted(command, connection);
  } else {
    rendered = m_params.render(command, m_state);
  }
  if (!rendered) {
    finish(RequestOutcome::failed, k_sqlstate_script_error);
    return;
  }
  if (command.capture != script::Capture::none) connection.keep_results(&m_results);
  bool sent = false;
  if (command.compound || protocol == scenario::QueryProtocol::simple) {
    sent = connection.send_simple_query(m_simple_sql.c_str());
  } else if (protocol == scenario::QueryProtocol::extended) {
    sent = connection.send_unnamed_raw(command.text.c_str(), m_params.count(), m_params.values());
  } else {
    sent = connection.send_prepared_raw(command.prepared_name, m_params.count(), m_params.values());
  }
  if (!sent) {
    on_statement_done(connection.take_outcome());
    return;
  }
  watch(connection);
}

bool Client::store_results(const script::SqlCommand& command) {
  const auto& results = m_results.results;
  const auto store = [&](const pg::KeptResult& result) {
    for (std::size_t c = 0; c < result.columns.size(); ++c) {
      m_name_buffer.assign(command.capture_prefix).append(result.columns[c]);
      if (const auto slot = m_transaction->script.slot_of(m_name_buffer)) {
        m_state.set_text(*slot, result.last_row[c]);
      }
      // A column no command of the script reads is not kept.
    }
  };
  if (command.capture == script::Capture::aset) {
    for (const auto& result : results) {
      if (result.returns_rows && result.rows > 0) store(result);
    }
    return true;
  }
  // \gset: the last result must be exactly one row (pgbench: "expected one row, got N").
  const std::int64_t rows =
      results.empty() || !results.back().returns_rows ? 0 : results.back().rows;
  if (rows != 1) {
    finish(RequestOutcome::failed, rows == 0 ? k_sqlstate_gset_no_row : k_sqlstate_gset_rows);
    return false;
  }
  store(results.back());
  return true;
}

void Client::on_readable() {
  if (m_phase == Phase::connecting) {
    m_attempt->advance();
    wait_connect();
    return;
  }
  pg::StatementConnection* connection = busy_connection();
  if (connection == nullptr || connection->consume() == pg::Progress::busy) return;  // watched
  m_worker.loop.unwatch(m_watched_fd);
  m_watched_fd = -1;
  pg::StatementOutcome outcome = connection->take_outcome();
  switch (m_phase) {
    case Phase::querying:
      if (m_preparing != nullptr) {
        on_prepared(std::move(outcome));
      } else {
        on_statement_done(std::move(outcome));
      }
      break;
    case Phase::pinging:
      ping_done(outcome.ok ? pool::PingOutcome::alive : pool::PingOutcome::dead);
      break;
    default:  // Phase::resetting (busy_connection() is null in every other phase)
      reset_done(outcome);
      break;
  }
}

void Client::on_prepared(pg::StatementOutcome outcome) {
  const script::SqlCommand* command = std::exchange(m_preparing, nullptr);
  if (!outcome.ok) {
    on_statement_done(std::move(outcome));
    return;
  }
  send(*command);
}

void Client::on_statement_done(pg::StatementOutcome outcome) {
  if (!outcome.ok) {
    const pg::PgFailure& failure = *outcome.failure;
    const int max_tries = m_worker.shared.scenario.request.max_tries;
    if (failure.kind == pg::ErrorKind::retryable && (max_tries == 0 || m_tries < max_tries) &&
        !m_worker.shared.stop_now) {
      // pgbench's retry: roll back, restore the random state, rerun the whole script.
      if (m_lease.needs_reset()) {
        start_reset(AfterReset::retry);
      } else {
        retry();
      }
      return;
    }
    finish(RequestOutcome::failed, failure.sqlstate);
    return;
  }
  if (m_prepared_command != nullptr && m_prepared_command->capture != script::Capture::none &&
      m_worker.shared.replay == nullptr && !store_results(*m_prepared_command)) {
    return;
  }
  if (m_worker.shared.scenario.request.checkout == scenario::CheckoutMode::per_statement &&
      !m_pinned) {
    release_connection();
  }
  step();
}

void Client::retry() {
  m_state.rng() = m_rng_at_start;
  ++m_worker.recorder.retries;
  if (m_worker.shared.scenario.request.checkout == scenario::CheckoutMode::per_statement) {
    release_connection();
  }
  begin_script(Clock::now());
}

void Client::finish(RequestOutcome outcome, std::string_view sqlstate, std::string_view message) {
  Release release = Release::check_in;
  if (m_lease && !m_kept && !m_lease.connection().is_broken()) {
    if (!m_lease.connection().in_transaction()) {
      // Kept for the next request's exchange only when the check-in would do nothing but
      // queue it (no reset, not broken): the hold measured here is then the same.
      if (m_worker.shared.back_to_back) release = Release::keep_for_exchange;
    } else if (!m_worker.shared.stop_now) {
      // The reset on check-in runs here, without blocking the loop; the request ends after.
      m_end.outcome = outcome;
      m_end.sqlstate_size =
          static_cast<std::uint8_t>(std::min(sqlstate.size(), m_end.sqlstate.size()));
      std::copy_n(sqlstate.begin(), m_end.sqlstate_size, m_end.sqlstate.begin());
      start_reset(AfterReset::finish);
      return;
    }
  }
  complete_request(outcome, sqlstate, message, release);
}

void Client::complete_request(RequestOutcome outcome, std::string_view sqlstate,
                              std::string_view message, Release release) {
  // One clock read for the hold's end, the completion and the next request's start.
  const auto now = release_connection(release);
  m_pending_sql = nullptr;
  if (outcome == RequestOutcome::completed && m_worker.shared.options.completions != nullptr) {
    m_worker.shared.options.completions->fetch_add(1, std::memory_order_relaxed);
  }
  if (measured()) {
    const std::string_view state = sqlstate.empty() ? pg::k_sqlstate_connection_failure : sqlstate;
    const auto latency = duration_cast<microseconds>(now - m_intended);
    InstanceStats* instance =
        m_worker.recorder.instances.empty() ? nullptr : &m_worker.recorder.instances[m_pool_index];
    if (m_stats != nullptr) count_own(*m_stats, outcome);
    switch (outcome) {
      case RequestOutcome::completed:
        m_worker.recorder.completed(now, latency);
        if (instance != nullptr) {
          instance->counters.add_completed();
          instance->latency.record(latency.count());
        }
        break;
      case RequestOutcome::timed_out:
        m_worker.recorder.timed_out(now, message);
        if (instance != nullptr) instance->counters.add_timeout();
        break;
      case RequestOutcome::failed:
        m_worker.recorder.failed(now, state);
        if (instance != nullptr) instance->counters.add_error(state);
        break;
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
  drop_connection_work();
  // A rollback still running is not waited for: the connection is closed.
  release_connection(m_phase == Phase::resetting ? Release::reset_failed : Release::check_in);
  m_pending_sql = nullptr;
  m_preparing = nullptr;
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
  set_intended(ready);
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
    case Phase::connecting:
      connect_timed_out();
      break;
    default:
      break;
  }
}

void Client::on_posted() {
  switch (m_phase) {
    case Phase::querying:
    case Phase::pinging:
    case Phase::resetting:
    case Phase::connecting:
      on_readable();  // a socket that could not be watched: find out by reading
      return;
    case Phase::acquiring:
      if (!m_ticket.pending()) return;
      if (auto result = m_pool->poll(m_ticket)) on_acquired(std::move(*result));
      return;
    default:
      return;
  }
}

}  // namespace poolbench::workload::detail
