#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "cluster/cluster.hpp"
#include "pg/dsn.hpp"
#include "pg/pg_connection.hpp"
#include "pg/session.hpp"

namespace poolbench::pg::testing {

/// One SCRAM embedded cluster shared by every test of a suite deriving from this fixture.
/// Each test uses its own run id, so its backends are told apart by application_name.
class PgClusterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    s_cluster = std::make_unique<cluster::Cluster>();
    s_monitor = std::make_unique<Session>(Session::connect(s_cluster->conninfo()));
  }
  static void TearDownTestSuite() {
    s_monitor.reset();
    s_cluster.reset();
  }

  static cluster::Cluster& server() { return *s_cluster; }
  /// A monitoring session outside any pool (it runs as the cluster's superuser).
  static Session& monitor() { return *s_monitor; }

  /// A run id unique to the running test.
  static std::string run_id() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string id = std::string(info->name());
    if (id.size() > 40) id.resize(40);  // application_name keeps 63 bytes
    return id;
  }
  static ConnectionTarget target() { return parse_dsn(server().conninfo(), "embedded").target; }
  static PgConnectionFactory factory() { return PgConnectionFactory(target(), run_id()); }

  /// Backends of this test's run id, by state ("active", "idle", "idle in transaction").
  static int backends(const std::string& state = {}) {
    const Rows rows = monitor().query(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 "
        "AND ($2 = '' OR state = $2)",
        {"poolbench/" + run_id(), state});
    return std::stoi(rows.rows.at(0).at(0).value_or("0"));
  }

  /// Polls `condition` until it holds or `limit` passes (backends vanish from
  /// pg_stat_activity asynchronously after a disconnect). Not a timing assertion: the
  /// limit is only a bound on waiting for something that must happen.
  static bool eventually(const std::function<bool()>& condition,
                         std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!condition()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
  }

  /// Terminates a backend and waits until it is gone.
  static void terminate(int pid) {
    monitor().query("SELECT pg_terminate_backend($1)", {std::to_string(pid)});
    ASSERT_TRUE(eventually([pid] {
      return monitor()
                 .query("SELECT count(*) FROM pg_stat_activity WHERE pid = $1",
                        {std::to_string(pid)})
                 .rows.at(0)
                 .at(0) == "0";
    }));
  }

 private:
  static inline std::unique_ptr<cluster::Cluster> s_cluster;
  static inline std::unique_ptr<Session> s_monitor;
};

}  // namespace poolbench::pg::testing
