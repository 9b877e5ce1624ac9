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

TEST(AnalyzeSql, AQuoteInsideACommentOrADollarQuoteDoesNotHideWhatFollows) {
  // A block comment, an E'' string or a dollar quote holding a quote must end where
  // PostgreSQL ends it, or the comparisons after it are read as the inside of a literal.
  for (const char* sql : {"SELECT v FROM t /* it's */ WHERE k = $1",
                          "SELECT v FROM t /* a /* nested */ it's */ WHERE k = $1",
                          "SELECT v FROM t WHERE note <> E'it\\'s' AND k = $1",
                          "SELECT v FROM t WHERE note <> $$it's$$ AND k = $1",
                          "SELECT v FROM t WHERE note <> $q$it's $$ x$q$ AND k = $1",
                          "SELECT v FROM t -- it's\nWHERE k = $1"}) {
    const SqlRefs refs = analyze_sql(sql);
    EXPECT_EQ(refs.tables.count("t"), 1U) << sql;
    ASSERT_EQ(refs.params.count(1), 1U) << sql;
    EXPECT_EQ(refs.params.at(1).column, "k") << sql;
    EXPECT_EQ(refs.max_param, 1) << sql;
  }
}

TEST(AnalyzeSql, ATableOrParameterInsideACommentOrAStringIsNotRead) {
  const SqlRefs refs = analyze_sql(
      "SELECT v /* FROM secret WHERE x = $9 */ FROM t WHERE k = $1 AND n <> $$ FROM u $8 $$");
  EXPECT_EQ(refs.tables.count("secret"), 0U);
  EXPECT_EQ(refs.tables.count("u"), 0U);
  EXPECT_EQ(refs.max_param, 1);
  EXPECT_EQ(refs.params.at(1).column, "k");
}

TEST(AnalyzeSql, ADoubledQuoteInAQuotedIdentifierIsOneQuote) {
  const SqlRefs refs = analyze_sql(R"(SELECT 1 FROM "we""ird" w WHERE w."a""b" = $1)");
  EXPECT_EQ(refs.tables.at("w"), "we\"ird");
  EXPECT_EQ(refs.params.at(1).qualifier, "w");
  EXPECT_EQ(refs.params.at(1).column, "a\"b");
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

TEST(Redact, AQuoteInACommentDoesNotSwallowTheLiteralsAfterIt) {
  // Read as a literal, the comment's apostrophe ended at the next quote, which left the
  // value 'secret' outside any literal, written as it was.
  EXPECT_EQ(redact_sql_literals("SELECT 1 -- it's\nWHERE x = 'secret' AND y = 7"),
            "SELECT 0 -- redacted\nWHERE x = 'redacted' AND y = 0");
  EXPECT_EQ(redact_sql_literals("SELECT /* it's */ x FROM t WHERE x = 'secret'"),
            "SELECT /* redacted */ x FROM t WHERE x = 'redacted'");
  EXPECT_EQ(redact_sql_literals("SELECT /* a /* it's */ b */ 'secret'"),
            "SELECT /* redacted */ 'redacted'");
}

TEST(Redact, ACommentsTextIsReplacedForItMayHoldAValue) {
  EXPECT_EQ(redact_sql_literals("SELECT x /* user alice, id 42 */ FROM t -- card 4111"),
            "SELECT x /* redacted */ FROM t -- redacted");
}

TEST(Redact, EveryDollarQuoteAndEscapeStringIsRedactedWhereverItStands) {
  // A dollar quote or E'' right after another one's closing `$` is a new literal.
  EXPECT_EQ(redact_sql_literals("SELECT $a$x$a$$b$secret$b$"), "SELECT 'redacted''redacted'");
  EXPECT_EQ(redact_sql_literals("SELECT $$x$$E'it\\'s secret'"), "SELECT 'redacted''redacted'");
  EXPECT_EQ(redact_sql_literals("SELECT $$x$$42"), "SELECT 'redacted'0");
  // Unterminated: redacted to the end rather than written as it was.
  EXPECT_EQ(redact_sql_literals("SELECT $q$ secret"), "SELECT 'redacted'");
  EXPECT_EQ(redact_sql_literals("SELECT 'secret"), "SELECT 'redacted'");
  // Parameters and words holding a `$` are no dollar quotes.
  EXPECT_EQ(redact_sql_literals("SELECT a$b$c, $1, $2$ FROM t"), "SELECT a$b$c, $1, $2$ FROM t");
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
