#pragma once

#include <memory>

// One RAII owner per libpq handle. The libpq types are only forward-declared here so that
// headers outside src/pg/ never need <libpq-fe.h> (libpq is a private dependency of the core).

struct pg_conn;    // PGconn
struct pg_result;  // PGresult
struct pg_cancel;  // PGcancel

namespace poolbench::pg {

struct ConnCloser {
  void operator()(pg_conn* conn) const noexcept;  ///< PQfinish
};
struct ResultClearer {
  void operator()(pg_result* result) const noexcept;  ///< PQclear
};
struct CancelFreer {
  void operator()(pg_cancel* cancel) const noexcept;  ///< PQfreeCancel
};

/// Drops the server's notices and the errors it sends to an idle connection ("FATAL:
/// terminating connection due to administrator command"), which libpq would otherwise
/// print on stderr: the runner never prints; a broken connection shows in the next query.
void silence_notices(pg_conn* conn) noexcept;

/// Owns a PGconn; destruction closes the connection (PQfinish).
using ConnHandle = std::unique_ptr<pg_conn, ConnCloser>;
/// Owns a PGresult (PQclear).
using ResultHandle = std::unique_ptr<pg_result, ResultClearer>;
/// Owns a PGcancel (PQfreeCancel).
using CancelHandle = std::unique_ptr<pg_cancel, CancelFreer>;

}  // namespace poolbench::pg
