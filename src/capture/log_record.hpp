#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

// PostgreSQL server logs read record by record (docs/capture.md, "The logs"): csvlog
// (PostgreSQL 15's 26 columns) and stderr logs whose log_line_prefix starts with
// `%m [%p]` (or `%t [%p]`), optionally followed by `%c` and anything else up to the
// severity ("LOG:  "). Continuation lines (a tab first) belong to the record before them;
// a DETAIL record is folded into the record of the same process before it.

namespace poolbench::capture {

/// One log message. Times are microseconds since the epoch as the log wrote them (the
/// zone's name is ignored; a numeric offset is applied).
struct LogRecord {
  std::int64_t time_us = 0;
  std::int64_t pid = 0;
  std::string session;   ///< %c (csvlog's session_id); empty when the prefix lacks it
  std::string severity;  ///< LOG, ERROR, FATAL, ...
  std::string message;
  std::string detail;    ///< DETAIL (csvlog's detail column, or the DETAIL line after it)
  std::string user;      ///< csvlog only (stderr: from "connection authorized")
  std::string database;  ///< csvlog only
  std::size_t line = 0;  ///< where the record starts (1-based)
};

/// Reads one log file, calling `sink` for every record in order. The format (csvlog or
/// stderr) is told from the first line. Throws InputError naming file:line for what is not
/// a log this reader knows: another csvlog column count, an unknown prefix, a NUL byte
/// (binary data), a truncated last line or an unterminated csv field.
void read_log(const std::filesystem::path& file, const std::function<void(LogRecord&&)>& sink);

/// The same over text already in memory (`name` labels messages; fuzzing and unit tests).
void read_log_text(std::string_view text, const std::string& name,
                   const std::function<void(LogRecord&&)>& sink);

/// "2026-12-03 10:46:28.669 GMT" (or with a numeric zone, or whole seconds) at the start of
/// `text`: microseconds since the epoch and the characters used; nullopt-like {0, 0} when it
/// is not a timestamp.
std::pair<std::int64_t, std::size_t> parse_log_time(std::string_view text);

}  // namespace poolbench::capture
