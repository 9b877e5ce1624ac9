#include "util/sql_lexer.hpp"

namespace poolbench::util {

bool is_identifier_start(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || u == '_' || u >= 0x80;
}

bool is_dollar_tag_char(char c) noexcept {
  return is_identifier_start(c) || (c >= '0' && c <= '9');
}

bool is_identifier_char(char c) noexcept {
  return is_dollar_tag_char(c) || c == '$';
}

LexEnd quoted_end(std::string_view sql, std::size_t start, char quote,
                  Backslash backslash) noexcept {
  for (std::size_t i = start + 1; i < sql.size(); ++i) {
    if (backslash == Backslash::escapes && sql[i] == '\\') {
      ++i;
    } else if (sql[i] == quote) {
      if (i + 1 < sql.size() && sql[i + 1] == quote) {
        ++i;
      } else {
        return {i + 1, true};
      }
    }
  }
  return {sql.size(), false};
}

bool escape_string_before(std::string_view text, std::size_t quote) noexcept {
  if (quote == 0 || quote > text.size()) return false;
  const char e = text[quote - 1];
  if (e != 'E' && e != 'e') return false;
  return quote == 1 || !is_dollar_tag_char(text[quote - 2]);
}

LexEnd block_comment_end(std::string_view sql, std::size_t start) noexcept {
  int depth = 0;
  for (std::size_t i = start; i + 1 < sql.size(); ++i) {
    if (sql[i] == '/' && sql[i + 1] == '*') {
      ++depth;
      ++i;
    } else if (sql[i] == '*' && sql[i + 1] == '/') {
      ++i;
      if (--depth == 0) return {i + 1, true};
    }
  }
  return {sql.size(), false};
}

std::size_t line_comment_end(std::string_view sql, std::size_t start) noexcept {
  const std::size_t newline = sql.find('\n', start);
  return newline == std::string_view::npos ? sql.size() : newline;
}

std::string_view dollar_quote_tag(std::string_view sql, std::size_t start) noexcept {
  if (start >= sql.size() || sql[start] != '$') return {};
  std::size_t end = start + 1;
  if (end < sql.size() && is_identifier_start(sql[end])) {
    while (end < sql.size() && is_dollar_tag_char(sql[end])) ++end;
  }
  if (end >= sql.size() || sql[end] != '$') return {};
  return sql.substr(start, end + 1 - start);
}

std::optional<LexEnd> dollar_quote_end(std::string_view sql, std::size_t start) noexcept {
  const std::string_view tag = dollar_quote_tag(sql, start);
  if (tag.empty()) return std::nullopt;
  const std::size_t close = sql.find(tag, start + tag.size());
  if (close == std::string_view::npos) return LexEnd{sql.size(), false};
  return LexEnd{close + tag.size(), true};
}

}  // namespace poolbench::util
