#include "capture/sql_refs.hpp"

#include <cctype>
#include <optional>
#include <set>

#include "util/sql_lexer.hpp"

namespace poolbench::capture {
namespace {

enum class Kind { word, quoted_word, param, literal, symbol };

struct Token {
  Kind kind;
  std::string text;  ///< words lower case; a param's number as text
};

/// The end of the comment or string constant ('...', E'...', $$...$$, $tag$...$tag$) at
/// `at`, a literal token pushed for a constant; `at` when none starts there.
std::size_t comment_or_string_end(std::string_view sql, std::size_t at, std::vector<Token>& out) {
  const char c = sql[at];
  const char next = at + 1 < sql.size() ? sql[at + 1] : '\0';
  if (c == '-' && next == '-') return util::line_comment_end(sql, at);
  if (c == '/' && next == '*') return util::block_comment_end(sql, at).end;
  const bool escape_string =
      (c == 'E' || c == 'e') && next == '\'' && util::escape_string_before(sql, at + 1);
  std::size_t end = at;
  if (c == '\'' || escape_string) {
    end = util::quoted_end(sql, escape_string ? at + 1 : at, '\'',
                           escape_string ? util::Backslash::escapes : util::Backslash::literal)
              .end;
  } else if (const auto quote = c == '$' ? util::dollar_quote_end(sql, at) : std::nullopt) {
    end = quote->end;
  }
  if (end != at) out.push_back({Kind::literal, ""});
  return end;
}

/// The quoted identifier at `at` (its opening `"`), a doubled `""` read as one `"`.
std::size_t quoted_word_end(std::string_view sql, std::size_t at, std::vector<Token>& out) {
  const util::LexEnd quoted = util::quoted_end(sql, at, '"');
  const std::string_view inside =
      sql.substr(at + 1, quoted.end - at - 1 - (quoted.terminated ? 1 : 0));
  std::string name;
  for (std::size_t i = 0; i < inside.size(); ++i) {
    name += inside[i];
    if (inside[i] == '"') ++i;
  }
  out.push_back({Kind::quoted_word, std::move(name)});
  return quoted.end;
}

std::vector<Token> tokenize(std::string_view sql) {
  std::vector<Token> out;
  for (std::size_t at = 0; at < sql.size();) {
    const char c = sql[at];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++at;
    } else if (const std::size_t end = comment_or_string_end(sql, at, out); end != at) {
      at = end;
    } else if (c == '"') {
      at = quoted_word_end(sql, at, out);
    } else if (c == '$' && at + 1 < sql.size() &&
               std::isdigit(static_cast<unsigned char>(sql[at + 1]))) {
      std::size_t i = at + 1;
      while (i < sql.size() && std::isdigit(static_cast<unsigned char>(sql[i]))) ++i;
      out.push_back({Kind::param, std::string(sql.substr(at + 1, i - at - 1))});
      at = i;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      std::size_t i = at;
      while (i < sql.size() && (util::is_dollar_tag_char(sql[i]) || sql[i] == '.')) ++i;
      out.push_back({Kind::literal, ""});
      at = i;
    } else if (util::is_identifier_start(c)) {
      std::size_t i = at;
      std::string word;
      for (; i < sql.size() && util::is_identifier_char(sql[i]); ++i) {
        word += static_cast<char>(std::tolower(static_cast<unsigned char>(sql[i])));
      }
      out.push_back({Kind::word, std::move(word)});
      at = i;
    } else {
      std::string symbol(1, c);
      if (at + 1 < sql.size() && std::string_view("<>=!:").find(c) != std::string_view::npos &&
          std::string_view("<>=:").find(sql[at + 1]) != std::string_view::npos) {
        symbol += sql[at + 1];
      }
      out.push_back({Kind::symbol, symbol});
      at += symbol.size();
    }
  }
  return out;
}

bool is_name(const Token& token) {
  return token.kind == Kind::word || token.kind == Kind::quoted_word;
}

const std::set<std::string>& reserved() {
  static const std::set<std::string> k_words = {
      "where",  "on",     "join",   "left",      "right", "inner",   "outer",
      "full",   "cross",  "group",  "order",     "limit", "offset",  "set",
      "using",  "union",  "values", "returning", "for",   "natural", "lateral",
      "having", "window", "except", "intersect", "select"};
  return k_words;
}

/// `name[.name]` ending at token `end` (inclusive): the column reference, or empty.
ColumnRef column_before(const std::vector<Token>& tokens, std::size_t end) {
  if (!is_name(tokens[end]) ||
      (tokens[end].kind == Kind::word && reserved().count(tokens[end].text))) {
    return {};
  }
  if (end >= 2 && tokens[end - 1].text == "." && tokens[end - 1].kind == Kind::symbol &&
      is_name(tokens[end - 2])) {
    return {tokens[end - 2].text, tokens[end].text};
  }
  return {"", tokens[end].text};
}

ColumnRef column_after(const std::vector<Token>& tokens, std::size_t begin) {
  if (begin >= tokens.size() || !is_name(tokens[begin])) return {};
  if (begin + 2 < tokens.size() && tokens[begin + 1].text == "." && is_name(tokens[begin + 2])) {
    return {tokens[begin].text, tokens[begin + 2].text};
  }
  if (begin + 1 < tokens.size() && tokens[begin + 1].text == "(") return {};  // a function
  return {"", tokens[begin].text};
}

bool is_comparison(const Token& token) {
  static const std::set<std::string> k_ops = {"=", "<", ">", "<=", ">=", "<>", "!="};
  return token.kind == Kind::symbol && k_ops.count(token.text) > 0;
}

void collect_tables(const std::vector<Token>& tokens, SqlRefs& refs) {
  for (std::size_t i = 0; i + 1 < tokens.size(); ++i) {
    const std::string& word = tokens[i].text;
    if (tokens[i].kind != Kind::word ||
        (word != "from" && word != "join" && word != "update" && word != "into")) {
      continue;
    }
    std::size_t at = i + 1;
    while (at < tokens.size() && is_name(tokens[at]) && !reserved().count(tokens[at].text)) {
      std::string table = tokens[at].text;
      if (at + 2 < tokens.size() && tokens[at + 1].text == "." && is_name(tokens[at + 2])) {
        table = tokens[at].text + "." + tokens[at + 2].text;  // schema.table
        at += 2;
      }
      ++at;
      std::string alias = tokens[at - 1].text;
      if (at < tokens.size() && tokens[at].text == "as") ++at;
      if (at < tokens.size() && is_name(tokens[at]) && !reserved().count(tokens[at].text)) {
        alias = tokens[at].text;
        ++at;
      }
      refs.tables[alias] = table;
      refs.tables[table] = table;
      if (at < tokens.size() && tokens[at].text == ",") {
        ++at;  // FROM a, b
      } else {
        break;
      }
    }
  }
}

}  // namespace

SqlRefs analyze_sql(std::string_view sql) {
  SqlRefs refs;
  const std::vector<Token> tokens = tokenize(sql);
  collect_tables(tokens, refs);
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i].kind != Kind::param) continue;
    const int number = std::stoi(tokens[i].text.substr(0, 6));
    refs.max_param = std::max(refs.max_param, number);
    ColumnRef column;
    if (i >= 2 && is_comparison(tokens[i - 1])) {
      column = column_before(tokens, i - 2);  // col = $n
    } else if (i + 1 < tokens.size() && is_comparison(tokens[i + 1])) {
      column = column_after(tokens, i + 2);  // $n = col
    } else if (i >= 2 && tokens[i - 1].text == "between") {
      column = column_before(tokens, i - 2);  // col BETWEEN $n
    } else if (i >= 4 && tokens[i - 1].text == "and" && tokens[i - 3].text == "between" &&
               tokens[i - 2].kind == Kind::param) {
      column = column_before(tokens, i - 4);  // col BETWEEN $m AND $n
    } else {
      // col IN ($a, $b, $n): walk back over params and commas to "in ("
      std::size_t j = i;
      while (j >= 2 && tokens[j - 1].text == "," && tokens[j - 2].kind == Kind::param) j -= 2;
      if (j >= 3 && tokens[j - 1].text == "(" && tokens[j - 2].text == "in") {
        column = column_before(tokens, j - 3);
      }
    }
    if (!column.column.empty()) refs.params[number] = column;
  }
  return refs;
}

}  // namespace poolbench::capture
