#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pg/errors.hpp"
#include "pool/connection.hpp"

// The seam between the load generator and a server: what the generator drives on a pooled
// connection to run one prepared statement without blocking. Implemented by the libpq
// connection (pg_connection.hpp) and by the in-process fake server
// (tests/support/fake_server.hpp), so the generator is tested and benchmarked without a
// database.
// No libpq type appears here.
//
// One statement, non-blocking, by the scenario's workload.protocol:
//   prepared: send_prepare(name, sql)      once per connection and name (is_prepared()
//                                          false), waited for like a statement; then
//             send_prepared_raw(name, n, values)   false: the outcome is ready at once (an
//                                          error, or an in-process fake that answers at send
//                                          time)
//   extended: send_unnamed_raw(sql, n, values)
//   simple:   send_simple_query(text), the values put in by append_literal()
//   wait until socket() is readable, consume() until done, take_outcome()
// The pool's own round trips go the same way: send_simple_query("SELECT 1") for a pre-ping,
// send_simple_query("ROLLBACK") for the reset on check-in. A connection is opened without
// blocking by an AsyncConnectionFactory's ConnectAttempt.
//
// Thread safety: one thread at a time (whoever holds the pool's lease).

namespace poolbench::pg {

/// The result of one send (a statement, or several in one simple-protocol string).
struct StatementOutcome {
  bool ok = false;
  /// Rows returned (SELECT) or affected (INSERT/UPDATE/DELETE) by the last statement.
  std::int64_t rows = 0;
  /// Set iff !ok: the first error of the send, classified; sqlstate never empty.
  std::optional<PgFailure> failure;
};

/// One result of a send, kept for a script's `\gset`/`\aset`: its column names and the
/// values of its last row as text (NULL as "", as libpq's PQgetvalue gives it).
struct KeptResult {
  bool returns_rows = false;  ///< a row set (SELECT, ... RETURNING), not a command status
  std::int64_t rows = 0;
  std::vector<std::string> columns;
  std::vector<std::string> last_row;  ///< empty when rows == 0
};

/// Every result of one send, in order (a compound statement has several).
struct KeptResults {
  std::vector<KeptResult> results;
};

enum class Progress {
  busy,  ///< wait for the socket to become readable, then consume() again
  done,  ///< the outcome is ready: take_outcome()
};

class StatementConnection : public pool::Connection {
 public:
  StatementConnection() noexcept;
  StatementConnection(const StatementConnection&) = delete;
  StatementConnection& operator=(const StatementConnection&) = delete;

  /// Prepares `sql` as `name` on this connection unless already done (a synchronous round
  /// trip the first time). nullopt on success.
  virtual std::optional<PgFailure> prepare(const std::string& name,
                                           const std::string& sql) noexcept = 0;
  /// True once `name` was prepared on this connection.
  virtual bool is_prepared(const std::string& name) const noexcept = 0;
  /// Sends the preparation of `sql` as `name` without waiting for the answer (the parse
  /// may wait for a lock the statement's tables are under: it must not block the loop).
  /// Same contract as send_prepared_raw(): false when the outcome is ready at once. The
  /// name counts as prepared once an ok outcome is taken.
  virtual bool send_prepare(const std::string& name, const std::string& sql) noexcept = 0;
  /// Sends `sql`, one statement without parameters (simple protocol: the pre-ping's
  /// `SELECT 1`, the reset's `ROLLBACK`), without waiting for the answer. Same contract as
  /// send_prepared_raw(): false when the outcome is ready at once.
  virtual bool send_simple_query(const char* sql) noexcept = 0;
  /// Sends the prepared statement `name` with text parameters (`values[i]` NULL = SQL
  /// NULL), without waiting for the answer and without allocating. Returns false when the
  /// send failed or another statement is still pending; the outcome is then ready
  /// (take_outcome()) with the error. Precondition: prepare(name, ...) succeeded.
  virtual bool send_prepared_raw(const std::string& name, int count,
                                 const char* const* values) noexcept = 0;
  /// Sends `sql` (with $n placeholders) as the unnamed statement with text parameters, as
  /// send_prepared_raw() sends a prepared one: parsed, bound and run in one send, every
  /// time (pgbench -M extended). Same contract as send_prepared_raw(), with no preparation
  /// needed.
  virtual bool send_unnamed_raw(const char* sql, int count, const char* const* values) noexcept = 0;
  /// Appends `value` to `out` as an SQL string literal, quotes included, quoted as this
  /// connection's server reads it (libpq's PQescapeStringConn: the client encoding and
  /// standard_conforming_strings). For the simple protocol's statements with their values
  /// in the text. Does not allocate once `out` has the capacity. False when `value` is not
  /// valid in the client encoding or memory ran out (`out` then holds a partial literal).
  virtual bool append_literal(std::string& out, std::string_view value) noexcept = 0;
  /// Keeps the results of the next send in `into` (cleared first) until its outcome is
  /// taken; `into` must outlive that. Without a call, results are counted, not kept. The
  /// default keeps nothing (a connection with no rows to give).
  virtual void keep_results(KeptResults* into) noexcept { into->results.clear(); }
  /// The descriptor to wait on for readability while busy; -1 when the connection is dead.
  /// It stays the same for the connection's life and is closed with it.
  virtual int socket() const noexcept = 0;
  /// Reads what has arrived. Never blocks. done once the answer is complete (or the
  /// connection was lost). A spurious call (nothing readable) returns busy.
  virtual Progress consume() noexcept = 0;
  /// The outcome of the finished send; resets the connection to idle. Precondition: the
  /// last consume() (or a failed send) returned done.
  virtual StatementOutcome take_outcome() noexcept = 0;

  /// Unique among every StatementConnection of the process, never reused: tells a new
  /// connection from a closed one whose descriptor number it inherited (the event loop
  /// keeps descriptors registered with epoll across statements).
  std::uint64_t serial() const noexcept { return m_serial; }

 private:
  std::uint64_t m_serial;
};

/// What a connection being opened waits for next.
enum class ConnectWait {
  readable,  ///< wait until socket() is readable, then advance()
  writable,  ///< wait until socket() is writable, then advance()
  done,      ///< finished: take()
};

/// One connection being opened without blocking (libpq: PQconnectStartParams, then
/// PQconnectPoll whenever the socket is ready). Destroying an unfinished attempt abandons it
/// (its socket is closed). Used by one thread at a time.
class ConnectAttempt {
 public:
  virtual ~ConnectAttempt() = default;
  /// What to wait for before the next advance().
  virtual ConnectWait waiting_for() const noexcept = 0;
  /// The descriptor to wait on; it may change after advance() (libpq tries the next
  /// address on a new socket). -1 when the attempt failed (advance() then finishes it).
  virtual int socket() const noexcept = 0;
  /// Makes progress once socket() is ready as waiting_for() asked (a call before that
  /// does nothing). Never blocks.
  virtual void advance() noexcept = 0;
  /// The opened connection (a StatementConnection) or the failure, once waiting_for() is
  /// done. Call once.
  virtual pool::ConnectResult take() noexcept = 0;
};

/// A pool ConnectionFactory that can also open connections without blocking: the load
/// generator connects this way on its event loop, so a slow connect stalls only the
/// request waiting for it. Thread-safe, like connect().
class AsyncConnectionFactory : public pool::ConnectionFactory {
 public:
  /// Starts opening a connection. Never throws; a failure to start shows in the attempt
  /// (null only when out of memory).
  virtual std::unique_ptr<ConnectAttempt> start_connect() noexcept = 0;
  /// How long an attempt may take before its caller abandons it as failed (libpq enforces
  /// connect_timeout only in its blocking connect); zero = no limit.
  virtual std::chrono::milliseconds connect_timeout() const noexcept = 0;
};

}  // namespace poolbench::pg
