#include "capture/redact.hpp"

#include <cctype>
#include <optional>
#include <regex>

#include "util/sql_lexer.hpp"

namespace poolbench::capture {

std::string placeholder_for(std::string_view value) {
  static const std::regex k_integer(R"(-?\d+)");
  static const std::regex k_number(R"(-?\d*\.\d+(e-?\d+)?)", std::regex::icase);
  static const std::regex k_date(R"(\d{4}-\d\d-\d\d)");
  static const std::regex k_timestamp(R"(\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d(\.\d+)?)?.*)");
  static const std::regex k_uuid(R"([0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12})");
  const std::string text(value);
  if (std::regex_match(text, k_integer)) return "0";
  if (std::regex_match(text, k_number)) return "0.0";
  if (text == "t" || text == "f" || text == "true" || text == "false") return "f";
  if (std::regex_match(text, k_date)) return "2000-01-01";
  if (std::regex_match(text, k_timestamp)) return "2000-01-01 00:00:00";
  if (std::regex_match(text, k_uuid)) return "00000000-0000-0000-0000-000000000000";
  return "redacted";
}

namespace {

constexpr std::string_view k_redacted = "'redacted'";

/// Appends to `out` what redact_sql_literals() makes of the quoted text, comment or dollar
/// quote at `at`; returns the index after it, or `at` when none starts there.
std::size_t redact_quoted_or_comment(std::string_view sql, std::size_t at, std::string& out) {
  const char c = sql[at];
  const char next = at + 1 < sql.size() ? sql[at + 1] : '\0';
  const bool escape_string =
      (c == 'E' || c == 'e') && next == '\'' && util::escape_string_before(sql, at + 1);
  if (c == '\'' || escape_string) {
    out += k_redacted;  // an unterminated literal is redacted to the end
    return util::quoted_end(sql, escape_string ? at + 1 : at, '\'',
                            escape_string ? util::Backslash::escapes : util::Backslash::literal)
        .end;
  }
  if (c == '"') {  // a quoted identifier: kept
    const std::size_t end = util::quoted_end(sql, at, '"').end;
    out.append(sql.substr(at, end - at));
    return end;
  }
  if (c == '$') {  // a dollar quote ($1 is none: a parameter, kept)
    const std::optional<util::LexEnd> quote = util::dollar_quote_end(sql, at);
    if (!quote) return at;
    out += k_redacted;  // an unterminated one is redacted to the end
    return quote->end;
  }
  // A comment is free text that may hold anything, a value among it: only its kind is kept.
  if (c == '-' && next == '-') {
    out += "-- redacted";
    return util::line_comment_end(sql, at);
  }
  if (c == '/' && next == '*') {
    out += "/* redacted */";
    return util::block_comment_end(sql, at).end;
  }
  return at;
}

}  // namespace

std::string redact_sql_literals(std::string_view sql) {
  std::string out;
  out.reserve(sql.size());
  for (std::size_t at = 0; at < sql.size();) {
    const char c = sql[at];
    if (const std::size_t end = redact_quoted_or_comment(sql, at, out); end != at) {
      at = end;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      std::size_t i = at;
      while (i < sql.size() &&
             (std::isalnum(static_cast<unsigned char>(sql[i])) || sql[i] == '.' || sql[i] == '_')) {
        ++i;
      }
      out += '0';
      at = i;
    } else if (util::is_identifier_char(c)) {  // a whole word (keeps $1, t1, ...)
      std::size_t i = at;
      while (i < sql.size() && util::is_identifier_char(sql[i])) ++i;
      out.append(sql.substr(at, i - at));
      at = i;
    } else {
      out += c;
      ++at;
    }
  }
  return out;
}

}  // namespace poolbench::capture
