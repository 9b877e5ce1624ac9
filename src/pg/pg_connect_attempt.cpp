// PgConnectionFactory::start_connect(): a libpq connection opened without blocking
// (PQconnectStartParams, then PQconnectPoll each time the socket is ready), for the load
// generator's event loops.

#include <libpq-fe.h>
#include <poll.h>

#include "pg/masking.hpp"
#include "pg/pg_connection.hpp"

namespace poolbench::pg {
namespace {

class PgConnectAttempt final : public ConnectAttempt {
 public:
  PgConnectAttempt(ConnHandle conn, std::string password)
      : m_conn(std::move(conn)), m_password(std::move(password)) {
    if (m_conn) silence_notices(m_conn.get());
    // libpq's rule: before the first PQconnectPoll, wait until the socket is writable.
    if (!m_conn || PQstatus(m_conn.get()) == CONNECTION_BAD) m_wait = ConnectWait::done;
  }

  ConnectWait waiting_for() const noexcept override { return m_wait; }

  int socket() const noexcept override {
    return m_wait == ConnectWait::done || !m_conn ? -1 : PQsocket(m_conn.get());
  }

  void advance() noexcept override {
    if (m_wait == ConnectWait::done || !ready()) return;
    switch (PQconnectPoll(m_conn.get())) {
      case PGRES_POLLING_READING:
        m_wait = ConnectWait::readable;
        break;
      case PGRES_POLLING_WRITING:
      case PGRES_POLLING_ACTIVE:  // unused by libpq since 7.x; "call again" means writable
        m_wait = ConnectWait::writable;
        break;
      default:  // PGRES_POLLING_OK or PGRES_POLLING_FAILED: PQstatus tells which
        m_wait = ConnectWait::done;
        break;
    }
  }

  pool::ConnectResult take() noexcept override {
    pool::ConnectResult result;
    try {
      if (m_conn && PQstatus(m_conn.get()) == CONNECTION_OK) {
        result.connection = std::make_unique<PgConnection>(std::move(m_conn), m_password);
        return result;
      }
      const char* raw = m_conn ? PQerrorMessage(m_conn.get()) : "out of memory";
      PgFailure failure = classify_connect_error(mask_secret(mask_message(raw, {}), m_password));
      result.error = std::move(failure.message);
      result.sqlstate = std::move(failure.sqlstate);
    } catch (...) {
      result.error = "out of memory";
      result.sqlstate = std::string(k_sqlstate_connect_failed);
    }
    return result;
  }

 private:
  /// The socket is ready as waited for (PQconnectPoll must not run early: right after
  /// the start it would take a connect still in progress for one made).
  bool ready() const noexcept {
    pollfd fd{};
    fd.fd = PQsocket(m_conn.get());
    if (fd.fd < 0) return true;  // PQconnectPoll reports the failure
    fd.events = m_wait == ConnectWait::readable ? POLLIN : POLLOUT;
    return ::poll(&fd, 1, 0) != 0;  // ready, hung up, or an error PQconnectPoll reports
  }

  ConnHandle m_conn;
  std::string m_password;
  ConnectWait m_wait = ConnectWait::writable;
};

}  // namespace

std::unique_ptr<ConnectAttempt> PgConnectionFactory::start_connect() noexcept {
  try {
    ConnHandle conn(PQconnectStartParams(m_keyword_ptrs.data(), m_value_ptrs.data(), 0));
    return std::make_unique<PgConnectAttempt>(std::move(conn), m_target.password());
  } catch (...) {
    return nullptr;  // out of memory: the caller counts a failed connect
  }
}

}  // namespace poolbench::pg
