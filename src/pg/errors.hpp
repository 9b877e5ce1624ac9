#pragma once

#include <string>
#include <string_view>

// The error taxonomy of poolbench's libpq layer (docs/results.md, What is measured;
// docs/references.md §5).
//
//   connection  SQLSTATE class 08, 57P01-57P03, or a lost connection (PQstatus ==
//               CONNECTION_BAD, usually with no SQLSTATE at all): poisons the connection,
//               the pool invalidates it.
//   retryable   40001 serialization_failure, 40P01 deadlock_detected (pgbench retries these).
//   statement   everything else: the statement failed, the connection stays usable.
//
// Errors are counted by SQLSTATE, so every classified error carries one: a lost connection
// without one counts as 08006, a failed connect without one as 08001, and an error raised by
// libpq itself on a healthy connection (no server involved) as k_sqlstate_client_error.
// All functions are pure and thread-safe.

namespace poolbench::pg {

enum class ErrorKind { connection, retryable, statement };

/// "connection", "retryable" or "statement".
std::string_view to_string(ErrorKind kind) noexcept;

inline constexpr std::string_view k_sqlstate_connection_failure = "08006";
inline constexpr std::string_view k_sqlstate_connect_failed = "08001";
inline constexpr std::string_view k_sqlstate_too_many_connections = "53300";
/// Not a server SQLSTATE: an error libpq raised on a live connection without asking the
/// server (e.g. a malformed call). Class "PB" lies in the implementation-defined range.
inline constexpr std::string_view k_sqlstate_client_error = "PB000";

/// Classifies a SQLSTATE. An empty SQLSTATE is a connection error (libpq reports a lost
/// connection without one).
ErrorKind classify_sqlstate(std::string_view sqlstate) noexcept;

/// The SQLSTATE a server error message implies when libpq exposes only the text, as for
/// errors during connection startup (no PGresult): "sorry, too many clients already" and
/// "remaining connection slots are reserved ..." => 53300, "the database system is starting
/// up / shutting down / in recovery mode / not yet accepting connections" => 57P03,
/// "password authentication failed" => 28P01. Empty when nothing is recognised. Relies on
/// the server's English messages (lc_messages C/en).
std::string_view sqlstate_from_message(std::string_view message) noexcept;

/// A classified error: what the pool and the load generator count and act on.
struct PgFailure {
  ErrorKind kind = ErrorKind::statement;
  std::string sqlstate;  ///< never empty, see above
  std::string message;   ///< libpq/server text, trailing newline removed, password masked
};

/// Classifies an error after a statement. `result_sqlstate` is PG_DIAG_SQLSTATE of the
/// error result (empty when there was none); `connection_bad` is PQstatus == CONNECTION_BAD
/// after the error. A bad connection always yields kind connection; its SQLSTATE is the
/// server's when it gave one (e.g. 57P01), else 08006.
PgFailure classify_statement_error(std::string_view result_sqlstate, bool connection_bad,
                                   std::string message);

/// Classifies a failed connect: SQLSTATE recognised from the text, else 08001. The kind is
/// always connection (nothing to reuse).
PgFailure classify_connect_error(std::string message);

/// `message` without trailing whitespace/newlines (libpq messages end in "\n").
std::string trim_message(std::string_view message);

}  // namespace poolbench::pg
