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

/// What the caller of Lease::release_after_reset() found when it rolled the connection back.
enum class ResetOutcome {
  rolled_back,  ///< the connection is idle again: checked in as usual
  failed,       ///< the rollback failed: the connection is closed as invalidated
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

  /// True when release() would roll the connection back (a transaction is open or failed,
  /// and the connection is not broken). A caller that must not block (an event loop) rolls
  /// back itself, without waiting, and then calls release_after_reset().
  bool needs_reset() const noexcept;
  /// Checks in a connection the caller rolled back itself: `rolled_back` is release();
  /// `failed` closes it as release() does when its own rollback fails (counted as an
  /// invalidation; the pool's generation is not invalidated, as in SQLAlchemy, whose failed
  /// reset invalidates the connection record only).
  void release_after_reset(ResetOutcome outcome) noexcept;

 private:
  friend class QueuePool;
  Lease(QueuePool* pool, std::unique_ptr<Record> record) noexcept
      : m_pool(pool), m_record(std::move(record)) {}
  QueuePool* m_pool = nullptr;
  std::unique_ptr<Record> m_record;
};

/// Who does the connection work an acquire may need (connect, pre-ping).
enum class ConnectionWork {
  /// The pool, in the calling thread, which blocks meanwhile: every result is final.
  pool,
  /// The caller, without blocking its thread (an event loop): a result may be
  /// AcquireStatus::needs_work, whose `work` says what to do; the caller does it and reports
  /// the outcome with QueuePool::connected() or QueuePool::pinged(), which give the next
  /// result. The accounting is the same as with `pool`: the slot of a connection being
  /// opened is reserved (and counted) before the connect starts.
  caller,
};

/// What a ConnectionWork::caller acquire left to its caller. Move-only; must not outlive
/// its pool. Destroying one whose work was not reported abandons the acquire: a connection
/// waiting for its ping is closed, the slot is freed and a waiter is woken (nothing is
/// counted as failed or invalidated).
class PendingCheckout {
 public:
  enum class Need {
    connect,  ///< open a connection (ConnectionFactory's kind) into the reserved slot
    ping,     ///< pre-ping connection() (SQLAlchemy sends `SELECT 1`)
  };

  PendingCheckout() = default;
  PendingCheckout(PendingCheckout&& other) noexcept;
  PendingCheckout& operator=(PendingCheckout&& other) noexcept;
  PendingCheckout(const PendingCheckout&) = delete;
  PendingCheckout& operator=(const PendingCheckout&) = delete;
  ~PendingCheckout() {
    if (m_record) abandon();
  }

  explicit operator bool() const noexcept { return m_record != nullptr; }
  Need need() const noexcept { return m_need; }
  /// Need::ping: the connection to ping.
  Connection& connection() const noexcept { return *m_record->connection; }
  template <class T>
  T& as() const noexcept {
    return static_cast<T&>(*m_record->connection);
  }

 private:
  friend class QueuePool;
  void abandon() noexcept;

  QueuePool* m_pool = nullptr;
  std::unique_ptr<Record> m_record;
  Need m_need = Need::connect;
  Clock::time_point m_started;            ///< Need::connect: when the connect was handed out
  std::chrono::microseconds m_queued{0};  ///< the acquire's time in the queue so far
};

enum class AcquireStatus {
  ok,
  timeout,         ///< pool_timeout expired: `error` is SQLAlchemy's exact message
  connect_failed,  ///< creating (or replacing) a connection failed: `error`, `sqlstate`
  needs_work,      ///< ConnectionWork::caller only: do `work`, then report it to the pool
};

/// A pre-ping's outcome, as the caller of QueuePool::pinged() found it.
enum class PingOutcome { alive, dead };

/// The outcome of one acquire. Hot path: returned, never thrown.
struct AcquireResult {
  AcquireStatus status = AcquireStatus::ok;
  Lease lease;                          ///< set when status == ok
  PendingCheckout work;                 ///< set when status == needs_work
  std::string error;                    ///< message when status is timeout or connect_failed
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

/// A connection pool with SQLAlchemy QueuePool semantics (docs/pool.md):
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
  /// thread, or with ConnectionWork::caller handing the connect to the caller), else queues
  /// the request: `wake` is called when it should be polled, and the caller polls it at its
  /// deadline in any case. The ticket's poll() results follow the same `work` mode.
  AsyncAcquire acquire_async(WakeFn wake, ConnectionWork work = ConnectionWork::pool);

  /// Checks `returning` in and acquires again, as `returning.release()` then acquire_async()
  /// would with no other thread acting in between (an interleaving SQLAlchemy's QueuePool
  /// allows too: a thread that returns a connection and at once asks for one). When nobody
  /// waits and the connection needs no reset, both happen under one lock, so under use_lifo
  /// (or with no other connection idle) the caller gets its own connection back; otherwise
  /// it is exactly release() then acquire_async(). This is how a worker thread keeps talking
  /// to the same backend between back-to-back requests instead of swapping connections with
  /// another thread in the instant between its check-in and its checkout.
  AsyncAcquire exchange_async(Lease returning, WakeFn wake,
                              ConnectionWork work = ConnectionWork::pool);
  /// exchange_async()'s common case without its result and ticket: when `lease` (of this
  /// pool) is neither broken nor in a transaction, nobody waits, and the connection the
  /// exchange would hand out needs no connection work (no recycle, no pre-ping), checks
  /// `lease` in and out again in one step, leaves the connection handed out in `lease` (its
  /// own under use_lifo or when no other is idle) and returns true, with exactly
  /// exchange_async()'s accounting. Otherwise returns false and changes nothing: call
  /// exchange_async() then. A back-to-back request's checkout, without allocation or a
  /// std::function.
  bool try_exchange(Lease& lease) noexcept;

  /// Advances a queued acquire: the result when it completed (ok, timeout at or after its
  /// deadline, or connect failure); nullopt while it still waits (it may have gone back to
  /// the end of the queue, with its original deadline, under Fairness::sqlalchemy).
  std::optional<AcquireResult> poll(Ticket& ticket);

  /// Reports the connect a PendingCheckout (Need::connect) asked for, `result` being the
  /// factory's kind of ConnectResult: ok with the lease (a fresh connection is not pinged),
  /// or connect_failed (the slot freed and the oldest waiter woken, as a failed connect()).
  /// The connect's time counts from when the work was handed out.
  AcquireResult connected(PendingCheckout pending, ConnectResult result);
  /// Reports the pre-ping a PendingCheckout (Need::ping) asked for: alive gives the lease;
  /// dead invalidates the pool's generation, closes the connection and asks for its
  /// replacement (needs_work with Need::connect), as SQLAlchemy retries a failed ping once.
  AcquireResult pinged(PendingCheckout pending, PingOutcome outcome);

  /// Withdraws a queued acquire (e.g. its client stopped); a connection already handed to
  /// it is checked back in.
  void cancel(Ticket& ticket) noexcept;

  /// Closes every idle connection; checked-out ones are unaffected (SQLAlchemy's dispose()).
  void dispose() noexcept;

  PoolStatus status() const;
  PoolCounters counters() const;
  const PoolSettings& settings() const noexcept { return m_settings; }
  /// The factory connections are made with (its concrete type may also open them without
  /// blocking, for a ConnectionWork::caller).
  ConnectionFactory& factory() const noexcept { return m_factory; }

 private:
  friend class Lease;
  friend class PendingCheckout;
  using WaiterPtr = std::shared_ptr<Waiter>;

  /// How a connection comes back (Lease::release, invalidate, release_after_reset).
  enum class Checkin {
    release,       ///< kept (or closed when broken, or when pool_size are idle)
    invalidate,    ///< closed (SQLAlchemy's hard invalidate)
    reset_failed,  ///< closed: the caller's rollback failed
  };

  /// What the locked part of an acquire decided.
  enum class Grant { none, record, slot };
  struct Taken {
    Grant grant = Grant::none;
    std::unique_ptr<Record> record;
  };

  bool can_open_locked() const noexcept;
  /// A returned connection is kept idle (not closed) while fewer than pool_size are idle.
  bool can_keep_idle_locked() const noexcept;
  /// A new acquire may take what is free ahead of the queued waiters: always under
  /// Fairness::sqlalchemy (SQLAlchemy's barging), under Fairness::fifo only when none waits.
  bool may_barge_locked() const noexcept;
  /// Takes an idle record (LIFO or FIFO per use_lifo) or, when none is idle and the pool may
  /// grow, a slot to connect in; Grant::none when neither.
  Taken take_locked();
  Taken complete_locked(const WaiterPtr& waiter, Clock::time_point now, bool& timed_out);
  /// Outside the lock: what a granted record or slot needs before it is handed out, done
  /// here (ConnectionWork::pool) or handed to the caller.
  AcquireResult finish(Taken taken, ConnectionWork work, std::chrono::microseconds queued);
  /// True when the record must be replaced at checkout: older than pool_recycle, or
  /// created before the pool's generation was invalidated.
  bool must_replace(const Record& record) const noexcept;
  /// True when `record` cannot be handed out as it is: replaced (must_replace) or pinged.
  bool needs_work(const Record& record) const noexcept;
  /// ConnectionWork::pool: does the work in this thread until the result is final.
  AcquireResult do_work(AcquireResult result);
  /// A needs_work result asking for `need` (a connect starts its clock now).
  AcquireResult work_result(PendingCheckout pending, PendingCheckout::Need need);
  AcquireResult hand_out(std::unique_ptr<Record> record, std::chrono::microseconds queued);
  AcquireResult timeout_result_locked();
  void enqueue_locked(const WaiterPtr& waiter);
  void dequeue_locked(Waiter& waiter) noexcept;
  WaiterPtr wake_for_slot_locked() noexcept;
  void note_checked_out_locked() noexcept;
  void account_wait_locked(const Waiter& waiter, Clock::time_point now) noexcept;
  static void deliver_wake(const WaiterPtr& waiter) noexcept;
  void checkin(std::unique_ptr<Record> record, Checkin how) noexcept;
  /// Frees the slot of an acquire that failed or was abandoned (its checkout is uncounted)
  /// and wakes a waiter for it.
  void slot_freed_after_failure() noexcept;
  /// Closes the record of an abandoned PendingCheckout and frees its slot.
  void abandon(std::unique_ptr<Record> record) noexcept;
  /// What the freeing of a slot counts.
  enum class SlotFreed { closed, invalidated };
  /// Frees the slot of a connection that was just closed and wakes a waiter for it.
  void release_slot(SlotFreed why) noexcept;

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
