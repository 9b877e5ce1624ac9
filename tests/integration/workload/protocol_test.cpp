// workload.protocol on the real server: the same script run under each protocol writes what
// the server saw into a table, from inside the statement itself: the session's
// pg_prepared_statements (two prepared statements under `prepared`, none otherwise) and
// current_query(), the text the client sent (placeholders $n under `prepared` and
// `extended`, the quoted values under `simple`). A value with a quote and a backslash read
// by `\gset` must arrive unchanged under each protocol, a NULL as NULL.

#include <optional>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "integration/pg/pg_fixture.hpp"
#include "pool/queue_pool.hpp"
#include "scenario/scenario.hpp"
#include "workload/generator.hpp"
#include "workload/transactions.hpp"

namespace poolbench::workload {
namespace {

using pg::testing::PgClusterTest;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr int k_transactions = 3;
/// A quote and a backslash: quoted wrongly, the statement fails or stores something else.
const std::string k_awkward = R"(O'Brien\x)";

class ProtocolOverPg : public PgClusterTest {
 protected:
  void SetUp() override {
    monitor().exec(
        "DROP TABLE IF EXISTS names, seen;"
        "CREATE TABLE names (id int, name text);"
        "CREATE TABLE seen (protocol text, prepared bigint, query text, v text, n int, k int)");
    monitor().query("INSERT INTO names VALUES (1, $1)", {k_awkward});
  }

  /// Runs the script under `protocol` (1 client, k_transactions requests, one connection).
  static GeneratorResult run(const std::string& protocol, const std::string& script) {
    const scenario::Scenario scenario = scenario::parse_scenario(
        "name: protocol\n"
        "workload: { mode: closed, clients: 1, warmup: 0s, transactions: " +
            std::to_string(k_transactions) + ", protocol: " + protocol +
            " }\n"
            "pool: { pool_size: 1, max_overflow: 0 }\n"
            "transactions:\n  - name: t\n    script: |\n" +
            script,
        "protocol.yaml");
    pg::PgConnectionFactory factory(target(), run_id());
    pool::QueuePool pool(resolve_instances(scenario).at(0).settings, factory);
    GeneratorOptions options;
    options.transactions = compile_transactions(scenario);
    options.threads = 1;
    options.pools = {&pool};
    return run_load(scenario, std::move(options));
  }

  static GeneratorResult run_probe(const std::string& protocol) {
    return run(protocol,
               "      SELECT name AS v FROM names WHERE id = 1 \\gset\n"
               "      \\set n NULL\n"
               "      \\set k 7\n"
               "      INSERT INTO seen VALUES ('" +
                   protocol +
                   "', (SELECT count(*) FROM pg_prepared_statements), current_query(), "
                   ":v, :n, :k);\n");
  }

  struct Seen {
    std::string prepared, query;
    std::optional<std::string> v, n, k;
  };
  /// The rows the probe wrote under `protocol`.
  static std::vector<Seen> seen(const std::string& protocol) {
    std::vector<Seen> out;
    const auto rows = monitor().query(
        "SELECT prepared, query, v, n, k FROM seen WHERE protocol = $1", {protocol});
    for (const auto& row : rows.rows) {
      out.push_back(
          Seen{row.at(0).value_or("?"), row.at(1).value_or("?"), row.at(2), row.at(3), row.at(4)});
    }
    return out;
  }

  /// Every row holds the values unchanged: the text as stored, NULL, and the integer.
  static void expect_values_round_trip(const std::vector<Seen>& rows) {
    ASSERT_EQ(rows.size(), static_cast<std::size_t>(k_transactions));
    for (const Seen& row : rows) {
      EXPECT_EQ(row.v, k_awkward);
      EXPECT_EQ(row.n, std::nullopt);
      EXPECT_EQ(row.k, "7");
    }
  }
};

TEST_F(ProtocolOverPg, PreparedRunsTheSessionsPreparedStatementsWithParameters) {
  const GeneratorResult result = run_probe("prepared");
  EXPECT_EQ(result.counters.errors(), 0);
  EXPECT_EQ(result.counters.completed(), k_transactions);
  const auto rows = seen("prepared");
  expect_values_round_trip(rows);
  for (const Seen& row : rows) {
    EXPECT_EQ(row.prepared, "2");  // the \gset's SELECT and the INSERT
    EXPECT_THAT(row.query, HasSubstr("$1, $2, $3)"));
    EXPECT_THAT(row.query, Not(HasSubstr("Brien")));
  }
}

TEST_F(ProtocolOverPg, ExtendedSendsParametersWithoutPreparingAnything) {
  const GeneratorResult result = run_probe("extended");
  EXPECT_EQ(result.counters.errors(), 0);
  EXPECT_EQ(result.counters.completed(), k_transactions);
  const auto rows = seen("extended");
  expect_values_round_trip(rows);
  for (const Seen& row : rows) {
    EXPECT_EQ(row.prepared, "0");
    EXPECT_THAT(row.query, HasSubstr("$1, $2, $3)"));
    EXPECT_THAT(row.query, Not(HasSubstr("Brien")));
  }
}

TEST_F(ProtocolOverPg, SimpleSendsTheValuesQuotedInTheTextAndPreparesNothing) {
  const GeneratorResult result = run_probe("simple");
  EXPECT_EQ(result.counters.errors(), 0);
  EXPECT_EQ(result.counters.completed(), k_transactions);
  const auto rows = seen("simple");
  expect_values_round_trip(rows);
  for (const Seen& row : rows) {
    EXPECT_EQ(row.prepared, "0");
    // standard_conforming_strings is on (the server's default): only the quote is doubled.
    EXPECT_THAT(row.query, HasSubstr(R"('O''Brien\x', NULL, '7')")) << row.query;
    EXPECT_THAT(row.query, Not(HasSubstr("$")));
  }
}

TEST_F(ProtocolOverPg, SimpleQuotesBackslashesOnceTheSessionTurnsStandardStringsOff) {
  // libpq learns the setting from the server's report: the quoting follows it.
  const GeneratorResult result =
      run("simple",
          "      SET standard_conforming_strings = off;\n"
          "      SET escape_string_warning = off;\n"
          "      SELECT name AS v FROM names WHERE id = 1 \\gset\n"
          "      INSERT INTO seen VALUES ('off', 0, current_query(), :v, NULL, 7);\n");
  EXPECT_EQ(result.counters.errors(), 0);
  const auto rows = seen("off");
  ASSERT_EQ(rows.size(), static_cast<std::size_t>(k_transactions));
  for (const Seen& row : rows) {
    EXPECT_EQ(row.v, k_awkward);
    EXPECT_THAT(row.query, HasSubstr(R"('O''Brien\\x')")) << row.query;
  }
}

}  // namespace
}  // namespace poolbench::workload
