// The event loop's descriptor registrations (one epoll_ctl per connection, not per
// statement; closed and reused descriptors) and the fake server's connections.

#include "workload/event_loop.hpp"

#include <chrono>
#include <memory>

#include <gtest/gtest.h>

#include "support/fake_server.hpp"

namespace poolbench::workload {
namespace {

using namespace std::chrono_literals;
using testing::FakeServer;
using testing::FakeServerConnection;
using testing::FakeServerOptions;

/// Counts the loop's callbacks.
struct CountingTask final : Task {
  int readable = 0;
  int posted = 0;
  void on_timer(std::uint64_t) override {}
  void on_readable() override { ++readable; }
  void on_posted() override { ++posted; }
};

std::unique_ptr<FakeServerConnection> connect(FakeServer& server) {
  pool::ConnectResult result = server.connect();
  EXPECT_TRUE(result.connection) << result.error;
  return std::unique_ptr<FakeServerConnection>(
      static_cast<FakeServerConnection*>(result.connection.release()));
}

/// Sends one statement on `connection` and waits for the loop to report it readable.
void serve_one(EventLoop& loop, FakeServerConnection& connection, CountingTask& task) {
  ASSERT_FALSE(connection.prepare("s", "SELECT 1"));
  ASSERT_TRUE(connection.send_prepared_raw("s", 0, nullptr));
  loop.watch_readable(connection.socket(), connection.serial(), &task);
  const int before = task.readable;
  for (int i = 0; i < 100 && task.readable == before; ++i) {
    loop.run_once(EventLoop::Clock::now() + 1s);
  }
  ASSERT_EQ(task.readable, before + 1);
  ASSERT_EQ(connection.consume(), pg::Progress::done);
  EXPECT_TRUE(connection.take_outcome().ok);
  loop.unwatch(connection.socket());
}

TEST(EventLoopTest, RepeatedStatementsOnOneConnectionRegisterItOnce) {
  FakeServer server;
  auto connection = connect(server);
  EventLoop loop;
  CountingTask task;
  for (int i = 0; i < 50; ++i) serve_one(loop, *connection, task);
  EXPECT_EQ(task.readable, 50);
  EXPECT_EQ(loop.epoll_ctl_calls(), 1U);
}

TEST(EventLoopTest, ANewConnectionOnAClosedConnectionsDescriptorIsRegisteredAgain) {
  FakeServer server;
  EventLoop loop;
  CountingTask task;
  auto first = connect(server);
  const int fd = first->socket();
  serve_one(loop, *first, task);
  first.reset();  // closing the descriptor drops its epoll registration
  auto second = connect(server);
  if (second->socket() != fd) GTEST_SKIP() << "the descriptor number was not reused";
  EXPECT_NE(second->serial(), 0U);
  serve_one(loop, *second, task);  // would hang if the stale registration were trusted
  EXPECT_EQ(loop.epoll_ctl_calls(), 2U);
}

TEST(EventLoopTest, ReadinessNobodyWaitsForUnregistersTheDescriptor) {
  FakeServer server;
  EventLoop loop;
  CountingTask task;
  auto connection = connect(server);
  serve_one(loop, *connection, task);
  // Readable while no task watches it (e.g. idle in the pool, or in another loop's hands).
  ASSERT_TRUE(connection->send_prepared_raw("s", 0, nullptr));
  EXPECT_EQ(loop.run_once(EventLoop::Clock::now() + 100ms), 0);
  EXPECT_EQ(loop.epoll_ctl_calls(), 2U);  // the registration and its removal
  // No longer registered: the loop waits instead of spinning on it.
  const auto started = EventLoop::Clock::now();
  EXPECT_EQ(loop.run_once(started + 20ms), 0);
  EXPECT_GE(EventLoop::Clock::now() - started, 19ms);
  EXPECT_EQ(task.readable, 1);
  // Watching it again registers it again, and the pending answer is delivered.
  loop.watch_readable(connection->socket(), connection->serial(), &task);
  loop.run_once(EventLoop::Clock::now() + 1s);
  EXPECT_EQ(task.readable, 2);
  EXPECT_EQ(loop.epoll_ctl_calls(), 3U);
}

TEST(FakeServerTest, AStatementWithServiceTimeIsBusyUntilItsTimerFires) {
  FakeServer server(FakeServerOptions{.service_time = 30ms});
  auto connection = connect(server);
  ASSERT_FALSE(connection->prepare("s", "SELECT 1"));
  ASSERT_TRUE(connection->send_prepared_raw("s", 0, nullptr));
  EXPECT_EQ(connection->consume(), pg::Progress::busy);
  EXPECT_TRUE(connection->in_transaction());  // an answer is pending
  EventLoop loop;
  CountingTask task;
  loop.watch_readable(connection->socket(), connection->serial(), &task);
  while (task.readable == 0) loop.run_once(EventLoop::Clock::now() + 1s);
  EXPECT_EQ(connection->consume(), pg::Progress::done);
  EXPECT_TRUE(connection->take_outcome().ok);
  EXPECT_FALSE(connection->in_transaction());
}

TEST(FakeServerTest, TransactionsFollowBeginAndCommitAndRollBackOnReturn) {
  FakeServer server;
  auto connection = connect(server);
  ASSERT_FALSE(connection->prepare("b", "  begin"));
  ASSERT_FALSE(connection->prepare("e", "END"));
  ASSERT_TRUE(connection->send_prepared_raw("b", 0, nullptr));
  ASSERT_EQ(connection->consume(), pg::Progress::done);
  connection->take_outcome();
  EXPECT_TRUE(connection->in_transaction());
  EXPECT_TRUE(connection->rollback());
  EXPECT_FALSE(connection->in_transaction());
  EXPECT_EQ(server.stats().rollbacks, 1U);
  ASSERT_TRUE(connection->send_prepared_raw("b", 0, nullptr));
  ASSERT_EQ(connection->consume(), pg::Progress::done);
  connection->take_outcome();
  ASSERT_TRUE(connection->send_prepared_raw("e", 0, nullptr));
  ASSERT_EQ(connection->consume(), pg::Progress::done);
  connection->take_outcome();
  EXPECT_FALSE(connection->in_transaction());
}

TEST(FakeServerTest, AnUnpreparedStatementFailsAtOnce) {
  FakeServer server;
  auto connection = connect(server);
  EXPECT_FALSE(connection->send_prepared_raw("missing", 0, nullptr));
  const pg::StatementOutcome outcome = connection->take_outcome();
  ASSERT_FALSE(outcome.ok);
  EXPECT_EQ(outcome.failure->sqlstate, "26000");
}

TEST(FakeServerTest, MaxConnectionsRefusesConnectsWith53300) {
  FakeServer server(FakeServerOptions{.max_connections = 1});
  auto first = connect(server);
  const pool::ConnectResult refused = server.connect();
  EXPECT_FALSE(refused.connection);
  EXPECT_EQ(refused.sqlstate, "53300");
  first.reset();
  EXPECT_TRUE(server.connect().connection);
  EXPECT_EQ(server.stats().max_open, 1);
}

}  // namespace
}  // namespace poolbench::workload
