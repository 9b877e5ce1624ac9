#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pg/environment.hpp"
#include "pg/pool_overrides.hpp"

// Connection URLs: `--dsn URL` / `POOLBENCH_DSN` and the URL of the seeds' config.yaml.
// libpq URIs and key=value strings are parsed by libpq itself (PQconninfoParse); before
// that, the seeds' forms are normalised:
//   postgresql+asyncpg://, postgresql+psycopg2:// (any `+driver`), postgres:// -> postgresql://
//   ?pool_size= &max_overflow= &pool_timeout= &pool_recycle= &pool_pre_ping=
//       -> taken out into PoolOverrides (validated)
//   ?ssl=require (asyncpg) -> sslmode=require
//   sqlite:///..., mysql://, any other scheme -> InputError: poolbench measures PostgreSQL
// Everything else (sslmode, passfile, PG* variables, .pgpass) is libpq's business.

namespace poolbench::pg {

/// Where a poolbench connection goes: libpq keyword/value pairs. Holds the password in
/// memory; only masked() may be shown.
class ConnectionTarget {
 public:
  ConnectionTarget() = default;
  ConnectionTarget(std::vector<std::pair<std::string, std::string>> params, std::string masked,
                   std::string source)
      : m_params(std::move(params)), m_masked(std::move(masked)), m_source(std::move(source)) {}

  /// The parameters given (not libpq's defaults), in libpq's keyword order.
  const std::vector<std::pair<std::string, std::string>>& params() const noexcept {
    return m_params;
  }
  /// The value of `keyword`, or nullopt.
  std::optional<std::string> get(std::string_view keyword) const;
  /// Sets or replaces `keyword`.
  void set(std::string_view keyword, std::string value);

  /// The DSN as given, masked (mask_dsn): safe to print, log and write.
  const std::string& masked() const noexcept { return m_masked; }
  /// Where it came from: "--dsn", "POOLBENCH_DSN", "config.yaml: database.url", ...
  const std::string& source() const noexcept { return m_source; }
  /// The password libpq will send, empty when none is given here (libpq may still find one
  /// in .pgpass or PGPASSWORD). For masking messages.
  std::string password() const { return get("password").value_or(""); }

  /// A key='value' conninfo string libpq accepts. CONTAINS THE PASSWORD: pass to libpq only,
  /// never print it.
  std::string conninfo() const;

 private:
  std::vector<std::pair<std::string, std::string>> m_params;
  std::string m_masked;
  std::string m_source;
};

struct ParsedDsn {
  ConnectionTarget target;
  PoolOverrides pool;  ///< from the URL's query; each source is `source`
};

/// Parses a DSN given by `source` ("--dsn", "POOLBENCH_DSN", "config.yaml: database.url").
/// Throws InputError naming `source` (never echoing a password) when it is empty, not
/// PostgreSQL, has a bad pool parameter, or libpq rejects it.
ParsedDsn parse_dsn(std::string_view text, std::string_view source);

/// `--dsn` when given, else a non-empty POOLBENCH_DSN, else nullopt (embedded cluster).
std::optional<ParsedDsn> dsn_from_flag_or_env(const std::optional<std::string>& flag,
                                              const EnvLookup& env);

}  // namespace poolbench::pg
