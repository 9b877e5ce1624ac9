// The load generator (run_load) against the in-process fake server: closed and open loop,
// pool timeouts, checkout modes, threads and instances, injected errors. Assertions are on
// counts and invariants, never on timing; every run lasts well under a second.

#include "workload/generator.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <numeric>

#include <gtest/gtest.h>

#include "support/load_harness.hpp"

namespace poolbench::workload {
namespace {

using scenario::Scenario;
using testing::FakeLoadRun;
using testing::FakeServer;
using testing::FakeServerOptions;
using testing::run_fake_load;
using testing::scenario_from;

/// Sum of a counter over the instances' pools.
std::uint64_t total_checkouts(const FakeLoadRun& run) {
  std::uint64_t sum = 0;
  for (const auto& counters : run.pools) sum += counters.checkouts;
  return sum;
}

std::uint64_t total_timeouts(const FakeLoadRun& run) {
  std::uint64_t sum = 0;
  for (const auto& counters : run.pools) sum += counters.timeouts;
  return sum;
}

/// Every request ended exactly once: the outcomes add up, nothing was left running, and
/// each outcome that took a connection shows in the pools (per_request checkout).
void expect_consistent(const FakeLoadRun& run) {
  const auto& counters = run.result.counters;
  EXPECT_EQ(counters.requests(),
            counters.completed() + counters.timeouts() + counters.errors() + counters.dropped());
  EXPECT_EQ(run.result.unfinished, 0);
  std::int64_t by_sqlstate = 0;
  for (const auto& [sqlstate, count] : counters.errors_by_sqlstate()) by_sqlstate += count;
  EXPECT_EQ(by_sqlstate, counters.errors());
}

constexpr const char* k_two_statements = R"(
transactions:
  - name: read_write
    script: |
      \set aid random(1, 100000 * :scale)
      SELECT abalance FROM pgbench_accounts WHERE aid = :aid;
      UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = :aid;
)";

TEST(GeneratorTest, ClosedLoopRunsEveryClientsTransactions) {
  const Scenario scenario = scenario_from(std::string(R"(
workload: { mode: closed, clients: 12, transactions: 40, warmup: 0s }
pool: { pool_size: 4, max_overflow: 2, pool_timeout: 10s }
)") + k_two_statements);
  FakeServer server;
  const FakeLoadRun run = run_fake_load(scenario, server);
  const auto& counters = run.result.counters;
  EXPECT_EQ(counters.requests(), 12 * 40);
  EXPECT_EQ(counters.completed(), 12 * 40);
  EXPECT_EQ(counters.timeouts() + counters.errors() + counters.dropped(), 0);
  expect_consistent(run);
  EXPECT_EQ(total_checkouts(run), 12U * 40U);
  EXPECT_EQ(run.server.statements, 2U * 12U * 40U);
  EXPECT_LE(run.server.max_open, 6);
  EXPECT_EQ(run.result.latency.total_count(), 12 * 40);
}

TEST(GeneratorTest, ClosedLoopByDurationCountsEveryRequestOnce) {
  const Scenario scenario = scenario_from(std::string(R"(
workload: { mode: closed, clients: 16, duration: 300ms, warmup: 0s }
pool: { pool_size: 4, max_overflow: 0, pool_timeout: 5s }
)") + k_two_statements);
  FakeServer server(FakeServerOptions{.service_time = std::chrono::microseconds(200)});
  const FakeLoadRun run = run_fake_load(scenario, server);
  const auto& counters = run.result.counters;
  EXPECT_GT(counters.completed(), 0);
  EXPECT_EQ(counters.timeouts() + counters.errors(), 0);
  expect_consistent(run);
  EXPECT_EQ(total_checkouts(run), static_cast<std::uint64_t>(counters.completed()));
  EXPECT_EQ(run.server.statements, 2U * static_cast<std::uint64_t>(counters.completed()));
  EXPECT_LE(run.server.max_open, 4);
}

TEST(GeneratorTest, EveryCompletionIsCountedForTheCallerWarmupAndDrainIncluded) {
  // What a reading taken when the window opens can be matched with: the completions up to
  // then (the warmup's) and after (the window's and the drain's).
  const Scenario scenario = scenario_from(std::string(R"(
workload: { mode: closed, clients: 4, duration: 300ms, warmup: 200ms }
pool: { pool_size: 4, max_overflow: 0, pool_timeout: 5s }
)") + k_two_statements);
  FakeServer server(FakeServerOptions{.service_time = std::chrono::microseconds(200)});
  std::atomic<std::int64_t> completions{0};
  std::int64_t at_window_start = -1;
  std::chrono::steady_clock::duration hook_lag{};
  const FakeLoadRun run = run_fake_load(scenario, server, 1, [&](GeneratorOptions& options) {
    options.completions = &completions;
    options.on_measure_start = [&](std::chrono::steady_clock::time_point measure_start) {
      at_window_start = completions.load();
      hook_lag = std::chrono::steady_clock::now() - measure_start;
    };
  });
  expect_consistent(run);
  EXPECT_GT(at_window_start, 0);   // the warmup's
  EXPECT_GE(hook_lag.count(), 0);  // called at or after the window's start, which it is given
  // Every request the server answered was counted once (two statements a request).
  EXPECT_EQ(static_cast<std::uint64_t>(completions.load()) * 2U, run.server.statements);
  EXPECT_GT(completions.load(), run.result.counters.completed());  // the warmup's too
}

TEST(GeneratorTest, BackToBackRequestsKeepTheirConnectionOnTheirWorkerThread) {
  // pool_size = clients, no think time: a client returns its connection and asks again at
  // once, which exchange_async does in one step, so under LIFO no connection ever moves to
  // another worker thread (with a separate check-in and checkout it did, whenever another
  // thread's check-in fell between them). With think time the exchange is not used and the
  // run still completes every request.
  const Scenario scenario = scenario_from(std::string(R"(
workload: { mode: closed, clients: 4, transactions: 2000 }
pool: { pool_size: 4, max_overflow: 0, pool_timeout: 5s, use_lifo: true }
)") + k_two_statements);
  FakeServer server;
  const FakeLoadRun run = run_fake_load(scenario, server, 2);
  EXPECT_EQ(run.result.counters.completed(), 4 * 2000);
  expect_consistent(run);
  EXPECT_EQ(total_checkouts(run), 4U * 2000U);
  EXPECT_EQ(run.server.connects, 4U);
  EXPECT_EQ(run.server.statements, 2U * 4U * 2000U);
  EXPECT_EQ(run.server.thread_changes, 0U);

  const Scenario thinking = scenario_from(std::string(R"(
workload: { mode: closed, clients: 4, transactions: 50, think_time: 100us }
pool: { pool_size: 2, max_overflow: 0, pool_timeout: 5s }
)") + k_two_statements);
  FakeServer other;
  const FakeLoadRun slow = run_fake_load(thinking, other, 2);
  EXPECT_EQ(slow.result.counters.completed(), 4 * 50);
  EXPECT_EQ(total_checkouts(slow), 4U * 50U);
}

TEST(GeneratorTest, OpenLoopSchedulesEveryArrivalOfTheWindow) {
  const Scenario scenario = scenario_from(std::string(R"(
workload: { mode: open, rate: 2000, arrival: uniform, duration: 300ms, warmup: 0s }
pool: { pool_size: 4, max_overflow: 0, pool_timeout: 5s }
)") + k_two_statements);
  FakeServer server;
  const FakeLoadRun run = run_fake_load(scenario, server);
  const auto& counters = run.result.counters;
  // Uniform arrivals every 500 us from the start, the last one before the end: 599 or 600
  // depending on how 1/2000 s rounds to the clock's ticks.
  EXPECT_GE(counters.requests(), 599);
  EXPECT_LE(counters.requests(), 600);
  EXPECT_EQ(counters.completed(), counters.requests());
  expect_consistent(run);
  EXPECT_EQ(run.result.schedule_lag.total_count(), counters.requests());
}

TEST(GeneratorTest, OpenLoopDropsArrivalsOverMaxInFlight) {
  const Scenario scenario = scenario_from(std::string(R"(
workload: { mode: open, rate: 1000, arrival: poisson, max_in_flight: 2, duration: 300ms,
            warmup: 0s }
pool: { pool_size: 2, max_overflow: 0, pool_timeout: 5s }
)") + k_two_statements);
  // Each request holds its connection >= 2 x 20 ms: two in flight serve at most ~100/s.
  FakeServer server(FakeServerOptions{.service_time = std::chrono::milliseconds(20)});
  const FakeLoadRun run = run_fake_load(scenario, server);
  const auto& counters = run.result.counters;
  EXPECT_GT(counters.dropped(), 0);
  EXPECT_GT(counters.completed(), 0);
  EXPECT_EQ(counters.timeouts() + counters.errors(), 0);
  expect_consistent(run);
  EXPECT_EQ(total_checkouts(run), static_cast<std::uint64_t>(counters.completed()));
}

TEST(GeneratorTest, ExhaustedPoolTimesOutWithTheQueuePoolMessage) {
  // One connection held 200 ms by whoever gets it first: the other seven clients queue at
  // once and give up after 50 ms, whatever the scheduling.
  const Scenario scenario = scenario_from(R"(
workload: { mode: closed, clients: 8, duration: 300ms, warmup: 0s }
pool: { pool_size: 1, max_overflow: 0, pool_timeout: 50ms }
transactions:
  - name: hold
    script: |
      SELECT 1;
      \sleep 200ms
)");
  FakeServer server;
  const FakeLoadRun run = run_fake_load(scenario, server);
  const auto& counters = run.result.counters;
  EXPECT_GE(counters.timeouts(), 7);
  EXPECT_EQ(run.result.timeout_message,
            "QueuePool limit of size 1 overflow 0 reached, connection timed out, timeout 0.05");
  EXPECT_EQ(counters.errors() + counters.dropped(), 0);
  expect_consistent(run);
  EXPECT_EQ(total_timeouts(run), static_cast<std::uint64_t>(counters.timeouts()));
  EXPECT_EQ(total_checkouts(run), static_cast<std::uint64_t>(counters.completed()));
  EXPECT_EQ(run.server.max_open, 1);
  // Timed-out waits are in the checkout_wait histogram too.
  EXPECT_EQ(run.result.checkout_wait.total_count(), counters.completed() + counters.timeouts());
}

TEST(GeneratorTest, PerStatementCheckoutPinsTheConnectionFromBeginToCommit) {
  const Scenario scenario = scenario_from(R"(
workload: { mode: closed, clients: 6, transactions: 20, warmup: 0s }
request: { checkout: per_statement }
pool: { pool_size: 2, max_overflow: 0, pool_timeout: 10s }
transactions:
  - name: mixed
    script: |
      SELECT 1;
      SELECT 2;
      BEGIN;
      SELECT 3;
      END;
)");
  FakeServer server;
  const FakeLoadRun run = run_fake_load(scenario, server);
  EXPECT_EQ(run.result.counters.completed(), 6 * 20);
  expect_consistent(run);
  // SELECT 1, SELECT 2, and BEGIN..END on one connection: three checkouts per request.
  EXPECT_EQ(total_checkouts(run), 3U * 6U * 20U);
  EXPECT_EQ(run.server.statements, 5U * 6U * 20U);
  // No connection went back inside its transaction (the pool would have rolled it back).
  EXPECT_EQ(run.server.rollbacks, 0U);
  EXPECT_EQ(run.result.hold.total_count(), 3 * 6 * 20);
}

TEST(GeneratorTest, PerRequestCheckoutHoldsOneConnectionForTheWholeScript) {
  const Scenario scenario = scenario_from(R"(
workload: { mode: closed, clients: 6, transactions: 20, warmup: 0s }
pool: { pool_size: 2, max_overflow: 0, pool_timeout: 10s }
transactions:
  - name: mixed
    script: |
      SELECT 1;
      BEGIN;
      SELECT 3;
      END;
)");
  FakeServer server;
  const FakeLoadRun run = run_fake_load(scenario, server);
  EXPECT_EQ(run.result.counters.completed(), 6 * 20);
  EXPECT_EQ(total_checkouts(run), 6U * 20U);
  EXPECT_EQ(run.server.rollbacks, 0U);
}

TEST(GeneratorTest, TwoThreadsAndTwoInstancesShareTheClients) {
  const Scenario scenario = scenario_from(std::string(R"(
workload: { mode: closed, clients: 6, transactions: 30, warmup: 0s }
pool: { pool_size: 2, max_overflow: 1, pool_timeout: 10s, instances: 2 }
)") + k_two_statements);
  FakeServer server(FakeServerOptions{.service_time = std::chrono::microseconds(100)});
  const FakeLoadRun run = run_fake_load(scenario, server, 2);
  EXPECT_EQ(run.result.counters.completed(), 6 * 30);
  expect_consistent(run);
  ASSERT_EQ(run.pools.size(), 2U);
  // Equal shares: three clients per instance.
  EXPECT_EQ(run.pools[0].checkouts, 3U * 30U);
  EXPECT_EQ(run.pools[1].checkouts, 3U * 30U);
  EXPECT_LE(run.server.max_open, 2 * 3);
}

TEST(GeneratorTest, AFleetSplitsClientsByShareAndReportsEachInstance) {
  const Scenario scenario = scenario_from(std::string(R"(
workload: { mode: closed, clients: 8, transactions: 20, warmup: 0s }
pool:
  pool_size: 2
  max_overflow: 1
  pool_timeout: 10s
  instances:
    - { name: identity, share: 3, pool: { pool_size: 6, max_overflow: 0 } }
    - { name: orders, share: 1 }
)") + k_two_statements);
  FakeServer server(FakeServerOptions{.service_time = std::chrono::microseconds(100)});
  const FakeLoadRun run = run_fake_load(scenario, server, 2);
  expect_consistent(run);
  ASSERT_EQ(run.pools.size(), 2U);
  // 8 clients at 3:1 -> 6 and 2, each running its 20 transactions on its own pool.
  EXPECT_EQ(run.pools[0].checkouts, 6U * 20U);
  EXPECT_EQ(run.pools[1].checkouts, 2U * 20U);
  ASSERT_EQ(run.result.instances.size(), 2U);
  EXPECT_EQ(run.result.instances[0].stats.counters.completed(), 6 * 20);
  EXPECT_EQ(run.result.instances[1].stats.counters.completed(), 2 * 20);
  EXPECT_EQ(run.result.instances[0].stats.latency.total_count(), 6U * 20U);
  EXPECT_LE(run.result.instances[0].max_checked_out, 6);
  EXPECT_LE(run.result.instances[1].max_checked_out, 3);
}

TEST(GeneratorTest, OpenLoopPicksEachRequestsInstanceByShare) {
  const Scenario scenario = scenario_from(std::string(R"(
workload: { mode: open, rate: 2000, arrival: uniform, duration: 300ms, warmup: 0s }
pool:
  pool_size: 4
  pool_timeout: 5s
  instances: [{ name: big, share: 4 }, { name: small, share: 1 }]
)") + k_two_statements);
  FakeServer server;
  const FakeLoadRun run = run_fake_load(scenario, server, 1);
  expect_consistent(run);
  const auto big = run.result.instances.at(0).stats.counters.completed();
  const auto small = run.result.instances.at(1).stats.counters.completed();
  EXPECT_EQ(big + small, run.result.counters.completed());
  // The golden-ratio sequence keeps every prefix within a few picks of its share.
  EXPECT_NEAR(static_cast<double>(small), 0.2 * static_cast<double>(big + small), 3.0);
}

TEST(GeneratorTest, TheTimeSeriesHasOneRowPerSecondOfTheWindowAndAddsUp) {
  const Scenario scenario = scenario_from(std::string(R"(
workload: { mode: open, rate: 500, arrival: uniform, duration: 2s, warmup: 0s }
pool: { pool_size: 4, pool_timeout: 5s }
)") + k_two_statements);
  FakeServer server(FakeServerOptions{.service_time = std::chrono::microseconds(2000)});
  const FakeLoadRun run = run_fake_load(scenario, server, 1);
  ASSERT_EQ(run.result.timeseries.size(), 2U);
  std::int64_t completed = 0;
  for (const auto& row : run.result.timeseries) {
    completed += row.completed;
    EXPECT_GT(row.checked_out, 0.0) << row.t_s;  // every second's gauges were sampled
  }
  EXPECT_EQ(completed, run.result.counters.completed());
}

TEST(GeneratorTest, AServerThatAnswersAtSendTimeCompletesEveryRequestWithoutDescriptors) {
  // Answers inside send_prepared_raw: requests chain synchronously (the worker cuts the
  // chain with a timer now and then), nothing is watched, every transaction completes.
  const Scenario scenario = scenario_from(std::string(R"(
workload: { mode: closed, clients: 4, transactions: 500, warmup: 0s }
pool: { pool_size: 4, max_overflow: 0, pool_timeout: 5s }
)") + k_two_statements);
  FakeServer server(FakeServerOptions{.synchronous = true});
  const FakeLoadRun run = run_fake_load(scenario, server, 1);
  EXPECT_EQ(run.result.counters.completed(), 4 * 500);
  EXPECT_EQ(run.server.statements, 4U * 500U * 2U);
  expect_consistent(run);
}

TEST(GeneratorTest, OpenLoopOnTwoThreadsSplitsTheRate) {
  const Scenario scenario = scenario_from(std::string(R"(
workload: { mode: open, rate: 2000, arrival: uniform, duration: 300ms, warmup: 0s }
pool: { pool_size: 3, max_overflow: 0, pool_timeout: 5s, instances: 2 }
)") + k_two_statements);
  FakeServer server;
  const FakeLoadRun run = run_fake_load(scenario, server, 2);
  const auto& counters = run.result.counters;
  // Each thread: 1000/s, every 1 ms: 299 or 300 arrivals.
  EXPECT_GE(counters.requests(), 598);
  EXPECT_LE(counters.requests(), 600);
  EXPECT_EQ(counters.completed(), counters.requests());
  expect_consistent(run);
}

TEST(GeneratorTest, StatementErrorsAreCountedBySqlstate) {
  const Scenario scenario = scenario_from(std::string(R"(
workload: { mode: closed, clients: 4, transactions: 100, warmup: 0s }
pool: { pool_size: 4, max_overflow: 0, pool_timeout: 10s }
)") + k_two_statements);
  FakeServer server(FakeServerOptions{.failure_rate = 0.2, .failure_sqlstate = "23505"});
  const FakeLoadRun run = run_fake_load(scenario, server);
  const auto& counters = run.result.counters;
  EXPECT_EQ(counters.requests(), 4 * 100);
  EXPECT_GT(counters.errors(), 0);  // P(none of >= 400 statements failing) = 0.8^400
  EXPECT_EQ(counters.errors_by_sqlstate().at("23505"), counters.errors());
  EXPECT_EQ(counters.completed() + counters.errors(), 4 * 100);
  expect_consistent(run);
  EXPECT_EQ(static_cast<std::uint64_t>(counters.errors()), run.server.failures);
}

TEST(GeneratorTest, SerializationFailuresAreRetriedUpToMaxTries) {
  const Scenario scenario = scenario_from(std::string(R"(
workload: { mode: closed, clients: 4, transactions: 50, warmup: 0s }
request: { max_tries: 1000 }
pool: { pool_size: 2, max_overflow: 0, pool_timeout: 10s }
)") + k_two_statements);
  FakeServer server(FakeServerOptions{.failure_rate = 0.2, .failure_sqlstate = "40001"});
  const FakeLoadRun run = run_fake_load(scenario, server);
  EXPECT_EQ(run.result.counters.completed(), 4 * 50);  // 0.2^1000: every request succeeds
  EXPECT_EQ(run.result.counters.errors(), 0);
  EXPECT_EQ(static_cast<std::uint64_t>(run.result.retries), run.server.failures);
  EXPECT_GT(run.result.retries, 0);
}

TEST(GeneratorTest, LostConnectionsAreErrorsAndReplaced) {
  const Scenario scenario = scenario_from(std::string(R"(
workload: { mode: closed, clients: 4, transactions: 50, warmup: 0s }
pool: { pool_size: 2, max_overflow: 0, pool_timeout: 10s }
)") + k_two_statements);
  FakeServer server(FakeServerOptions{.failure_rate = 0.1, .failure_sqlstate = "08006"});
  const FakeLoadRun run = run_fake_load(scenario, server);
  const auto& counters = run.result.counters;
  EXPECT_EQ(counters.requests(), 4 * 50);
  EXPECT_GT(counters.errors(), 0);
  EXPECT_EQ(counters.errors_by_sqlstate().at("08006"), counters.errors());
  expect_consistent(run);
  // Each lost connection was invalidated (closed) and a new one made when needed.
  std::uint64_t invalidations = 0;
  for (const auto& pool : run.pools) invalidations += pool.invalidations;
  EXPECT_EQ(invalidations, static_cast<std::uint64_t>(counters.errors()));
  EXPECT_GE(run.server.connects, static_cast<std::uint64_t>(counters.errors()));
  EXPECT_LE(run.server.max_open, 2);
}

TEST(GeneratorTest, ConnectFailuresAreErrorsWithTheServersSqlstate) {
  const Scenario scenario = scenario_from(std::string(R"(
workload: { mode: closed, clients: 4, transactions: 10, warmup: 0s }
pool: { pool_size: 4, max_overflow: 0, pool_timeout: 10s }
)") + k_two_statements);
  // The server takes one connection: the pool's other connects are refused.
  FakeServer server(FakeServerOptions{.max_connections = 1});
  const FakeLoadRun run = run_fake_load(scenario, server);
  const auto& counters = run.result.counters;
  EXPECT_EQ(counters.requests(), 4 * 10);
  EXPECT_GT(counters.completed(), 0);
  expect_consistent(run);
  // Client 1 asks while client 0 holds the one connection: its connect is refused.
  EXPECT_GT(counters.errors(), 0);
  EXPECT_EQ(counters.errors(), static_cast<std::int64_t>(run.server.connect_failures));
  EXPECT_EQ(counters.errors_by_sqlstate().at("53300"), counters.errors());
}

}  // namespace
}  // namespace poolbench::workload
