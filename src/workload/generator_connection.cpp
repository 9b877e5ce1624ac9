// A client's connection work (see generator_internal.hpp): acquire through the pool's
// asynchronous path and, when the pool's factory opens connections without blocking, the
// connects and pre-pings the pool asks for and the rollback before check-in, all driven by
// the worker's event loop like statements, so one client's connection work never stalls
// the other clients of its thread.

#include "workload/generator_internal.hpp"

namespace poolbench::workload::detail {

pg::AsyncConnectionFactory* Client::connector() const noexcept {
  return m_worker.shared.connectors[m_pool_index];
}

void Client::acquire(Clock::time_point now) {
  m_phase = Phase::acquiring;
  m_acquire_started = now;
  if (m_kept && m_pool->try_exchange(m_lease)) {
    // Back to back, served at once in one step with the check-in: no wait to time.
    m_kept = false;
    record_queue_wait(now);
    use_connection(now);
    return;
  }
  EventLoop* loop = &m_worker.loop;
  auto wake = [loop, this] { loop->post(this); };
  const auto work =
      connector() != nullptr ? pool::ConnectionWork::caller : pool::ConnectionWork::pool;
  if (m_kept) leave_loop();  // the exchange may hand it to another worker's waiting client
  pool::AsyncAcquire async = m_kept ? m_pool->exchange_async(std::move(m_lease), wake, work)
                                    : m_pool->acquire_async(wake, work);
  m_kept = false;
  if (async.result) {
    on_acquired(std::move(*async.result));
    return;
  }
  m_ticket = std::move(async.ticket);
  m_worker.loop.add_timer(m_ticket.deadline(), this, ++m_token);
}

void Client::on_acquired(pool::AcquireResult result) {
  // The pool's grant (or refusal) ends the queueing: a connect or pre-ping it asks for
  // after that is the caller's connection work, not a wait for a slot.
  const auto now = Clock::now();
  if (m_phase == Phase::acquiring) record_queue_wait(now);
  if (result.status == pool::AcquireStatus::needs_work) {
    m_work = std::move(result.work);
    if (m_work.need() == pool::PendingCheckout::Need::connect) {
      start_connect();
    } else {
      start_ping();
    }
    return;
  }
  if (!result.ok()) {
    record_checkout_wait(now);
    if (result.status == pool::AcquireStatus::timeout) {
      finish(RequestOutcome::timed_out, {}, result.error);
    } else {
      finish(RequestOutcome::failed, result.sqlstate);
    }
    return;
  }
  m_lease = std::move(result.lease);
  use_connection(now);
}

void Client::record_queue_wait(Clock::time_point now) {
  if (!measured()) return;
  m_worker.recorder.queue_wait.record(duration_cast<microseconds>(now - m_acquire_started).count());
}

void Client::record_checkout_wait(Clock::time_point now) {
  if (!measured()) return;
  // The wait includes the connect and the pre-ping, as a blocking checkout's would.
  const auto wait_us = duration_cast<microseconds>(now - m_acquire_started).count();
  m_worker.recorder.checkout_wait.record(wait_us);
  if (!m_worker.recorder.instances.empty()) {
    m_worker.recorder.instances[m_pool_index].checkout_wait.record(wait_us);
  }
  if (m_stats != nullptr) m_stats->waits.record(wait_us);
}

void Client::use_connection(Clock::time_point now) {
  record_checkout_wait(now);
  m_acquired_at = now;
  if (m_pending_sql != nullptr) {
    const script::SqlCommand* command = m_pending_sql;
    m_pending_sql = nullptr;
    send(*command);
  } else {
    step();
  }
}

// ------------------------------------------------------------------------------ connect

void Client::start_connect() {
  pg::AsyncConnectionFactory& factory = *connector();
  m_phase = Phase::connecting;
  m_attempt = factory.start_connect();
  if (!m_attempt) {
    pool::ConnectResult failure;
    failure.error = "out of memory";
    failure.sqlstate = std::string(pg::k_sqlstate_connect_failed);
    connect_done(std::move(failure));
    return;
  }
  // libpq enforces connect_timeout only in its blocking connect: the loop's timer does here.
  const auto timeout = factory.connect_timeout();
  if (timeout.count() > 0) {
    m_worker.loop.add_timer(Clock::now() + timeout, this, ++m_token);
  } else {
    ++m_token;
  }
  wait_connect();
}

void Client::wait_connect() {
  const pg::ConnectWait wait = m_attempt->waiting_for();
  const int fd = wait == pg::ConnectWait::done ? -1 : m_attempt->socket();
  if (m_connect_fd >= 0 && m_connect_fd != fd) m_worker.loop.end_connecting(m_connect_fd);
  m_connect_fd = fd;
  if (wait == pg::ConnectWait::done) {
    connect_done(m_attempt->take());
    return;
  }
  m_worker.loop.watch_connecting(
      fd,
      wait == pg::ConnectWait::readable ? EventLoop::IoWait::readable : EventLoop::IoWait::writable,
      this);
}

void Client::connect_timed_out() {
  m_worker.loop.end_connecting(m_connect_fd);
  m_connect_fd = -1;
  m_attempt.reset();  // abandons the attempt, closing its socket
  pool::ConnectResult failure;
  failure.error = "timeout expired";  // libpq's words for a connect_timeout
  failure.sqlstate = std::string(pg::k_sqlstate_connect_failed);
  connect_done(std::move(failure));
}

void Client::connect_done(pool::ConnectResult result) {
  m_attempt.reset();
  ++m_token;  // the connect_timeout timer is stale now
  on_acquired(m_pool->connected(std::move(m_work), std::move(result)));
}

// ------------------------------------------------------------------------------ pre-ping

void Client::start_ping() {
  m_phase = Phase::pinging;
  auto& connection = m_work.as<pg::StatementConnection>();
  if (connection.is_broken()) {
    ping_done(pool::PingOutcome::dead);
    return;
  }
  if (!connection.send_simple_query("SELECT 1")) {
    connection.take_outcome();
    ping_done(pool::PingOutcome::dead);
    return;
  }
  watch(connection);
}

void Client::ping_done(pool::PingOutcome outcome) {
  on_acquired(m_pool->pinged(std::move(m_work), outcome));
}

// ------------------------------------------------------------------------------ reset

void Client::start_reset(AfterReset after) {
  m_phase = Phase::resetting;
  m_after_reset = after;
  auto& connection = m_lease.as<pg::StatementConnection>();
  if (!connection.send_simple_query("ROLLBACK")) {
    reset_done(connection.take_outcome());
    return;
  }
  watch(connection);
}

void Client::reset_done(const pg::StatementOutcome& outcome) {
  if (m_after_reset == AfterReset::retry) {
    retry();  // a failed rollback broke the connection: the retry's statement reports it
    return;
  }
  const pool::Connection& connection = m_lease.connection();
  const bool clean = outcome.ok && !connection.is_broken() && !connection.in_transaction();
  Release release = Release::reset_failed;
  if (clean)
    release = m_worker.shared.back_to_back ? Release::keep_for_exchange : Release::check_in;
  complete_request(m_end.outcome, m_end.sqlstate_view(), {}, release);
}

// ------------------------------------------------------------------------------ shared

pg::StatementConnection* Client::busy_connection() noexcept {
  switch (m_phase) {
    case Phase::pinging:
      return &m_work.as<pg::StatementConnection>();
    case Phase::querying:
    case Phase::resetting:
      return m_lease ? &m_lease.as<pg::StatementConnection>() : nullptr;
    default:
      return nullptr;
  }
}

void Client::watch(pg::StatementConnection& connection) {
  m_watched_fd = connection.socket();
  m_worker.loop.watch_readable(m_watched_fd, connection.serial(), this);
}

void Client::drop_connection_work() noexcept {
  if (m_connect_fd >= 0) {
    m_worker.loop.end_connecting(m_connect_fd);
    m_connect_fd = -1;
  }
  m_attempt.reset();
  if (m_watched_fd >= 0 && m_phase == Phase::pinging) {
    m_worker.loop.unwatch(m_watched_fd);
    m_watched_fd = -1;
  }
  m_work = pool::PendingCheckout{};  // the pool closes a connection being pinged, frees the slot
}

void Client::leave_loop() noexcept {
  // Another worker may take the connection from the pool and close it; this loop must not
  // hold a registration of its descriptor by then.
  m_worker.loop.release(m_lease.as<pg::StatementConnection>().socket());
}

Clock::time_point Client::release_connection(Release how) {
  if (m_watched_fd >= 0) {
    m_worker.loop.unwatch(m_watched_fd);
    m_watched_fd = -1;
  }
  if (!m_lease) return Clock::now();
  m_kept = how == Release::keep_for_exchange;
  if (!m_kept) leave_loop();
  if (how == Release::check_in) {
    m_lease.release();  // the hold ends when the check-in (and any reset) is done
  } else if (how == Release::reset_failed) {
    m_lease.release_after_reset(pool::ResetOutcome::failed);
  }
  const auto now = Clock::now();
  if (measured()) {
    m_worker.recorder.hold.record(duration_cast<microseconds>(now - m_acquired_at).count());
  }
  return now;
}

void Client::release_kept() noexcept {
  if (!m_kept) return;
  m_kept = false;
  leave_loop();
  m_lease.release();
}

}  // namespace poolbench::workload::detail
