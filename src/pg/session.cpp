#include "pg/session.hpp"

#include <string_view>
#include <utility>

#include <libpq-fe.h>

#include "pg/errors.hpp"
#include "pg/handles.hpp"
#include "pg/masking.hpp"

namespace poolbench::pg {

struct Session::Impl {
  ConnHandle conn;
  std::string password;  ///< masked out of every message; empty when none
};

namespace {

std::string sqlstate_of(const PGresult* result) {
  const char* field = result == nullptr ? nullptr : PQresultErrorField(result, PG_DIAG_SQLSTATE);
  return field == nullptr ? std::string() : std::string(field);
}

std::string connect_error_text(const std::string& masked_conninfo,
                               const std::string& masked_message) {
  const std::string target = masked_conninfo.empty() ? "(libpq defaults)" : masked_conninfo;
  return "cannot connect to PostgreSQL at " + target + ": " + masked_message;
}

}  // namespace

Session::Session(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;
Session::~Session() = default;

Session Session::connect(const std::string& conninfo, std::chrono::seconds connect_timeout) {
  // expand_dbname=1: the first "dbname" value is the caller's conninfo/URI; later keywords
  // override what it says (libpq processes the arrays in order, last value wins).
  const std::string timeout = std::to_string(connect_timeout.count());
  const char* const keywords[] = {"dbname", "connect_timeout", "fallback_application_name",
                                  nullptr};
  const char* const values[] = {conninfo.c_str(), timeout.c_str(), "poolbench", nullptr};
  auto impl = std::make_unique<Impl>();
  impl->conn.reset(PQconnectdbParams(keywords, values, 1));
  silence_notices(impl->conn.get());
  impl->password = password_of(conninfo).value_or("");
  if (!impl->conn) throw PgError("cannot connect to PostgreSQL: out of memory", "");
  if (PQstatus(impl->conn.get()) != CONNECTION_OK) {
    const std::string message =
        mask_message(trim_message(PQerrorMessage(impl->conn.get())), conninfo);
    throw PgError(connect_error_text(mask_dsn(conninfo), message),
                  std::string(sqlstate_from_message(message)));
  }
  return Session(std::move(impl));
}

Rows Session::query(const std::string& sql, const std::vector<std::string>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const std::string& param : params) values.push_back(param.c_str());
  ResultHandle result(PQexecParams(m_impl->conn.get(), sql.c_str(), static_cast<int>(values.size()),
                                   nullptr, values.data(), nullptr, nullptr, 0));
  const ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    throw_error(result.get());
  }
  Rows rows;
  const int columns = PQnfields(result.get());
  const int tuples = PQntuples(result.get());
  rows.columns.reserve(static_cast<std::size_t>(columns));
  for (int c = 0; c < columns; ++c) rows.columns.emplace_back(PQfname(result.get(), c));
  rows.rows.reserve(static_cast<std::size_t>(tuples));
  for (int r = 0; r < tuples; ++r) {
    auto& row = rows.rows.emplace_back();
    row.reserve(static_cast<std::size_t>(columns));
    for (int c = 0; c < columns; ++c) {
      if (PQgetisnull(result.get(), r, c) != 0) {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(std::string(PQgetvalue(result.get(), r, c),
                                     static_cast<std::size_t>(PQgetlength(result.get(), r, c))));
      }
    }
  }
  return rows;
}

void Session::exec(const std::string& sql) {
  // PQexec returns the last result; with several statements the server stops at the first
  // error and that error is what PQexec returns.
  ResultHandle result(PQexec(m_impl->conn.get(), sql.c_str()));
  const ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status == PGRES_FATAL_ERROR || status == PGRES_BAD_RESPONSE ||
      status == PGRES_NONFATAL_ERROR) {
    throw_error(result.get());
  }
}

void Session::throw_error(const pg_result* result) const {
  const char* raw = result != nullptr ? PQresultErrorMessage(result) : "";
  if (raw == nullptr || raw[0] == '\0') raw = PQerrorMessage(m_impl->conn.get());
  // Contract: empty SQLSTATE when the server gave none (a lost connection); callers that
  // count errors normalise with classify_statement_error().
  std::string sqlstate = sqlstate_of(result);
  throw PgError(mask_secret(trim_message(raw), m_impl->password), std::move(sqlstate));
}

int Session::server_version() const {
  return PQserverVersion(m_impl->conn.get());
}

std::string Session::password_used() const {
  const char* password = m_impl && m_impl->conn ? PQpass(m_impl->conn.get()) : nullptr;
  return password == nullptr ? std::string() : std::string(password);
}

bool Session::is_alive() const {
  return m_impl && m_impl->conn && PQstatus(m_impl->conn.get()) == CONNECTION_OK;
}

}  // namespace poolbench::pg
