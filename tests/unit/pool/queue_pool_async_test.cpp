// QueuePool's asynchronous path: acquire_async() + poll(), the shape an event loop uses, and
// exchange_async() (check-in and checkout in one step).

#include <thread>

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

PoolSettings async_settings(int pool_size, int max_overflow,
                            Fairness fairness = Fairness::sqlalchemy,
                            std::chrono::microseconds timeout = 2s) {
  PoolSettings settings;
  settings.pool_size = pool_size;
  settings.max_overflow = max_overflow;
  settings.pool_timeout = timeout;
  settings.fairness = fairness;
  return settings;
}

TEST(QueuePoolAsync, CompletesAtOnceWhenAConnectionIsIdleOrCanBeCreated) {
  FakeFactory factory;
  QueuePool pool(async_settings(1, 0), factory);
  AsyncAcquire first = pool.acquire_async([] { FAIL() << "no wake-up expected"; });
  ASSERT_TRUE(first.result.has_value());
  EXPECT_TRUE(first.result->ok());
  EXPECT_FALSE(first.ticket.pending());
  first.result->lease.release();
  AsyncAcquire second = pool.acquire_async([] {});
  ASSERT_TRUE(second.result.has_value());
  EXPECT_EQ(id_of(second.result->lease), 1);
}

TEST(QueuePoolAsync, QueuedAcquireIsWokenByACheckinAndThenPolledToCompletion) {
  FakeFactory factory;
  FakeClock clock;
  QueuePool pool(async_settings(1, 0), factory, clock);
  AsyncAcquire held = pool.acquire_async([] {});
  int wakes = 0;
  AsyncAcquire queued = pool.acquire_async([&] { ++wakes; });
  ASSERT_FALSE(queued.result.has_value());
  ASSERT_TRUE(queued.ticket.pending());
  EXPECT_EQ(queued.ticket.deadline(), clock.now() + 2s);
  EXPECT_EQ(pool.status().waiting, 1);
  EXPECT_FALSE(pool.poll(queued.ticket).has_value());  // polled early, nothing yet
  clock.advance(250ms);
  held.result->lease.release();
  EXPECT_EQ(wakes, 1);
  std::optional<AcquireResult> result = pool.poll(queued.ticket);
  ASSERT_TRUE(result.has_value());
  ASSERT_TRUE(result->ok());
  EXPECT_EQ(id_of(result->lease), 1);
  EXPECT_EQ(result->queued, 250ms);
  EXPECT_FALSE(queued.ticket.pending());
}

TEST(QueuePoolAsync, TicketPolledAtItsDeadlineFailsWithTheExactTimeoutMessage) {
  FakeFactory factory;
  FakeClock clock;
  QueuePool pool(async_settings(2, 1, Fairness::sqlalchemy, 300ms), factory, clock);
  std::vector<AsyncAcquire> held;
  for (int i = 0; i < 3; ++i) held.push_back(pool.acquire_async([] {}));
  AsyncAcquire queued = pool.acquire_async([] {});
  ASSERT_TRUE(queued.ticket.pending());
  clock.advance(299ms);
  EXPECT_FALSE(pool.poll(queued.ticket).has_value());
  clock.advance(1ms);
  std::optional<AcquireResult> result = pool.poll(queued.ticket);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->status, AcquireStatus::timeout);
  EXPECT_EQ(result->error,
            "QueuePool limit of size 2 overflow 1 reached, connection timed out, timeout 0.30");
  EXPECT_EQ(pool.status().waiting, 0);
  EXPECT_EQ(pool.counters().timeouts, 1u);
}

TEST(QueuePoolAsync, WaiterWhoseTimeoutExpiresAsAConnectionReturnsTakesIt) {
  FakeFactory factory;
  FakeClock clock;
  QueuePool pool(async_settings(1, 0), factory, clock);
  AsyncAcquire held = pool.acquire_async([] {});
  AsyncAcquire queued = pool.acquire_async([] {});
  clock.advance(2s);             // the deadline passes...
  held.result->lease.release();  // ...just as the connection comes back
  std::optional<AcquireResult> result = pool.poll(queued.ticket);
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->ok()) << result->error;
}

TEST(QueuePoolAsync, BlockingAndAsyncWaitersShareOneQueueInArrivalOrder) {
  FakeFactory factory;
  QueuePool pool(async_settings(1, 0, Fairness::fifo, 10s), factory);
  AsyncAcquire held = pool.acquire_async([] {});
  AcquireResult blocking;
  std::thread thread([&] { blocking = pool.acquire(); });
  while (pool.status().waiting < 1) std::this_thread::sleep_for(1ms);
  std::atomic<int> async_wakes{0};
  AsyncAcquire async = pool.acquire_async([&] { ++async_wakes; });
  EXPECT_EQ(pool.status().waiting, 2);
  held.result->lease.release();  // the blocking waiter came first
  thread.join();
  ASSERT_TRUE(blocking.ok());
  EXPECT_EQ(async_wakes, 0);
  EXPECT_FALSE(pool.poll(async.ticket).has_value());
  blocking.lease.release();  // now the async one
  EXPECT_EQ(async_wakes, 1);
  std::optional<AcquireResult> result = pool.poll(async.ticket);
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->ok());
}

TEST(QueuePoolAsync,
     UnderSqlalchemyFairnessANewCallerTakesAReturnedConnectionBeforeTheWokenWaiter) {
  FakeFactory factory;
  FakeClock clock;
  QueuePool pool(async_settings(1, 0, Fairness::sqlalchemy), factory, clock);
  AsyncAcquire held = pool.acquire_async([] {});
  int wakes = 0;
  AsyncAcquire waiter = pool.acquire_async([&] { ++wakes; });
  clock.advance(500ms);
  held.result->lease.release();
  EXPECT_EQ(wakes, 1);  // the oldest waiter was woken...
  AsyncAcquire barging = pool.acquire_async([] {});
  ASSERT_TRUE(barging.result.has_value());  // ...but a caller that ran first took it
  EXPECT_TRUE(barging.result->ok());
  EXPECT_FALSE(pool.poll(waiter.ticket).has_value());  // found nothing: waits again
  EXPECT_EQ(pool.status().waiting, 1);
  EXPECT_EQ(waiter.ticket.deadline(), clock.now() + 1500ms);  // with what is left of its time
  barging.result->lease.release();
  EXPECT_EQ(wakes, 2);
  std::optional<AcquireResult> result = pool.poll(waiter.ticket);
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->ok());
}

TEST(QueuePoolAsync, UnderFifoFairnessAReturnedConnectionIsHandedToTheOldestWaiter) {
  FakeFactory factory;
  QueuePool pool(async_settings(1, 0, Fairness::fifo), factory);
  AsyncAcquire held = pool.acquire_async([] {});
  int wakes = 0;
  AsyncAcquire waiter = pool.acquire_async([&] { ++wakes; });
  held.result->lease.release();
  EXPECT_EQ(wakes, 1);
  AsyncAcquire late = pool.acquire_async([] {});
  EXPECT_FALSE(late.result.has_value());  // no barging: it queues behind
  std::optional<AcquireResult> result = pool.poll(waiter.ticket);
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->ok());
  EXPECT_EQ(pool.status().waiting, 1);
}

TEST(QueuePoolAsync, FifoHandOffSurvivesTheWaitersDeadline) {
  FakeFactory factory;
  FakeClock clock;
  QueuePool pool(async_settings(1, 0, Fairness::fifo), factory, clock);
  AsyncAcquire held = pool.acquire_async([] {});
  AsyncAcquire waiter = pool.acquire_async([] {});
  held.result->lease.release();  // handed over
  clock.advance(10s);            // the event loop was slow to poll
  std::optional<AcquireResult> result = pool.poll(waiter.ticket);
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->ok());
}

TEST(QueuePoolAsync, CancelledTicketPassesAConnectionHandedToItOn) {
  FakeFactory factory;
  QueuePool pool(async_settings(1, 0, Fairness::fifo), factory);
  AsyncAcquire held = pool.acquire_async([] {});
  AsyncAcquire first = pool.acquire_async([] {});
  int second_wakes = 0;
  AsyncAcquire second = pool.acquire_async([&] { ++second_wakes; });
  held.result->lease.release();  // handed to `first`
  pool.cancel(first.ticket);     // which gives up before polling
  EXPECT_FALSE(first.ticket.pending());
  EXPECT_EQ(second_wakes, 1);
  std::optional<AcquireResult> result = pool.poll(second.ticket);
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->ok());
}

TEST(QueuePoolAsync, CancelledWokenWaiterPassesItsWakeUpOn) {
  FakeFactory factory;
  QueuePool pool(async_settings(1, 0, Fairness::sqlalchemy), factory);
  AsyncAcquire held = pool.acquire_async([] {});
  AsyncAcquire first = pool.acquire_async([] {});
  int second_wakes = 0;
  AsyncAcquire second = pool.acquire_async([&] { ++second_wakes; });
  held.result->lease.release();  // wakes `first`; the connection is idle
  EXPECT_EQ(second_wakes, 0);
  pool.cancel(first.ticket);
  EXPECT_EQ(second_wakes, 1);
  std::optional<AcquireResult> result = pool.poll(second.ticket);
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->ok());
}

TEST(QueuePoolAsync, DestroyingAPendingTicketLeavesTheQueue) {
  FakeFactory factory;
  QueuePool pool(async_settings(1, 0), factory);
  AsyncAcquire held = pool.acquire_async([] {});
  {
    AsyncAcquire queued = pool.acquire_async([] {});
    EXPECT_EQ(pool.status().waiting, 1);
  }
  EXPECT_EQ(pool.status().waiting, 0);
}

TEST(QueuePoolAsync, FailedConnectOnTheAsyncPathReportsItsSqlstate) {
  FakeFactory factory;
  QueuePool pool(async_settings(1, 0), factory);
  factory.fail_next(1);
  AsyncAcquire failed = pool.acquire_async([] {});
  ASSERT_TRUE(failed.result.has_value());
  EXPECT_EQ(failed.result->status, AcquireStatus::connect_failed);
  EXPECT_EQ(failed.result->sqlstate, "08001");
  EXPECT_EQ(pool.status().checked_out, 0);
}

TEST(QueuePoolAsync, FreedSlotIsGrantedToTheOldestFifoWaiter) {
  FakeFactory factory;
  QueuePool pool(async_settings(1, 0, Fairness::fifo), factory);
  AsyncAcquire held = pool.acquire_async([] {});
  int wakes = 0;
  AsyncAcquire waiter = pool.acquire_async([&] { ++wakes; });
  held.result->lease.invalidate();  // the slot, not a connection, is freed
  EXPECT_EQ(wakes, 1);
  AsyncAcquire late = pool.acquire_async([] {});
  EXPECT_FALSE(late.result.has_value());  // the slot is reserved for the waiter
  std::optional<AcquireResult> result = pool.poll(waiter.ticket);
  ASSERT_TRUE(result.has_value());
  ASSERT_TRUE(result->ok());
  EXPECT_EQ(id_of(result->lease), 2);
}

// exchange_async: check-in and checkout in one step when nobody waits.

PoolSettings lifo(PoolSettings settings) {
  settings.use_lifo = true;
  return settings;
}

TEST(QueuePoolExchange, UnderLifoTheReturnedConnectionComesBackEvenWithAnotherIdle) {
  FakeFactory factory;
  QueuePool pool(lifo(async_settings(2, 0)), factory);
  AsyncAcquire a = pool.acquire_async([] {});
  AsyncAcquire b = pool.acquire_async([] {});
  ASSERT_EQ(id_of(a.result->lease), 1);
  b.result->lease.release();  // connection 2 idle
  AsyncAcquire again = pool.exchange_async(std::move(a.result->lease), [] {});
  ASSERT_TRUE(again.result.has_value());
  ASSERT_TRUE(again.result->ok());
  EXPECT_EQ(id_of(again.result->lease), 1);
  EXPECT_EQ(pool.status().checked_out, 1);
  EXPECT_EQ(pool.status().checked_in, 1);
  EXPECT_EQ(pool.counters().checkouts, 3U);
}

TEST(QueuePoolExchange, UnderFifoTheOldestIdleConnectionIsTakenAsReleaseThenAcquireWould) {
  FakeFactory factory;
  QueuePool pool(async_settings(2, 0), factory);
  AsyncAcquire a = pool.acquire_async([] {});
  AsyncAcquire b = pool.acquire_async([] {});
  b.result->lease.release();  // connection 2 idle first
  AsyncAcquire again = pool.exchange_async(std::move(a.result->lease), [] {});
  ASSERT_TRUE(again.result.has_value());
  EXPECT_EQ(id_of(again.result->lease), 2);
  // With nothing else idle, the caller gets its own back, whatever the order.
  AsyncAcquire own = pool.exchange_async(std::move(again.result->lease), [] {});
  ASSERT_TRUE(own.result.has_value());
  EXPECT_EQ(id_of(own.result->lease), 1);
}

TEST(QueuePoolExchange, AWaitingCallerIsNotPassedOverUnderFifoFairness) {
  FakeFactory factory;
  QueuePool pool(async_settings(1, 0, Fairness::fifo), factory);
  AsyncAcquire held = pool.acquire_async([] {});
  int wakes = 0;
  AsyncAcquire waiter = pool.acquire_async([&] { ++wakes; });
  ASSERT_TRUE(waiter.ticket.pending());
  AsyncAcquire exchanged = pool.exchange_async(std::move(held.result->lease), [] {});
  // Exactly release() then acquire_async(): the connection went to the waiter, the
  // exchanging caller queues behind it.
  EXPECT_EQ(wakes, 1);
  EXPECT_FALSE(exchanged.result.has_value());
  EXPECT_TRUE(exchanged.ticket.pending());
  std::optional<AcquireResult> result = pool.poll(waiter.ticket);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(id_of(result->lease), 1);
}

TEST(QueuePoolExchange, AConnectionInATransactionIsRolledBackOnTheWayThrough) {
  FakeFactory factory;
  QueuePool pool(async_settings(1, 0), factory);
  AsyncAcquire held = pool.acquire_async([] {});
  testing::FakeConnectionState& state = held.result->lease.as<FakeConnection>().state();
  state.in_transaction = true;
  AsyncAcquire again = pool.exchange_async(std::move(held.result->lease), [] {});
  ASSERT_TRUE(again.result.has_value());
  EXPECT_EQ(id_of(again.result->lease), 1);
  EXPECT_EQ(state.rollbacks.load(), 1);
  EXPECT_FALSE(state.in_transaction.load());
}

TEST(QueuePoolExchange, ABrokenConnectionIsReplacedNotHandedBack) {
  FakeFactory factory;
  QueuePool pool(async_settings(1, 0), factory);
  AsyncAcquire held = pool.acquire_async([] {});
  held.result->lease.as<FakeConnection>().state().broken = true;
  AsyncAcquire again = pool.exchange_async(std::move(held.result->lease), [] {});
  ASSERT_TRUE(again.result.has_value());
  ASSERT_TRUE(again.result->ok());
  EXPECT_EQ(id_of(again.result->lease), 2);
  EXPECT_EQ(pool.counters().invalidations, 1U);
}

TEST(QueuePoolExchange, AnEmptyLeaseIsAPlainAcquire) {
  FakeFactory factory;
  QueuePool pool(async_settings(1, 0), factory);
  AsyncAcquire first = pool.exchange_async(Lease{}, [] {});
  ASSERT_TRUE(first.result.has_value());
  EXPECT_EQ(id_of(first.result->lease), 1);
}

}  // namespace
}  // namespace poolbench::pool
