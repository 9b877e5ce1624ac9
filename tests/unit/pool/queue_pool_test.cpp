// QueuePool behaviour on the blocking path, mirroring SQLAlchemy's test/engine/test_pool.py
// QueuePoolTest where a test there exists.

#include "pool/queue_pool.hpp"

#include <thread>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "support/pool_fakes.hpp"
#include "unit/pool/lease_id.hpp"

namespace poolbench::pool {
namespace {

using namespace std::chrono_literals;
using testing::FakeClock;
using testing::FakeConnection;
using testing::FakeFactory;

PoolSettings make_settings(int pool_size, int max_overflow,
                           std::chrono::microseconds timeout = 30s) {
  PoolSettings settings;
  settings.pool_size = pool_size;
  settings.max_overflow = max_overflow;
  settings.pool_timeout = timeout;
  return settings;
}

Lease take(QueuePool& pool) {
  AcquireResult result = pool.acquire();
  EXPECT_TRUE(result.ok()) << result.error;
  return std::move(result.lease);
}

/// SQLAlchemy's status tuple (size(), checkedin(), overflow(), checkedout()).
std::tuple<int, int, int, int> sqlalchemy_status(const QueuePool& pool) {
  const PoolStatus s = pool.status();
  return {s.size, s.checked_in, s.sqlalchemy_overflow, s.checked_out};
}

/// Waits (real time, bounded) until `n` acquires are queued.
void wait_for_waiters(const QueuePool& pool, int n) {
  for (int i = 0; i < 5000 && pool.status().waiting < n; ++i) {
    std::this_thread::sleep_for(1ms);
  }
  ASSERT_EQ(pool.status().waiting, n);
}

TEST(QueuePool, ConnectionsAreCreatedLazilyUpToPoolSize) {
  FakeFactory factory;
  QueuePool pool(make_settings(5, 10), factory);
  EXPECT_EQ(factory.created(), 0);
  {
    Lease a = take(pool);
    EXPECT_EQ(factory.created(), 1);
  }
  Lease b = take(pool);  // the returned one is reused, nothing new is created
  EXPECT_EQ(factory.created(), 1);
  Lease c = take(pool);
  EXPECT_EQ(factory.created(), 2);
}

// test_queuepool_close: size 3, unlimited overflow, status after every step.
TEST(QueuePool, StatusAfterEveryStepMatchesSqlalchemysQueuePoolCloseSequence) {
  FakeFactory factory;
  QueuePool pool(make_settings(3, -1), factory);
  std::vector<Lease> leases;
  const std::vector<std::tuple<int, int, int, int>> expected = {
      {3, 0, -2, 1}, {3, 0, -1, 2}, {3, 0, 0, 3}, {3, 0, 1, 4}, {3, 0, 2, 5}, {3, 0, 3, 6}};
  for (const auto& step : expected) {
    leases.push_back(take(pool));
    EXPECT_EQ(sqlalchemy_status(pool), step);
  }
  leases[3].release();  // c4, c3, c2
  leases[2].release();
  leases[1].release();
  EXPECT_EQ(sqlalchemy_status(pool), std::make_tuple(3, 3, 3, 3));
  leases[0].release();  // c1, c5, c6: pool_size idle already, so these overflow ones close
  leases[4].release();
  leases[5].release();
  EXPECT_EQ(sqlalchemy_status(pool), std::make_tuple(3, 3, 0, 0));
  EXPECT_EQ(factory.live(), 3);
  Lease c1 = take(pool);
  Lease c2 = take(pool);
  EXPECT_EQ(sqlalchemy_status(pool), std::make_tuple(3, 1, 0, 2));
}

TEST(QueuePool, StatusReportsOverflowAsANonNegativeCountAndInvalidCumulatively) {
  FakeFactory factory;
  QueuePool pool(make_settings(2, 2), factory);
  Lease a = take(pool);
  PoolStatus s = pool.status();
  EXPECT_EQ(s.size, 2);
  EXPECT_EQ(s.checked_out, 1);
  EXPECT_EQ(s.overflow, 0);  // SQLAlchemy would say -1
  EXPECT_EQ(s.sqlalchemy_overflow, -1);
  Lease b = take(pool);
  Lease c = take(pool);
  s = pool.status();
  EXPECT_EQ(s.overflow, 1);
  EXPECT_EQ(s.checked_out, 3);
  c.invalidate();
  b.invalidate();
  s = pool.status();
  EXPECT_EQ(s.invalid, 2u);
  EXPECT_EQ(s.checked_out, 1);
  EXPECT_EQ(s.overflow, 0);
  Lease d = take(pool);
  EXPECT_EQ(pool.status().invalid, 2u);  // cumulative: a new connection does not reset it
}

TEST(QueuePool, OverflowIsCreatedOnlyWhenEveryPooledConnectionIsCheckedOut) {
  FakeFactory factory;
  QueuePool pool(make_settings(2, 3), factory);
  Lease a = take(pool);
  Lease b = take(pool);
  b.release();  // one pooled connection idle: the next acquire must use it, not overflow
  Lease c = take(pool);
  EXPECT_EQ(factory.created(), 2);
  EXPECT_EQ(pool.status().overflow, 0);
  Lease d = take(pool);  // both pooled out: overflow
  EXPECT_EQ(factory.created(), 3);
  EXPECT_EQ(pool.status().overflow, 1);
}

TEST(QueuePool, OverflowConnectionIsClosedOnCheckinWhenPoolIsFull) {
  FakeFactory factory;
  QueuePool pool(make_settings(2, 2), factory);
  Lease a = take(pool);
  Lease b = take(pool);
  Lease c = take(pool);
  const int overflow_id = id_of(c);
  a.release();
  b.release();  // pool_size connections idle now
  c.release();  // so the overflow one is closed
  EXPECT_TRUE(factory.state_of(overflow_id)->closed);
  EXPECT_EQ(factory.live(), 2);
  EXPECT_EQ(pool.counters().overflow_closed, 1u);
  const PoolStatus s = pool.status();
  EXPECT_EQ(s.checked_in, 2);
  EXPECT_EQ(s.overflow, 0);
}

// test_overflow_no_gc: 2/2, many checkouts and returns keep only pool_size connections.
TEST(QueuePool, ReturnedConnectionsBeyondPoolSizeAreAllClosed) {
  FakeFactory factory;
  QueuePool pool(make_settings(2, 2), factory);
  for (int round = 0; round < 5; ++round) {
    std::vector<Lease> leases;
    for (int i = 0; i < 4; ++i) leases.push_back(take(pool));
  }
  EXPECT_EQ(factory.live(), 2);
  EXPECT_EQ(factory.created(), 2 + 5 * 2);
  EXPECT_EQ(pool.counters().overflow_closed, 10u);
}

TEST(QueuePool, PoolTimeoutFailsWithSqlalchemysExactMessage) {
  FakeFactory factory;
  FakeClock clock;
  QueuePool pool(make_settings(3, 0, 2s), factory, clock);
  std::vector<Lease> leases;
  for (int i = 0; i < 3; ++i) leases.push_back(take(pool));
  AcquireResult result;
  std::thread waiter([&] { result = pool.acquire(); });
  wait_for_waiters(pool, 1);
  clock.advance(1999ms);
  // The waiter saw the new time and went back to waiting (bounded real-time poll): not yet.
  for (int i = 0; i < 5000 && clock.last_wait_at() < clock.now(); ++i) {
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_EQ(clock.last_wait_at(), clock.now());
  EXPECT_EQ(pool.status().waiting, 1);
  clock.advance(1ms);
  waiter.join();
  EXPECT_EQ(result.status, AcquireStatus::timeout);
  EXPECT_EQ(result.error,
            "QueuePool limit of size 3 overflow 0 reached, connection timed out, timeout 2.00");
  EXPECT_EQ(result.queued, 2s);
  EXPECT_EQ(pool.counters().timeouts, 1u);
  EXPECT_EQ(pool.status().waiting, 0);
}

TEST(QueuePool, TimeoutMessageNamesTheOverflowReachedAndTwoDecimalSeconds) {
  FakeFactory factory;
  FakeClock clock;
  QueuePool pool(make_settings(2, 1, 300ms), factory, clock);
  std::vector<Lease> leases;
  for (int i = 0; i < 3; ++i) leases.push_back(take(pool));
  AcquireResult result;
  std::thread waiter([&] { result = pool.acquire(); });
  wait_for_waiters(pool, 1);
  clock.advance(300ms);
  waiter.join();
  EXPECT_EQ(result.error,
            "QueuePool limit of size 2 overflow 1 reached, connection timed out, timeout 0.30");
  EXPECT_EQ(timeout_message(20, 10, 30s),
            "QueuePool limit of size 20 overflow 10 reached, connection timed out, timeout 30.00");
}

TEST(QueuePool, ZeroTimeoutFailsAtOnceWhenTheLimitIsReached) {
  FakeFactory factory;
  QueuePool pool(make_settings(1, 0, 0s), factory);
  Lease a = take(pool);
  const AcquireResult result = pool.acquire();
  EXPECT_EQ(result.status, AcquireStatus::timeout);
  EXPECT_EQ(pool.status().waiting, 0);
}

TEST(QueuePool, WaiterGetsAConnectionReturnedBeforeItsTimeout) {
  FakeFactory factory;
  FakeClock clock;
  QueuePool pool(make_settings(1, 0, 2s), factory, clock);
  Lease a = take(pool);
  const int id = id_of(a);
  AcquireResult result;
  std::thread waiter([&] { result = pool.acquire(); });
  wait_for_waiters(pool, 1);
  clock.advance(1500ms);
  a.release();
  waiter.join();
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(id_of(result.lease), id);
  EXPECT_EQ(result.queued, 1500ms);
  EXPECT_EQ(pool.counters().waits, 1u);
  EXPECT_EQ(pool.counters().wait_time, 1500ms);
}

class QueuePoolFairness : public ::testing::TestWithParam<Fairness> {};

TEST_P(QueuePoolFairness, WaitersAreServedInArrivalOrder) {
  FakeFactory factory;
  PoolSettings settings = make_settings(1, 0);
  settings.fairness = GetParam();
  QueuePool pool(settings, factory);
  Lease held = take(pool);
  std::mutex order_mutex;
  std::vector<int> order;
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      AcquireResult result = pool.acquire();
      ASSERT_TRUE(result.ok());
      std::lock_guard lock(order_mutex);
      order.push_back(i);
      // result.lease is released when this scope ends, after recording the order
    });
    wait_for_waiters(pool, i + 1);  // thread i is queued before thread i + 1 starts
  }
  held.release();
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
}

INSTANTIATE_TEST_SUITE_P(BothModes, QueuePoolFairness,
                         ::testing::Values(Fairness::sqlalchemy, Fairness::fifo),
                         [](const auto& param_info) {
                           return std::string(to_string(param_info.param));
                         });

// test_recycle: recycle 30 s; the same connection at +1 s, a new one at +35 s.
TEST(QueuePool, RecycleReplacesAConnectionOlderThanPoolRecycleAtCheckout) {
  FakeFactory factory;
  FakeClock clock;
  PoolSettings settings = make_settings(1, 0);
  settings.pool_recycle = 30s;
  QueuePool pool(settings, factory, clock);
  int first = 0;
  {
    Lease a = take(pool);
    first = id_of(a);
  }
  clock.advance(1s);
  {
    Lease b = take(pool);
    EXPECT_EQ(id_of(b), first);
  }
  clock.advance(29s);  // exactly 30 s old: SQLAlchemy's test is strict (>)
  {
    Lease c = take(pool);
    EXPECT_EQ(id_of(c), first);
  }
  clock.advance(5s);
  Lease d = take(pool);
  EXPECT_NE(id_of(d), first);
  EXPECT_TRUE(factory.state_of(first)->closed);
  EXPECT_EQ(pool.counters().recycles, 1u);
  EXPECT_EQ(pool.status().invalid, 0u);  // a recycle is not an invalidation
}

TEST(QueuePool, NegativeRecycleNeverReplaces) {
  FakeFactory factory;
  FakeClock clock;
  QueuePool pool(make_settings(1, 0), factory, clock);  // pool_recycle -1
  int first = 0;
  {
    Lease a = take(pool);
    first = id_of(a);
  }
  clock.advance(std::chrono::hours(100));
  Lease b = take(pool);
  EXPECT_EQ(id_of(b), first);
}

TEST(QueuePool, PrePingReplacesADeadConnectionTransparently) {
  FakeFactory factory;
  PoolSettings settings = make_settings(2, 0);
  settings.pool_pre_ping = true;
  QueuePool pool(settings, factory);
  int first = 0;
  {
    Lease a = take(pool);
    first = id_of(a);
    EXPECT_EQ(factory.state_of(first)->pings, 0);  // fresh: not pinged
  }
  factory.state_of(first)->alive = false;  // the server dropped it while idle
  Lease b = take(pool);
  ASSERT_TRUE(b);
  EXPECT_NE(id_of(b), first);
  EXPECT_EQ(factory.state_of(first)->pings, 1);
  EXPECT_TRUE(factory.state_of(first)->closed);
  EXPECT_EQ(factory.state_of(id_of(b))->pings, 0);  // the replacement is fresh: not pinged
  const PoolCounters counters = pool.counters();
  EXPECT_EQ(counters.preping_failures, 1u);
  EXPECT_EQ(counters.invalidations, 1u);
  EXPECT_EQ(pool.status().invalid, 1u);
  EXPECT_EQ(pool.status().checked_out, 1);
}

TEST(QueuePool, PrePingPingsOncePerCheckoutOfAReusedConnection) {
  FakeFactory factory;
  PoolSettings settings = make_settings(1, 0);
  settings.pool_pre_ping = true;
  QueuePool pool(settings, factory);
  int id = 0;
  for (int i = 0; i < 4; ++i) {
    Lease lease = take(pool);
    id = id_of(lease);
  }
  EXPECT_EQ(factory.state_of(id)->pings, 3);  // not on the first checkout
  EXPECT_EQ(factory.created(), 1);
}

TEST(QueuePool, FailedPrePingReplacesOlderIdleConnectionsWithoutPingingThem) {
  FakeFactory factory;
  FakeClock clock;
  PoolSettings settings = make_settings(2, 0);
  settings.pool_pre_ping = true;
  QueuePool pool(settings, factory, clock);
  {
    Lease a = take(pool);
    Lease b = take(pool);
    a.release();  // idle order: #1, #2
    b.release();
  }
  clock.advance(1s);
  factory.state_of(1)->alive = false;  // a server restart dropped both
  factory.state_of(2)->alive = false;
  Lease first = take(pool);   // pings #1, fails, replaced; the pool's generation is invalidated
  Lease second = take(pool);  // #2 is older than the invalidation: replaced without a ping
  EXPECT_EQ(factory.state_of(2)->pings, 0);
  EXPECT_TRUE(factory.state_of(2)->closed);
  EXPECT_EQ(pool.counters().preping_failures, 1u);
  EXPECT_EQ(pool.counters().recycles, 1u);
  EXPECT_EQ(factory.created(), 4);
}

TEST(QueuePool, WithoutPrePingADeadConnectionIsHandedOutThenInvalidatedOnCheckin) {
  FakeFactory factory;
  QueuePool pool(make_settings(1, 0), factory);
  int first = 0;
  {
    Lease a = take(pool);
    first = id_of(a);
  }
  factory.state_of(first)->alive = false;
  Lease b = take(pool);
  EXPECT_EQ(id_of(b), first);              // nobody checked: the caller gets the dead connection
  factory.state_of(first)->broken = true;  // its query failed with a connection-class error
  b.release();
  EXPECT_TRUE(factory.state_of(first)->closed);
  EXPECT_EQ(pool.status().invalid, 1u);
  EXPECT_EQ(pool.status().checked_in, 0);
  Lease c = take(pool);
  EXPECT_NE(id_of(c), first);
}

TEST(QueuePool, BrokenConnectionIsClosedAndItsSlotFreedOnCheckin) {
  FakeFactory factory;
  QueuePool pool(make_settings(1, 0, 0s), factory);
  Lease a = take(pool);
  a.as<FakeConnection>().state().broken = true;
  a.release();
  EXPECT_EQ(factory.live(), 0);
  EXPECT_EQ(pool.counters().invalidations, 1u);
  Lease b = take(pool);  // the freed slot is usable at once
  EXPECT_TRUE(b);
}

TEST(QueuePool, ABrokenConnectionMakesOlderIdleConnectionsReplacedAtCheckout) {
  FakeFactory factory;
  FakeClock clock;
  QueuePool pool(make_settings(2, 0), factory, clock);
  Lease a = take(pool);
  { Lease b = take(pool); }
  clock.advance(1s);
  a.as<FakeConnection>().state().broken = true;  // SQLAlchemy: engine calls pool._invalidate()
  a.release();
  Lease c = take(pool);  // #2 is idle but older than the invalidation
  EXPECT_NE(id_of(c), 2);
  EXPECT_TRUE(factory.state_of(2)->closed);
  EXPECT_EQ(pool.counters().recycles, 1u);
}

TEST(QueuePool, ExplicitInvalidateClosesTheConnectionAndWakesAWaiter) {
  FakeFactory factory;
  FakeClock clock;
  QueuePool pool(make_settings(1, 0, 10s), factory, clock);
  Lease a = take(pool);
  const int first = id_of(a);
  AcquireResult result;
  std::thread waiter([&] { result = pool.acquire(); });
  wait_for_waiters(pool, 1);
  a.invalidate();
  waiter.join();  // no clock advance: the waiter was woken, not timed out
  ASSERT_TRUE(result.ok());
  EXPECT_NE(id_of(result.lease), first);
  EXPECT_TRUE(factory.state_of(first)->closed);
}

TEST(QueuePool, DefaultOrderHandsOutTheOldestIdleConnection) {
  FakeFactory factory;
  QueuePool pool(make_settings(3, 0), factory);
  {
    Lease a = take(pool);
    Lease b = take(pool);
    Lease c = take(pool);
    a.release();  // idle order: 1, 2, 3
    b.release();
    c.release();
  }
  EXPECT_EQ(id_of(take(pool)), 1);
}

TEST(QueuePool, UseLifoHandsOutTheMostRecentlyReturnedConnection) {
  FakeFactory factory;
  PoolSettings settings = make_settings(3, 0);
  settings.use_lifo = true;
  QueuePool pool(settings, factory);
  {
    Lease a = take(pool);
    Lease b = take(pool);
    Lease c = take(pool);
    a.release();
    b.release();
    c.release();
  }
  EXPECT_EQ(id_of(take(pool)), 3);
}

TEST(QueuePool, OpenTransactionIsRolledBackOnCheckin) {
  FakeFactory factory;
  QueuePool pool(make_settings(1, 0), factory);
  Lease a = take(pool);
  auto& state = a.as<FakeConnection>().state();
  state.in_transaction = true;
  a.release();
  EXPECT_EQ(state.rollbacks, 1);
  EXPECT_FALSE(state.in_transaction);
  EXPECT_FALSE(state.closed);
  EXPECT_EQ(pool.status().checked_in, 1);
}

TEST(QueuePool, IdleConnectionIsNotRolledBackOnCheckin) {
  FakeFactory factory;
  QueuePool pool(make_settings(1, 0), factory);
  Lease a = take(pool);
  auto& state = a.as<FakeConnection>().state();
  a.release();
  EXPECT_EQ(state.rollbacks, 0);
}

TEST(QueuePool, ConnectionWhoseRollbackFailsIsInvalidated) {
  FakeFactory factory;
  QueuePool pool(make_settings(1, 0), factory);
  Lease a = take(pool);
  auto& state = a.as<FakeConnection>().state();
  state.in_transaction = true;
  state.rollback_fails = true;
  a.release();
  EXPECT_TRUE(state.closed);
  EXPECT_EQ(pool.status().invalid, 1u);
  EXPECT_EQ(pool.status().checked_in, 0);
}

// test_overflow_reset_on_failed_connect: a failed connect gives its overflow slot back.
TEST(QueuePool, FailedConnectGivesItsOverflowSlotBack) {
  FakeFactory factory;
  QueuePool pool(make_settings(2, 3), factory);
  std::vector<Lease> leases;
  for (int i = 0; i < 3; ++i) leases.push_back(take(pool));
  EXPECT_EQ(pool.status().sqlalchemy_overflow, 1);
  factory.fail_next(1);
  const AcquireResult failed = pool.acquire();
  EXPECT_EQ(failed.status, AcquireStatus::connect_failed);
  EXPECT_EQ(failed.sqlstate, "08001");
  EXPECT_NE(failed.error.find("Connection refused"), std::string::npos);
  EXPECT_EQ(pool.status().sqlalchemy_overflow, 1);
  EXPECT_EQ(pool.status().checked_out, 3);
  // All 5 slots are still usable.
  leases.push_back(take(pool));
  leases.push_back(take(pool));
  EXPECT_EQ(pool.status().checked_out, 5);
  const PoolCounters counters = pool.counters();
  EXPECT_EQ(counters.connect_failures, 1u);
  EXPECT_EQ(counters.connects, 5u);
  EXPECT_EQ(counters.checkouts, 5u);
}

TEST(QueuePool, FailedConnectWakesAWaiterAtOnce) {
  FakeFactory factory;
  FakeClock clock;  // never advanced: only a wake-up can complete the waiter
  QueuePool pool(make_settings(1, 0, 10s), factory, clock);
  factory.close_gate();
  AcquireResult first;
  std::thread connecting([&] { first = pool.acquire(); });
  while (factory.waiting_at_gate() < 1) std::this_thread::sleep_for(1ms);
  AcquireResult second;
  std::thread waiter([&] { second = pool.acquire(); });
  wait_for_waiters(pool, 1);  // the only slot is taken by the connect in progress
  factory.open_gate(/*fail=*/true);
  connecting.join();
  waiter.join();
  EXPECT_EQ(first.status, AcquireStatus::connect_failed);
  ASSERT_TRUE(second.ok()) << second.error;
  EXPECT_EQ(factory.created(), 1);
}

// test_hanging_connect_within_overflow: a slow connect does not block other acquires.
TEST(QueuePool, SlowConnectDoesNotBlockOtherAcquires) {
  FakeFactory factory;
  QueuePool pool(make_settings(1, 1), factory);
  Lease idle = take(pool);
  idle.release();
  Lease held = take(pool);  // the pooled connection is out
  factory.close_gate();
  AcquireResult slow;
  std::thread connecting([&] { slow = pool.acquire(); });  // overflow connect hangs
  while (factory.waiting_at_gate() < 1) std::this_thread::sleep_for(1ms);
  held.release();
  Lease quick = take(pool);  // served from the pool while the connect still hangs
  EXPECT_TRUE(quick);
  EXPECT_EQ(factory.waiting_at_gate(), 1);
  factory.open_gate();
  connecting.join();
  EXPECT_TRUE(slow.ok());
}

TEST(QueuePool, DisposeClosesIdleConnectionsOnly) {
  FakeFactory factory;
  QueuePool pool(make_settings(3, 0), factory);
  Lease a = take(pool);
  {
    Lease b = take(pool);
    Lease c = take(pool);
  }
  pool.dispose();
  EXPECT_EQ(factory.live(), 1);
  EXPECT_FALSE(a.as<FakeConnection>().state().closed);
  const PoolStatus s = pool.status();
  EXPECT_EQ(s.checked_in, 0);
  EXPECT_EQ(s.checked_out, 1);
  a.release();
  EXPECT_EQ(pool.status().checked_in, 1);
}

// test_unlimited: pool_size 0 means no limit at all (SQLAlchemy 2.0).
TEST(QueuePool, PoolSizeZeroMeansNoLimit) {
  FakeFactory factory;
  QueuePool pool(make_settings(0, 0, 0s), factory);
  std::vector<Lease> leases;
  for (int i = 0; i < 50; ++i) leases.push_back(take(pool));
  PoolStatus s = pool.status();
  EXPECT_EQ(s.checked_out, 50);
  EXPECT_EQ(s.overflow, 0);
  leases.clear();
  s = pool.status();
  EXPECT_EQ(s.checked_in, 50);  // all kept: the idle queue is unbounded too
  EXPECT_EQ(factory.live(), 50);
}

TEST(QueuePool, MaxOverflowMinusOneIsUnlimited) {
  FakeFactory factory;
  QueuePool pool(make_settings(2, -1, 0s), factory);
  std::vector<Lease> leases;
  for (int i = 0; i < 40; ++i) leases.push_back(take(pool));
  EXPECT_EQ(pool.status().overflow, 38);
  EXPECT_EQ(pool.counters().max_overflow_used, 38);
}

// test_max_overflow: 40 threads never push overflow past max_overflow.
TEST(QueuePool, ManyThreadsNeverExceedPoolSizePlusMaxOverflow) {
  FakeFactory factory;
  QueuePool pool(make_settings(3, 2, 5s), factory);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 40; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        AcquireResult result = pool.acquire();
        if (!result.ok()) ++failures;
        if (pool.status().checked_out > 5 || factory.live() > 5) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures, 0);
  EXPECT_LE(pool.counters().max_checked_out, 5);
  EXPECT_LE(pool.counters().max_overflow_used, 2);
  // Overflow connections are closed when 3 are idle and opened again later, so more than 5
  // may be created in all; never more than 5 at once (checked above).
}

TEST(PoolSettings, ValidationNamesTheBadSetting) {
  PoolSettings settings;
  EXPECT_EQ(settings.validation_error(), "");
  settings.pool_size = -1;
  EXPECT_NE(settings.validation_error().find("pool_size"), std::string::npos);
  settings.pool_size = 5;
  settings.max_overflow = -2;
  EXPECT_NE(settings.validation_error().find("max_overflow"), std::string::npos);
}

TEST(PoolSettings, DefaultsAreSqlalchemy20s) {
  const PoolSettings settings;
  EXPECT_EQ(settings.pool_size, 5);
  EXPECT_EQ(settings.max_overflow, 10);
  EXPECT_EQ(settings.pool_timeout, 30s);
  EXPECT_LT(settings.pool_recycle.count(), 0);
  EXPECT_FALSE(settings.pool_pre_ping);
  EXPECT_FALSE(settings.use_lifo);
  EXPECT_EQ(settings.fairness, Fairness::sqlalchemy);
}

}  // namespace
}  // namespace poolbench::pool
