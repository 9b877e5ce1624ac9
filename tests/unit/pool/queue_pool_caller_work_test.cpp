// QueuePool with ConnectionWork::caller: the pool hands the caller the connects and
// pre-pings of its acquires (an event loop does them without blocking) and takes back the
// caller's own reset, with the accounting of the blocking path: slots reserved before a
// connect starts, freed on failure with a waiter woken, the same counters, status and
// timeout message. The last test drives one random sequence through both modes and
// compares every count after every step.

#include <cstdint>
#include <optional>
#include <vector>

#include <gtest/gtest.h>

#include "pool/queue_pool.hpp"
#include "support/pool_fakes.hpp"
#include "unit/pool/lease_id.hpp"

namespace poolbench::pool {
namespace {

using namespace std::chrono_literals;
using testing::FakeClock;
using testing::FakeConnection;
using testing::FakeFactory;
using Need = PendingCheckout::Need;

PoolSettings caller_work_settings(int pool_size, int max_overflow,
                                  std::chrono::microseconds timeout = 2s) {
  PoolSettings settings;
  settings.pool_size = pool_size;
  settings.max_overflow = max_overflow;
  settings.pool_timeout = timeout;
  return settings;
}

/// An acquire in caller mode that must complete at once (not queue).
AcquireResult acquire_now(QueuePool& pool, int* wakes = nullptr) {
  AsyncAcquire async = pool.acquire_async(
      [wakes] {
        if (wakes != nullptr) ++*wakes;
      },
      ConnectionWork::caller);
  EXPECT_TRUE(async.result.has_value()) << "queued instead of completing";
  return async.result ? std::move(*async.result) : AcquireResult{};
}

/// Does what the pool asked, as an event loop would (here at once), until the result is
/// final.
AcquireResult do_work(QueuePool& pool, FakeFactory& factory, AcquireResult result) {
  while (result.status == AcquireStatus::needs_work) {
    PendingCheckout work = std::move(result.work);
    if (work.need() == Need::connect) {
      result = pool.connected(std::move(work), factory.connect());
    } else {
      const bool alive = work.connection().ping();
      result = pool.pinged(std::move(work), alive ? PingOutcome::alive : PingOutcome::dead);
    }
  }
  return result;
}

Lease take(QueuePool& pool, FakeFactory& factory) {
  AcquireResult result = do_work(pool, factory, acquire_now(pool));
  EXPECT_TRUE(result.ok()) << result.error;
  return std::move(result.lease);
}

TEST(QueuePoolCallerWork, ASlotIsReservedAndCountedBeforeTheCallersConnectStarts) {
  FakeFactory factory;
  QueuePool pool(caller_work_settings(1, 1), factory);
  AcquireResult first = acquire_now(pool);
  ASSERT_EQ(first.status, AcquireStatus::needs_work);
  EXPECT_EQ(first.work.need(), Need::connect);
  EXPECT_EQ(factory.created(), 0);  // the pool did not connect: the caller will
  EXPECT_EQ(pool.status().checked_out, 1);
  EXPECT_EQ(pool.status().overflow, 0);
  AcquireResult second = acquire_now(pool);
  ASSERT_EQ(second.status, AcquireStatus::needs_work);
  EXPECT_EQ(pool.status().checked_out, 2);
  EXPECT_EQ(pool.status().overflow, 1);  // SQLAlchemy's _inc_overflow, before connecting
  EXPECT_EQ(pool.status().sqlalchemy_overflow, 1);
  EXPECT_EQ(pool.counters().max_overflow_used, 1);
  // The pool is full while both connect: a third acquire queues.
  AsyncAcquire third = pool.acquire_async([] {}, ConnectionWork::caller);
  EXPECT_FALSE(third.result.has_value());
  EXPECT_TRUE(third.ticket.pending());
  EXPECT_EQ(pool.status().waiting, 1);

  AcquireResult done = pool.connected(std::move(first.work), factory.connect());
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(pool.counters().connects, 1U);
  EXPECT_EQ(pool.counters().checkouts, 2U);
  Lease overflow = do_work(pool, factory, std::move(second)).lease;
  EXPECT_EQ(pool.counters().connects, 2U);
  pool.cancel(third.ticket);
}

TEST(QueuePoolCallerWork, AFailedConnectFreesItsSlotAndWakesTheOldestWaiterAtOnce) {
  FakeFactory factory;
  QueuePool pool(caller_work_settings(1, 0), factory);
  AcquireResult connecting = acquire_now(pool);
  ASSERT_EQ(connecting.status, AcquireStatus::needs_work);
  int wakes = 0;
  AsyncAcquire waiter = pool.acquire_async([&wakes] { ++wakes; }, ConnectionWork::caller);
  ASSERT_TRUE(waiter.ticket.pending());

  factory.fail_next(1);
  const AcquireResult failed = pool.connected(std::move(connecting.work), factory.connect());
  EXPECT_EQ(failed.status, AcquireStatus::connect_failed);
  EXPECT_EQ(failed.sqlstate, "08001");
  EXPECT_NE(failed.error.find("Connection refused"), std::string::npos);
  EXPECT_EQ(wakes, 1);
  EXPECT_EQ(pool.status().checked_out, 0);
  EXPECT_EQ(pool.counters().connect_failures, 1U);
  EXPECT_EQ(pool.counters().checkouts, 0U);

  std::optional<AcquireResult> woken = pool.poll(waiter.ticket);
  ASSERT_TRUE(woken.has_value());
  ASSERT_EQ(woken->status, AcquireStatus::needs_work);  // the freed slot: connect it
  EXPECT_EQ(woken->work.need(), Need::connect);
  EXPECT_TRUE(do_work(pool, factory, std::move(*woken)).ok());
}

TEST(QueuePoolCallerWork, AWaiterBehindAPendingConnectTimesOutWithSqlalchemysExactMessage) {
  FakeFactory factory;
  FakeClock clock;
  QueuePool pool(caller_work_settings(1, 0, 1s), factory, clock);
  AcquireResult connecting = acquire_now(pool);
  AsyncAcquire waiter = pool.acquire_async([] {}, ConnectionWork::caller);
  clock.advance(1s);
  std::optional<AcquireResult> result = pool.poll(waiter.ticket);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->status, AcquireStatus::timeout);
  EXPECT_EQ(result->error,
            "QueuePool limit of size 1 overflow 0 reached, connection timed out, timeout 1.00");
  EXPECT_EQ(result->queued, 1s);
  EXPECT_TRUE(do_work(pool, factory, std::move(connecting)).ok());
}

TEST(QueuePoolCallerWork, TheConnectsTimeCountsFromWhenItWasHandedOut) {
  FakeFactory factory;
  FakeClock clock;
  QueuePool pool(caller_work_settings(1, 0), factory, clock);
  AcquireResult connecting = acquire_now(pool);
  clock.advance(250ms);  // the caller's connect takes a while
  Lease lease = pool.connected(std::move(connecting.work), factory.connect()).lease;
  EXPECT_EQ(pool.counters().connect_time, 250ms);
}

TEST(QueuePoolCallerWork, PrePingIsTheCallersAndADeadConnectionIsReplacedOnceUnpinged) {
  FakeFactory factory;
  PoolSettings settings = caller_work_settings(2, 0);
  settings.pool_pre_ping = true;
  QueuePool pool(settings, factory);
  { Lease fresh = take(pool, factory); }  // a fresh connection is not pinged
  EXPECT_EQ(factory.state_of(1)->pings, 0);

  AcquireResult reused = acquire_now(pool);
  ASSERT_EQ(reused.status, AcquireStatus::needs_work);
  ASSERT_EQ(reused.work.need(), Need::ping);
  EXPECT_EQ(reused.work.as<FakeConnection>().id(), 1);
  AcquireResult replaced = pool.pinged(std::move(reused.work), PingOutcome::dead);
  EXPECT_TRUE(factory.state_of(1)->closed);
  ASSERT_EQ(replaced.status, AcquireStatus::needs_work);
  EXPECT_EQ(replaced.work.need(), Need::connect);  // SQLAlchemy's second attempt
  AcquireResult done = pool.connected(std::move(replaced.work), factory.connect());
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(id_of(done.lease), 2);
  const PoolCounters counters = pool.counters();
  EXPECT_EQ(counters.preping_failures, 1U);
  EXPECT_EQ(counters.invalidations, 1U);
  EXPECT_EQ(pool.status().invalid, 1U);
  EXPECT_EQ(counters.checkouts, 2U);
}

TEST(QueuePoolCallerWork, AFailedPingInvalidatesTheGenerationSoOlderConnectionsReconnectUnpinged) {
  FakeFactory factory;
  FakeClock clock;
  PoolSettings settings = caller_work_settings(2, 0);
  settings.pool_pre_ping = true;
  QueuePool pool(settings, factory, clock);
  {
    Lease a = take(pool, factory);
    Lease b = take(pool, factory);
  }
  clock.advance(1s);
  AcquireResult first = acquire_now(pool);
  ASSERT_EQ(first.work.need(), Need::ping);
  Lease one = do_work(pool, factory, pool.pinged(std::move(first.work), PingOutcome::dead)).lease;
  AcquireResult second = acquire_now(pool);  // #2 is older than the invalidation
  ASSERT_EQ(second.status, AcquireStatus::needs_work);
  EXPECT_EQ(second.work.need(), Need::connect);
  EXPECT_TRUE(factory.state_of(2)->closed);
  EXPECT_EQ(factory.state_of(2)->pings, 0);
  EXPECT_EQ(pool.counters().recycles, 1U);
  Lease two = do_work(pool, factory, std::move(second)).lease;
}

TEST(QueuePoolCallerWork, RecycleClosesTheOldConnectionAndAsksTheCallerForItsReplacement) {
  FakeFactory factory;
  FakeClock clock;
  PoolSettings settings = caller_work_settings(1, 0);
  settings.pool_recycle = 30s;
  QueuePool pool(settings, factory, clock);
  { Lease lease = take(pool, factory); }
  clock.advance(30s);  // exactly 30 s: strict, kept
  { Lease lease = take(pool, factory); }
  EXPECT_EQ(factory.created(), 1);
  clock.advance(1s);
  AcquireResult old = acquire_now(pool);
  ASSERT_EQ(old.status, AcquireStatus::needs_work);
  EXPECT_EQ(old.work.need(), Need::connect);
  EXPECT_TRUE(factory.state_of(1)->closed);  // closed before its replacement is opened
  EXPECT_EQ(pool.counters().recycles, 1U);
  EXPECT_EQ(pool.status().checked_out, 1);
}

TEST(QueuePoolCallerWork, AnAbandonedConnectFreesItsSlotWithoutCountingAFailure) {
  FakeFactory factory;
  QueuePool pool(caller_work_settings(1, 0), factory);
  int wakes = 0;
  {
    AcquireResult connecting = acquire_now(pool);
    AsyncAcquire waiter = pool.acquire_async([&wakes] { ++wakes; }, ConnectionWork::caller);
    connecting = AcquireResult{};  // the client stopped: its PendingCheckout is destroyed
    EXPECT_EQ(wakes, 1);
    EXPECT_EQ(pool.status().checked_out, 0);
    pool.cancel(waiter.ticket);
  }
  const PoolCounters counters = pool.counters();
  EXPECT_EQ(counters.connect_failures, 0U);
  EXPECT_EQ(counters.checkouts, 0U);
}

TEST(QueuePoolCallerWork, AnAbandonedPingClosesTheConnectionWithoutCountingAnInvalidation) {
  FakeFactory factory;
  PoolSettings settings = caller_work_settings(1, 0);
  settings.pool_pre_ping = true;
  QueuePool pool(settings, factory);
  { Lease lease = take(pool, factory); }
  {
    AcquireResult pinging = acquire_now(pool);
    ASSERT_EQ(pinging.work.need(), Need::ping);
  }
  EXPECT_TRUE(factory.state_of(1)->closed);
  EXPECT_EQ(pool.status().checked_out, 0);
  EXPECT_EQ(pool.status().checked_in, 0);
  EXPECT_EQ(pool.counters().invalidations, 0U);
  EXPECT_TRUE(take(pool, factory));
}

TEST(QueuePoolCallerWork, TheCallersRollbackReplacesTheResetOnCheckIn) {
  FakeFactory factory;
  QueuePool pool(caller_work_settings(1, 0), factory);
  Lease lease = take(pool, factory);
  auto& state = lease.as<FakeConnection>().state();
  EXPECT_FALSE(lease.needs_reset());
  state.in_transaction = true;
  EXPECT_TRUE(lease.needs_reset());
  ASSERT_TRUE(lease.connection().rollback());  // what the caller does without blocking
  lease.release_after_reset(ResetOutcome::rolled_back);
  EXPECT_EQ(state.rollbacks, 1);  // the caller's only: the pool did not roll back again
  EXPECT_EQ(pool.status().checked_in, 1);
  EXPECT_EQ(pool.counters().invalidations, 0U);
}

TEST(QueuePoolCallerWork, AFailedResetClosesTheConnectionButKeepsTheGeneration) {
  FakeFactory factory;
  FakeClock clock;
  QueuePool pool(caller_work_settings(2, 0), factory, clock);
  Lease a = take(pool, factory);
  { Lease b = take(pool, factory); }  // #2 idle
  clock.advance(1s);
  a.as<FakeConnection>().state().in_transaction = true;
  a.as<FakeConnection>().state().rollback_fails = true;
  ASSERT_TRUE(a.needs_reset());
  EXPECT_FALSE(a.connection().rollback());  // marks it broken
  a.release_after_reset(ResetOutcome::failed);
  EXPECT_TRUE(factory.state_of(1)->closed);
  EXPECT_EQ(pool.counters().invalidations, 1U);
  EXPECT_EQ(pool.status().invalid, 1U);
  // As when the pool's own rollback fails at check-in: older connections stay valid.
  Lease c = take(pool, factory);
  EXPECT_EQ(id_of(c), 2);
  EXPECT_EQ(pool.counters().recycles, 0U);
}

// ------------------------------------------------------------------- both modes, one script

/// One pool driven in one mode; the other driver replays the same operations.
struct Driver {
  explicit Driver(ConnectionWork the_mode, const PoolSettings& settings)
      : mode(the_mode), pool(settings, factory, clock) {}

  void acquire() {
    AsyncAcquire async = pool.acquire_async([] {}, mode);
    if (!async.result) async.result = pool.poll(async.ticket);  // timeout 0: at once
    ASSERT_TRUE(async.result.has_value());
    AcquireResult result = do_work(pool, factory, std::move(*async.result));
    if (result.ok()) leases.push_back(std::move(result.lease));
  }
  void release(std::size_t which, bool open_transaction) {
    Lease lease = std::move(leases[which]);
    leases.erase(leases.begin() + static_cast<std::ptrdiff_t>(which));
    lease.as<FakeConnection>().state().in_transaction = open_transaction;
    if (mode == ConnectionWork::caller && lease.needs_reset()) {
      const bool rolled_back = lease.connection().rollback();
      lease.release_after_reset(rolled_back ? ResetOutcome::rolled_back : ResetOutcome::failed);
    }
  }

  ConnectionWork mode;
  FakeFactory factory;
  FakeClock clock;
  QueuePool pool;
  std::vector<Lease> leases;
};

void expect_same(const Driver& a, const Driver& b, int step) {
  const PoolStatus s = a.pool.status();
  const PoolStatus t = b.pool.status();
  EXPECT_EQ(s.checked_in, t.checked_in) << "step " << step;
  EXPECT_EQ(s.checked_out, t.checked_out) << "step " << step;
  EXPECT_EQ(s.sqlalchemy_overflow, t.sqlalchemy_overflow) << "step " << step;
  EXPECT_EQ(s.invalid, t.invalid) << "step " << step;
  const PoolCounters c = a.pool.counters();
  const PoolCounters d = b.pool.counters();
  EXPECT_EQ(c.checkouts, d.checkouts) << "step " << step;
  EXPECT_EQ(c.timeouts, d.timeouts) << "step " << step;
  EXPECT_EQ(c.connects, d.connects) << "step " << step;
  EXPECT_EQ(c.connect_failures, d.connect_failures) << "step " << step;
  EXPECT_EQ(c.recycles, d.recycles) << "step " << step;
  EXPECT_EQ(c.preping_failures, d.preping_failures) << "step " << step;
  EXPECT_EQ(c.invalidations, d.invalidations) << "step " << step;
  EXPECT_EQ(c.overflow_closed, d.overflow_closed) << "step " << step;
  EXPECT_EQ(c.max_checked_out, d.max_checked_out) << "step " << step;
  EXPECT_EQ(c.max_overflow_used, d.max_overflow_used) << "step " << step;
  EXPECT_EQ(a.factory.created(), b.factory.created()) << "step " << step;
  EXPECT_EQ(a.factory.live(), b.factory.live()) << "step " << step;
}

TEST(QueuePoolCallerWork, ARandomSequenceGivesTheSameCountsInBothModes) {
  PoolSettings settings = caller_work_settings(2, 2, 0s);
  settings.pool_pre_ping = true;
  settings.pool_recycle = 10s;
  Driver blocking(ConnectionWork::pool, settings);
  Driver caller(ConnectionWork::caller, settings);
  std::uint64_t random = 12345;
  const auto next = [&random](std::uint64_t bound) {
    random = random * 6364136223846793005ULL + 1442695040888963407ULL;  // an LCG is enough
    return (random >> 33) % bound;
  };
  constexpr int k_steps = 2000;
  for (int step = 0; step < k_steps; ++step) {
    const std::uint64_t op = next(10);
    const std::uint64_t pick = next(64);
    const std::uint64_t seconds = next(7);
    for (Driver* d : {&blocking, &caller}) {
      if (op < 4) {
        d->acquire();
      } else if (op < 7 && !d->leases.empty()) {
        d->release(pick % d->leases.size(), op == 6);
      } else if (op == 7 && !d->leases.empty()) {
        d->leases[pick % d->leases.size()].as<FakeConnection>().state().rollback_fails = true;
      } else if (op == 8) {
        // The server drops one of the last connections made, idle or held; the next ping
        // or rollback finds out.
        const int id = d->factory.created() - static_cast<int>(pick % 4);
        if (id >= 1) d->factory.state_of(id)->alive = false;
      } else if (op == 9) {
        d->clock.advance(std::chrono::seconds(seconds));
        if (seconds == 6) d->factory.fail_next(1);
      }
    }
    expect_same(blocking, caller, step);
    if (::testing::Test::HasFailure()) return;
  }
  EXPECT_GT(blocking.pool.counters().preping_failures, 0U);  // the script covered them
  EXPECT_GT(blocking.pool.counters().recycles, 0U);
  EXPECT_GT(blocking.pool.counters().timeouts, 0U);
  EXPECT_GT(blocking.pool.counters().connect_failures, 0U);
}

}  // namespace
}  // namespace poolbench::pool
