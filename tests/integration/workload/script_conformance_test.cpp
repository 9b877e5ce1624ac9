// Conformance with pgbench itself: each script below writes into a results table; it is run
// by the real pgbench (`pgbench -n -f script.sql -t N -c 1`, Debian's PostgreSQL 15 binary)
// and by poolbench's generator (1 client, N transactions) on the same embedded server, and
// the two tables must hold the same rows. The scripts read and write only what the table
// holds (no random draws), so both runs are deterministic. Then pgbench's built-in scripts
// run through poolbench on a dataset `pgbench -i` initialised, and must keep its invariants.

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cli/run_binary.hpp"
#include "integration/pg/pg_fixture.hpp"
#include "pool/queue_pool.hpp"
#include "scenario/scenario.hpp"
#include "workload/generator.hpp"
#include "workload/transactions.hpp"

namespace poolbench::workload {
namespace {

using pg::testing::PgClusterTest;

const std::filesystem::path k_pgbench = "/usr/lib/postgresql/15/bin/pgbench";
constexpr int k_transactions = 12;

class ScriptConformance : public PgClusterTest {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(k_pgbench)) {
      GTEST_SKIP() << k_pgbench << " is missing (Debian's postgresql-15 package ships it)";
    }
    monitor().exec("DROP TABLE IF EXISTS results; CREATE TABLE results (n int, tag text, v text)");
  }

  /// The results table, one "n|tag|v" line per row, sorted.
  static std::vector<std::string> results() {
    std::vector<std::string> lines;
    const auto rows = monitor().query(
        "SELECT concat_ws('|', n, tag, coalesce(v, 'NULL')) FROM results ORDER BY 1");
    for (const auto& row : rows.rows) lines.push_back(row.at(0).value_or("?"));
    return lines;
  }

  /// Runs `script` with pgbench (simple protocol, its default) and returns its exit code.
  static poolbench::testing::ProcessResult run_pgbench(const std::string& script, int transactions,
                                                       const std::vector<std::string>& extra = {}) {
    const auto path = std::filesystem::temp_directory_path() /
                      ("poolbench-conformance-" + std::to_string(::getpid()) + ".sql");
    std::ofstream(path) << script;
    std::vector<std::string> args = {"-n", "-f", path.string(), "-t", std::to_string(transactions),
                                     "-c", "1"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(server().conninfo());
    auto result = poolbench::testing::run_process(k_pgbench.string(), args);
    std::filesystem::remove(path);
    return result;
  }

  /// Runs `transactions` (a scenario's `transactions:` list) through the generator and a
  /// pool: one client, `count` requests.
  static GeneratorResult run_poolbench(const std::string& transactions, int count) {
    const scenario::Scenario scenario = scenario::parse_scenario(
        "name: conformance\n"
        "workload: { mode: closed, clients: 1, transactions: " +
            std::to_string(count) +
            " }\n"
            "pool: { pool_size: 1, max_overflow: 0 }\n"
            "transactions:\n" +
            transactions,
        "conformance.yaml");
    pg::PgConnectionFactory factory(target(), run_id());
    const auto instances = resolve_instances(scenario);
    pool::QueuePool pool(instances.at(0).settings, factory);
    GeneratorOptions options;
    options.transactions = workload::compile_transactions(scenario);
    options.threads = 1;
    options.pools = {&pool};
    options.random_seed = 5;
    return run_load(scenario, std::move(options));
  }

  /// One transaction named t running `script` (indented as a YAML block scalar).
  static std::string one_transaction(const std::string& script) {
    std::string yaml = "  - name: t\n    script: |\n";
    std::size_t start = 0;
    while (start < script.size()) {
      const std::size_t end = script.find('\n', start);
      yaml += "      " + script.substr(start, end - start) + "\n";
      if (end == std::string::npos) break;
      start = end + 1;
    }
    return yaml;
  }

  /// pgbench then poolbench on `script`, each from an empty table: their tables must match,
  /// and hold `rows_per_transaction` rows per transaction at least (the script really ran).
  /// `before_each` (SQL) runs before each of the two runs.
  void expect_same_results(const std::string& script, std::size_t rows_per_transaction,
                           const std::string& before_each = {}) {
    if (!before_each.empty()) monitor().exec(before_each);
    const auto pgbench = run_pgbench(script, k_transactions);
    ASSERT_EQ(pgbench.exit_code, 0) << pgbench.out << pgbench.err;
    const std::vector<std::string> expected = results();
    ASSERT_GE(expected.size(), k_transactions * rows_per_transaction);
    monitor().exec("TRUNCATE results");
    if (!before_each.empty()) monitor().exec(before_each);
    const GeneratorResult result = run_poolbench(one_transaction(script), k_transactions);
    EXPECT_EQ(result.counters.errors(), 0);
    EXPECT_EQ(result.counters.completed(), k_transactions);
    EXPECT_EQ(results(), expected);
  }
};

TEST_F(ScriptConformance, NestedIfElifElseTakeTheSameBranchesAsPgbench) {
  expect_same_results(R"(SELECT count(*) AS n FROM results \gset
\set m :n % 4
\if :m = 0
INSERT INTO results VALUES (:n, 'zero', NULL);
\elif :m = 1
  \if :n > 4
  INSERT INTO results VALUES (:n, 'one, big', NULL);
  \else
  INSERT INTO results VALUES (:n, 'one, small', NULL);
  \endif
\elif :m = 2
INSERT INTO results VALUES (:n, 'two', :m * 10);
\else
INSERT INTO results VALUES (:n, 'three', NULL);
\endif
\if :m
INSERT INTO results VALUES (:n, 'm is not 0', NULL);
\endif
)",
                      1);
}

TEST_F(ScriptConformance, GsetWithAPrefixStoresTextThatExpressionsRead) {
  // `big` comes back as the text "t" or "f": pgbench reads a prefix of true/false as a
  // boolean, and so must poolbench.
  expect_same_results(R"(SELECT count(*) AS n, count(*) * 10 AS tens, count(*) > 5 AS big
  FROM results \gset p_
\set doubled :p_tens * 2 + 0.5
\if :p_big
INSERT INTO results VALUES (:p_n, 'big', :doubled);
\else
INSERT INTO results VALUES (:p_n, 'small', :p_tens);
\endif
)",
                      1);
}

TEST_F(ScriptConformance, AsetOverACompoundStatementAndGsetTakesItsLastResult) {
  expect_same_results(
      R"(SELECT count(*) AS a FROM results \; SELECT 7 AS b WHERE false \; SELECT count(*) + 100 AS c FROM results \aset q_
INSERT INTO results VALUES (:q_a, 'aset', :q_c);
SELECT 1 AS x \; SELECT count(*) * 3 AS y FROM results \gset
INSERT INTO results VALUES (:y, 'gset last', NULL);
)",
      2);
}

TEST_F(ScriptConformance, CommentsAndSeveralStatementsOnALine) {
  expect_same_results(R"(-- a comment line, then a statement after a block comment
/* block */ SELECT count(*) AS n FROM results \gset
INSERT INTO results VALUES (:n, 'first', NULL); INSERT INTO results /* inline; */ VALUES (:n, 'second', '--');
)",
                      2);
}

TEST_F(ScriptConformance, PgbenchsDocumentedGsetAndAsetExample) {
  // The example of pgbench's documentation (\gset and \aset), its results written out.
  const auto init = poolbench::testing::run_process(k_pgbench.string(),
                                                    {"-i", "-s", "1", "-q", server().conninfo()});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  expect_same_results(R"(\set aid 1 + :client_id
\set delta 7
UPDATE pgbench_accounts
  SET abalance = abalance + :delta
  WHERE aid = :aid
  RETURNING abalance \gset
-- compound of two queries
SELECT 1 \;
SELECT 2 AS two, 3 AS three \gset p_
SELECT 4 AS four \; SELECT 5 AS five \aset
\set sum :p_two * 1000 + :p_three * 100 + :four * 10 + :five
INSERT INTO results VALUES (:abalance, 'documented example', :sum);
)",
                      1, "UPDATE pgbench_accounts SET abalance = 0 WHERE aid = 1");
}

TEST_F(ScriptConformance, AGsetWithoutExactlyOneRowIsACountedErrorNotACrash) {
  const GeneratorResult none =
      run_poolbench(one_transaction("SELECT 1 AS a WHERE false \\gset\n"), 3);
  EXPECT_EQ(none.counters.errors(), 3);
  EXPECT_EQ(none.counters.errors_by_sqlstate().count("P0002"), 1U);
  const GeneratorResult several =
      run_poolbench(one_transaction("SELECT generate_series(1, 2) AS a \\gset\n"), 3);
  EXPECT_EQ(several.counters.errors(), 3);
  EXPECT_EQ(several.counters.errors_by_sqlstate().count("P0003"), 1U);
  // pgbench fails on them too (it aborts the client).
  EXPECT_NE(run_pgbench("SELECT 1 AS a WHERE false \\gset\n", 1).exit_code, 0);
}

TEST_F(ScriptConformance, BuiltinScriptsKeepPgbenchsInvariantsOnAnInitialisedDataset) {
  const auto init = poolbench::testing::run_process(k_pgbench.string(),
                                                    {"-i", "-s", "1", "-q", server().conninfo()});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  const GeneratorResult result = run_poolbench(
      "  - { name: tpcb, script: \"builtin:tpcb-like@2\" }\n"
      "  - { name: update, script: \"builtin:simple-update\" }\n"
      "  - { name: read, script: \"builtin:select-only\" }\n",
      60);
  EXPECT_EQ(result.counters.errors(), 0);
  EXPECT_EQ(result.counters.completed(), 60);
  // Every write transaction logged one history row; its deltas are what the accounts gained,
  // and tpcb-like's share is what the tellers and branches gained.
  const auto sums = monitor().query(
      "SELECT (SELECT count(*) FROM pgbench_history), "
      "(SELECT coalesce(sum(delta), 0) FROM pgbench_history) = "
      "(SELECT sum(abalance) FROM pgbench_accounts), "
      "(SELECT sum(tbalance) FROM pgbench_tellers) = (SELECT sum(bbalance) FROM pgbench_branches)");
  const auto& row = sums.rows.at(0);
  EXPECT_GT(std::stoi(row.at(0).value_or("0")), 0);
  EXPECT_LT(std::stoi(row.at(0).value_or("0")), 60);  // select-only wrote nothing
  EXPECT_EQ(row.at(1), "t");
  EXPECT_EQ(row.at(2), "t");
  EXPECT_EQ(monitor().query("SELECT sum(tbalance) <> 0 FROM pgbench_tellers").rows.at(0).at(0),
            "t");
}

}  // namespace
}  // namespace poolbench::workload
