#include "capture/redact.hpp"

#include <cctype>
#include <regex>

namespace poolbench::capture {
namespace {

bool is_identifier_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' ||
         static_cast<unsigned char>(c) >= 0x80;
}

/// Skips a quoted identifier or a $tag$...$tag$ body from `at` (at the opening character);
/// returns the index after it.
std::size_t skip_dollar_body(std::string_view sql, std::size_t at, std::string& out) {
  const std::size_t tag_end = sql.find('$', at + 1);
  if (tag_end == std::string_view::npos) return std::string_view::npos;
  const std::string_view tag = sql.substr(at, tag_end - at + 1);
  for (std::size_t i = at + 1; i < tag_end; ++i) {
    if (!is_identifier_char(sql[i]) || sql[i] == '$') return std::string_view::npos;
  }
  const std::size_t close = sql.find(tag, tag_end + 1);
  if (close == std::string_view::npos) return std::string_view::npos;
  out += "'redacted'";
  return close + tag.size();
}

}  // namespace

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

std::string redact_sql_literals(std::string_view sql) {
  std::string out;
  out.reserve(sql.size());
  for (std::size_t at = 0; at < sql.size();) {
    const char c = sql[at];
    const bool escape_string = (c == 'E' || c == 'e') && at + 1 < sql.size() &&
                               sql[at + 1] == '\'' && (at == 0 || !is_identifier_char(sql[at - 1]));
    if (c == '\'' || escape_string) {
      std::size_t i = at + (escape_string ? 2 : 1);
      for (; i < sql.size(); ++i) {
        if (escape_string && sql[i] == '\\') {
          ++i;
        } else if (sql[i] == '\'') {
          if (i + 1 < sql.size() && sql[i + 1] == '\'') {
            ++i;
          } else {
            break;
          }
        }
      }
      out += "'redacted'";
      at = i + 1;
    } else if (c == '"') {  // a quoted identifier: kept
      const std::size_t close = sql.find('"', at + 1);
      const std::size_t end = close == std::string_view::npos ? sql.size() : close + 1;
      out.append(sql.substr(at, end - at));
      at = end;
    } else if (c == '$' && at + 1 < sql.size() &&
               !std::isdigit(static_cast<unsigned char>(sql[at + 1])) &&
               (at == 0 || !is_identifier_char(sql[at - 1]))) {
      const std::size_t end = skip_dollar_body(sql, at, out);
      if (end == std::string_view::npos) {
        out += c;
        ++at;
      } else {
        at = end;
      }
    } else if (std::isdigit(static_cast<unsigned char>(c)) &&
               (at == 0 || !is_identifier_char(sql[at - 1]))) {
      std::size_t i = at;
      while (i < sql.size() &&
             (std::isalnum(static_cast<unsigned char>(sql[i])) || sql[i] == '.' || sql[i] == '_')) {
        ++i;
      }
      out += '0';
      at = i;
    } else if (is_identifier_char(c)) {  // a whole word (keeps $1, t1, ...)
      std::size_t i = at;
      while (i < sql.size() && is_identifier_char(sql[i])) ++i;
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
