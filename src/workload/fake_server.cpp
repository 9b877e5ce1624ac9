#include "workload/fake_server.hpp"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <memory>
#include <new>
#include <utility>

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

namespace poolbench::workload {
namespace {

/// splitmix64: a small, fast, well-mixed generator for the failure draws.
std::uint64_t next_random(std::uint64_t& state) noexcept {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/// The first word of `sql` (after blanks), upper-cased, and the one after it.
std::pair<std::string, std::string> leading_words(const std::string& sql) {
  std::pair<std::string, std::string> words;
  std::size_t i = 0;
  for (std::string* word : {&words.first, &words.second}) {
    while (i < sql.size() && std::isspace(static_cast<unsigned char>(sql[i])) != 0) ++i;
    while (i < sql.size() && std::isalpha(static_cast<unsigned char>(sql[i])) != 0) {
      word->push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(sql[i++]))));
    }
  }
  return words;
}

pg::PgFailure client_error(std::string message) {
  return pg::PgFailure{pg::ErrorKind::statement, std::string(pg::k_sqlstate_client_error),
                       std::move(message)};
}

}  // namespace

// ------------------------------------------------------------------------------ FakeServer

FakeServer::FakeServer(FakeServerOptions options) : m_options(std::move(options)) {}

FakeServerStats FakeServer::stats() const noexcept {
  constexpr auto relaxed = std::memory_order_relaxed;
  FakeServerStats stats;
  stats.connects = m_connects.load(relaxed);
  stats.connect_failures = m_connect_failures.load(relaxed);
  stats.prepares = m_prepares.load(relaxed);
  stats.statements = m_statements.load(relaxed);
  stats.failures = m_failures.load(relaxed);
  stats.rollbacks = m_rollbacks.load(relaxed);
  stats.thread_changes = m_thread_changes.load(relaxed);
  stats.open = m_open.load(relaxed);
  stats.max_open = m_max_open.load(relaxed);
  return stats;
}

pool::ConnectResult FakeServer::connect() noexcept {
  pool::ConnectResult result;
  int open = m_open.load();
  do {
    if (m_options.max_connections > 0 && open >= m_options.max_connections) {
      ++m_connect_failures;
      result.error = "FATAL:  sorry, too many clients already";
      result.sqlstate = std::string(pg::k_sqlstate_too_many_connections);
      return result;
    }
  } while (!m_open.compare_exchange_weak(open, open + 1));
  int max_open = m_max_open.load();
  while (max_open < open + 1 && !m_max_open.compare_exchange_weak(max_open, open + 1)) {
  }
  const int fd = m_options.service_time.count() > 0
                     ? timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)
                     : eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  try {
    if (fd < 0) {
      result.error = std::string("cannot create a fake connection: ") + std::strerror(errno);
    } else {
      const std::uint64_t number = ++m_connects;
      result.connection = std::make_unique<FakeConnection>(*this, fd, m_options.seed + number);
      return result;  // the connection owns fd and the open slot now
    }
  } catch (const std::bad_alloc&) {
    if (fd >= 0) ::close(fd);
    result.error = "out of memory";
  }
  --m_open;
  ++m_connect_failures;
  result.sqlstate = std::string(pg::k_sqlstate_connect_failed);
  return result;
}

// -------------------------------------------------------------------------- FakeConnection

FakeConnection::FakeConnection(FakeServer& server, int fd, std::uint64_t seed) noexcept
    : m_server(server), m_fd(fd), m_random(seed) {}

FakeConnection::~FakeConnection() {
  ::close(m_fd);
  --m_server.m_open;
}

const FakeConnection::Prepared* FakeConnection::find(const std::string& name) const noexcept {
  for (const Prepared& prepared : m_prepared) {
    if (prepared.name == name) return &prepared;
  }
  return nullptr;
}

std::optional<pg::PgFailure> FakeConnection::prepare(const std::string& name,
                                                     const std::string& sql) noexcept {
  if (find(name) != nullptr) return std::nullopt;
  try {
    if (m_pending) return client_error("cannot prepare while a statement is pending");
    if (m_broken) {
      return pg::PgFailure{pg::ErrorKind::connection,
                           std::string(pg::k_sqlstate_connection_failure),
                           "server closed the connection unexpectedly"};
    }
    const auto [first, second] = leading_words(sql);
    Effect effect = Effect::none;
    if (first == "BEGIN" || first == "START") effect = Effect::begin;
    if (first == "COMMIT" || first == "END" || first == "ABORT" ||
        (first == "ROLLBACK" && second != "TO")) {
      effect = Effect::end;
    }
    m_prepared.push_back(Prepared{name, effect});
  } catch (const std::bad_alloc&) {
    return pg::PgFailure{pg::ErrorKind::statement, std::string(pg::k_sqlstate_client_error), {}};
  }
  m_server.m_prepares.fetch_add(1, std::memory_order_relaxed);
  return std::nullopt;
}

bool FakeConnection::draw_failure() noexcept {
  const double rate = m_server.m_options.failure_rate;
  if (rate <= 0) return false;
  const double draw = static_cast<double>(next_random(m_random) >> 11) * 0x1.0p-53;
  return draw < rate;
}

bool FakeConnection::send_prepared_raw(const std::string& name, int /*count*/,
                                       const char* const* /*values*/) noexcept {
  if (m_pending) return false;
  m_pending = true;
  m_done = false;
  const Prepared* prepared = find(name);
  try {
    if (prepared == nullptr || m_broken) {
      m_done = true;
      m_failure = prepared == nullptr
                      ? pg::PgFailure{pg::ErrorKind::statement, "26000",
                                      "prepared statement \"" + name + "\" does not exist"}
                      : pg::PgFailure{pg::ErrorKind::connection,
                                      std::string(pg::k_sqlstate_connection_failure),
                                      "server closed the connection unexpectedly"};
      return false;
    }
    m_server.m_statements.fetch_add(1, std::memory_order_relaxed);
    const std::thread::id thread = std::this_thread::get_id();
    if (m_last_thread != std::thread::id{} && m_last_thread != thread) {
      m_server.m_thread_changes.fetch_add(1, std::memory_order_relaxed);
    }
    m_last_thread = thread;
    m_pending_effect = prepared->effect;
    if (draw_failure()) {
      m_server.m_failures.fetch_add(1, std::memory_order_relaxed);
      const std::string& sqlstate = m_server.m_options.failure_sqlstate;
      m_failure =
          pg::classify_statement_error(sqlstate, false, "ERROR:  injected failure " + sqlstate);
    }
  } catch (const std::bad_alloc&) {
    m_failure = client_error({});
  }
  const auto service = m_server.m_options.service_time;
  if (service.count() == 0 && m_server.m_options.synchronous) {
    complete();  // the answer is ready at send time: no descriptor involved
    return false;
  }
  bool armed = false;
  if (service.count() > 0) {
    itimerspec when{};
    when.it_value.tv_sec = static_cast<time_t>(service.count() / 1'000'000);
    when.it_value.tv_nsec = static_cast<long>(service.count() % 1'000'000 * 1000);
    armed = timerfd_settime(m_fd, 0, &when, nullptr) == 0;
  } else {
    const std::uint64_t one = 1;
    armed = ::write(m_fd, &one, sizeof one) == static_cast<ssize_t>(sizeof one);
  }
  if (!armed) {
    complete();
    m_failure = client_error("cannot signal the fake answer");
    return false;
  }
  return true;
}

void FakeConnection::complete() noexcept {
  m_done = true;
  if (!m_failure) {
    if (m_pending_effect == Effect::begin) m_in_transaction = true;
    if (m_pending_effect == Effect::end) m_in_transaction = false;
  } else if (m_failure->kind == pg::ErrorKind::connection) {
    m_broken = true;
  }
  m_pending_effect = Effect::none;
}

pg::Progress FakeConnection::consume() noexcept {
  if (!m_pending || m_done) return pg::Progress::done;
  std::uint64_t count = 0;
  if (::read(m_fd, &count, sizeof count) != static_cast<ssize_t>(sizeof count)) {
    return pg::Progress::busy;  // not yet (EAGAIN): a spurious wake-up
  }
  complete();
  return pg::Progress::done;
}

pg::StatementOutcome FakeConnection::take_outcome() noexcept {
  pg::StatementOutcome outcome;
  outcome.ok = !m_failure;
  outcome.rows = outcome.ok ? 1 : 0;
  outcome.failure = std::move(m_failure);
  m_failure.reset();
  m_pending = false;
  m_done = false;
  return outcome;
}

bool FakeConnection::rollback() noexcept {
  if (m_broken) return false;
  const bool had_work = m_pending || m_in_transaction;
  if (m_pending && !m_done) {
    // Wait for the answer in flight, as a cancelled statement is drained.
    const auto wait_ms = m_server.m_options.service_time.count() / 1000 + 1000;
    pollfd fd{m_fd, POLLIN, 0};
    if (::poll(&fd, 1, static_cast<int>(wait_ms)) != 1) {
      m_broken = true;
      return false;
    }
    std::uint64_t count = 0;
    [[maybe_unused]] const ssize_t got = ::read(m_fd, &count, sizeof count);
    complete();
  }
  if (m_pending) take_outcome();
  m_in_transaction = false;
  if (had_work) m_server.m_rollbacks.fetch_add(1, std::memory_order_relaxed);
  return !m_broken;
}

}  // namespace poolbench::workload
