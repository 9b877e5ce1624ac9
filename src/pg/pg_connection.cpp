#include "pg/pg_connection.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <utility>

#include <libpq-fe.h>
#include <poll.h>

#include "pg/masking.hpp"

namespace poolbench::pg {
namespace {

/// How long rollback() waits for a cancelled statement to finish before giving up on the
/// connection (the pool then closes it).
constexpr std::chrono::milliseconds k_cancel_drain_timeout{10'000};

/// connect_timeout as libpq applies it: whole seconds, at least 2 when positive; 0, a
/// negative or unreadable value means no limit.
std::chrono::milliseconds libpq_connect_timeout(const std::string& value) {
  constexpr std::chrono::seconds k_libpq_minimum_timeout{2};
  char* end = nullptr;
  const long seconds = std::strtol(value.c_str(), &end, 10);
  if (end == value.c_str() || seconds <= 0) return std::chrono::milliseconds{0};
  return std::max<std::chrono::milliseconds>(std::chrono::seconds(seconds),
                                             k_libpq_minimum_timeout);
}

bool is_error_status(ExecStatusType status) {
  return status == PGRES_FATAL_ERROR || status == PGRES_BAD_RESPONSE ||
         status == PGRES_NONFATAL_ERROR;
}

/// Waits until `socket` is readable or `timeout` passes (negative = forever). False on
/// timeout or a poll error other than EINTR.
bool wait_readable(int socket, std::chrono::milliseconds timeout) {
  pollfd fd{};
  fd.fd = socket;
  fd.events = POLLIN;
  for (;;) {
    const int ready = ::poll(&fd, 1, static_cast<int>(timeout.count()));
    if (ready > 0) return true;
    if (ready == 0) return false;
    if (errno != EINTR) return false;
  }
}

void copy_rows(const PGresult* result, Rows& rows) {
  rows = Rows{};
  const int columns = PQnfields(result);
  const int tuples = PQntuples(result);
  for (int c = 0; c < columns; ++c) rows.columns.emplace_back(PQfname(result, c));
  rows.rows.reserve(static_cast<std::size_t>(tuples));
  for (int r = 0; r < tuples; ++r) {
    auto& row = rows.rows.emplace_back();
    for (int c = 0; c < columns; ++c) {
      if (PQgetisnull(result, r, c) != 0) {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(std::string(PQgetvalue(result, r, c),
                                     static_cast<std::size_t>(PQgetlength(result, r, c))));
      }
    }
  }
}

}  // namespace

PgConnection::PgConnection(ConnHandle conn, std::string password)
    : m_conn(std::move(conn)), m_password(std::move(password)) {}

PgConnection::~PgConnection() {
  // PQfinish sends Terminate; in blocking mode a full socket buffer would make it wait.
  if (m_conn) PQsetnonblocking(m_conn.get(), 1);
}

std::string PgConnection::masked(const char* message) const {
  return mask_secret(message == nullptr ? "" : message, m_password);
}

bool PgConnection::is_broken() const noexcept {
  return m_broken || !m_conn || PQstatus(m_conn.get()) == CONNECTION_BAD;
}

bool PgConnection::in_transaction() const noexcept {
  if (!m_conn) return false;
  if (m_state != State::idle) return true;  // rollback() drains and takes the outcome
  switch (PQtransactionStatus(m_conn.get())) {
    case PQTRANS_ACTIVE:
    case PQTRANS_INTRANS:
    case PQTRANS_INERROR:
      return true;
    default:
      return false;
  }
}

int PgConnection::socket() const noexcept {
  return m_conn ? PQsocket(m_conn.get()) : -1;
}

int PgConnection::backend_pid() const noexcept {
  return m_conn ? PQbackendPID(m_conn.get()) : 0;
}

int PgConnection::server_version() const noexcept {
  return m_conn ? PQserverVersion(m_conn.get()) : 0;
}

void PgConnection::record_failure(std::string_view sqlstate, const char* message) noexcept {
  if (m_outcome.failure) return;  // the first error of a send is the one that counts
  try {
    const bool bad = !m_conn || PQstatus(m_conn.get()) == CONNECTION_BAD;
    m_outcome.failure = classify_statement_error(sqlstate, bad, masked(message));
  } catch (...) {  // allocation failure: keep an error without text
    m_outcome.failure = PgFailure{ErrorKind::statement, {}, {}};
  }
}

bool PgConnection::begin_send(int sent_ok) noexcept {
  m_outcome = StatementOutcome{};
  if (sent_ok == 0) {
    record_failure({}, PQerrorMessage(m_conn.get()));
    finish();
    return false;
  }
  m_state = State::sent;
  return true;
}

bool PgConnection::point_at(std::span<const std::string> params) noexcept {
  try {
    m_param_ptrs.clear();
    for (const std::string& param : params) m_param_ptrs.push_back(param.c_str());
  } catch (...) {
    return false;
  }
  return true;
}

bool PgConnection::send_prepared(const std::string& name,
                                 std::span<const std::string> params) noexcept {
  if (pending() || !m_conn || !point_at(params)) return false;
  return send_prepared_raw(name, static_cast<int>(m_param_ptrs.size()), m_param_ptrs.data());
}

bool PgConnection::send_prepared_raw(const std::string& name, int count,
                                     const char* const* values) noexcept {
  if (pending() || !m_conn) return false;
  return begin_send(
      PQsendQueryPrepared(m_conn.get(), name.c_str(), count, values, nullptr, nullptr, 0));
}

bool PgConnection::send_query(const std::string& sql) noexcept {
  return send_simple_query(sql.c_str());
}

bool PgConnection::send_simple_query(const char* sql) noexcept {
  if (pending() || !m_conn) return false;
  return begin_send(PQsendQuery(m_conn.get(), sql));
}

bool PgConnection::send_params(const std::string& sql,
                               std::span<const std::string> params) noexcept {
  if (pending() || !m_conn || !point_at(params)) return false;
  return begin_send(PQsendQueryParams(m_conn.get(), sql.c_str(),
                                      static_cast<int>(m_param_ptrs.size()), nullptr,
                                      m_param_ptrs.data(), nullptr, nullptr, 0));
}

bool PgConnection::send_unnamed_raw(const char* sql, int count,
                                    const char* const* values) noexcept {
  if (pending() || !m_conn) return false;
  return begin_send(
      PQsendQueryParams(m_conn.get(), sql, count, nullptr, values, nullptr, nullptr, 0));
}

bool PgConnection::append_literal(std::string& out, std::string_view value) noexcept {
  if (!m_conn) return false;
  try {
    // PQescapeStringConn writes at most 2 * length bytes and a NUL: room for them after
    // the opening quote, then cut to what it wrote. With standard_conforming_strings on it
    // doubles quotes only; off, backslashes too (the server then reads escapes in '...').
    const std::size_t start = out.size();
    out.resize(start + 2 * value.size() + 2);
    out[start] = '\'';
    int error = 0;
    const std::size_t written = PQescapeStringConn(m_conn.get(), out.data() + start + 1,
                                                   value.data(), value.size(), &error);
    out.resize(start + 1 + written);
    out += '\'';
    return error == 0;
  } catch (...) {
    return false;
  }
}

void PgConnection::keep_results(KeptResults* into) noexcept {
  into->results.clear();
  m_keep = into;
}

void PgConnection::keep(pg_result* raw, bool returns_rows) {
  KeptResult& kept = m_keep->results.emplace_back();
  kept.returns_rows = returns_rows;
  if (!returns_rows) return;
  kept.rows = PQntuples(raw);
  const int fields = PQnfields(raw);
  for (int f = 0; f < fields; ++f) {
    kept.columns.emplace_back(PQfname(raw, f));
    if (kept.rows > 0) kept.last_row.emplace_back(PQgetvalue(raw, PQntuples(raw) - 1, f));
  }
}

bool PgConnection::absorb(pg_result* raw) noexcept {
  const ResultHandle result(raw);
  const ExecStatusType status = PQresultStatus(raw);
  if (m_keep != nullptr &&
      (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK || status == PGRES_EMPTY_QUERY)) {
    try {
      keep(raw, status == PGRES_TUPLES_OK);
    } catch (...) {
      record_failure(k_sqlstate_client_error, "out of memory keeping results");
    }
  }
  if (status == PGRES_TUPLES_OK || status == PGRES_SINGLE_TUPLE) {
    m_outcome.rows = PQntuples(raw);
    if (m_rows_out != nullptr) {
      try {
        copy_rows(raw, *m_rows_out);
      } catch (...) {
        record_failure(k_sqlstate_client_error, "out of memory copying rows");
      }
    }
  } else if (status == PGRES_COMMAND_OK) {
    const char* affected = PQcmdTuples(raw);
    m_outcome.rows = (affected != nullptr && affected[0] != '\0') ? std::atoll(affected) : 0;
  } else if (is_error_status(status)) {
    const char* sqlstate = PQresultErrorField(raw, PG_DIAG_SQLSTATE);
    record_failure(sqlstate == nullptr ? std::string_view() : std::string_view(sqlstate),
                   PQresultErrorMessage(raw));
  } else if (status != PGRES_EMPTY_QUERY) {
    // COPY and pipeline states are not part of poolbench's protocol; the connection is in
    // a state nobody else can use.
    // (libpq would return the COPY result forever: stop reading results here).
    record_failure(k_sqlstate_client_error, "unsupported result (COPY or pipeline)");
    m_broken = true;
    return false;
  }
  return true;
}

void PgConnection::finish() noexcept {
  const bool bad = !m_conn || PQstatus(m_conn.get()) == CONNECTION_BAD;
  if (bad && !m_outcome.failure) {
    record_failure({}, m_conn ? PQerrorMessage(m_conn.get()) : "no connection");
  }
  if (m_outcome.failure) {
    if (bad) m_outcome.failure->kind = ErrorKind::connection;
    if (m_outcome.failure->kind == ErrorKind::connection) m_broken = true;
  }
  m_outcome.ok = !m_outcome.failure;
  m_state = State::done;
}

Progress PgConnection::consume() noexcept {
  if (m_state != State::sent) return Progress::done;
  const bool read_ok = PQconsumeInput(m_conn.get()) != 0;
  while (PQisBusy(m_conn.get()) == 0) {
    pg_result* result = PQgetResult(m_conn.get());
    if (result == nullptr) {
      finish();
      return Progress::done;
    }
    if (!absorb(result)) {
      finish();
      return Progress::done;
    }
  }
  // Still busy: either more is coming, or the read failed and nothing more will come.
  if (!read_ok || PQstatus(m_conn.get()) == CONNECTION_BAD) {
    finish();
    return Progress::done;
  }
  return Progress::busy;
}

StatementOutcome PgConnection::take_outcome() noexcept {
  m_keep = nullptr;
  StatementOutcome outcome = std::move(m_outcome);
  m_outcome = StatementOutcome{};
  m_state = State::idle;
  if (!m_preparing.empty()) {
    if (outcome.ok) {
      try {
        m_prepared.push_back(std::move(m_preparing));
      } catch (...) {
        outcome.ok = false;
        outcome.failure =
            PgFailure{ErrorKind::statement, std::string(k_sqlstate_client_error), "out of memory"};
      }
    }
    m_preparing.clear();
  }
  return outcome;
}

StatementOutcome PgConnection::wait(Rows* rows_out) {
  m_rows_out = rows_out;
  while (consume() == Progress::busy) {
    if (socket() < 0 || !wait_readable(socket(), std::chrono::milliseconds(-1))) break;
  }
  if (m_state == State::sent) finish();  // poll failed: give up on this statement
  m_rows_out = nullptr;
  return take_outcome();
}

StatementOutcome PgConnection::execute(const std::string& sql, std::span<const std::string> params,
                                       Rows* rows_out) {
  const bool sent = params.empty() ? send_query(sql) : send_params(sql, params);
  if (!sent && m_state != State::done) {
    StatementOutcome outcome;
    outcome.failure = PgFailure{ErrorKind::statement, std::string(k_sqlstate_client_error),
                                "another statement is still pending on this connection"};
    return outcome;
  }
  return sent ? wait(rows_out) : take_outcome();
}

StatementOutcome PgConnection::execute_prepared(const std::string& name,
                                                std::span<const std::string> params,
                                                Rows* rows_out) {
  if (!send_prepared(name, params)) {
    if (m_state == State::done) return take_outcome();
    StatementOutcome outcome;
    outcome.failure = PgFailure{ErrorKind::statement, std::string(k_sqlstate_client_error),
                                "another statement is still pending on this connection"};
    return outcome;
  }
  return wait(rows_out);
}

bool PgConnection::send_prepare(const std::string& name, const std::string& sql) noexcept {
  if (pending() || !m_conn) return false;
  try {
    m_preparing = name;
  } catch (...) {
    return false;
  }
  return begin_send(PQsendPrepare(m_conn.get(), name.c_str(), sql.c_str(), 0, nullptr));
}

bool PgConnection::is_prepared(const std::string& name) const noexcept {
  return std::find(m_prepared.begin(), m_prepared.end(), name) != m_prepared.end();
}

std::optional<PgFailure> PgConnection::prepare(const std::string& name,
                                               const std::string& sql) noexcept {
  if (is_prepared(name)) return std::nullopt;
  if (pending() || !m_conn) {
    return PgFailure{ErrorKind::statement, std::string(k_sqlstate_client_error),
                     "cannot prepare while a statement is pending"};
  }
  m_outcome = StatementOutcome{};
  const ResultHandle result(PQprepare(m_conn.get(), name.c_str(), sql.c_str(), 0, nullptr));
  if (result && PQresultStatus(result.get()) == PGRES_COMMAND_OK) {
    try {
      m_prepared.push_back(name);
    } catch (...) {
      return PgFailure{ErrorKind::statement, std::string(k_sqlstate_client_error), "out of memory"};
    }
    return std::nullopt;
  }
  const char* sqlstate = result ? PQresultErrorField(result.get(), PG_DIAG_SQLSTATE) : nullptr;
  record_failure(sqlstate == nullptr ? std::string_view() : std::string_view(sqlstate),
                 result ? PQresultErrorMessage(result.get()) : PQerrorMessage(m_conn.get()));
  finish();
  return take_outcome().failure;
}

bool PgConnection::ping() noexcept {
  if (is_broken() || pending()) return false;
  try {
    if (execute("SELECT 1").ok) return true;
  } catch (...) {
  }
  m_broken = true;
  return false;
}

bool PgConnection::drain_with_cancel() noexcept {
  const CancelHandle cancel(PQgetCancel(m_conn.get()));
  char error[256];
  if (!cancel || PQcancel(cancel.get(), error, static_cast<int>(sizeof error)) == 0) {
    return false;
  }
  const auto deadline = std::chrono::steady_clock::now() + k_cancel_drain_timeout;
  while (consume() == Progress::busy) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || socket() < 0 || !wait_readable(socket(), left)) return false;
  }
  return true;
}

bool PgConnection::rollback() noexcept {
  m_keep = nullptr;  // an abandoned send's results go nowhere: its client is done with them
  if (is_broken()) return false;
  if (m_state == State::sent && !drain_with_cancel()) {
    m_broken = true;
    return false;
  }
  if (m_state != State::idle) take_outcome();
  const PGTransactionStatusType status = PQtransactionStatus(m_conn.get());
  if (status == PQTRANS_INTRANS || status == PQTRANS_INERROR) {
    try {
      if (!execute("ROLLBACK").ok) m_broken = true;
    } catch (...) {
      m_broken = true;
    }
  }
  return !is_broken() && PQtransactionStatus(m_conn.get()) == PQTRANS_IDLE;
}

// --- factory ---------------------------------------------------------------------------

PgConnectionFactory::PgConnectionFactory(ConnectionTarget target, const std::string& run_id,
                                         std::chrono::seconds connect_timeout)
    : m_target(std::move(target)), m_application_name("poolbench/" + run_id) {
  bool has_timeout = false;
  for (const auto& [keyword, value] : m_target.params()) {
    if (keyword == "application_name") continue;
    if (keyword == "connect_timeout") {
      has_timeout = true;
      m_connect_timeout = libpq_connect_timeout(value);
    }
    m_keywords.push_back(keyword);
    m_values.push_back(value);
  }
  if (!has_timeout) {
    m_keywords.emplace_back("connect_timeout");
    m_values.push_back(std::to_string(connect_timeout.count()));
    m_connect_timeout = libpq_connect_timeout(m_values.back());
  }
  m_keywords.emplace_back("application_name");
  m_values.push_back(m_application_name);
  for (std::size_t i = 0; i < m_keywords.size(); ++i) {
    m_keyword_ptrs.push_back(m_keywords[i].c_str());
    m_value_ptrs.push_back(m_values[i].c_str());
  }
  m_keyword_ptrs.push_back(nullptr);
  m_value_ptrs.push_back(nullptr);
}

std::unique_ptr<PgConnection> PgConnectionFactory::connect_pg(PgFailure* failure) noexcept {
  try {
    ConnHandle conn(PQconnectdbParams(m_keyword_ptrs.data(), m_value_ptrs.data(), 0));
    silence_notices(conn.get());
    const std::string password = m_target.password();
    if (conn && PQstatus(conn.get()) == CONNECTION_OK) {
      return std::make_unique<PgConnection>(std::move(conn), password);
    }
    const char* raw = conn ? PQerrorMessage(conn.get()) : "out of memory";
    if (failure != nullptr) {
      *failure = classify_connect_error(mask_secret(mask_message(raw, {}), password));
    }
  } catch (...) {
    if (failure != nullptr) {
      *failure =
          PgFailure{ErrorKind::connection, std::string(k_sqlstate_connect_failed), "out of memory"};
    }
  }
  return nullptr;
}

pool::ConnectResult PgConnectionFactory::connect() noexcept {
  pool::ConnectResult result;
  PgFailure failure;
  result.connection = connect_pg(&failure);
  if (!result.connection) {
    result.error = std::move(failure.message);
    result.sqlstate = std::move(failure.sqlstate);
  }
  return result;
}

}  // namespace poolbench::pg
