#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "pg/errors.hpp"
#include "pool/connection.hpp"

// The seam between the load generator and a server: what the generator drives on a pooled
// connection to run one prepared statement without blocking. Implemented by the libpq
// connection (pg_connection.hpp) and by the in-process fake server
// (workload/fake_server.hpp), so the generator is tested and benchmarked without a database.
// No libpq type appears here.
//
// One statement, non-blocking:
//   prepare(name, sql)                     once per connection (a no-op when done already)
//   send_prepared_raw(name, n, values)     false: the outcome is ready at once (an error,
//                                          or an in-process fake that answers at send time)
//   wait until socket() is readable, consume() until done, take_outcome()
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
  /// Sends the prepared statement `name` with text parameters (`values[i]` NULL = SQL
  /// NULL), without waiting for the answer and without allocating. Returns false when the
  /// send failed or another statement is still pending; the outcome is then ready
  /// (take_outcome()) with the error. Precondition: prepare(name, ...) succeeded.
  virtual bool send_prepared_raw(const std::string& name, int count,
                                 const char* const* values) noexcept = 0;
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

}  // namespace poolbench::pg
