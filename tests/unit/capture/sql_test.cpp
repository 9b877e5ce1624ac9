// What capture reads from SQL text: parameters' columns, literals to redact, arrays.

#include <gtest/gtest.h>

#include "capture/catalog.hpp"
#include "capture/redact.hpp"
#include "capture/sql_refs.hpp"
#include "capture/stat_capture.hpp"

namespace poolbench::capture {
namespace {

TEST(AnalyzeSql, FindsTheColumnOfEachSimpleComparison) {
  const SqlRefs refs = analyze_sql(
      "SELECT * FROM shop.orders o JOIN users AS u ON u.id = o.user_id WHERE o.status = $1 AND "
      "$2 < u.age AND u.country IN ($3, $4) AND o.total BETWEEN $5 AND $6 AND f($7) LIMIT $8");
  EXPECT_EQ(refs.tables.at("o"), "shop.orders");
  EXPECT_EQ(refs.tables.at("u"), "users");
  EXPECT_EQ(refs.params.at(1).qualifier, "o");
  EXPECT_EQ(refs.params.at(1).column, "status");
  EXPECT_EQ(refs.params.at(2).column, "age");
  EXPECT_EQ(refs.params.at(3).column, "country");
  EXPECT_EQ(refs.params.at(4).column, "country");
  EXPECT_EQ(refs.params.at(5).column, "total");
  EXPECT_EQ(refs.params.at(6).column, "total");
  EXPECT_EQ(refs.params.count(7), 0U);
  EXPECT_EQ(refs.params.count(8), 0U);
  EXPECT_EQ(refs.max_param, 8);
}

TEST(AnalyzeSql, ReadsUpdateTargets) {
  const SqlRefs refs =
      analyze_sql("UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2");
  EXPECT_EQ(refs.tables.at("pgbench_accounts"), "pgbench_accounts");
  EXPECT_EQ(refs.params.count(1), 0U);
  EXPECT_EQ(refs.params.at(2).column, "aid");
}

TEST(Redact, ReplacesEveryLiteralButKeepsIdentifiersAndParameters) {
  EXPECT_EQ(redact_sql_literals("SELECT a1 FROM t2 WHERE x = 'secret' AND y = 42.5 AND z = $1"),
            "SELECT a1 FROM t2 WHERE x = 'redacted' AND y = 0 AND z = $1");
  EXPECT_EQ(redact_sql_literals("SELECT E'a\\'b', $$x$$, \"Col 9\""),
            "SELECT 'redacted', 'redacted', \"Col 9\"");
  EXPECT_EQ(placeholder_for("12345"), "0");
  EXPECT_EQ(placeholder_for("-1.5"), "0.0");
  EXPECT_EQ(placeholder_for("2024-02-03 10:00:00+01"), "2000-01-01 00:00:00");
  EXPECT_EQ(placeholder_for("alice@example.com"), "redacted");
}

TEST(ArrayText, ReadsQuotedElementsAndSkipsNulls) {
  EXPECT_EQ(parse_array_text(R"({a,"b c","d\"e",NULL,"NULL"})"),
            (std::vector<std::string>{"a", "b c", "d\"e", "NULL"}));
  EXPECT_TRUE(parse_array_text("x").empty());
}

TEST(StatementScript, MarksEachUnresolvedParameterFillIn) {
  const std::string script = statement_script("SELECT *\n  FROM t WHERE a = $1 LIMIT $2;", nullptr);
  EXPECT_EQ(script,
            "-- $1: no server statistics; write an expression for it below\n\\set p1 FILL-IN\n"
            "-- $2: no server statistics; write an expression for it below\n\\set p2 FILL-IN\n"
            "SELECT * FROM t WHERE a = :p1 LIMIT :p2;\n");
}

}  // namespace
}  // namespace poolbench::capture
