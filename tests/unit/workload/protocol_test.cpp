// workload.protocol against the in-process fake server: each protocol sends every statement
// its own way (prepared once per connection, unnamed each time, or as a simple query), and
// the transaction state and checkout rules behave the same under all three.

#include <cstdint>
#include <string>

#include <gtest/gtest.h>

#include "support/load_harness.hpp"
#include "workload/generator.hpp"

namespace poolbench::workload {
namespace {

using scenario::QueryProtocol;
using scenario::Scenario;
using testing::FakeLoadRun;
using testing::FakeServer;
using testing::run_fake_load;
using testing::scenario_from;

/// 6 clients x 30 requests of two statements with a variable, through a pool of 3.
Scenario two_statements(const std::string& protocol) {
  return scenario_from(R"(
workload: { mode: closed, clients: 6, transactions: 30, warmup: 0s, protocol: )" +
                       protocol + R"( }
pool: { pool_size: 3, max_overflow: 0, pool_timeout: 10s }
transactions:
  - name: read_write
    script: |
      \set aid random(1, 100000 * :scale)
      SELECT abalance FROM pgbench_accounts WHERE aid = :aid;
      UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = :aid;
)");
}

constexpr std::uint64_t k_statements = 2U * 6U * 30U;

TEST(GeneratorProtocol, PreparedParsesEachStatementOncePerConnection) {
  FakeServer server;
  const FakeLoadRun run = run_fake_load(two_statements("prepared"), server);
  EXPECT_EQ(run.result.counters.completed(), 6 * 30);
  EXPECT_EQ(run.server.statements, k_statements);
  EXPECT_EQ(run.server.prepares, 2U * run.server.connects);
  EXPECT_EQ(run.server.unnamed_statements, 0U);
  EXPECT_EQ(run.server.simple_statements, 0U);
}

TEST(GeneratorProtocol, ExtendedSendsEveryStatementUnnamedAndPreparesNothing) {
  FakeServer server;
  const FakeLoadRun run = run_fake_load(two_statements("extended"), server);
  EXPECT_EQ(run.result.counters.completed(), 6 * 30);
  EXPECT_EQ(run.server.statements, k_statements);
  EXPECT_EQ(run.server.unnamed_statements, k_statements);
  EXPECT_EQ(run.server.prepares, 0U);
  EXPECT_EQ(run.server.simple_statements, 0U);
}

TEST(GeneratorProtocol, SimpleSendsEveryStatementAsTextAndPreparesNothing) {
  FakeServer server;
  const FakeLoadRun run = run_fake_load(two_statements("simple"), server);
  EXPECT_EQ(run.result.counters.completed(), 6 * 30);
  EXPECT_EQ(run.server.statements, k_statements);
  EXPECT_EQ(run.server.simple_statements, k_statements);
  EXPECT_EQ(run.server.prepares, 0U);
  EXPECT_EQ(run.server.unnamed_statements, 0U);
  EXPECT_EQ(run.server.pings, 0U);  // a script's SELECT is not taken for a pre-ping
}

TEST(GeneratorProtocol, PerStatementCheckoutPinsFromBeginToCommitUnderEveryProtocol) {
  for (const char* protocol : {"simple", "extended", "prepared"}) {
    const Scenario scenario = scenario_from(std::string(R"(
workload: { mode: closed, clients: 4, transactions: 20, warmup: 0s, protocol: )") +
                                            protocol + R"( }
request: { checkout: per_statement }
pool: { pool_size: 2, max_overflow: 0, pool_timeout: 10s }
transactions:
  - name: tx
    script: |
      \set aid random(1, 1000)
      BEGIN;
      SELECT :aid;
      COMMIT;
      SELECT 2;
)");
    FakeServer server;
    const FakeLoadRun run = run_fake_load(scenario, server);
    EXPECT_EQ(run.result.counters.completed(), 4 * 20) << protocol;
    EXPECT_EQ(run.result.counters.errors(), 0) << protocol;
    // One checkout for BEGIN..COMMIT (pinned), one for the last SELECT.
    EXPECT_EQ(run.pools[0].checkouts, 2U * 4U * 20U) << protocol;
    EXPECT_EQ(run.server.rollbacks, 0U) << protocol;  // every COMMIT ended its transaction
  }
}

}  // namespace
}  // namespace poolbench::workload
