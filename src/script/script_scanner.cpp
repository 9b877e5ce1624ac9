#include "script/script_scanner.hpp"

#include <optional>

#include <fmt/format.h>

#include "util/sql_lexer.hpp"

namespace poolbench::script {

bool is_variable_start(char c) noexcept {
  return util::is_identifier_start(c);
}

bool is_variable_char(char c) noexcept {
  return util::is_dollar_tag_char(c);
}

ScriptPosition ScannedItem::position_of(std::size_t offset) const {
  ScriptPosition result = start;
  std::size_t line_start = 0;
  bool first_line = true;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++result.line;
      line_start = i + 1;
      first_line = false;
    }
  }
  const int within = static_cast<int>(offset - line_start);
  // Command text starts after the backslash, one column right of `start`.
  const int base = kind == Kind::backslash ? start.column + 1 : start.column;
  result.column = first_line ? base + within : within + 1;
  return result;
}

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

class Scanner {
 public:
  explicit Scanner(std::string_view text) : m_text(text) {}

  std::vector<ScannedItem> run() {
    while (m_pos < m_text.size()) step();
    flush_statement();
    return std::move(m_items);
  }

 private:
  char at(std::size_t i) const { return i < m_text.size() ? m_text[i] : '\0'; }
  bool in_statement() const { return !m_statement.text.empty(); }

  /// Moves past `count` bytes, keeping line and column.
  void skip(std::size_t count) {
    for (std::size_t i = 0; i < count && m_pos < m_text.size(); ++i, ++m_pos) {
      if (m_text[m_pos] == '\n') {
        ++m_position.line;
        m_position.column = 1;
      } else {
        ++m_position.column;
      }
    }
  }

  /// Appends `count` bytes to the statement in progress (starting one if needed).
  void take(std::size_t count) {
    if (!in_statement()) m_statement.start = m_position;
    m_statement.text.append(m_text.substr(m_pos, count));
    skip(count);
  }

  /// Skips (outside a statement) or keeps (inside one) `count` bytes of a comment.
  void comment(std::size_t count) {
    if (in_statement()) {
      take(count);
    } else {
      skip(count);
    }
  }

  void step() {
    const char c = m_text[m_pos];
    const char next = at(m_pos + 1);
    if (!in_statement() && is_space(c)) return skip(1);
    if (c == '-' && next == '-') return comment(util::line_comment_end(m_text, m_pos) - m_pos);
    if (c == '/' && next == '*') return comment(block_comment_length());
    if (c == '\'' || c == '"') return take(quoted_length(c));
    if (c == '$') return take(dollar_length());
    if (c == ':') return colon();
    if (c == '\\' && next == ';') {  // psql's `\;`: a `;` kept in the statement
      skip(1);
      m_statement.compound = true;
      return take(1);
    }
    if (c == '\\' && next == ':') {  // psql's `\:`: a plain colon (pgbench still reads `:name`)
      skip(1);
      return colon();
    }
    if (c == '\\') return backslash_command();
    if (c == '(') ++m_paren_depth;
    if (c == ')' && m_paren_depth > 0) --m_paren_depth;
    if (c == ';' && m_paren_depth == 0) {
      skip(1);
      return flush_statement();
    }
    take(1);
  }

  [[noreturn]] void fail(const std::string& message) const {
    throw ScriptSyntaxError(message, m_position);
  }

  std::size_t block_comment_length() const {
    const util::LexEnd comment = util::block_comment_end(m_text, m_pos);
    if (!comment.terminated) fail("unterminated /* comment");
    return comment.end - m_pos;
  }

  /// Length of the quoted literal or identifier starting at m_pos; E'...' strings (the
  /// quote follows a lone E in the statement) take backslash escapes.
  std::size_t quoted_length(char quote) const {
    const bool escapes =
        quote == '\'' && util::escape_string_before(m_statement.text, m_statement.text.size());
    const util::LexEnd literal = util::quoted_end(
        m_text, m_pos, quote, escapes ? util::Backslash::escapes : util::Backslash::literal);
    if (!literal.terminated) {
      fail(quote == '"' ? "unterminated quoted identifier" : "unterminated quoted string");
    }
    return literal.end - m_pos;
  }

  /// $$...$$ or $tag$...$tag$ when a dollar quote starts here; 1 otherwise ($1, a$b).
  std::size_t dollar_length() const {
    if (in_statement() && is_variable_char(m_statement.text.back())) return 1;
    const std::optional<util::LexEnd> quote = util::dollar_quote_end(m_text, m_pos);
    if (!quote) return 1;
    if (!quote->terminated) {
      fail(fmt::format("unterminated dollar-quoted string (no closing {})",
                       util::dollar_quote_tag(m_text, m_pos)));
    }
    return quote->end - m_pos;
  }

  /// `:name` is a variable; any other run of colons (a `::` cast) is plain text.
  void colon() {
    const char quote = at(m_pos + 1);
    if ((quote == '\'' || quote == '"') && is_variable_start(at(m_pos + 2))) {
      std::size_t end = m_pos + 2;
      while (is_variable_char(at(end))) ++end;
      if (at(end) == quote) {
        const std::string_view name = m_text.substr(m_pos + 2, end - m_pos - 2);
        fail(
            fmt::format("{}{}{}{} is psql's quoting form, which pgbench does not interpolate (it "
                        "would send it as written and the server would reject it): write :{}, "
                        "sent as a parameter",
                        ':', quote, name, quote, name));
      }
    }
    if (is_variable_start(at(m_pos + 1))) {
      std::size_t end = m_pos + 1;
      while (is_variable_char(at(end))) ++end;
      if (!in_statement()) m_statement.start = m_position;
      m_statement.variables.push_back(
          ScannedVariable{m_statement.text.size(), end - m_pos,
                          std::string(m_text.substr(m_pos + 1, end - m_pos - 1))});
      return take(end - m_pos);
    }
    std::size_t end = m_pos;
    while (at(end) == ':') ++end;
    take(end - m_pos);
  }

  void backslash_command() {
    flush_statement();
    ScannedItem item;
    item.kind = ScannedItem::Kind::backslash;
    item.start = m_position;
    skip(1);
    for (;;) {
      std::size_t end = m_text.find('\n', m_pos);
      if (end == std::string_view::npos) end = m_text.size();
      std::string_view line = m_text.substr(m_pos, end - m_pos);
      std::size_t content = line.size();
      while (content > 0 &&
             (line[content - 1] == ' ' || line[content - 1] == '\t' || line[content - 1] == '\r')) {
        --content;
      }
      const bool continues = content > 0 && line[content - 1] == '\\' && end < m_text.size();
      if (!continues) {
        item.text.append(line.substr(0, content));
        skip(line.size());
        break;
      }
      item.text.append(line.substr(0, content - 1));
      item.text.append(" \n");
      skip(line.size() + 1);
    }
    m_items.push_back(std::move(item));
  }

  void flush_statement() {
    m_paren_depth = 0;
    if (!in_statement()) return;
    std::string& s = m_statement.text;
    while (!s.empty() && is_space(s.back())) s.pop_back();
    m_items.push_back(std::move(m_statement));
    m_statement = ScannedItem{};
  }

  std::string_view m_text;
  std::size_t m_pos = 0;
  ScriptPosition m_position;
  int m_paren_depth = 0;
  ScannedItem m_statement;
  std::vector<ScannedItem> m_items;
};

}  // namespace

std::vector<ScannedItem> scan_script(std::string_view text) {
  return Scanner(text).run();
}

}  // namespace poolbench::script
