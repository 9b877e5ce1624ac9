#include "pg/errors.hpp"

#include <array>
#include <utility>

namespace poolbench::pg {

std::string_view to_string(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::connection:
      return "connection";
    case ErrorKind::retryable:
      return "retryable";
    case ErrorKind::statement:
      return "statement";
  }
  return "statement";
}

ErrorKind classify_sqlstate(std::string_view sqlstate) noexcept {
  if (sqlstate.empty() || sqlstate.substr(0, 2) == "08" || sqlstate == "57P01" ||
      sqlstate == "57P02" || sqlstate == "57P03") {
    return ErrorKind::connection;
  }
  if (sqlstate == "40001" || sqlstate == "40P01") return ErrorKind::retryable;
  return ErrorKind::statement;
}

std::string_view sqlstate_from_message(std::string_view message) noexcept {
  struct Pattern {
    std::string_view text;
    std::string_view sqlstate;
  };
  static constexpr std::array<Pattern, 8> k_patterns{{
      {"sorry, too many clients already", "53300"},
      {"remaining connection slots are reserved", "53300"},
      {"too many connections for role", "53300"},
      {"the database system is starting up", "57P03"},
      {"the database system is shutting down", "57P03"},
      {"the database system is in recovery mode", "57P03"},
      {"the database system is not yet accepting connections", "57P03"},
      {"password authentication failed", "28P01"},
  }};
  for (const Pattern& pattern : k_patterns) {
    if (message.find(pattern.text) != std::string_view::npos) return pattern.sqlstate;
  }
  return {};
}

std::string trim_message(std::string_view message) {
  std::size_t end = message.size();
  while (end > 0 && (message[end - 1] == '\n' || message[end - 1] == ' ' ||
                     message[end - 1] == '\r' || message[end - 1] == '\t')) {
    --end;
  }
  return std::string(message.substr(0, end));
}

PgFailure classify_statement_error(std::string_view result_sqlstate, bool connection_bad,
                                   std::string message) {
  PgFailure failure;
  failure.message = trim_message(message);
  if (!result_sqlstate.empty()) {
    failure.sqlstate = std::string(result_sqlstate);
  } else if (connection_bad) {
    failure.sqlstate = std::string(k_sqlstate_connection_failure);
  } else {
    std::string_view from_text = sqlstate_from_message(failure.message);
    failure.sqlstate = std::string(from_text.empty() ? k_sqlstate_client_error : from_text);
  }
  failure.kind = connection_bad ? ErrorKind::connection : classify_sqlstate(failure.sqlstate);
  return failure;
}

PgFailure classify_connect_error(std::string message) {
  PgFailure failure;
  failure.kind = ErrorKind::connection;
  failure.message = trim_message(message);
  std::string_view from_text = sqlstate_from_message(failure.message);
  failure.sqlstate = std::string(from_text.empty() ? k_sqlstate_connect_failed : from_text);
  return failure;
}

}  // namespace poolbench::pg
