// server_stats.statements[] matched to the scenario's statements: pg_stat_statements'
// normalized texts ($n for every constant) against the script's (constants, :variables),
// whichever protocol sent them.

#include "matrix/statement_match.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "script/script.hpp"

namespace poolbench::matrix {
namespace {

using nlohmann::json;
using Tokens = std::vector<std::string>;

TEST(SqlTokens, WordsAreLowercasedAndWhitespaceAndCommentsDoNotCount) {
  EXPECT_EQ(sql_tokens("SELECT  abalance\n\tFROM pgbench_accounts -- the account\n"),
            (Tokens{"select", "abalance", "from", "pgbench_accounts"}));
  EXPECT_EQ(sql_tokens("select /* a /* nested */ comment */ x from t"),
            sql_tokens("SELECT x FROM t"));
  EXPECT_EQ(sql_tokens(R"(SELECT "MixedCase" FROM t)"),
            (Tokens{"select", "\"MixedCase\"", "from", "t"}));
}

TEST(SqlTokens, ConstantsParametersAndVariablesAreAllOnePlaceholder) {
  const Tokens where{"where", "k", "=", "?"};
  for (const char* value : {"42", "4.5e3", ".5", "-7", "'text'", "'it''s'", "E'a\\'b'", "$1", "$12",
                            ":aid", ":'name'", ":\"name\"", "TRUE", "null", "$$x$$", "$q$a;b$q$"}) {
    EXPECT_EQ(sql_tokens(std::string("WHERE k = ") + value), where) << value;
  }
}

TEST(SqlTokens, ACastStaysACastAfterAVariableOrAParameter) {
  const Tokens cast{"select", "?", "::", "int"};
  EXPECT_EQ(sql_tokens("SELECT :aid::int"), cast);
  EXPECT_EQ(sql_tokens("SELECT $1::int"), cast);
  EXPECT_EQ(sql_tokens("SELECT '5'::int"), cast);
  EXPECT_EQ(sql_tokens("SELECT x::int"), (Tokens{"select", "x", "::", "int"}));
  EXPECT_EQ(sql_tokens("SELECT a[1:2]"), (Tokens{"select", "a", "[", "?", ":", "?", "]"}));
}

TEST(SameStatement, PgStatStatementsTextMatchesTheScriptUnderEveryProtocol) {
  const char* script = "UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid;";
  // Extended and prepared: the variables were sent as $n; simple: as quoted literals, which
  // the server normalizes to $n as well.
  EXPECT_TRUE(same_statement("UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2",
                             script));
  EXPECT_TRUE(
      same_statement("update pgbench_accounts\n  set abalance = abalance + $1 where aid = $2",
                     "UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2"));
  // The script's own constants are normalized too.
  EXPECT_TRUE(same_statement("SELECT v FROM t WHERE k = $1 AND note <> $2 LIMIT $3",
                             "SELECT v FROM t WHERE k = :k AND note <> 'none' LIMIT 10;"));
  EXPECT_TRUE(same_statement("SELECT $1::int + $2", "select :x::int + -1"));
}

TEST(SameStatement, ADifferentStatementDoesNotMatch) {
  EXPECT_FALSE(same_statement("SELECT v FROM t WHERE k = $1", "SELECT v FROM u WHERE k = :k"));
  EXPECT_FALSE(same_statement("SELECT v FROM t WHERE k = $1", "SELECT v FROM t WHERE k > :k"));
  EXPECT_FALSE(same_statement("SELECT v FROM t", "SELECT v FROM t WHERE k = 1"));
  EXPECT_FALSE(same_statement("SELECT x::int", "SELECT x::text"));
  EXPECT_FALSE(same_statement("", "SELECT 1"));
}

TEST(SameStatement, ATruncatedQueryMatchesTheStatementItStarts) {
  EXPECT_TRUE(same_statement("SELECT a, b, c FROM some_long_tab",
                             "SELECT a, b, c FROM some_long_table", true));
  EXPECT_FALSE(
      same_statement("SELECT a, b, c FROM some_long_tab", "SELECT a, b, c FROM some_long_table"));
  EXPECT_FALSE(same_statement("SELECT a, x, c FROM some_long_tab",
                              "SELECT a, b, c FROM some_long_table", true));
}

workload::CompiledTransaction transaction(const std::string& name, const std::string& text) {
  return {name, 1, script::parse_script(text, {.file = "", .transaction = name})};
}

TEST(MatchStatements, EachEntryGetsTheFirstMatchingStatementsTransactionAndLineOrNull) {
  const std::vector<workload::CompiledTransaction> transactions = {
      transaction("read", "\\set k random(1, 10)\nBEGIN;\nSELECT v FROM t WHERE k = :k;\nEND;\n"),
      transaction("write",
                  "\\set k 5\n"
                  "INSERT INTO t (k, v) VALUES (:k, 'x');\n"
                  "SELECT 1 \\; SELECT v FROM t WHERE k = 2;\n")};
  json statements = json::array({{{"query", "SELECT v FROM t WHERE k = $1"}, {"calls", 5.0}},
                                 {{"query", "INSERT INTO t (k, v) VALUES ($1, $2)"}},
                                 {{"query", "SELECT $1"}},
                                 {{"query", "begin"}},
                                 {{"query", "VACUUM t"}}});
  match_statements(statements, transactions, 300);
  EXPECT_EQ(statements[0]["transaction"], "read");  // "write" line 3's second part matches too
  EXPECT_EQ(statements[0]["line"], 3);
  EXPECT_EQ(statements[0]["calls"], 5.0);
  EXPECT_EQ(statements[1]["transaction"], "write");
  EXPECT_EQ(statements[1]["line"], 2);
  EXPECT_EQ(statements[2]["transaction"], "write");  // a compound statement's first part
  EXPECT_EQ(statements[2]["line"], 3);
  EXPECT_EQ(statements[3]["transaction"], "read");
  EXPECT_EQ(statements[3]["line"], 2);
  EXPECT_TRUE(statements[4]["transaction"].is_null());
  EXPECT_TRUE(statements[4]["line"].is_null());
}

TEST(MatchStatements, AQueryAsLongAsTheKeptCharactersIsMatchedByItsBeginning) {
  const std::vector<workload::CompiledTransaction> transactions = {
      transaction("wide", "\\set k 1\nSELECT aaaa, bbbb, cccc FROM t WHERE k = :k;\n")};
  json statements = json::array({{{"query", "SELECT aaaa, bbbb, cc"}}});  // 21 characters
  match_statements(statements, transactions, 21);
  EXPECT_EQ(statements[0]["transaction"], "wide");
  match_statements(statements, transactions, 300);  // not cut: a different statement
  EXPECT_TRUE(statements[0]["transaction"].is_null());
}

}  // namespace
}  // namespace poolbench::matrix
