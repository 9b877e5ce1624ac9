// The SQL lexing primitives the script scanner, capture and the statement matcher share:
// where quoted texts, comments and dollar quotes end, by PostgreSQL's rules.

#include "util/sql_lexer.hpp"

#include <gtest/gtest.h>

namespace poolbench::util {
namespace {

TEST(SqlLexerQuotedEnd, EndsAfterTheClosingQuoteAndKeepsDoubledQuotesInside) {
  const std::string_view sql = "x = 'it''s' AND y";
  const LexEnd end = quoted_end(sql, 4, '\'');
  EXPECT_TRUE(end.terminated);
  EXPECT_EQ(sql.substr(4, end.end - 4), "'it''s'");
  const std::string_view identifier = R"("a""b".c)";
  EXPECT_EQ(quoted_end(identifier, 0, '"').end, 6u);
  EXPECT_EQ(quoted_end("''", 0, '\'').end, 2u);
}

TEST(SqlLexerQuotedEnd, ABackslashEscapesTheNextByteOnlyInEscapeStrings) {
  const std::string_view sql = R"('a\'b' rest')";
  EXPECT_EQ(quoted_end(sql, 0, '\'').end, 4u);  // standard string: 'a\'
  const LexEnd escaped = quoted_end(sql, 0, '\'', Backslash::escapes);
  EXPECT_TRUE(escaped.terminated);
  EXPECT_EQ(sql.substr(0, escaped.end), R"('a\'b')");
  EXPECT_EQ(quoted_end(R"('\\' x)", 0, '\'', Backslash::escapes).end, 4u);
}

TEST(SqlLexerQuotedEnd, AnUnterminatedQuoteEndsAtTheEndOfTheText) {
  for (const std::string_view sql : {"'abc", "'", "'it''", R"('a\')"}) {
    const LexEnd end = quoted_end(sql, 0, '\'', Backslash::escapes);
    EXPECT_FALSE(end.terminated) << sql;
    EXPECT_EQ(end.end, sql.size()) << sql;
  }
  EXPECT_TRUE(quoted_end(R"('a\')", 0, '\'').terminated);  // a standard string ends there
  EXPECT_FALSE(quoted_end(R"("abc)", 0, '"').terminated);
}

TEST(SqlLexerEscapeString, ALoneEBeforeAQuoteStartsAnEscapeStringAndALongerWordDoesNot) {
  EXPECT_TRUE(escape_string_before("E'x'", 1));
  EXPECT_TRUE(escape_string_before("SELECT e'x'", 8));
  EXPECT_TRUE(escape_string_before("(E'x')", 2));
  EXPECT_TRUE(escape_string_before("$$a$$E'x'", 6));  // after a dollar quote's close
  EXPECT_TRUE(escape_string_before("SELECT E", 8));   // the text before the quote only
  EXPECT_FALSE(escape_string_before("SELECT 'x'", 7));
  EXPECT_FALSE(escape_string_before("SOME'x'", 4));
  EXPECT_FALSE(escape_string_before("t1e'x'", 3));
  EXPECT_FALSE(escape_string_before("_e'x'", 2));
  EXPECT_FALSE(escape_string_before("\303\251e'x'", 3));  // UTF-8 é, then e
  EXPECT_FALSE(escape_string_before("'x'", 0));
  EXPECT_FALSE(escape_string_before("E", 2));  // past the end
}

TEST(SqlLexerComments, BlockCommentsNest) {
  const std::string_view sql = "/* a /* b */ c */ d";
  const LexEnd end = block_comment_end(sql, 0);
  EXPECT_TRUE(end.terminated);
  EXPECT_EQ(sql.substr(end.end), " d");
  EXPECT_EQ(block_comment_end("/**/x", 0).end, 4u);
  EXPECT_EQ(block_comment_end("/* it's */'x'", 0).end, 10u);  // a quote inside is text
}

TEST(SqlLexerComments, AnUnclosedBlockCommentEndsAtTheEndOfTheText) {
  for (const std::string_view sql : {"/* a", "/*/", "/* a /* b */", "/*"}) {
    const LexEnd end = block_comment_end(sql, 0);
    EXPECT_FALSE(end.terminated) << sql;
    EXPECT_EQ(end.end, sql.size()) << sql;
  }
}

TEST(SqlLexerComments, ALineCommentEndsBeforeItsNewlineOrAtTheEnd) {
  EXPECT_EQ(line_comment_end("x -- it's\ny", 2), 9u);
  EXPECT_EQ(line_comment_end("-- to the end", 0), 13u);
}

TEST(SqlLexerDollarQuote, ReadsAnEmptyTagOrAnIdentifierTag) {
  EXPECT_EQ(dollar_quote_tag("$$body$$", 0), "$$");
  EXPECT_EQ(dollar_quote_tag("$fn_1$body$fn_1$", 0), "$fn_1$");
  EXPECT_EQ(dollar_quote_tag("x $_$ y", 2), "$_$");
  EXPECT_EQ(dollar_quote_tag("$\xc3\xa9$", 0), "$\xc3\xa9$");
}

TEST(SqlLexerDollarQuote, AParameterOrATagStartingWithADigitIsNoDollarQuote) {
  for (const std::string_view sql : {"$1", "$1$", "$12 + $3$", "$", "$a", "$a b$", "$-$", "x"}) {
    EXPECT_EQ(dollar_quote_tag(sql, 0), "") << sql;
    EXPECT_FALSE(dollar_quote_end(sql, 0).has_value()) << sql;
  }
}

TEST(SqlLexerDollarQuote, EndsAfterTheFirstClosingDelimiterEqualToTheOpeningOne) {
  const std::string_view sql = "$q$ it's $$ not $x$ yet $q$; rest";
  const auto end = dollar_quote_end(sql, 0);
  ASSERT_TRUE(end.has_value());
  EXPECT_TRUE(end->terminated);
  EXPECT_EQ(sql.substr(end->end), "; rest");
  EXPECT_EQ(dollar_quote_end("$$$$", 0)->end, 4u);
  EXPECT_EQ(dollar_quote_end("$a$x$a$$b$y$b$", 0)->end, 7u);
}

TEST(SqlLexerDollarQuote, AnUnclosedDollarQuoteEndsAtTheEndOfTheText) {
  for (const std::string_view sql : {"$$ body", "$a$ body $b$", "$a$"}) {
    const auto end = dollar_quote_end(sql, 0);
    ASSERT_TRUE(end.has_value()) << sql;
    EXPECT_FALSE(end->terminated) << sql;
    EXPECT_EQ(end->end, sql.size()) << sql;
  }
}

TEST(SqlLexerIdentifiers, FollowPostgresqlsCharacterClasses) {
  for (const char c : {'a', 'Z', '_', '\xc3', '\x80'}) {
    EXPECT_TRUE(is_identifier_start(c)) << c;
    EXPECT_TRUE(is_dollar_tag_char(c)) << c;
    EXPECT_TRUE(is_identifier_char(c)) << c;
  }
  for (const char c : {'0', '9'}) {
    EXPECT_FALSE(is_identifier_start(c));
    EXPECT_TRUE(is_dollar_tag_char(c));
    EXPECT_TRUE(is_identifier_char(c));
  }
  EXPECT_FALSE(is_identifier_start('$'));
  EXPECT_FALSE(is_dollar_tag_char('$'));
  EXPECT_TRUE(is_identifier_char('$'));
  for (const char c : {' ', '\'', '"', '-', '.', ':', '\0'}) {
    EXPECT_FALSE(is_identifier_char(c)) << c;
  }
}

}  // namespace
}  // namespace poolbench::util
