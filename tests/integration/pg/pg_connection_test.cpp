// PgConnection, PgConnectionFactory and Session against the embedded cluster: connect,
// application_name, prepared statements, non-blocking multiplexing, rollback, and the
// SQLSTATE classification of real errors. Passwords never appear in any message.
#include <array>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>

#include "pg_fixture.hpp"

namespace poolbench::pg {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::PgClusterTest;

class PgConnectionTest : public PgClusterTest {
 protected:
  std::unique_ptr<PgConnection> connect() {
    PgConnectionFactory factory(target(), run_id());
    PgFailure failure;
    std::unique_ptr<PgConnection> conn = factory.connect_pg(&failure);
    EXPECT_TRUE(conn) << failure.message;
    return conn;
  }
  static std::string value(const Rows& rows) { return rows.rows.at(0).at(0).value_or("NULL"); }
};

TEST_F(PgConnectionTest, FactorySetsApplicationNameFromTheRunId) {
  auto conn = connect();
  ASSERT_TRUE(conn);
  Rows rows;
  ASSERT_TRUE(conn->execute("SHOW application_name", {}, &rows).ok);
  EXPECT_EQ(value(rows), "poolbench/" + run_id());
  EXPECT_EQ(backends(), 1);
}

TEST_F(PgConnectionTest, FactoryOverridesTheDsnApplicationName) {
  ConnectionTarget t = target();
  t.set("application_name", "someone-else");
  PgConnectionFactory factory(t, run_id());
  pool::ConnectResult result = factory.connect();
  ASSERT_TRUE(result.connection) << result.error;
  auto& conn = static_cast<PgConnection&>(*result.connection);
  Rows rows;
  ASSERT_TRUE(conn.execute("SHOW application_name", {}, &rows).ok);
  EXPECT_EQ(value(rows), "poolbench/" + run_id());
}

TEST_F(PgConnectionTest, ExecuteWithParametersReturnsRows) {
  auto conn = connect();
  Rows rows;
  const std::array<std::string, 2> params{"20", "22"};
  const StatementOutcome outcome = conn->execute("SELECT $1::int + $2::int AS sum", params, &rows);
  ASSERT_TRUE(outcome.ok);
  EXPECT_EQ(outcome.rows, 1);
  EXPECT_EQ(rows.columns.at(0), "sum");
  EXPECT_EQ(value(rows), "42");
}

TEST_F(PgConnectionTest, AffectedRowsAreCounted) {
  auto conn = connect();
  ASSERT_TRUE(
      conn->execute("CREATE TEMP TABLE t AS SELECT g AS id FROM generate_series(1, 5) g").ok);
  EXPECT_EQ(conn->execute("UPDATE t SET id = id + 1 WHERE id <= 3").rows, 3);
}

TEST_F(PgConnectionTest, PreparedStatementsArePreparedOncePerConnection) {
  auto conn = connect();
  ASSERT_FALSE(conn->prepare("P_0", "SELECT $1::int * 2"));
  EXPECT_TRUE(conn->is_prepared("P_0"));
  ASSERT_FALSE(conn->prepare("P_0", "SELECT $1::int * 2"));  // no second PREPARE
  Rows rows;
  const std::array<std::string, 1> params{"21"};
  ASSERT_TRUE(conn->execute_prepared("P_0", params, &rows).ok);
  EXPECT_EQ(value(rows), "42");
  Rows server;
  ASSERT_TRUE(conn->execute("SELECT count(*) FROM pg_prepared_statements", {}, &server).ok);
  EXPECT_EQ(value(server), "1");
  // Another connection has its own statements.
  auto other = connect();
  EXPECT_FALSE(other->is_prepared("P_0"));
}

TEST_F(PgConnectionTest, BadPreparedStatementReportsItsSqlstate) {
  auto conn = connect();
  const std::optional<PgFailure> failure = conn->prepare("P_1", "SELECT * FROM no_such_table");
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->sqlstate, "42P01");
  EXPECT_EQ(failure->kind, ErrorKind::statement);
  EXPECT_FALSE(conn->is_prepared("P_1"));
  EXPECT_FALSE(conn->is_broken());
}

TEST_F(PgConnectionTest, NonBlockingSendsMultiplexSeveralConnectionsWithPoll) {
  std::vector<std::unique_ptr<PgConnection>> conns;
  for (int i = 0; i < 3; ++i) conns.push_back(connect());
  for (std::size_t i = 0; i < conns.size(); ++i) {
    ASSERT_FALSE(conns[i]->prepare("P_0", "SELECT pg_sleep(0.05), $1::int"));
    const std::array<std::string, 1> params{std::to_string(i)};
    ASSERT_TRUE(conns[i]->send_prepared("P_0", params));
    EXPECT_TRUE(conns[i]->pending());
    EXPECT_FALSE(conns[i]->send_query("SELECT 1"));  // one statement at a time
  }
  std::size_t done = 0;
  std::vector<bool> finished(conns.size(), false);
  while (done < conns.size()) {
    std::vector<pollfd> fds;
    for (std::size_t i = 0; i < conns.size(); ++i) {
      if (!finished[i]) fds.push_back(pollfd{conns[i]->socket(), POLLIN, 0});
    }
    ASSERT_GT(::poll(fds.data(), fds.size(), 10'000), 0);
    for (std::size_t i = 0; i < conns.size(); ++i) {
      if (finished[i] || conns[i]->consume() == Progress::busy) continue;
      const StatementOutcome outcome = conns[i]->take_outcome();
      EXPECT_TRUE(outcome.ok);
      EXPECT_EQ(outcome.rows, 1);
      EXPECT_FALSE(conns[i]->pending());
      finished[i] = true;
      ++done;
    }
  }
}

TEST_F(PgConnectionTest, StatementErrorKeepsTheConnectionUsable) {
  auto conn = connect();
  const StatementOutcome outcome = conn->execute("SELECT * FROM no_such_table");
  ASSERT_FALSE(outcome.ok);
  EXPECT_EQ(outcome.failure->sqlstate, "42P01");
  EXPECT_EQ(outcome.failure->kind, ErrorKind::statement);
  EXPECT_THAT(outcome.failure->message, HasSubstr("no_such_table"));
  EXPECT_FALSE(conn->is_broken());
  EXPECT_TRUE(conn->ping());
}

TEST_F(PgConnectionTest, FirstErrorOfAMultiStatementSendCounts) {
  auto conn = connect();
  const StatementOutcome outcome = conn->execute("SELECT 1; SELECT 1/0; SELECT * FROM nope");
  ASSERT_FALSE(outcome.ok);
  EXPECT_EQ(outcome.failure->sqlstate, "22012");
}

TEST_F(PgConnectionTest, CopyIsRefusedAndPoisonsTheConnectionInsteadOfHanging) {
  auto conn = connect();
  const StatementOutcome outcome = conn->execute("COPY (SELECT 1) TO STDOUT");
  ASSERT_FALSE(outcome.ok);
  EXPECT_EQ(outcome.failure->sqlstate, k_sqlstate_client_error);
  EXPECT_TRUE(conn->is_broken());
}

TEST_F(PgConnectionTest, InTransactionFollowsTheServerAndRollbackEndsIt) {
  auto conn = connect();
  EXPECT_FALSE(conn->in_transaction());
  ASSERT_TRUE(conn->execute("BEGIN").ok);
  EXPECT_TRUE(conn->in_transaction());
  EXPECT_TRUE(eventually([] { return backends("idle in transaction") == 1; }));
  ASSERT_TRUE(conn->rollback());
  EXPECT_FALSE(conn->in_transaction());
  EXPECT_TRUE(eventually([] { return backends("idle") == 1; }));
  // A failed transaction (INERROR) too.
  ASSERT_TRUE(conn->execute("BEGIN").ok);
  EXPECT_FALSE(conn->execute("SELECT 1/0").ok);
  EXPECT_TRUE(conn->in_transaction());
  ASSERT_TRUE(conn->rollback());
  EXPECT_FALSE(conn->in_transaction());
  EXPECT_TRUE(conn->execute("SELECT 1").ok);
}

TEST_F(PgConnectionTest, RollbackCancelsAnAbandonedStatement) {
  auto conn = connect();
  ASSERT_TRUE(conn->execute("BEGIN").ok);
  ASSERT_TRUE(conn->send_query("SELECT pg_sleep(60)"));
  EXPECT_TRUE(conn->in_transaction());
  ASSERT_TRUE(conn->rollback());
  EXPECT_FALSE(conn->pending());
  EXPECT_FALSE(conn->in_transaction());
  EXPECT_TRUE(conn->ping());
}

TEST_F(PgConnectionTest, AnOutcomeNobodyTookIsClearedByRollback) {
  auto conn = connect();
  ASSERT_TRUE(conn->send_query("SELECT 1"));
  pollfd fd{conn->socket(), POLLIN, 0};
  while (conn->consume() == Progress::busy) ASSERT_GT(::poll(&fd, 1, 10'000), 0);
  EXPECT_TRUE(conn->pending());
  EXPECT_TRUE(conn->in_transaction());  // so the pool calls rollback() at check-in
  ASSERT_TRUE(conn->rollback());
  EXPECT_FALSE(conn->pending());
  EXPECT_TRUE(conn->execute("SELECT 1").ok);
}

TEST_F(PgConnectionTest, TerminateMidQueryIs57P01AndPoisonsTheConnection) {
  auto conn = connect();
  const int pid = conn->backend_pid();
  ASSERT_TRUE(conn->send_query("SELECT pg_sleep(60)"));
  ASSERT_TRUE(eventually([] { return backends("active") == 1; }));
  monitor().query("SELECT pg_terminate_backend($1)", {std::to_string(pid)});
  pollfd fd{conn->socket(), POLLIN, 0};
  while (conn->consume() == Progress::busy) ASSERT_GT(::poll(&fd, 1, 10'000), 0);
  const StatementOutcome outcome = conn->take_outcome();
  ASSERT_FALSE(outcome.ok);
  EXPECT_EQ(outcome.failure->sqlstate, "57P01");
  EXPECT_EQ(outcome.failure->kind, ErrorKind::connection);
  EXPECT_TRUE(conn->is_broken());
  EXPECT_FALSE(conn->in_transaction());
  EXPECT_FALSE(conn->rollback());
  EXPECT_FALSE(conn->ping());
}

TEST_F(PgConnectionTest, TerminateWhileIdleIsAConnectionErrorOnTheNextStatement) {
  auto conn = connect();
  terminate(conn->backend_pid());
  const StatementOutcome outcome = conn->execute("SELECT 1");
  ASSERT_FALSE(outcome.ok);
  EXPECT_EQ(outcome.failure->kind, ErrorKind::connection);
  // docs/references.md §5: the FATAL arrives with no SQLSTATE, then the connection is gone.
  EXPECT_THAT((std::vector<std::string>{"57P01", "08006"}),
              ::testing::Contains(outcome.failure->sqlstate));
  EXPECT_TRUE(conn->is_broken());
}

TEST_F(PgConnectionTest, PingFailsOnATerminatedConnection) {
  auto conn = connect();
  EXPECT_TRUE(conn->ping());
  terminate(conn->backend_pid());
  EXPECT_FALSE(conn->ping());
  EXPECT_TRUE(conn->is_broken());
}

TEST_F(PgConnectionTest, SerializationFailureIsRetryable) {
  auto a = connect();
  auto b = connect();
  ASSERT_TRUE(a->execute("CREATE TABLE IF NOT EXISTS ser_t (id int PRIMARY KEY, v int)").ok);
  ASSERT_TRUE(a->execute("INSERT INTO ser_t VALUES (1, 0) ON CONFLICT (id) DO NOTHING").ok);
  ASSERT_TRUE(a->execute("BEGIN ISOLATION LEVEL REPEATABLE READ").ok);
  ASSERT_TRUE(a->execute("SELECT v FROM ser_t WHERE id = 1").ok);
  ASSERT_TRUE(b->execute("UPDATE ser_t SET v = v + 1 WHERE id = 1").ok);
  const StatementOutcome outcome = a->execute("UPDATE ser_t SET v = v + 1 WHERE id = 1");
  ASSERT_FALSE(outcome.ok);
  EXPECT_EQ(outcome.failure->sqlstate, "40001");
  EXPECT_EQ(outcome.failure->kind, ErrorKind::retryable);
  EXPECT_FALSE(a->is_broken());
  EXPECT_TRUE(a->rollback());
}

TEST_F(PgConnectionTest, DeadlockIsRetryable) {
  auto a = connect();
  auto b = connect();
  ASSERT_TRUE(a->execute("CREATE TABLE IF NOT EXISTS dl_t (id int PRIMARY KEY)").ok);
  ASSERT_TRUE(a->execute("INSERT INTO dl_t VALUES (1), (2) ON CONFLICT (id) DO NOTHING").ok);
  ASSERT_TRUE(a->execute("BEGIN; SELECT * FROM dl_t WHERE id = 1 FOR UPDATE").ok);
  ASSERT_TRUE(b->execute("BEGIN; SELECT * FROM dl_t WHERE id = 2 FOR UPDATE").ok);
  ASSERT_TRUE(a->send_query("SELECT * FROM dl_t WHERE id = 2 FOR UPDATE"));  // waits for b
  ASSERT_TRUE(eventually([] { return backends("active") == 1; }));
  const StatementOutcome from_b = b->execute("SELECT * FROM dl_t WHERE id = 1 FOR UPDATE");
  pollfd fd{a->socket(), POLLIN, 0};
  if (from_b.ok) {  // the server may pick either transaction as the victim
    ASSERT_TRUE(b->rollback());
  }
  while (a->consume() == Progress::busy) ASSERT_GT(::poll(&fd, 1, 10'000), 0);
  const StatementOutcome from_a = a->take_outcome();
  ASSERT_NE(from_a.ok, from_b.ok);
  const PgFailure& failure = from_a.ok ? *from_b.failure : *from_a.failure;
  EXPECT_EQ(failure.sqlstate, "40P01");
  EXPECT_EQ(failure.kind, ErrorKind::retryable);
  EXPECT_TRUE(a->rollback());
  EXPECT_TRUE(b->rollback());
}

TEST_F(PgConnectionTest, RefusedConnectIs08001) {
  ConnectionTarget t = target();
  t.set("port", "1");
  PgConnectionFactory factory(t, run_id(), std::chrono::seconds(2));
  const pool::ConnectResult result = factory.connect();
  EXPECT_FALSE(result.connection);
  EXPECT_EQ(result.sqlstate, "08001");
  EXPECT_THAT(result.error, HasSubstr("127.0.0.1"));
}

TEST_F(PgConnectionTest, WrongPasswordNeverAppearsInTheError) {
  const std::string secret = "Wr0ng-S3cret-pw";
  ConnectionTarget t = parse_dsn(fmt::format("postgresql://poolbench:{}@127.0.0.1:{}/poolbench"
                                             "?sslmode=disable&passfile=/nonexistent",
                                             secret, server().port()),
                                 "--dsn")
                           .target;
  EXPECT_THAT(t.masked(), Not(HasSubstr(secret)));
  PgConnectionFactory factory(t, run_id());
  const pool::ConnectResult result = factory.connect();
  ASSERT_FALSE(result.connection);
  EXPECT_EQ(result.sqlstate, "28P01");
  EXPECT_THAT(result.error, HasSubstr("password authentication failed"));
  EXPECT_THAT(result.error, Not(HasSubstr(secret)));
  try {
    Session::connect(t.conninfo());
    FAIL() << "connected with a wrong password";
  } catch (const PgError& error) {
    EXPECT_THAT(error.what(), Not(HasSubstr(secret)));
    EXPECT_THAT(error.what(), HasSubstr("****"));
    EXPECT_EQ(error.sqlstate(), "28P01");
  }
}

TEST_F(PgConnectionTest, SessionReportsStatementErrorsWithTheirSqlstate) {
  Session session = Session::connect(server().conninfo());
  EXPECT_TRUE(session.is_alive());
  EXPECT_GE(session.server_version(), 120000);
  const Rows rows = session.query("SELECT $1::text AS a, NULL::int AS b", {"x"});
  EXPECT_EQ(rows.columns, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(rows.rows.at(0).at(0), "x");
  EXPECT_EQ(rows.rows.at(0).at(1), std::nullopt);
  try {
    session.exec("SELECT 1; SELECT * FROM no_such_table; SELECT 2");
    FAIL() << "no error";
  } catch (const PgError& error) {
    EXPECT_EQ(error.sqlstate(), "42P01");
    EXPECT_EQ(error.exit_code(), ExitCode::runtime_failure);
  }
  EXPECT_NO_THROW(session.exec("SELECT 1; SELECT 2"));
}

/// A cluster with max_connections = 5: the sixth client is refused with 53300.
TEST(PgConnectionLimits, OverMaxConnectionsIs53300FromTheMessageText) {
  cluster::ClusterOptions options;
  cluster::Profile profile;
  profile.name = "tiny";
  profile.settings.push_back({"max_connections", "5", "test", 1});
  options.profile = profile;
  cluster::Cluster server(options);
  PgConnectionFactory factory(parse_dsn(server.conninfo(), "embedded").target, "limits");
  std::vector<std::unique_ptr<pool::Connection>> held;
  pool::ConnectResult refused;
  for (int i = 0; i < 10; ++i) {
    pool::ConnectResult result = factory.connect();
    if (!result.connection) {
      refused = std::move(result);
      break;
    }
    held.push_back(std::move(result.connection));
  }
  EXPECT_EQ(held.size(), 5U);
  EXPECT_EQ(refused.sqlstate, "53300");
  EXPECT_THAT(refused.error, HasSubstr("too many clients"));
}

}  // namespace
}  // namespace poolbench::pg
