// `poolbench matrix` with workload.protocol as an axis, against a --dsn server: each cell
// ran its statements with its own protocol, as the server saw them (the statement writes
// the session's prepared-statement count and its own text, current_query(), into a table
// tagged with the cell's application_name), and results.json names the protocol per cell.

#include <map>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/background_server.hpp"
#include "cli/run_binary.hpp"
#include "cli/run_fixture.hpp"
#include "pg/session.hpp"

namespace {

using poolbench::testing::k_binary;
using poolbench::testing::k_source;
using poolbench::testing::run_process;

class ProtocolMatrix : public poolbench::testing::RunFixture {};

TEST_F(ProtocolMatrix, EachCellSendsItsStatementsWithItsOwnProtocol) {
  poolbench::testing::BackgroundServer server(k_binary);
  const std::string scenario = write("protocols.yaml", R"(name: protocols
dataset:
  setup: CREATE TABLE IF NOT EXISTS seen (app text, prepared bigint, query text, k int)
workload: { mode: closed, clients: 1, transactions: 5, warmup: 0s }
pool: { pool_size: 1, max_overflow: 0 }
transactions:
  - name: probe
    script: |
      \set k 7
      INSERT INTO seen VALUES (current_setting('application_name'),
        (SELECT count(*) FROM pg_prepared_statements), current_query(), :k);
matrix:
  workload.protocol: [simple, extended, prepared]
)");
  const auto result = run_process(
      k_binary,
      {"matrix", scenario, "--dsn", server.dsn(), "--settle", "0s", "--out", m_out.string()},
      {{"POOLBENCH_DSN", ""}}, k_source);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const nlohmann::json json = results();
  ASSERT_EQ(json["cells"].size(), 3U);
  EXPECT_EQ(json["scenario"]["workload"]["protocol"], "prepared");  // the base point

  poolbench::pg::Session session = poolbench::pg::Session::connect(server.conninfo());
  std::map<std::string, int> seen_protocols;
  for (const auto& cell : json["cells"]) {
    EXPECT_EQ(cell["status"], "ok");
    const std::string protocol = cell["params"]["workload.protocol"].get<std::string>();
    ++seen_protocols[protocol];
    const std::string app = "poolbench/" + json["run_id"].get<std::string>() + "-c" +
                            std::to_string(cell["index"].get<int>());
    const auto rows = session.query("SELECT prepared, query, k FROM seen WHERE app = $1", {app});
    ASSERT_EQ(rows.rows.size(), 5U) << protocol << " " << app;
    for (const auto& row : rows.rows) {
      const std::string prepared = row.at(0).value_or("?");
      const std::string query = row.at(1).value_or("?");
      EXPECT_EQ(row.at(2), "7") << protocol;
      if (protocol == "prepared") {
        EXPECT_EQ(prepared, "1") << query;
        EXPECT_NE(query.find(", $1)"), std::string::npos) << query;
      } else if (protocol == "extended") {
        EXPECT_EQ(prepared, "0") << query;
        EXPECT_NE(query.find(", $1)"), std::string::npos) << query;
      } else {
        EXPECT_EQ(prepared, "0") << query;
        EXPECT_NE(query.find(", '7')"), std::string::npos) << query;
      }
    }
  }
  EXPECT_EQ(seen_protocols,
            (std::map<std::string, int>{{"extended", 1}, {"prepared", 1}, {"simple", 1}}));
}

}  // namespace
