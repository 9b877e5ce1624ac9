// 8 threads, 100k checkouts, random connect failures and invalidations, blocking and async
// acquires mixed: the pool's invariants hold at every observation and every counter balances
// at the end. Runs under ThreadSanitizer in scripts/test.sh.

#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "pool/queue_pool.hpp"
#include "support/pool_fakes.hpp"

namespace poolbench::pool {
namespace {

using namespace std::chrono_literals;
using testing::FakeConnection;
using testing::FakeFactory;

struct ThreadTally {
  std::uint64_t checkouts = 0;
  std::uint64_t timeouts = 0;
  std::uint64_t connect_failures = 0;
  std::uint64_t invalidated = 0;  // by this thread: invalidate() or a broken connection
  std::uint64_t violations = 0;
};

class QueuePoolStress : public ::testing::TestWithParam<Fairness> {};

TEST_P(QueuePoolStress, InvariantsHoldAndCountersBalanceUnderRandomFailures) {
  constexpr int k_threads = 8;
  constexpr int k_checkouts_per_thread = 100'000 / k_threads;
  FakeFactory factory;
  factory.set_failure_probability(0.01, 42);
  PoolSettings settings;
  settings.pool_size = 4;
  settings.max_overflow = 2;
  settings.pool_timeout = 20ms;
  settings.pool_pre_ping = true;
  settings.fairness = GetParam();
  QueuePool pool(settings, factory);
  const int capacity = settings.capacity();

  std::vector<ThreadTally> tally(k_threads);
  std::vector<std::thread> threads;
  for (int t = 0; t < k_threads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 random(static_cast<unsigned>(t) + 1);
      std::uniform_int_distribution<int> percent(0, 99);
      ThreadTally& mine = tally[t];
      const bool use_async = t % 2 == 1;
      std::uint64_t attempts = 0;
      while (mine.checkouts < k_checkouts_per_thread && attempts < 10 * k_checkouts_per_thread) {
        ++attempts;
        AcquireResult result;
        if (use_async) {
          std::atomic<bool> woken{false};
          AsyncAcquire async = pool.acquire_async([&woken] { woken = true; });
          if (async.result) {
            result = std::move(*async.result);
          } else {
            for (;;) {
              if (woken.exchange(false) ||
                  std::chrono::steady_clock::now() >= async.ticket.deadline()) {
                if (auto done = pool.poll(async.ticket)) {
                  result = std::move(*done);
                  break;
                }
              }
              std::this_thread::yield();
            }
          }
        } else {
          result = pool.acquire();
        }
        const PoolStatus status = pool.status();
        if (status.checked_out > capacity || status.checked_in + status.checked_out > capacity ||
            status.overflow > settings.max_overflow || factory.live() > capacity) {
          ++mine.violations;
        }
        if (result.status == AcquireStatus::timeout) {
          ++mine.timeouts;
          continue;
        }
        if (result.status == AcquireStatus::connect_failed) {
          ++mine.connect_failures;
          continue;
        }
        ++mine.checkouts;
        const int roll = percent(random);
        if (roll == 0) {
          result.lease.invalidate();
          ++mine.invalidated;
        } else if (roll == 1) {
          result.lease.as<FakeConnection>().state().broken = true;
          ++mine.invalidated;
        } else if (roll == 2) {
          result.lease.as<FakeConnection>().state().alive = false;  // pre-ping will catch it
        } else if (roll == 3) {
          result.lease.as<FakeConnection>().state().in_transaction = true;
        }
        // result.lease is checked in here
      }
    });
  }
  for (auto& thread : threads) thread.join();

  ThreadTally total;
  for (const auto& t : tally) {
    total.checkouts += t.checkouts;
    total.timeouts += t.timeouts;
    total.connect_failures += t.connect_failures;
    total.invalidated += t.invalidated;
    total.violations += t.violations;
  }
  EXPECT_EQ(total.violations, 0u);
  EXPECT_EQ(total.checkouts, std::uint64_t{k_threads} * k_checkouts_per_thread);

  const PoolCounters counters = pool.counters();
  const PoolStatus status = pool.status();
  EXPECT_EQ(counters.checkouts, total.checkouts);
  EXPECT_EQ(counters.timeouts, total.timeouts);
  EXPECT_EQ(counters.connect_failures, static_cast<std::uint64_t>(factory.failed()));
  EXPECT_EQ(counters.connects, static_cast<std::uint64_t>(factory.created()));
  EXPECT_GE(counters.connect_failures, total.connect_failures);  // some hit recycles/pre-ping
  EXPECT_EQ(counters.invalidations, total.invalidated + counters.preping_failures);
  EXPECT_EQ(status.invalid, counters.invalidations);
  EXPECT_LE(counters.max_checked_out, capacity);
  EXPECT_LE(counters.max_overflow_used, settings.max_overflow);
  // Nothing is out, nobody waits, and every open connection is idle in the pool.
  EXPECT_EQ(status.checked_out, 0);
  EXPECT_EQ(status.waiting, 0);
  EXPECT_EQ(status.checked_in, factory.live());
  // Every connection created was closed exactly once or is still idle.
  const auto closed = counters.invalidations + counters.overflow_closed + counters.recycles;
  EXPECT_EQ(counters.connects, closed + static_cast<std::uint64_t>(status.checked_in));
  EXPECT_GT(counters.preping_failures, 0u);
  EXPECT_GT(counters.connect_failures, 0u);
  pool.dispose();
  EXPECT_EQ(factory.live(), 0);
}

INSTANTIATE_TEST_SUITE_P(BothModes, QueuePoolStress,
                         ::testing::Values(Fairness::sqlalchemy, Fairness::fifo),
                         [](const auto& param_info) {
                           return std::string(to_string(param_info.param));
                         });

}  // namespace
}  // namespace poolbench::pool
