#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "pool/clock.hpp"
#include "pool/connection.hpp"
#include "pool/settings.hpp"

namespace poolbench::pool {

class QueuePool;
struct Waiter;

/// One pooled connection and when it was created (for pool_recycle).
struct Record {
  std::unique_ptr<Connection> connection;
  Clock::time_point created;
  /// Just connected and not yet handed out: pre-ping skips it (as SQLAlchemy does).
  bool fresh = true;
};

/// A checked-out connection. Move-only; checks the connection back in when destroyed.
/// Must not outlive its pool. Not thread-safe (one holder at a time, like the connection).
class Lease {
 public:
  Lease() = default;
  Lease(Lease&& other) noexcept;
  Lease& operator=(Lease&& other) noexcept;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease() { release(); }

  explicit operator bool() const noexcept { return m_record != nullptr; }
  Connection& connection() const noexcept { return *m_record->connection; }
  /// The connection as its concrete type (the factory's), e.g. lease.as<pg::PgConnection>().
  template <class T>
  T& as() const noexcept {
    return static_cast<T&>(*m_record->connection);
  }

  /// Checks the connection in: rolled back if a transaction is open; closed instead of kept
  /// when it is broken (connection-class error) or when pool_size connections are idle.
  void release() noexcept;
  /// Closes the connection instead of returning it (SQLAlchemy's hard invalidate); its slot
  /// is freed and one waiter is woken to use it.
  void invalidate() noexcept;

 private:
  friend class QueuePool;
  Lease(QueuePool* pool, std::unique_ptr<Record> record) noexcept
      : m_pool(pool), m_record(std::move(record)) {}
  QueuePool* m_pool = nullptr;
  std::unique_ptr<Record> m_record;
};

enum class AcquireStatus {
  ok,
  timeout,         ///< pool_timeout expired: `error` is SQLAlchemy's exact message
  connect_failed,  ///< creating (or replacing) a connection failed: `error`, `sqlstate`
};

/// The outcome of one acquire. Hot path: returned, never thrown.
struct AcquireResult {
  AcquireStatus status = AcquireStatus::ok;
  Lease lease;                          ///< set when status == ok
  std::string error;                    ///< message when status != ok
  std::string sqlstate;                 ///< for connect_failed ("08001" when unknown)
  std::chrono::microseconds queued{0};  ///< time spent waiting in the queue (0: served at once)

  bool ok() const noexcept { return status == AcquireStatus::ok; }
};

/// Called when a queued asynchronous acquire should be polled again (a connection or slot
/// may be available for it). Invoked from whichever thread checked a connection in, never
/// under the pool's lock; it must only post a wake-up to the owner's event loop, and must
/// not call back into the pool directly.
using WakeFn = std::function<void()>;

/// A queued asynchronous acquire. Poll it with QueuePool::poll() after its WakeFn ran or once
/// deadline() has passed (the caller's timer). Destroying a pending ticket cancels it.
/// Move-only; must not outlive its pool.
class Ticket {
 public:
  Ticket() = default;
  Ticket(Ticket&& other) noexcept = default;
  Ticket& operator=(Ticket&& other) noexcept;
  Ticket(const Ticket&) = delete;
  Ticket& operator=(const Ticket&) = delete;
  ~Ticket();

  bool pending() const noexcept { return m_waiter != nullptr; }
  /// When the acquire times out: poll at (or after) this time.
  Clock::time_point deadline() const noexcept;

 private:
  friend class QueuePool;
  QueuePool* m_pool = nullptr;
  std::shared_ptr<Waiter> m_waiter;
};

/// Either completed at once (`result`), or queued (`ticket`, pending).
struct AsyncAcquire {
  std::optional<AcquireResult> result;
  Ticket ticket;
};

/// The seeds' get_pool_status(): a consistent snapshot.
struct PoolStatus {
  int size = 0;         ///< pool_size
  int checked_in = 0;   ///< idle connections in the pool
  int checked_out = 0;  ///< connections in use, including ones being connected
  /// Overflow connections open now, >= 0: max(0, open - pool_size). SQLAlchemy's signed
  /// overflow() is open - pool_size (see sqlalchemy_overflow); 0 when pool_size is 0.
  int overflow = 0;
  std::uint64_t invalid = 0;  ///< connections invalidated since the start (cumulative)
  int waiting = 0;            ///< acquires queued now
  int sqlalchemy_overflow = 0;
};

/// Cumulative counters since the pool was created.
struct PoolCounters {
  std::uint64_t checkouts = 0;                ///< successful acquires
  std::uint64_t waits = 0;                    ///< acquires that had to queue
  std::uint64_t timeouts = 0;                 ///< acquires that failed with the QueuePool timeout
  std::uint64_t connects = 0;                 ///< connections created (first or replacement)
  std::uint64_t connect_failures = 0;         ///< connect attempts that failed
  std::uint64_t recycles = 0;                 ///< replaced at checkout for age or pool invalidation
  std::uint64_t preping_failures = 0;         ///< pre-ping found a dead connection
  std::uint64_t invalidations = 0;            ///< connections closed as broken or invalidated
  std::uint64_t overflow_closed = 0;          ///< returned with pool_size idle already: closed
  std::chrono::microseconds wait_time{0};     ///< total time acquires spent queued
  std::chrono::microseconds connect_time{0};  ///< total time spent connecting
  int max_checked_out = 0;
  int max_overflow_used = 0;
};

/// A connection pool with SQLAlchemy QueuePool semantics (DESIGN.md, The pool):
/// connections are created lazily up to pool_size; when all pooled ones are out, overflow
/// connections up to max_overflow; when pool_size + max_overflow are out, acquires wait up to
/// pool_timeout in arrival order. Deliberate differences from SQLAlchemy are listed in
/// ARCHITECTURE.md.
///
/// Two ways to acquire share one waiter queue and the same semantics: blocking acquire(),
/// and acquire_async() + poll() for event loops that multiplex many clients on few threads.
///
/// Thread safety: every public method may be called from any thread. Connections are
/// created, pinged, rolled back and closed outside the pool's lock.
/// Invariant: open == checked_in + checked_out <= pool_size + max_overflow when bounded.
class QueuePool {
 public:
  QueuePool(PoolSettings settings, ConnectionFactory& factory,
            const Clock& clock = SteadyClock::instance());
  QueuePool(const QueuePool&) = delete;
  QueuePool& operator=(const QueuePool&) = delete;
  /// Closes idle connections. Every lease and ticket must be gone by then.
  ~QueuePool();

  /// Blocks until a connection is in hand, pool_timeout expires, or a connect fails.
  AcquireResult acquire();

  /// Completes at once when a connection is idle or may be created (creating it in this
  /// thread), else queues the request: `wake` is called when it should be polled, and the
  /// caller polls it at its deadline in any case.
  AsyncAcquire acquire_async(WakeFn wake);

  /// Checks `returning` in and acquires again, as `returning.release()` then acquire_async()
  /// would with no other thread acting in between (an interleaving SQLAlchemy's QueuePool
  /// allows too: a thread that returns a connection and at once asks for one). When nobody
  /// waits and the connection needs no reset, both happen under one lock, so under use_lifo
  /// (or with no other connection idle) the caller gets its own connection back; otherwise
  /// it is exactly release() then acquire_async(). This is how a worker thread keeps talking
  /// to the same backend between back-to-back requests instead of swapping connections with
  /// another thread in the instant between its check-in and its checkout.
  AsyncAcquire exchange_async(Lease returning, WakeFn wake);

  /// Advances a queued acquire: the result when it completed (ok, timeout at or after its
  /// deadline, or connect failure); nullopt while it still waits (it may have gone back to
  /// the end of the queue, with its original deadline, under Fairness::sqlalchemy).
  std::optional<AcquireResult> poll(Ticket& ticket);

  /// Withdraws a queued acquire (e.g. its client stopped); a connection already handed to
  /// it is checked back in.
  void cancel(Ticket& ticket) noexcept;

  /// Closes every idle connection; checked-out ones are unaffected (SQLAlchemy's dispose()).
  void dispose() noexcept;

  PoolStatus status() const;
  PoolCounters counters() const;
  const PoolSettings& settings() const noexcept { return m_settings; }

 private:
  friend class Lease;
  using WaiterPtr = std::shared_ptr<Waiter>;

  /// What the locked part of an acquire decided.
  enum class Grant { none, record, slot };
  struct Taken {
    Grant grant = Grant::none;
    std::unique_ptr<Record> record;
  };

  bool can_open_locked() const noexcept;
  /// A returned connection is kept idle (not closed) while fewer than pool_size are idle.
  bool can_keep_idle_locked() const noexcept;
  Taken take_locked(bool may_barge);
  Taken complete_locked(const WaiterPtr& waiter, Clock::time_point now, bool& timed_out);
  AcquireResult finish(Taken taken);
  AcquireResult connect_new();
  bool replace_connection(Record& record, AcquireResult& failure);
  AcquireResult timeout_result_locked();
  void enqueue_locked(const WaiterPtr& waiter);
  void dequeue_locked(Waiter& waiter) noexcept;
  WaiterPtr wake_for_slot_locked() noexcept;
  void note_checked_out_locked() noexcept;
  void account_wait_locked(const Waiter& waiter, Clock::time_point now) noexcept;
  static void deliver_wake(const WaiterPtr& waiter) noexcept;
  void checkin(std::unique_ptr<Record> record, bool invalidate) noexcept;
  void slot_freed_after_failure() noexcept;
  /// Frees the slot of a connection that was just closed and wakes a waiter for it.
  void release_slot(bool invalidated) noexcept;

  const PoolSettings m_settings;
  ConnectionFactory& m_factory;
  const Clock& m_clock;

  mutable std::mutex m_mutex;
  std::deque<std::unique_ptr<Record>> m_idle;  // guarded by m_mutex
  std::list<WaiterPtr> m_waiters;              // guarded; front = oldest
  int m_open = 0;                              // guarded; connections open or being opened
  std::uint64_t m_invalid = 0;                 // guarded
  PoolCounters m_counters;                     // guarded
  /// Connections created before this time are replaced at their next checkout (set when a
  /// connection-class error shows the server may have dropped them all, as SQLAlchemy's
  /// pool._invalidate() does). Ticks of Clock::duration; 0 = never set.
  std::atomic<Clock::duration::rep> m_invalidated_before{0};
};

}  // namespace poolbench::pool
