// The QueuePool over PgConnectionFactory against the embedded cluster: what the pool does is
// checked server-side (pg_stat_activity rows of the test's application_name).
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pg_fixture.hpp"
#include "pool/queue_pool.hpp"

namespace poolbench::pg {
namespace {

using ::testing::HasSubstr;
using testing::PgClusterTest;
using namespace std::chrono_literals;

class PoolOverPg : public PgClusterTest {
 protected:
  static pool::PoolSettings settings(int size, int overflow) {
    pool::PoolSettings s;
    s.pool_size = size;
    s.max_overflow = overflow;
    s.pool_timeout = 10s;
    return s;
  }
  static int pid_of(const pool::Lease& lease) { return lease.as<PgConnection>().backend_pid(); }
  static pool::Lease acquire(pool::QueuePool& pool) {
    pool::AcquireResult result = pool.acquire();
    EXPECT_TRUE(result.ok()) << result.error;
    return std::move(result.lease);
  }
};

TEST_F(PoolOverPg, ConnectionsAreCreatedLazily) {
  auto factory = PgClusterTest::factory();
  pool::QueuePool pool(settings(3, 2), factory);
  EXPECT_EQ(backends(), 0);
  {
    pool::Lease lease = acquire(pool);
    EXPECT_EQ(backends(), 1);
    EXPECT_TRUE(lease.as<PgConnection>().execute("SELECT 1").ok);
  }
  pool::Lease again = acquire(pool);  // the idle one is reused
  EXPECT_EQ(backends(), 1);
  EXPECT_EQ(pool.counters().connects, 1U);
}

TEST_F(PoolOverPg, OverflowConnectionsAreClosedOnCheckIn) {
  auto factory = PgClusterTest::factory();
  pool::QueuePool pool(settings(2, 1), factory);
  {
    pool::Lease a = acquire(pool);
    pool::Lease b = acquire(pool);
    pool::Lease c = acquire(pool);
    EXPECT_EQ(pool.status().overflow, 1);
    EXPECT_EQ(backends(), 3);
  }
  EXPECT_EQ(pool.status().checked_in, 2);
  EXPECT_TRUE(eventually([] { return backends() == 2; }));
}

TEST_F(PoolOverPg, TimeoutGivesSqlalchemysExactMessage) {
  auto factory = PgClusterTest::factory();
  pool::PoolSettings s = settings(1, 0);
  s.pool_timeout = 200ms;
  pool::QueuePool pool(s, factory);
  pool::Lease held = acquire(pool);
  const pool::AcquireResult result = pool.acquire();
  EXPECT_EQ(result.status, pool::AcquireStatus::timeout);
  EXPECT_EQ(result.error,
            "QueuePool limit of size 1 overflow 0 reached, connection timed out, timeout 0.20");
  EXPECT_EQ(backends(), 1);
}

TEST_F(PoolOverPg, PrePingReplacesATerminatedConnection) {
  auto factory = PgClusterTest::factory();
  pool::PoolSettings s = settings(1, 0);
  s.pool_pre_ping = true;
  pool::QueuePool pool(s, factory);
  int first = 0;
  {
    pool::Lease lease = acquire(pool);
    first = pid_of(lease);
  }
  terminate(first);
  pool::Lease lease = acquire(pool);  // transparently replaced
  EXPECT_NE(pid_of(lease), first);
  EXPECT_TRUE(lease.as<PgConnection>().execute("SELECT 1").ok);
  EXPECT_EQ(pool.counters().preping_failures, 1U);
  EXPECT_EQ(pool.counters().connects, 2U);
}

TEST_F(PoolOverPg, WithoutPrePingTheErrorIsReportedAndTheConnectionInvalidated) {
  auto factory = PgClusterTest::factory();
  pool::QueuePool pool(settings(1, 0), factory);
  int first = 0;
  {
    pool::Lease lease = acquire(pool);
    first = pid_of(lease);
  }
  terminate(first);
  {
    pool::Lease lease = acquire(pool);
    EXPECT_EQ(pid_of(lease), first);  // the dead one is handed out
    const StatementOutcome outcome = lease.as<PgConnection>().execute("SELECT 1");
    ASSERT_FALSE(outcome.ok);
    EXPECT_EQ(outcome.failure->kind, ErrorKind::connection);
  }
  EXPECT_EQ(pool.status().invalid, 1U);
  pool::Lease lease = acquire(pool);
  EXPECT_NE(pid_of(lease), first);
  EXPECT_TRUE(lease.as<PgConnection>().execute("SELECT 1").ok);
}

TEST_F(PoolOverPg, RecycleReplacesOldConnections) {
  auto factory = PgClusterTest::factory();
  pool::PoolSettings s = settings(1, 0);
  s.pool_recycle = 300ms;
  pool::QueuePool pool(s, factory);
  int first = 0;
  {
    pool::Lease lease = acquire(pool);
    first = pid_of(lease);
  }
  std::this_thread::sleep_for(400ms);  // older than pool_recycle by construction
  pool::Lease lease = acquire(pool);
  EXPECT_NE(pid_of(lease), first);
  EXPECT_EQ(pool.counters().recycles, 1U);
  EXPECT_TRUE(eventually([] { return backends() == 1; }));
}

TEST_F(PoolOverPg, CheckInRollsBackSoNoTransactionStaysOpen) {
  auto factory = PgClusterTest::factory();
  pool::QueuePool pool(settings(1, 0), factory);
  {
    pool::Lease lease = acquire(pool);
    auto& conn = lease.as<PgConnection>();
    ASSERT_TRUE(conn.execute("CREATE TABLE IF NOT EXISTS rb_t (v int)").ok);
    ASSERT_TRUE(conn.execute("BEGIN; INSERT INTO rb_t VALUES (1)").ok);
    ASSERT_TRUE(eventually([] { return backends("idle in transaction") == 1; }));
  }
  EXPECT_TRUE(eventually([] { return backends("idle") == 1; }));
  EXPECT_EQ(backends("idle in transaction"), 0);
  EXPECT_EQ(monitor().query("SELECT count(*) FROM rb_t").rows.at(0).at(0), "0");
  // A statement abandoned mid-transaction is cancelled and rolled back too.
  {
    pool::Lease lease = acquire(pool);
    auto& conn = lease.as<PgConnection>();
    ASSERT_TRUE(conn.execute("BEGIN; INSERT INTO rb_t VALUES (2)").ok);
    ASSERT_TRUE(conn.send_query("SELECT pg_sleep(60)"));
  }
  EXPECT_TRUE(eventually([] { return backends("idle") == 1; }));
  EXPECT_EQ(monitor().query("SELECT count(*) FROM rb_t").rows.at(0).at(0), "0");
  EXPECT_EQ(pool.status().invalid, 0U);
  EXPECT_EQ(pool.counters().connects, 1U);
}

TEST_F(PoolOverPg, FailedConnectGivesItsSlotBackWith08001) {
  ConnectionTarget t = target();
  t.set("port", "1");
  PgConnectionFactory factory(t, run_id(), 2s);
  pool::QueuePool pool(settings(1, 0), factory);
  const pool::AcquireResult result = pool.acquire();
  EXPECT_EQ(result.status, pool::AcquireStatus::connect_failed);
  EXPECT_EQ(result.sqlstate, "08001");
  EXPECT_THAT(result.error, HasSubstr("127.0.0.1"));
  EXPECT_EQ(pool.status().checked_out, 0);
  EXPECT_EQ(pool.counters().connect_failures, 1U);
}

}  // namespace
}  // namespace poolbench::pg
