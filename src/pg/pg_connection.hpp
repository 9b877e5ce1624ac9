#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pg/dsn.hpp"
#include "pg/errors.hpp"
#include "pg/handles.hpp"
#include "pg/session.hpp"
#include "pg/statement_connection.hpp"

// The pooled libpq connection: what QueuePool hands out and what the load generator drives.
//
// Two ways to run a statement, one code path:
//   non-blocking: send_prepared()/send_query() then, whenever socket() is readable
//                 (poll/epoll on POLLIN), consume() until it returns Progress::done and
//                 take the outcome (pgbench's model: sends may block briefly, reads never do);
//   blocking:     execute(), which is send + wait on the socket + consume, for tests and
//                 setup.
// The hot path returns values and never throws. Errors are classified by errors.hpp: a
// connection-class error marks the connection broken (is_broken()), which the pool sees at
// check-in.
//
// Thread safety: one thread at a time (whoever holds the pool's lease).

namespace poolbench::pg {

class PgConnection final : public StatementConnection {
 public:
  /// Takes ownership of an established connection. `password` is masked out of every
  /// message (empty when none).
  PgConnection(ConnHandle conn, std::string password);
  /// Closes without waiting: the Terminate message is queued in non-blocking mode, so the
  /// close never waits for the server (a pool closes connections on event-loop threads).
  ~PgConnection() override;
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // --- pool::Connection ---
  /// `SELECT 1` round trip (what SQLAlchemy's pre-ping sends). Any failure returns false
  /// and marks the connection broken.
  bool ping() noexcept override;
  /// INTRANS or INERROR, and also ACTIVE or pending(): a statement still running or an
  /// outcome not taken (an abandoned send) must be cleaned up by rollback() before anyone
  /// else uses the connection.
  bool in_transaction() const noexcept override;
  /// Cancels and drains a running statement if any, then ROLLBACK if a transaction is open.
  bool rollback() noexcept override;
  bool is_broken() const noexcept override;

  // --- prepared statements (pgbench -M prepared: PQprepare once per connection) ---
  /// Prepares `sql` as `name` on this connection unless already done (synchronous round
  /// trip). Parameter types are inferred by the server. nullopt on success.
  std::optional<PgFailure> prepare(const std::string& name,
                                   const std::string& sql) noexcept override;
  bool is_prepared(const std::string& name) const noexcept override;
  /// PQsendPrepare: the non-blocking form of prepare() (what the load generator uses).
  bool send_prepare(const std::string& name, const std::string& sql) noexcept override;

  // --- non-blocking execution ---
  /// Sends the prepared statement `name` with text parameters ($1..). Returns false when
  /// the send failed or another statement is still pending; the outcome is then ready
  /// (take_outcome()) with the error. Precondition: prepare(name, ...) succeeded.
  bool send_prepared(const std::string& name, std::span<const std::string> params) noexcept;
  /// The same with libpq's own parameter array (`values[i]` NULL = SQL NULL): what the load
  /// generator sends, with no allocation per statement.
  bool send_prepared_raw(const std::string& name, int count,
                         const char* const* values) noexcept override;
  /// Sends `sql` with the simple protocol (may contain several statements; no parameters).
  bool send_query(const std::string& sql) noexcept;
  bool send_simple_query(const char* sql) noexcept override;
  /// Sends `sql` with the extended protocol and text parameters (unnamed statement).
  bool send_params(const std::string& sql, std::span<const std::string> params) noexcept;
  /// The same with libpq's own parameter array (`values[i]` NULL = SQL NULL).
  bool send_unnamed_raw(const char* sql, int count, const char* const* values) noexcept override;
  /// PQescapeStringConn between quotes.
  bool append_literal(std::string& out, std::string_view value) noexcept override;
  void keep_results(KeptResults* into) noexcept override;
  /// The socket to wait on for readability while busy; -1 when the connection is dead.
  int socket() const noexcept override;
  /// True between a successful send and the done outcome being taken.
  bool pending() const noexcept { return m_state != State::idle; }
  /// Reads what has arrived. Never blocks. done once every result of the send arrived
  /// (or the connection was lost).
  Progress consume() noexcept override;
  /// The outcome of the finished send; resets the connection to idle. Precondition: the
  /// last consume() (or a failed send) returned done.
  StatementOutcome take_outcome() noexcept override;

  // --- blocking convenience ---
  /// Sends and waits (poll on socket()). `rows_out`, when given, receives the last result's
  /// rows as text. Blocks until the server answers (no timeout: use statement_timeout).
  StatementOutcome execute(const std::string& sql, std::span<const std::string> params = {},
                           Rows* rows_out = nullptr);
  StatementOutcome execute_prepared(const std::string& name,
                                    std::span<const std::string> params = {},
                                    Rows* rows_out = nullptr);

  /// PQbackendPID of the server process (for pg_terminate_backend in tests).
  int backend_pid() const noexcept;
  int server_version() const noexcept;

 private:
  enum class State { idle, sent, done };

  bool begin_send(int sent_ok) noexcept;
  /// Points m_param_ptrs at `params` (valid while they live). False on allocation failure.
  bool point_at(std::span<const std::string> params) noexcept;
  /// Records one result; false when no further result may be read (COPY).
  bool absorb(pg_result* result) noexcept;
  /// Appends `result` (a row set or a command status) to m_keep.
  void keep(pg_result* result, bool returns_rows);
  void record_failure(std::string_view sqlstate, const char* message) noexcept;
  void finish() noexcept;
  std::string masked(const char* message) const;
  StatementOutcome wait(Rows* rows_out);
  bool drain_with_cancel() noexcept;

  ConnHandle m_conn;
  std::string m_password;
  std::vector<std::string> m_prepared;  ///< names prepared on this connection
  std::string m_preparing;  ///< the name send_prepare() sent, until its outcome is taken
  std::vector<const char*> m_param_ptrs;  ///< reused per send: no allocation when warm
  State m_state = State::idle;
  StatementOutcome m_outcome;
  Rows* m_rows_out = nullptr;     ///< where execute() wants the rows, else null
  KeptResults* m_keep = nullptr;  ///< where keep_results() wants the next send's results
  bool m_broken = false;
};

/// Creates PgConnections for the pool, blocking (connect()) or not (start_connect()). Every
/// connection sets application_name to `poolbench/<run id>` (overriding the DSN's) and
/// connect_timeout (unless the DSN gives one). Thread-safe: it only reads immutable state.
class PgConnectionFactory : public AsyncConnectionFactory {
 public:
  PgConnectionFactory(ConnectionTarget target, const std::string& run_id,
                      std::chrono::seconds connect_timeout = std::chrono::seconds(10));
  /// Not copyable or movable: the libpq keyword arrays point into the factory itself.
  PgConnectionFactory(const PgConnectionFactory&) = delete;
  PgConnectionFactory& operator=(const PgConnectionFactory&) = delete;

  /// Never throws. On failure: masked libpq message and its SQLSTATE (53300/57P03/28P01
  /// recognised from the text, else 08001).
  pool::ConnectResult connect() noexcept override;
  /// Same, with the concrete type (for the generator and tests).
  std::unique_ptr<PgConnection> connect_pg(PgFailure* failure) noexcept;
  /// PQconnectStartParams with the same parameters; PQconnectPoll drives the attempt.
  std::unique_ptr<ConnectAttempt> start_connect() noexcept override;
  /// connect_timeout as libpq reads it (1 s counts as 2; 0 or less: no limit).
  std::chrono::milliseconds connect_timeout() const noexcept override { return m_connect_timeout; }

  const std::string& application_name() const noexcept { return m_application_name; }
  const ConnectionTarget& target() const noexcept { return m_target; }

 private:
  ConnectionTarget m_target;
  std::string m_application_name;
  std::vector<std::string> m_keywords;
  std::vector<std::string> m_values;
  std::vector<const char*> m_keyword_ptrs;  ///< NULL-terminated, into m_keywords
  std::vector<const char*> m_value_ptrs;    ///< NULL-terminated, into m_values
  std::chrono::milliseconds m_connect_timeout{0};
};

}  // namespace poolbench::pg
