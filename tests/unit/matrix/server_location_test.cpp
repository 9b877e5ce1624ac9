// Which servers server_stats.os reads from /proc: the embedded one and --dsn servers on a
// Unix socket or a loopback address; any other host is remote, and says so.

#include <gtest/gtest.h>

#include "matrix/server_stats_collector.hpp"
#include "pg/dsn.hpp"

namespace poolbench::matrix {
namespace {

pg::ConnectionTarget target_of(const std::string& dsn) {
  return pg::parse_dsn(dsn, "test").target;
}

TEST(ServerLocation, LoopbackAndUnixSocketServersAreOnThisMachine) {
  EXPECT_EQ(remote_reason(target_of("postgresql://u@127.0.0.1:5432/db"), false), "");
  EXPECT_EQ(remote_reason(target_of("postgresql://u@localhost/db"), false), "");
  EXPECT_EQ(remote_reason(target_of("host=/var/run/postgresql dbname=db"), false), "");
  EXPECT_EQ(remote_reason(target_of("host=db.example.com dbname=db"), true), "");  // embedded
}

TEST(ServerLocation, AnyOtherHostIsRemoteAndTheReasonNamesIt) {
  const std::string reason = remote_reason(target_of("postgresql://u@db.example.com/db"), false);
  EXPECT_NE(reason.find("db.example.com"), std::string::npos) << reason;
  EXPECT_NE(reason.find("not on this machine"), std::string::npos) << reason;
  EXPECT_NE(remote_reason(target_of("host=127.0.0.1,10.0.0.5 dbname=db"), false), "");
}

}  // namespace
}  // namespace poolbench::matrix
