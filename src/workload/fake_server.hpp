#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "pg/statement_connection.hpp"
#include "pool/connection.hpp"

// An in-process stand-in for a PostgreSQL server, for generator tests and benchmarks: no
// database, no sockets. Each connection owns one descriptor that becomes readable when its
// statement "completes": an eventfd written at send time (service_time 0: immediate), or a
// timerfd armed for service_time (connections stay busy that long, so pools fill up and
// clients wait). Statements do nothing but count; BEGIN/START and COMMIT/END/ROLLBACK/ABORT
// (by their first word) move the connection in and out of a transaction, as the pool's
// reset-on-return expects.

namespace poolbench::workload {

struct FakeServerOptions {
  /// How long each statement keeps its connection busy; 0 = the answer is ready at once.
  std::chrono::microseconds service_time{0};
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
  std::uint64_t prepares = 0;    ///< statements prepared (once per connection and name)
  std::uint64_t statements = 0;  ///< statements sent
  std::uint64_t failures = 0;    ///< statements answered with the injected error
  std::uint64_t rollbacks = 0;   ///< rollback() calls that ended a transaction or a send
  /// Statements sent on a connection from another thread than its previous statement: a
  /// connection handed from one worker thread to another (its backend would follow).
  std::uint64_t thread_changes = 0;
  int open = 0;      ///< connections open now
  int max_open = 0;  ///< most connections open at once
};

/// The fake server, and the pool's ConnectionFactory for it: connect() makes a
/// FakeConnection. Thread-safe; must outlive every connection it made.
class FakeServer final : public pool::ConnectionFactory {
 public:
  explicit FakeServer(FakeServerOptions options = {});
  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;

  /// Never throws; fails (SQLSTATE 53300, 08001 when out of descriptors) as configured.
  pool::ConnectResult connect() noexcept override;

  const FakeServerOptions& options() const noexcept { return m_options; }
  FakeServerStats stats() const noexcept;

 private:
  friend class FakeConnection;

  const FakeServerOptions m_options;
  std::atomic<std::uint64_t> m_connects{0};
  std::atomic<std::uint64_t> m_connect_failures{0};
  std::atomic<std::uint64_t> m_prepares{0};
  std::atomic<std::uint64_t> m_statements{0};
  std::atomic<std::uint64_t> m_failures{0};
  std::atomic<std::uint64_t> m_rollbacks{0};
  std::atomic<std::uint64_t> m_thread_changes{0};
  std::atomic<int> m_open{0};
  std::atomic<int> m_max_open{0};
};

/// One connection to a FakeServer. Used by one thread at a time (the lease holder), like
/// a libpq connection; closing is destruction (closes its descriptor).
class FakeConnection final : public pg::StatementConnection {
 public:
  FakeConnection(FakeServer& server, int fd, std::uint64_t seed) noexcept;
  ~FakeConnection() override;

  // --- pool::Connection ---
  bool ping() noexcept override { return !m_broken; }
  bool in_transaction() const noexcept override { return m_in_transaction || m_pending; }
  /// Waits for a statement in flight (at most its service time), then leaves the
  /// transaction. False when the connection is broken.
  bool rollback() noexcept override;
  bool is_broken() const noexcept override { return m_broken; }

  // --- pg::StatementConnection ---
  std::optional<pg::PgFailure> prepare(const std::string& name,
                                       const std::string& sql) noexcept override;
  bool send_prepared_raw(const std::string& name, int count,
                         const char* const* values) noexcept override;
  int socket() const noexcept override { return m_fd; }
  pg::Progress consume() noexcept override;
  pg::StatementOutcome take_outcome() noexcept override;

 private:
  /// What a prepared statement does to the transaction state.
  enum class Effect : std::uint8_t { none, begin, end };
  struct Prepared {
    std::string name;
    Effect effect = Effect::none;
  };

  const Prepared* find(const std::string& name) const noexcept;
  bool draw_failure() noexcept;
  void complete() noexcept;

  FakeServer& m_server;
  int m_fd = -1;  ///< eventfd (immediate) or timerfd (service_time > 0), owned
  std::vector<Prepared> m_prepared;
  std::uint64_t m_random;                  ///< splitmix64 state for failure injection
  std::optional<pg::PgFailure> m_failure;  ///< the answer in flight is this error
  Effect m_pending_effect = Effect::none;
  bool m_pending = false;  ///< sent, outcome not taken
  bool m_done = false;     ///< the answer arrived (consume() returned done)
  bool m_in_transaction = false;
  bool m_broken = false;
  std::thread::id m_last_thread;  ///< that sent the previous statement
};

}  // namespace poolbench::workload
