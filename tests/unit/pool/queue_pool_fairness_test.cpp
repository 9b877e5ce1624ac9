// What pool.fairness does to a closed loop: under `sqlalchemy` a client that re-acquires at
// once starves the waiters; under `fifo`, or with a little think time, everyone is served.
// What motivated pool.fairness (src/pool/settings.hpp): SQLAlchemy 1.4, pool 2+1, timeout 0.3 s, 5
// threads holding 0.2 s with no think time starves two threads. Checked qualitatively, on both
// acquire paths.

#include <algorithm>
#include <map>
#include <queue>
#include <thread>

#include <gtest/gtest.h>

#include "pool/queue_pool.hpp"
#include "support/pool_fakes.hpp"

namespace poolbench::pool {
namespace {

using namespace std::chrono_literals;
using testing::FakeClock;
using testing::FakeFactory;

struct ClientTally {
  int completed = 0;
  int timeouts = 0;
};

PoolSettings two_plus_one(Fairness fairness, std::chrono::microseconds timeout) {
  PoolSettings settings;
  settings.pool_size = 2;
  settings.max_overflow = 1;
  settings.pool_timeout = timeout;
  settings.fairness = fairness;
  return settings;
}

/// A deterministic single-threaded event loop on a fake clock, driving `clients` closed-loop
/// clients through acquire_async/poll: hold for `hold`, release, think for `think`, repeat.
/// A wake-up is posted to the loop's ready queue, so a client that re-acquires in the same
/// step as its release runs before the woken waiter (as a thread that keeps the GIL does).
std::vector<ClientTally> simulate(Fairness fairness, std::chrono::milliseconds think) {
  FakeFactory factory;
  FakeClock clock;
  QueuePool pool(two_plus_one(fairness, 300ms), factory, clock);
  constexpr int k_clients = 5;
  const auto hold = 200ms;
  const auto end = clock.now() + 4s;

  std::vector<ClientTally> tally(k_clients);
  std::vector<Ticket> tickets(k_clients);
  std::vector<Lease> leases(k_clients);
  // (time, client, kind): kind 0 = acquire, 1 = release, 2 = poll (deadline or wake)
  using Event = std::tuple<Clock::time_point, std::uint64_t, int, int>;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> events;
  std::uint64_t sequence = 0;
  auto schedule = [&](Clock::time_point at, int client, int kind) {
    events.emplace(at, sequence++, client, kind);
  };
  auto on_result = [&](int client, AcquireResult result) {
    if (result.ok()) {
      leases[client] = std::move(result.lease);
      schedule(clock.now() + hold, client, 1);
    } else {
      ++tally[client].timeouts;
      schedule(clock.now() + think, client, 0);
    }
  };
  auto acquire = [&](int client) {
    AsyncAcquire async = pool.acquire_async([&, client] { schedule(clock.now(), client, 2); });
    if (async.result) {
      on_result(client, std::move(*async.result));
    } else {
      tickets[client] = std::move(async.ticket);
      schedule(tickets[client].deadline(), client, 2);
    }
  };
  for (int client = 0; client < k_clients; ++client) schedule(clock.now(), client, 0);
  while (!events.empty()) {
    auto [at, seq, client, kind] = events.top();
    events.pop();
    if (at >= end) break;
    if (at > clock.now()) clock.advance(at - clock.now());
    if (kind == 0) {
      acquire(client);
    } else if (kind == 1) {
      leases[client].release();
      ++tally[client].completed;
      if (think == 0ms) {
        acquire(client);  // straight back, before any woken waiter runs
      } else {
        schedule(clock.now() + think, client, 0);
      }
    } else if (tickets[client].pending()) {
      if (auto result = pool.poll(tickets[client])) {
        on_result(client, std::move(*result));
      }
    }
  }
  for (auto& ticket : tickets) pool.cancel(ticket);
  return tally;
}

int min_completed(const std::vector<ClientTally>& tally) {
  return std::min_element(tally.begin(), tally.end(),
                          [](auto& a, auto& b) { return a.completed < b.completed; })
      ->completed;
}

int total_timeouts(const std::vector<ClientTally>& tally) {
  int total = 0;
  for (const auto& t : tally) total += t.timeouts;
  return total;
}

TEST(QueuePoolFairnessAsync, SqlalchemyModeStarvesWaitersInAClosedLoopWithoutThinkTime) {
  const auto tally = simulate(Fairness::sqlalchemy, 0ms);
  int starved = 0;
  int served = 0;
  for (const auto& t : tally) {
    if (t.completed <= 1 && t.timeouts > 0) ++starved;
    if (t.completed >= 15) ++served;
  }
  // SQLAlchemy 1.4 itself: three threads ~20 completions, two threads 1 and ~13 timeouts.
  EXPECT_EQ(starved, 2);
  EXPECT_EQ(served, 3);
}

TEST(QueuePoolFairnessAsync, FifoModeServesEveryClientInAClosedLoopWithoutThinkTime) {
  const auto tally = simulate(Fairness::fifo, 0ms);
  EXPECT_GE(min_completed(tally), 8);
  EXPECT_EQ(total_timeouts(tally), 0);
}

TEST(QueuePoolFairnessAsync, SqlalchemyModeServesEveryClientWithALittleThinkTime) {
  const auto tally = simulate(Fairness::sqlalchemy, 5ms);
  EXPECT_GE(min_completed(tally), 8);
  EXPECT_EQ(total_timeouts(tally), 0);
}

/// The same closed loop on real threads and the real clock (scaled down): 5 threads, pool
/// 2+1, holding `hold`, for `run_for`. Counts per thread.
std::vector<ClientTally> run_threads(Fairness fairness, std::chrono::milliseconds think) {
  FakeFactory factory;
  QueuePool pool(two_plus_one(fairness, 60ms), factory);
  constexpr int k_threads = 5;
  std::vector<ClientTally> tally(k_threads);
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < k_threads; ++i) {
    threads.emplace_back([&, i] {
      while (!stop) {
        AcquireResult result = pool.acquire();
        if (result.ok()) {
          std::this_thread::sleep_for(20ms);  // hold
          result.lease.release();
          ++tally[i].completed;
        } else {
          ++tally[i].timeouts;
        }
        if (think > 0ms) std::this_thread::sleep_for(think);
      }
    });
  }
  std::this_thread::sleep_for(1500ms);
  stop = true;
  for (auto& thread : threads) thread.join();
  return tally;
}

// Thread scheduling makes exact counts vary: only the qualitative outcome is asserted.
TEST(QueuePoolFairnessBlocking, SqlalchemyModeLetsReacquiringThreadsStarveTheWaiters) {
  const auto tally = run_threads(Fairness::sqlalchemy, 0ms);
  EXPECT_GT(total_timeouts(tally), 0);
}

TEST(QueuePoolFairnessBlocking, FifoModeServesEveryThread) {
  const auto tally = run_threads(Fairness::fifo, 0ms);
  EXPECT_GE(min_completed(tally), 3);
}

TEST(QueuePoolFairnessBlocking, SqlalchemyModeServesEveryThreadWithThinkTime) {
  const auto tally = run_threads(Fairness::sqlalchemy, 5ms);
  EXPECT_GE(min_completed(tally), 3);
}

}  // namespace
}  // namespace poolbench::pool
