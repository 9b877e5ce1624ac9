#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "util/error.hpp"

struct pg_result;  // PGresult (libpq stays private to src/pg/)

// CONTRACT (implemented by the pg helper; the cluster helper codes against it).
// A blocking administrative / monitoring connection: profile checks, pg_settings, dataset
// setup, pg_stat_activity sampling. Not the pooled connection (that is pg::PgConnection).

namespace poolbench::pg {

/// A libpq or server error. `sqlstate` is empty when the server gave none (e.g. a lost
/// connection or a refused connect); the message never contains a password.
class PgError : public RuntimeFailure {
 public:
  PgError(const std::string& message, std::string sqlstate)
      : RuntimeFailure(message), m_sqlstate(std::move(sqlstate)) {}
  const std::string& sqlstate() const noexcept { return m_sqlstate; }

 private:
  std::string m_sqlstate;
};

/// Rows of a query result as text; a NULL field is std::nullopt.
struct Rows {
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;
};

class Session {
 public:
  /// Connects (blocking) with a libpq conninfo string or URL that libpq accepts as is.
  /// `connect_timeout` bounds the attempt. Throws PgError with a masked message on failure.
  static Session connect(const std::string& conninfo,
                         std::chrono::seconds connect_timeout = std::chrono::seconds(10));

  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session();

  /// Runs one statement (optionally with $1.. text parameters) and returns its rows.
  /// Throws PgError on any error.
  Rows query(const std::string& sql, const std::vector<std::string>& params = {});
  /// Runs one or more statements (simple protocol), discarding results. Throws PgError.
  void exec(const std::string& sql);
  /// PQserverVersion, e.g. 150018.
  int server_version() const;
  bool is_alive() const;
  /// The password libpq used: the conninfo's, or the one it found in the password file
  /// (PQpass). For a connection to the same server through another address (the
  /// network_delay proxy, whose port no passfile line names). Never print it.
  std::string password_used() const;

 private:
  struct Impl;
  explicit Session(std::unique_ptr<Impl> impl);
  /// Throws PgError for a failed statement; `result` may be null (then PQerrorMessage).
  [[noreturn]] void throw_error(const pg_result* result) const;
  std::unique_ptr<Impl> m_impl;  ///< owns the PGconn
};

}  // namespace poolbench::pg
