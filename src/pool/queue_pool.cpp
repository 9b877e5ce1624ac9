#include "pool/queue_pool.hpp"

#include <algorithm>
#include <cassert>
#include <utility>
#include <vector>

namespace poolbench::pool {

using std::chrono::duration_cast;
using std::chrono::microseconds;

/// One queued acquire, shared by the queue, its Ticket (or blocking acquire) and a pending
/// wake-up. Every field but `cv` and `wake` is guarded by the pool's mutex.
struct Waiter {
  Clock::time_point enqueued_at;
  Clock::time_point deadline;
  WakeFn wake;                                 // empty for a blocking acquire, which waits on `cv`
  ConnectionWork work = ConnectionWork::pool;  // who connects and pings for it
  std::condition_variable cv;                  // blocking acquire only
  bool queued = false;                         // in QueuePool::m_waiters (at `position`)
  bool woken = false;  // removed from the queue by a wake-up; not yet polled
  std::list<std::shared_ptr<Waiter>>::iterator position;
  std::unique_ptr<Record> handed;  // Fairness::fifo: a connection handed to this waiter
  bool slot_granted = false;       // Fairness::fifo: a slot reserved (counted in m_open)
};

// ---------------------------------------------------------------------------- Lease

Lease::Lease(Lease&& other) noexcept
    : m_pool(std::exchange(other.m_pool, nullptr)), m_record(std::move(other.m_record)) {}

Lease& Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    release();
    m_pool = std::exchange(other.m_pool, nullptr);
    m_record = std::move(other.m_record);
  }
  return *this;
}

void Lease::release() noexcept {
  if (m_record) m_pool->checkin(std::move(m_record), QueuePool::Checkin::release);
}

void Lease::invalidate() noexcept {
  if (m_record) m_pool->checkin(std::move(m_record), QueuePool::Checkin::invalidate);
}

bool Lease::needs_reset() const noexcept {
  return m_record && !m_record->connection->is_broken() && m_record->connection->in_transaction();
}

void Lease::release_after_reset(ResetOutcome outcome) noexcept {
  if (!m_record) return;
  m_pool->checkin(std::move(m_record), outcome == ResetOutcome::rolled_back
                                           ? QueuePool::Checkin::release
                                           : QueuePool::Checkin::reset_failed);
}

// ---------------------------------------------------------------------------- Ticket

Ticket& Ticket::operator=(Ticket&& other) noexcept {
  if (this != &other) {
    if (pending()) m_pool->cancel(*this);
    m_pool = std::exchange(other.m_pool, nullptr);
    m_waiter = std::move(other.m_waiter);
  }
  return *this;
}

Ticket::~Ticket() {
  if (pending()) m_pool->cancel(*this);
}

Clock::time_point Ticket::deadline() const noexcept {
  return m_waiter ? m_waiter->deadline : Clock::time_point{};
}

// ---------------------------------------------------------------------------- QueuePool

QueuePool::QueuePool(PoolSettings settings, ConnectionFactory& factory, const Clock& clock)
    : m_settings(settings), m_factory(factory), m_clock(clock) {
  // SQLAlchemy 2.0: pool_size 0 means no limit at all, so max_overflow is moot.
  assert(m_settings.validation_error().empty());
}

QueuePool::~QueuePool() {
  assert(m_waiters.empty());
  assert(static_cast<std::size_t>(m_open) == m_idle.size() && "a lease outlived its pool");
}

bool QueuePool::can_open_locked() const noexcept {
  return !m_settings.bounded() || m_open < m_settings.capacity();
}

bool QueuePool::can_keep_idle_locked() const noexcept {
  return m_settings.pool_size == 0 ||
         m_idle.size() < static_cast<std::size_t>(m_settings.pool_size);
}

void QueuePool::note_checked_out_locked() noexcept {
  const int checked_out = m_open - static_cast<int>(m_idle.size());
  m_counters.max_checked_out = std::max(m_counters.max_checked_out, checked_out);
  if (m_settings.pool_size > 0) {
    m_counters.max_overflow_used =
        std::max(m_counters.max_overflow_used, m_open - m_settings.pool_size);
  }
}

bool QueuePool::may_barge_locked() const noexcept {
  return m_settings.fairness == Fairness::sqlalchemy || m_waiters.empty();
}

QueuePool::Taken QueuePool::take_locked() {
  Taken taken;
  if (!m_idle.empty()) {
    if (m_settings.use_lifo) {
      taken.record = std::move(m_idle.back());
      m_idle.pop_back();
    } else {
      taken.record = std::move(m_idle.front());
      m_idle.pop_front();
    }
    taken.grant = Grant::record;
  } else if (can_open_locked()) {
    ++m_open;  // the slot is ours while we connect outside the lock
    taken.grant = Grant::slot;
  } else {
    return taken;
  }
  ++m_counters.checkouts;
  note_checked_out_locked();
  return taken;
}

void QueuePool::enqueue_locked(const WaiterPtr& waiter) {
  waiter->position = m_waiters.insert(m_waiters.end(), waiter);
  waiter->queued = true;
  waiter->woken = false;
}

void QueuePool::dequeue_locked(Waiter& waiter) noexcept {
  if (waiter.queued) {
    m_waiters.erase(waiter.position);
    waiter.queued = false;
  }
}

QueuePool::WaiterPtr QueuePool::wake_for_slot_locked() noexcept {
  if (m_waiters.empty() || !can_open_locked()) return nullptr;
  WaiterPtr waiter = m_waiters.front();
  dequeue_locked(*waiter);
  waiter->woken = true;
  if (m_settings.fairness == Fairness::fifo) {
    waiter->slot_granted = true;
    ++m_open;
    note_checked_out_locked();
  }
  return waiter;
}

void QueuePool::deliver_wake(const WaiterPtr& waiter) noexcept {
  if (!waiter) return;
  // `woken` was set under the lock, so a blocking waiter that has not started waiting yet
  // sees it; one that is waiting gets the notification.
  if (waiter->wake) {
    waiter->wake();
  } else {
    waiter->cv.notify_one();
  }
}

void QueuePool::account_wait_locked(const Waiter& waiter, Clock::time_point now) noexcept {
  m_counters.wait_time += duration_cast<microseconds>(now - waiter.enqueued_at);
}

QueuePool::Taken QueuePool::complete_locked(const WaiterPtr& waiter_ptr, Clock::time_point now,
                                            bool& timed_out) {
  Waiter& waiter = *waiter_ptr;
  timed_out = false;
  Taken taken;
  if (waiter.handed) {
    taken.grant = Grant::record;
    taken.record = std::move(waiter.handed);
    ++m_counters.checkouts;
  } else if (waiter.slot_granted) {
    waiter.slot_granted = false;
    taken.grant = Grant::slot;
    ++m_counters.checkouts;
  } else {
    // A waiter that runs may take what is there, even at its deadline: a timeout that
    // expires just as a slot frees takes the slot rather than fail.
    taken = take_locked();
  }
  if (taken.grant != Grant::none) {
    dequeue_locked(waiter);
    account_wait_locked(waiter, now);
    return taken;
  }
  if (now >= waiter.deadline) {
    dequeue_locked(waiter);
    account_wait_locked(waiter, now);
    ++m_counters.timeouts;
    timed_out = true;
    return taken;
  }
  // Woken, but someone barged in first: back to the end of the queue, same deadline.
  if (!waiter.queued) enqueue_locked(waiter_ptr);
  return taken;
}

AcquireResult QueuePool::timeout_result_locked() {
  AcquireResult result;
  result.status = AcquireStatus::timeout;
  result.error =
      timeout_message(m_settings.pool_size, m_open - m_settings.pool_size, m_settings.pool_timeout);
  return result;
}

void QueuePool::slot_freed_after_failure() noexcept {
  WaiterPtr to_wake;
  {
    std::lock_guard lock(m_mutex);
    --m_open;
    --m_counters.checkouts;  // counted when the slot was granted; this acquire failed
    // Deliberate difference from SQLAlchemy (whose _dec_overflow wakes nobody): a waiter is
    // woken at once to use the freed slot instead of sleeping until its timeout.
    to_wake = wake_for_slot_locked();
  }
  deliver_wake(to_wake);
}

AcquireResult QueuePool::acquire() {
  std::unique_lock lock(m_mutex);
  Taken taken = may_barge_locked() ? take_locked() : Taken{};
  if (taken.grant != Grant::none) {
    lock.unlock();
    return finish(std::move(taken), ConnectionWork::pool, microseconds{0});
  }
  auto waiter = std::make_shared<Waiter>();
  waiter->enqueued_at = m_clock.now();
  waiter->deadline = waiter->enqueued_at + m_settings.pool_timeout;
  enqueue_locked(waiter);
  ++m_counters.waits;
  for (;;) {
    while (!waiter->woken && m_clock.now() < waiter->deadline) {
      m_clock.wait_until(lock, waiter->cv, waiter->deadline);
    }
    const Clock::time_point now = m_clock.now();
    bool timed_out = false;
    taken = complete_locked(waiter, now, timed_out);
    const auto queued = duration_cast<microseconds>(now - waiter->enqueued_at);
    if (timed_out) {
      AcquireResult result = timeout_result_locked();
      result.queued = queued;
      return result;
    }
    if (taken.grant != Grant::none) {
      lock.unlock();
      return finish(std::move(taken), ConnectionWork::pool, queued);
    }
  }
}

AsyncAcquire QueuePool::acquire_async(WakeFn wake, ConnectionWork work) {
  AsyncAcquire async;
  std::unique_lock lock(m_mutex);
  Taken taken = may_barge_locked() ? take_locked() : Taken{};
  if (taken.grant != Grant::none) {
    lock.unlock();
    async.result = finish(std::move(taken), work, microseconds{0});
    return async;
  }
  auto waiter = std::make_shared<Waiter>();
  waiter->enqueued_at = m_clock.now();
  waiter->deadline = waiter->enqueued_at + m_settings.pool_timeout;
  waiter->wake = std::move(wake);
  waiter->work = work;
  enqueue_locked(waiter);
  ++m_counters.waits;
  async.ticket.m_pool = this;
  async.ticket.m_waiter = std::move(waiter);
  return async;
}

AsyncAcquire QueuePool::exchange_async(Lease returning, WakeFn wake, ConnectionWork work) {
  if (returning && returning.m_pool == this) {
    const Connection& connection = returning.connection();
    if (!connection.is_broken() && !connection.in_transaction()) {
      std::unique_lock lock(m_mutex);
      if (m_waiters.empty() && can_keep_idle_locked()) {
        // checkin()'s keep-it branch (no waiter to wake), then take_locked() as an acquire.
        m_idle.push_back(std::move(returning.m_record));
        returning.m_pool = nullptr;
        Taken taken = take_locked();
        lock.unlock();
        AsyncAcquire async;
        async.result = finish(std::move(taken), work, microseconds{0});
        return async;
      }
    }
  }
  returning.release();
  return acquire_async(std::move(wake), work);
}

bool QueuePool::try_exchange(Lease& lease) noexcept {
  if (!lease || lease.m_pool != this) return false;
  const Connection& connection = lease.connection();
  if (connection.is_broken() || connection.in_transaction()) return false;
  std::lock_guard lock(m_mutex);
  if (!m_waiters.empty() || !can_keep_idle_locked()) return false;
  // take_locked() right after the check-in would take the returned record under use_lifo
  // or when nothing else is idle, else the oldest idle one.
  const bool own = m_settings.use_lifo || m_idle.empty();
  if (needs_work(own ? *lease.m_record : *m_idle.front())) return false;
  if (!own) {
    m_idle.push_back(std::move(lease.m_record));
    lease.m_record = std::move(m_idle.front());
    m_idle.pop_front();
  }
  ++m_counters.checkouts;
  note_checked_out_locked();
  lease.m_record->fresh = false;  // as hand_out()
  return true;
}

std::optional<AcquireResult> QueuePool::poll(Ticket& ticket) {
  if (!ticket.pending()) return std::nullopt;
  std::unique_lock lock(m_mutex);
  const Clock::time_point now = m_clock.now();
  bool timed_out = false;
  Taken taken = complete_locked(ticket.m_waiter, now, timed_out);
  if (taken.grant == Grant::none && !timed_out) return std::nullopt;
  const auto queued = duration_cast<microseconds>(now - ticket.m_waiter->enqueued_at);
  const ConnectionWork work = ticket.m_waiter->work;
  ticket.m_waiter.reset();
  if (!timed_out) {
    lock.unlock();
    return finish(std::move(taken), work, queued);
  }
  AcquireResult result = timeout_result_locked();
  result.queued = queued;
  return result;
}

void QueuePool::cancel(Ticket& ticket) noexcept {
  if (!ticket.pending()) return;
  WaiterPtr waiter = std::move(ticket.m_waiter);
  std::unique_ptr<Record> handed;
  WaiterPtr to_wake;
  {
    std::lock_guard lock(m_mutex);
    const bool was_woken = waiter->woken;
    dequeue_locked(*waiter);
    handed = std::move(waiter->handed);
    if (waiter->slot_granted) {
      waiter->slot_granted = false;
      --m_open;
      to_wake = wake_for_slot_locked();
    } else if (was_woken && !handed && !m_waiters.empty() &&
               (!m_idle.empty() || can_open_locked())) {
      // The wake-up this waiter consumed is passed on, or the connection it was meant for
      // would sit idle while the others wait out their timeouts.
      to_wake = m_waiters.front();
      dequeue_locked(*to_wake);
      to_wake->woken = true;
    }
  }
  deliver_wake(to_wake);
  if (handed) checkin(std::move(handed), Checkin::release);  // goes to the next waiter
}

void QueuePool::checkin(std::unique_ptr<Record> record, Checkin how) noexcept {
  Connection& connection = *record->connection;
  // A failed reset closes the connection without invalidating the generation, as below.
  const bool lost = how != Checkin::reset_failed && connection.is_broken();
  bool broken = how != Checkin::release || lost;
  if (!broken && connection.in_transaction()) {
    // Reset on return. SQLAlchemy rolls back unconditionally; only an open transaction needs it.
    broken = !connection.rollback() || connection.is_broken();
  }
  if (lost) {
    m_invalidated_before.store(m_clock.now().time_since_epoch().count(), std::memory_order_relaxed);
  }
  // A connection is closed before its slot is freed, so the server never sees more than
  // pool_size + max_overflow connections from this pool, not even for a moment.
  if (broken) {
    record.reset();
    release_slot(SlotFreed::invalidated);
    return;
  }
  WaiterPtr to_wake;
  {
    std::lock_guard lock(m_mutex);
    if (m_settings.fairness == Fairness::fifo && !m_waiters.empty()) {
      to_wake = m_waiters.front();
      dequeue_locked(*to_wake);
      to_wake->woken = true;
      to_wake->handed = std::move(record);
    } else if (can_keep_idle_locked()) {
      m_idle.push_back(std::move(record));
      if (!m_waiters.empty()) {
        to_wake = m_waiters.front();
        dequeue_locked(*to_wake);
        to_wake->woken = true;
      }
    } else {
      ++m_counters.overflow_closed;  // pool_size connections are idle already
    }
  }
  deliver_wake(to_wake);
  if (record) {
    record.reset();
    release_slot(SlotFreed::closed);
  }
}

void QueuePool::release_slot(SlotFreed why) noexcept {
  WaiterPtr to_wake;
  {
    std::lock_guard lock(m_mutex);
    --m_open;
    if (why == SlotFreed::invalidated) {
      ++m_counters.invalidations;
      ++m_invalid;
    }
    to_wake = wake_for_slot_locked();
  }
  deliver_wake(to_wake);
}

void QueuePool::dispose() noexcept {
  std::deque<std::unique_ptr<Record>> closing;
  {
    std::lock_guard lock(m_mutex);
    closing.swap(m_idle);  // still counted in m_open until they are closed
  }
  const int closed = static_cast<int>(closing.size());
  closing.clear();
  std::vector<WaiterPtr> to_wake;
  {
    std::lock_guard lock(m_mutex);
    m_open -= closed;
    while (WaiterPtr waiter = wake_for_slot_locked()) to_wake.push_back(std::move(waiter));
  }
  for (const auto& waiter : to_wake) deliver_wake(waiter);
}

PoolStatus QueuePool::status() const {
  std::lock_guard lock(m_mutex);
  PoolStatus status;
  status.size = m_settings.pool_size;
  status.checked_in = static_cast<int>(m_idle.size());
  status.checked_out = m_open - status.checked_in;
  status.sqlalchemy_overflow = m_settings.pool_size == 0 ? 0 : m_open - m_settings.pool_size;
  status.overflow = std::max(0, status.sqlalchemy_overflow);
  status.invalid = m_invalid;
  status.waiting = static_cast<int>(m_waiters.size());
  return status;
}

PoolCounters QueuePool::counters() const {
  std::lock_guard lock(m_mutex);
  return m_counters;
}

}  // namespace poolbench::pool
