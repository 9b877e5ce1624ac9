#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "capture/log_record.hpp"

// Rebuilds each session's statements from log records (docs/capture.md, "How requests are
// cut"): `duration: X ms  statement|parse|bind|execute ...` (log_min_duration_statement = 0)
// or log_statement = all's `statement:` / `execute ...:` followed by a bare `duration: X ms`;
// parameters from `DETAIL:  parameters: $1 = '...'`; user and database from log_connections'
// `connection authorized`. A statement starts at its end minus its duration (an execute's
// start is that of the parse or bind before it).

namespace poolbench::capture {

struct Statement {
  std::int64_t start_us = 0;
  std::int64_t end_us = 0;
  std::string text;
  std::vector<std::optional<std::string>> params;  ///< $1.. (nullopt: NULL)
  bool extended = false;                           ///< extended protocol (execute ...)
};

struct Session {
  std::string user;
  std::string database;
  bool authorized = false;  ///< a `connection authorized` line was seen
  std::vector<Statement> statements;
};

/// Why records or statements were left out, with counts, for the summary.
using SkipCounts = std::map<std::string, std::int64_t>;

/// True for a statement that carries a password (CREATE/ALTER ROLE|USER|GROUP ... PASSWORD,
/// CREATE/ALTER USER MAPPING or SERVER ... password): never written anywhere.
bool carries_password(std::string_view sql);

/// `parameters: $1 = 'a', $2 = NULL` -> {"a", nullopt}; empty when `detail` is not that.
std::vector<std::optional<std::string>> parse_parameters(std::string_view detail);

class SessionBuilder {
 public:
  void add(LogRecord&& record);
  /// Sessions in the order they first appeared.
  std::vector<Session> take_sessions();
  SkipCounts& skipped() { return m_skipped; }

 private:
  struct Building {
    Session session;
    std::int64_t pending_start_us = -1;  ///< parse/bind before the execute
    std::optional<Statement> awaiting;   ///< log_statement's line, waiting for its duration
  };
  Building& session_of(const LogRecord& record);
  void on_duration(Building& building, const LogRecord& record, std::string_view rest);
  void finish_statement(Building& building, Statement&& statement);

  std::unordered_map<std::string, std::size_t> m_index;         ///< session key -> m_sessions
  std::unordered_map<std::int64_t, std::int64_t> m_generation;  ///< pid -> connections seen
  std::vector<Building> m_sessions;
  SkipCounts m_skipped;
};

}  // namespace poolbench::capture
