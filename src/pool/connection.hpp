#pragma once

#include <memory>
#include <string>

namespace poolbench::pool {

/// What the pool needs from one database connection. Implemented by the libpq connection
/// (src/pg/) and by the fakes of the unit tests and benchmarks. Closing is destruction.
///
/// Thread safety: a connection is used by one thread at a time (whoever holds its lease);
/// the pool calls these methods only while no one else holds it.
class Connection {
 public:
  virtual ~Connection() = default;

  /// One round trip proving the connection is alive (`pool_pre_ping`; SQLAlchemy sends
  /// `SELECT 1`). Returns false when the connection is dead; never throws.
  virtual bool ping() noexcept = 0;

  /// True while a transaction is open or failed (libpq: PQTRANS_INTRANS or PQTRANS_INERROR),
  /// i.e. the connection must be rolled back before anyone else may use it.
  virtual bool in_transaction() const noexcept = 0;

  /// Rolls back the open transaction (reset on return). Returns false when the connection
  /// died doing so; the pool then invalidates it.
  virtual bool rollback() noexcept = 0;

  /// True once a connection-class error (SQLSTATE class 08, 57P01-57P03, or a lost
  /// connection with no SQLSTATE) poisoned this connection: the pool closes it at check-in
  /// instead of reusing it.
  virtual bool is_broken() const noexcept = 0;
};

/// The outcome of one connect attempt. Exactly one of `connection` and `error` is set.
struct ConnectResult {
  std::unique_ptr<Connection> connection;
  std::string error;     ///< human-readable, never containing a password
  std::string sqlstate;  ///< "08001" when the server gave none
};

/// Creates connections for the pool. `connect()` may block (it is called outside the pool's
/// lock) and may be called from several threads at once; it never throws.
class ConnectionFactory {
 public:
  virtual ~ConnectionFactory() = default;
  virtual ConnectResult connect() noexcept = 0;
};

}  // namespace poolbench::pool
