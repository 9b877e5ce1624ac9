#include "capture/sessions.hpp"

#include <charconv>
#include <cmath>
#include <regex>

#include <fmt/format.h>

namespace poolbench::capture {
namespace {

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

/// "user=alice database=shop ..." -> the value of `key`.
std::string field_value(std::string_view text, std::string_view key) {
  const std::string needle = fmt::format("{}=", key);
  for (std::size_t at = text.find(needle); at != std::string_view::npos;
       at = text.find(needle, at + 1)) {
    if (at == 0 || text[at - 1] == ' ') {
      const std::size_t begin = at + needle.size();
      const std::size_t end = std::min(text.find(' ', begin), text.size());
      return std::string(text.substr(begin, end - begin));
    }
  }
  return {};
}

/// "12.345 ms" at the start of `text`: microseconds and characters used ({-1, 0} if not).
/// A duration a server can log is finite, not negative and shorter than a year; anything
/// else is not a duration line (and would overflow the start time computed from it).
std::pair<std::int64_t, std::size_t> parse_ms(std::string_view text) {
  constexpr double k_longest_ms = 366.0 * 24 * 3600 * 1000;
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  const std::size_t used = static_cast<std::size_t>(end - text.data());
  if (error != std::errc() || !starts_with(text.substr(used), " ms")) return {-1, 0};
  if (!(value >= 0 && value < k_longest_ms)) return {-1, 0};
  return {std::llround(value * 1000.0), used + 3};
}

/// "NAME: SQL" after parse/bind/execute: the SQL.
std::string_view after_name(std::string_view text) {
  const std::size_t colon = text.find(": ");
  return colon == std::string_view::npos ? std::string_view() : text.substr(colon + 2);
}

}  // namespace

bool carries_password(std::string_view sql) {
  static const std::regex k_role(R"(^\s*(create|alter)\s+(role|user|group)\b[\s\S]*\b(password)\b)",
                                 std::regex::icase | std::regex::optimize);
  static const std::regex k_mapping(
      R"(^\s*(create|alter)\s+(user\s+mapping|server)\b[\s\S]*\bpassword\b)",
      std::regex::icase | std::regex::optimize);
  if (sql.size() < 6) return false;
  const char c = static_cast<char>(sql.find_first_not_of(" \t\n") == std::string_view::npos
                                       ? ' '
                                       : sql[sql.find_first_not_of(" \t\n")] | 0x20);
  if (c != 'c' && c != 'a') return false;  // the regexes start with CREATE or ALTER
  const std::string text(sql);
  return std::regex_search(text, k_role) || std::regex_search(text, k_mapping);
}

std::vector<std::optional<std::string>> parse_parameters(std::string_view detail) {
  std::vector<std::optional<std::string>> out;
  if (!starts_with(detail, "parameters: ")) return out;
  std::size_t at = 12;
  while (at < detail.size()) {
    if (detail[at] != '$') return {};
    const std::size_t equals = detail.find(" = ", at);
    if (equals == std::string_view::npos) return {};
    at = equals + 3;
    if (starts_with(detail.substr(at), "NULL")) {
      out.emplace_back(std::nullopt);
      at += 4;
    } else if (at < detail.size() && detail[at] == '\'') {
      std::string value;
      for (++at; at < detail.size(); ++at) {
        if (detail[at] == '\'') {
          if (at + 1 < detail.size() && detail[at + 1] == '\'') {
            value += '\'';
            ++at;
          } else {
            break;
          }
        } else {
          value += detail[at];
        }
      }
      ++at;  // the closing quote
      out.emplace_back(std::move(value));
    } else {
      return {};
    }
    if (starts_with(detail.substr(std::min(at, detail.size())), ", "))
      at += 2;
    else
      break;
  }
  return out;
}

SessionBuilder::Building& SessionBuilder::session_of(const LogRecord& record) {
  std::string key = record.session;
  if (key.empty()) key = fmt::format("pid {} #{}", record.pid, m_generation[record.pid]);
  const auto [it, added] = m_index.try_emplace(std::move(key), m_sessions.size());
  if (added) m_sessions.emplace_back();
  Building& building = m_sessions[it->second];
  if (!record.user.empty() && building.session.user.empty()) {
    building.session.user = record.user;
    building.session.database = record.database;
  }
  return building;
}

void SessionBuilder::finish_statement(Building& building, Statement&& statement) {
  if (carries_password(statement.text)) {
    ++m_skipped["password-bearing statements (never written)"];
    return;
  }
  building.session.statements.push_back(std::move(statement));
}

void SessionBuilder::on_duration(Building& building, const LogRecord& record,
                                 std::string_view rest) {
  const auto [duration_us, used] = parse_ms(rest);
  if (used == 0) return;
  rest.remove_prefix(used);
  const std::int64_t start_us = record.time_us - duration_us;
  if (rest.empty()) {  // log_statement already wrote the text
    if (!building.awaiting) return;
    Statement statement = std::move(*building.awaiting);
    building.awaiting.reset();
    statement.end_us = record.time_us;
    statement.start_us = std::min(statement.start_us, start_us);
    finish_statement(building, std::move(statement));
    return;
  }
  if (!starts_with(rest, "  ")) return;
  rest.remove_prefix(2);
  if (starts_with(rest, "parse ") || starts_with(rest, "bind ")) {
    if (building.pending_start_us < 0) building.pending_start_us = start_us;
    return;
  }
  Statement statement;
  if (starts_with(rest, "statement: ")) {
    statement.text.assign(rest.substr(11));
  } else if (starts_with(rest, "execute ")) {
    statement.text.assign(after_name(rest));
    statement.extended = true;
    statement.params = parse_parameters(record.detail);
  } else {
    return;  // fastpath function call and the like
  }
  statement.start_us = building.pending_start_us >= 0 && statement.extended
                           ? std::min(building.pending_start_us, start_us)
                           : start_us;
  building.pending_start_us = -1;
  statement.end_us = record.time_us;
  finish_statement(building, std::move(statement));
}

void SessionBuilder::add(LogRecord&& record) {
  if (record.severity != "LOG") {
    if ((record.severity == "ERROR" || record.severity == "FATAL") && record.pid != 0) {
      Building& building = session_of(record);
      if (building.awaiting || building.pending_start_us >= 0) {
        ++m_skipped["statements that failed (ERROR), not replayed"];
      }
      building.awaiting.reset();
      building.pending_start_us = -1;
    }
    return;
  }
  const std::string_view message = record.message;
  if (starts_with(message, "connection received:")) {
    ++m_generation[record.pid];
    session_of(record);
    return;
  }
  if (starts_with(message, "duration: ")) {
    on_duration(session_of(record), record, message.substr(10));
  } else if (starts_with(message, "statement: ") || starts_with(message, "execute ")) {
    Building& building = session_of(record);
    Statement statement;
    statement.extended = message[0] == 'e';
    statement.text.assign(statement.extended ? after_name(message) : message.substr(11));
    statement.params = parse_parameters(record.detail);
    statement.start_us = record.time_us;
    building.awaiting = std::move(statement);
  } else if (starts_with(message, "connection authorized: ")) {
    Building& building = session_of(record);
    building.session.authorized = true;
    building.session.user = field_value(message, "user");
    building.session.database = field_value(message, "database");
  }
}

std::vector<Session> SessionBuilder::take_sessions() {
  std::vector<Session> out;
  out.reserve(m_sessions.size());
  for (auto& building : m_sessions) out.push_back(std::move(building.session));
  m_sessions.clear();
  m_index.clear();
  return out;
}

}  // namespace poolbench::capture
