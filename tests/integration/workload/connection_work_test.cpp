// The generator over real connections: a new connection that takes a second to establish
// (the delay proxy holds the start of every new connection) stalls only the client waiting
// for it; the clients of the same worker thread that hold connections keep completing
// requests during that second. Likewise a statement prepared on a new connection while its
// table is locked waits for the lock without stalling the worker's other clients.

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "faults/delay_proxy.hpp"
#include "integration/pg/pg_fixture.hpp"
#include "pool/queue_pool.hpp"
#include "scenario/scenario.hpp"
#include "workload/generator.hpp"
#include "workload/transactions.hpp"

namespace poolbench::workload {
namespace {

using namespace std::chrono_literals;
using pg::testing::PgClusterTest;
using scenario::parse_scenario;
using scenario::Scenario;

class GeneratorOverPg : public PgClusterTest {};

TEST_F(GeneratorOverPg, ClientsHoldingConnectionsKeepCompletingWhileANewConnectionTakesASecond) {
  // One worker thread, two app instances. `steady` connects straight to the server once and
  // keeps its connection; `churn` connects through the proxy, which holds every new
  // connection for 1 s, and replaces its connection at every checkout (pool_recycle 0), so
  // one of its connects is in progress all the time.
  const Scenario scenario = parse_scenario(R"(
name: connect_stall
workload: { mode: closed, clients: 2, duration: 3s, warmup: 0s }
pool:
  pool_size: 1
  max_overflow: 0
  pool_timeout: 30s
  instances:
    - { name: steady, share: 1 }
    - { name: churn, share: 1, pool: { pool_recycle: 0s } }
transactions:
  - name: ping
    script: |
      SELECT 1;
)",
                                           "connect_stall.yaml");
  constexpr auto k_connect_delay = 1s;
  faults::DelayProxy proxy("127.0.0.1", server().port());
  proxy.set_connect_delay(k_connect_delay);
  pg::ConnectionTarget through_proxy = target();
  through_proxy.set("host", "127.0.0.1");
  through_proxy.set("hostaddr", "127.0.0.1");
  through_proxy.set("port", std::to_string(proxy.port()));
  // The passfile names the server's port, not the proxy's: give libpq the password.
  through_proxy.set("password", monitor().password_used());

  pg::PgConnectionFactory direct(target(), run_id());
  pg::PgConnectionFactory delayed(through_proxy, run_id());
  const auto instances = resolve_instances(scenario);
  ASSERT_EQ(instances.size(), 2U);
  pool::QueuePool steady(instances[0].settings, direct);
  pool::QueuePool churn(instances[1].settings, delayed);
  GeneratorOptions options;
  options.transactions = workload::compile_transactions(scenario);
  options.threads = 1;
  options.pools = {&steady, &churn};
  const GeneratorResult result = run_load(scenario, std::move(options));

  EXPECT_EQ(result.counters.errors(), 0);
  EXPECT_EQ(result.unfinished, 0);
  const pool::PoolCounters churned = churn.counters();
  ASSERT_GE(churned.connects, 2U);
  // Each of churn's connects took the proxy's second (the delay really held them).
  EXPECT_GE(churned.connect_time, churned.connects * std::chrono::microseconds(k_connect_delay));
  EXPECT_EQ(steady.counters().connects, 1U);
  // A churn connect was in progress during every second of the window, and steady's
  // requests went on through each: a blocked thread would complete one or two requests a
  // second (one per churn connect), a free one thousands (a SELECT 1 round trip on
  // loopback). 50 a second leaves a margin of one to two orders of magnitude both ways.
  constexpr std::int64_t k_min_completed_per_second = 50;
  ASSERT_EQ(result.timeseries.size(), 3U);
  for (const TimeseriesRow& row : result.timeseries) {
    EXPECT_GE(row.completed, k_min_completed_per_second) << "second " << row.t_s;
  }
  ASSERT_EQ(result.instances.size(), 2U);
  EXPECT_LE(result.instances[1].stats.counters.completed(),
            static_cast<std::int64_t>(churned.connects));
}

TEST_F(GeneratorOverPg, APrepareWaitingForATableLockStallsOnlyItsOwnClient) {
  // One worker thread, two app instances running the same statement text on different
  // tables (search_path): `steady` reads public.lock_probe, `locked` reads
  // blocked.lock_probe, which another session holds ACCESS EXCLUSIVE for the first 1.5 s.
  // locked's first prepare (its parse takes the table's lock) waits all that time.
  monitor().exec(
      "DROP SCHEMA IF EXISTS blocked CASCADE; CREATE SCHEMA blocked;"
      "DROP TABLE IF EXISTS public.lock_probe; CREATE TABLE public.lock_probe (x int);"
      "CREATE TABLE blocked.lock_probe (x int);");
  const Scenario scenario = parse_scenario(R"(
name: prepare_stall
workload: { mode: closed, clients: 2, duration: 3s, warmup: 0s }
pool:
  pool_size: 1
  max_overflow: 0
  pool_timeout: 30s
  instances:
    - { name: steady, share: 1 }
    - { name: locked, share: 1 }
transactions:
  - name: probe
    script: |
      SELECT count(*) FROM lock_probe;
)",
                                           "prepare_stall.yaml");
  pg::ConnectionTarget blocked_path = target();
  blocked_path.set("options", "-c search_path=blocked");
  pg::PgConnectionFactory direct(target(), run_id());
  pg::PgConnectionFactory blocked(blocked_path, run_id());
  const auto instances = resolve_instances(scenario);
  ASSERT_EQ(instances.size(), 2U);
  pool::QueuePool steady(instances[0].settings, direct);
  pool::QueuePool locked(instances[1].settings, blocked);
  GeneratorOptions options;
  options.transactions = workload::compile_transactions(scenario);
  options.threads = 1;
  options.pools = {&steady, &locked};

  constexpr auto k_lock_held = 1500ms;
  pg::Session holder = pg::Session::connect(server().conninfo());
  holder.exec("BEGIN; LOCK TABLE blocked.lock_probe IN ACCESS EXCLUSIVE MODE;");
  std::thread release([&holder, k_lock_held] {
    std::this_thread::sleep_for(k_lock_held);
    holder.exec("COMMIT");
  });
  const GeneratorResult result = run_load(scenario, std::move(options));
  release.join();

  EXPECT_EQ(result.counters.errors(), 0);
  EXPECT_EQ(result.unfinished, 0);
  ASSERT_EQ(result.instances.size(), 2U);
  EXPECT_GE(result.instances[1].stats.counters.completed(), 1);  // after the lock went
  // During the first second locked's prepare was waiting all along: a blocked thread would
  // complete at most steady's request in flight, a free one thousands (50 leaves a margin
  // of one to two orders of magnitude both ways).
  ASSERT_EQ(result.timeseries.size(), 3U);
  EXPECT_GE(result.timeseries[0].completed, 50);
}

}  // namespace
}  // namespace poolbench::workload
