// QueuePool's connection work: what a granted connection or slot needs before it is handed
// out (a connect, a replacement for an old or invalidated connection, a pre-ping and its one
// retry), done by the pool in the calling thread or handed to the caller
// (ConnectionWork::caller) and reported back, with the same accounting either way.

#include <cassert>
#include <utility>

#include "pool/queue_pool.hpp"

namespace poolbench::pool {

using std::chrono::duration_cast;
using std::chrono::microseconds;

// ---------------------------------------------------------------------------- PendingCheckout

PendingCheckout::PendingCheckout(PendingCheckout&& other) noexcept
    : m_pool(std::exchange(other.m_pool, nullptr)),
      m_record(std::move(other.m_record)),
      m_need(other.m_need),
      m_started(other.m_started),
      m_queued(other.m_queued) {}

PendingCheckout& PendingCheckout::operator=(PendingCheckout&& other) noexcept {
  if (this != &other) {
    abandon();
    m_pool = std::exchange(other.m_pool, nullptr);
    m_record = std::move(other.m_record);
    m_need = other.m_need;
    m_started = other.m_started;
    m_queued = other.m_queued;
  }
  return *this;
}

void PendingCheckout::abandon() noexcept {
  if (m_record) m_pool->abandon(std::move(m_record));
  m_pool = nullptr;
}

// ---------------------------------------------------------------------------- QueuePool

void QueuePool::abandon(std::unique_ptr<Record> record) noexcept {
  record.reset();  // a connection waiting for its ping is closed before its slot is freed
  slot_freed_after_failure();
}

bool QueuePool::must_replace(const Record& record) const noexcept {
  const auto invalidated_before = m_invalidated_before.load(std::memory_order_relaxed);
  if (m_settings.pool_recycle.count() < 0 && invalidated_before == 0) return false;
  const bool stale =
      invalidated_before != 0 && record.created.time_since_epoch().count() < invalidated_before;
  const bool old =
      m_settings.pool_recycle.count() >= 0 &&
      m_clock.now() - record.created > m_settings.pool_recycle;  // strict, as SQLAlchemy
  return stale || old;
}

bool QueuePool::needs_work(const Record& record) const noexcept {
  return must_replace(record) || (m_settings.pool_pre_ping && !record.fresh);
}

AcquireResult QueuePool::work_result(PendingCheckout pending, PendingCheckout::Need need) {
  pending.m_need = need;
  // SQLAlchemy takes a connection's starttime before connecting: the record's creation.
  if (need == PendingCheckout::Need::connect) pending.m_started = m_clock.now();
  AcquireResult result;
  result.status = AcquireStatus::needs_work;
  result.queued = pending.m_queued;
  result.work = std::move(pending);
  return result;
}

AcquireResult QueuePool::hand_out(std::unique_ptr<Record> record, microseconds queued) {
  record->fresh = false;
  AcquireResult result;
  result.lease = Lease(this, std::move(record));
  result.queued = queued;
  return result;
}

AcquireResult QueuePool::finish(Taken taken, ConnectionWork work, microseconds queued) {
  PendingCheckout pending;
  pending.m_pool = this;
  pending.m_queued = queued;
  AcquireResult result;
  if (taken.grant == Grant::slot) {
    pending.m_record = std::make_unique<Record>();
    result = work_result(std::move(pending), PendingCheckout::Need::connect);
  } else if (must_replace(*taken.record)) {
    {
      std::lock_guard lock(m_mutex);
      ++m_counters.recycles;
    }
    taken.record->connection.reset();  // closed before its replacement is opened
    pending.m_record = std::move(taken.record);
    result = work_result(std::move(pending), PendingCheckout::Need::connect);
  } else if (m_settings.pool_pre_ping && !taken.record->fresh) {
    pending.m_record = std::move(taken.record);
    result = work_result(std::move(pending), PendingCheckout::Need::ping);
  } else {
    pending.m_pool = nullptr;
    return hand_out(std::move(taken.record), queued);
  }
  return work == ConnectionWork::pool ? do_work(std::move(result)) : std::move(result);
}

AcquireResult QueuePool::do_work(AcquireResult result) {
  while (result.status == AcquireStatus::needs_work) {
    PendingCheckout pending = std::move(result.work);
    if (pending.need() == PendingCheckout::Need::connect) {
      result = connected(std::move(pending), m_factory.connect());
    } else {
      const bool alive = pending.connection().ping();
      result = pinged(std::move(pending), alive ? PingOutcome::alive : PingOutcome::dead);
    }
  }
  return result;
}

AcquireResult QueuePool::connected(PendingCheckout pending, ConnectResult connected) {
  assert(pending.m_pool == this && pending.need() == PendingCheckout::Need::connect);
  std::unique_ptr<Record> record = std::move(pending.m_record);
  pending.m_pool = nullptr;
  const Clock::time_point finished = m_clock.now();
  {
    std::lock_guard lock(m_mutex);
    m_counters.connect_time += duration_cast<microseconds>(finished - pending.m_started);
    if (connected.connection) {
      ++m_counters.connects;
    } else {
      ++m_counters.connect_failures;
    }
  }
  if (!connected.connection) {
    record.reset();
    slot_freed_after_failure();
    AcquireResult failure;
    failure.status = AcquireStatus::connect_failed;
    failure.error = std::move(connected.error);
    failure.sqlstate = connected.sqlstate.empty() ? "08001" : std::move(connected.sqlstate);
    failure.queued = pending.m_queued;
    return failure;
  }
  record->connection = std::move(connected.connection);
  record->created = pending.m_started;
  return hand_out(std::move(record), pending.m_queued);  // fresh: not pinged
}

AcquireResult QueuePool::pinged(PendingCheckout pending, PingOutcome outcome) {
  assert(pending.m_pool == this && pending.need() == PendingCheckout::Need::ping);
  if (outcome == PingOutcome::alive) {
    pending.m_pool = nullptr;
    return hand_out(std::move(pending.m_record), pending.m_queued);
  }
  // A dead connection suggests the server dropped the others too: like SQLAlchemy,
  // invalidate the pool's generation so older ones are replaced at their checkout.
  m_invalidated_before.store(m_clock.now().time_since_epoch().count(), std::memory_order_relaxed);
  {
    std::lock_guard lock(m_mutex);
    ++m_counters.preping_failures;
    ++m_counters.invalidations;
    ++m_invalid;
  }
  // Replaced once; the new connection is fresh and not pinged (SQLAlchemy's 2 attempts).
  pending.m_record->connection.reset();
  return work_result(std::move(pending), PendingCheckout::Need::connect);
}

}  // namespace poolbench::pool
