#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "pg/statement_connection.hpp"
#include "pool/connection.hpp"
#include "util/fd.hpp"

// An in-process stand-in for a PostgreSQL server, for generator tests and benchmarks: no
// database, no sockets. Each connection owns one descriptor that becomes readable when its
// statement "completes": an eventfd written at send time (service_time 0: immediate), or a
// timerfd armed for service_time (connections stay busy that long, so pools fill up and
// clients wait). Statements do nothing but count; BEGIN/START and COMMIT/END/ROLLBACK/ABORT
// (by their first word) move the connection in and out of a transaction, as the pool's
// reset-on-return expects.

namespace poolbench::testing {

struct FakeServerOptions {
  /// How long each statement keeps its connection busy; 0 = the answer is ready at once.
  std::chrono::microseconds service_time{0};
  /// How long opening a connection takes (connect() sleeps; start_connect() is ready then).
  std::chrono::microseconds connect_time{0};
  /// How long a pre-ping (`SELECT 1`, ping() or send_simple_query()) takes.
  std::chrono::microseconds ping_time{0};
  /// How long a rollback (rollback() or send_simple_query("ROLLBACK")) takes.
  std::chrono::microseconds rollback_time{0};
  /// What connect_timeout() says (start_connect()'s callers give up after it); 0 = none.
  std::chrono::milliseconds connect_timeout{0};
  /// With service_time 0: answer inside send_prepared_raw (which then returns false, the
  /// outcome ready), so no descriptor is written or read. Measures the generator's own cost
  /// without the two syscalls a real (or eventfd-backed) answer costs.
  bool synchronous = false;
  /// Each statement fails with this probability (0..1), drawn per connection from `seed`.
  double failure_rate = 0;
  /// The SQLSTATE of an injected failure: 40001 is retryable (request.max_tries), a class
  /// 08 state is a lost connection (the pool invalidates it), anything else a plain error.
  std::string failure_sqlstate = "23505";
  /// Connections open at once beyond this fail to connect with 53300 ("too many
  /// clients"), as the server's max_connections; 0 = no limit.
  int max_connections = 0;
  std::uint64_t seed = 1;
};

/// Counters of everything the fake server saw, since it was created. Thread-safe reads.
struct FakeServerStats {
  std::uint64_t connects = 0;
  std::uint64_t connect_failures = 0;
  std::uint64_t prepares = 0;            ///< statements prepared (once per connection and name)
  std::uint64_t statements = 0;          ///< statements sent (every protocol; not pings or resets)
  std::uint64_t unnamed_statements = 0;  ///< of which sent as unnamed (send_unnamed_raw)
  std::uint64_t simple_statements = 0;   ///< of which sent as simple queries
  std::uint64_t failures = 0;            ///< statements answered with the injected error
  std::uint64_t rollbacks = 0;  ///< rollbacks (either form) that ended a transaction or a send
  std::uint64_t pings = 0;      ///< pre-pings (either form)
  /// Statements sent while a connect (either form) of this server was in progress, while
  /// a pre-ping was, and while a rollback was: zero when that work stalls the threads that
  /// send (one thread).
  std::uint64_t statements_while_connecting = 0;
  std::uint64_t statements_while_pinging = 0;
  std::uint64_t statements_while_rolling_back = 0;
  /// Statements sent on a connection from another thread than its previous statement: a
  /// connection handed from one worker thread to another (its backend would follow).
  std::uint64_t thread_changes = 0;
  int open = 0;      ///< connections open now
  int max_open = 0;  ///< most connections open at once
};

/// The fake server, and the pool's ConnectionFactory for it: connect() makes a
/// FakeServerConnection. Thread-safe; must outlive every connection and attempt it made.
class FakeServer final : public pg::AsyncConnectionFactory {
 public:
  explicit FakeServer(FakeServerOptions options = {});
  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;

  /// Sleeps connect_time, then opens. Never throws; fails (SQLSTATE 53300, 08001 when out
  /// of descriptors) as configured.
  pool::ConnectResult connect() noexcept override;
  /// An attempt whose descriptor is readable once connect_time has passed (done at once
  /// when it is 0); it then opens as connect() does.
  std::unique_ptr<pg::ConnectAttempt> start_connect() noexcept override;
  std::chrono::milliseconds connect_timeout() const noexcept override {
    return m_options.connect_timeout;
  }

  const FakeServerOptions& options() const noexcept { return m_options; }
  FakeServerStats stats() const noexcept;

 private:
  friend class FakeServerConnection;
  friend class FakeConnectAttempt;

  /// connect() without the wait.
  pool::ConnectResult open_connection() noexcept;
  /// Counts one statement sent, and whether connects or pings were in progress meanwhile.
  void count_statement() noexcept;

  const FakeServerOptions m_options;
  std::atomic<std::uint64_t> m_connects{0};
  std::atomic<std::uint64_t> m_connect_failures{0};
  std::atomic<std::uint64_t> m_prepares{0};
  std::atomic<std::uint64_t> m_statements{0};
  std::atomic<std::uint64_t> m_unnamed_statements{0};
  std::atomic<std::uint64_t> m_simple_statements{0};
  std::atomic<std::uint64_t> m_failures{0};
  std::atomic<std::uint64_t> m_rollbacks{0};
  std::atomic<std::uint64_t> m_pings{0};
  std::atomic<std::uint64_t> m_statements_while_connecting{0};
  std::atomic<std::uint64_t> m_statements_while_pinging{0};
  std::atomic<std::uint64_t> m_statements_while_rolling_back{0};
  std::atomic<int> m_connecting{0};    ///< connects in progress now
  std::atomic<int> m_pinging{0};       ///< pre-pings in progress now
  std::atomic<int> m_rolling_back{0};  ///< rollbacks in progress now
  std::atomic<std::uint64_t> m_thread_changes{0};
  std::atomic<int> m_open{0};
  std::atomic<int> m_max_open{0};
};

/// One connection to a FakeServer. Used by one thread at a time (the lease holder), like
/// a libpq connection; closing is destruction (closes its descriptor).
class FakeServerConnection final : public pg::StatementConnection {
 public:
  FakeServerConnection(FakeServer& server, util::Fd fd, std::uint64_t seed) noexcept;
  ~FakeServerConnection() override;

  // --- pool::Connection ---
  /// Takes ping_time; false when the connection is broken.
  bool ping() noexcept override;
  bool in_transaction() const noexcept override { return m_in_transaction || m_pending; }
  /// Waits for a statement in flight (at most its service time), then leaves the
  /// transaction (taking rollback_time). False when the connection is broken.
  bool rollback() noexcept override;
  bool is_broken() const noexcept override { return m_broken; }

  // --- pg::StatementConnection ---
  std::optional<pg::PgFailure> prepare(const std::string& name,
                                       const std::string& sql) noexcept override;
  bool is_prepared(const std::string& name) const noexcept override {
    return find(name) != nullptr;
  }
  /// prepare(), its outcome ready at once (the fake parses nothing).
  bool send_prepare(const std::string& name, const std::string& sql) noexcept override;
  bool send_prepared_raw(const std::string& name, int count,
                         const char* const* values) noexcept override;
  /// Exactly `SELECT 1` is a pre-ping (ping_time), `ROLLBACK` a rollback (rollback_time),
  /// anything else a statement (service_time).
  bool send_simple_query(const char* sql) noexcept override;
  /// A statement (service_time), whatever `sql` says but its first word.
  bool send_unnamed_raw(const char* sql, int count, const char* const* values) noexcept override;
  /// Quotes as a server with standard_conforming_strings on: quotes doubled.
  bool append_literal(std::string& out, std::string_view value) noexcept override;
  int socket() const noexcept override { return m_fd.get(); }
  pg::Progress consume() noexcept override;
  pg::StatementOutcome take_outcome() noexcept override;

 private:
  /// What a statement does to the transaction state.
  enum class Effect : std::uint8_t { none, begin, end };
  /// What `sql` does to the transaction, by its first words.
  static Effect effect_of(const std::string& sql);
  /// What a simple query sent is, for the server's counts.
  enum class Simple : std::uint8_t { none, ping, rollback };
  struct Prepared {
    std::string name;
    Effect effect = Effect::none;
  };

  const Prepared* find(const std::string& name) const noexcept;
  bool draw_failure() noexcept;
  /// The start of a send_*: false when a request is pending (libpq refuses a second too).
  bool begin_send() noexcept;
  /// A broken connection answers at once with the lost connection: true when it did.
  bool answered_broken();
  /// Counts a statement sent and draws its failure; `effect` on success. May throw
  /// bad_alloc.
  void start_statement(Effect effect);
  /// Makes the descriptor readable after `time` (at once when 0); false on failure.
  bool arm(std::chrono::microseconds time) noexcept;
  /// Sends what was set up (m_pending_effect, m_failure): `time` until the answer.
  bool dispatch(std::chrono::microseconds time) noexcept;
  void complete() noexcept;
  /// The simple query in flight (if any) is no longer in progress for the server's counts.
  void end_simple() noexcept;

  FakeServer& m_server;
  util::Fd m_fd;  ///< eventfd (every time 0) or timerfd
  std::vector<Prepared> m_prepared;
  std::uint64_t m_random;                  ///< splitmix64 state for failure injection
  std::optional<pg::PgFailure> m_failure;  ///< the answer in flight is this error
  Effect m_pending_effect = Effect::none;
  Simple m_pending_simple = Simple::none;
  bool m_pending = false;  ///< sent, outcome not taken
  bool m_done = false;     ///< the answer arrived (consume() returned done)
  bool m_in_transaction = false;
  bool m_broken = false;
  std::thread::id m_last_thread;  ///< that sent the previous statement
};

}  // namespace poolbench::testing
