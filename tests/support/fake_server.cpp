#include "support/fake_server.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <memory>
#include <new>
#include <thread>
#include <utility>

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

namespace poolbench::testing {
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

pg::PgFailure lost_connection() {
  return pg::PgFailure{pg::ErrorKind::connection, std::string(pg::k_sqlstate_connection_failure),
                       "server closed the connection unexpectedly"};
}

/// A connection answers through a timerfd when anything takes time, else an eventfd.
bool answers_by_timer(const FakeServerOptions& options) noexcept {
  return options.service_time.count() > 0 || options.ping_time.count() > 0 ||
         options.rollback_time.count() > 0;
}

/// Arms the timerfd `fd` to expire after `time` (a zero time would disarm it: 1 ns).
bool arm_timer(int fd, std::chrono::microseconds time) noexcept {
  itimerspec when{};
  when.it_value.tv_sec = static_cast<time_t>(time.count() / 1'000'000);
  when.it_value.tv_nsec = static_cast<long>(time.count() % 1'000'000 * 1000);
  if (time.count() <= 0) when.it_value.tv_nsec = 1;
  return timerfd_settime(fd, 0, &when, nullptr) == 0;
}

}  // namespace

/// Counts what is in progress while it lives (connects or pings of the server). Outside the
/// anonymous namespace: FakeConnectAttempt (a friend of FakeServer, so not in it) holds one.
class InProgress {
 public:
  explicit InProgress(std::atomic<int>& count) noexcept : m_count(&count) { ++*m_count; }
  InProgress(const InProgress&) = delete;
  InProgress& operator=(const InProgress&) = delete;
  ~InProgress() { --*m_count; }

 private:
  std::atomic<int>* m_count;
};

/// FakeServer::start_connect()'s attempt: a timerfd that expires after connect_time.
class FakeConnectAttempt final : public pg::ConnectAttempt {
 public:
  explicit FakeConnectAttempt(FakeServer& server) noexcept
      : m_server(server), m_busy(server.m_connecting) {
    const auto time = server.m_options.connect_time;
    if (time.count() <= 0) return;  // done at once
    m_fd.reset(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
    if (m_fd.valid() && !arm_timer(m_fd.get(), time)) m_fd.reset();
    m_failed = !m_fd.valid();
    m_wait = pg::ConnectWait::readable;  // a descriptor that failed (-1) finishes in advance()
  }
  FakeConnectAttempt(const FakeConnectAttempt&) = delete;
  FakeConnectAttempt& operator=(const FakeConnectAttempt&) = delete;
  ~FakeConnectAttempt() override = default;

  pg::ConnectWait waiting_for() const noexcept override { return m_wait; }
  int socket() const noexcept override { return m_fd.get(); }
  void advance() noexcept override {
    std::uint64_t expirations = 0;
    if (m_fd.valid() &&
        ::read(m_fd.get(), &expirations, sizeof expirations) != sizeof expirations) {
      return;  // not yet
    }
    m_wait = pg::ConnectWait::done;
  }
  pool::ConnectResult take() noexcept override {
    if (m_failed) {
      pool::ConnectResult result;
      ++m_server.m_connect_failures;
      result.error = "cannot create a fake connect attempt";
      result.sqlstate = std::string(pg::k_sqlstate_connect_failed);
      return result;
    }
    return m_server.open_connection();
  }

 private:
  FakeServer& m_server;
  InProgress m_busy;
  util::Fd m_fd;
  bool m_failed = false;
  pg::ConnectWait m_wait = pg::ConnectWait::done;
};

namespace {}  // namespace

// ------------------------------------------------------------------------------ FakeServer

FakeServer::FakeServer(FakeServerOptions options) : m_options(std::move(options)) {}

FakeServerStats FakeServer::stats() const noexcept {
  constexpr auto relaxed = std::memory_order_relaxed;
  FakeServerStats stats;
  stats.connects = m_connects.load(relaxed);
  stats.connect_failures = m_connect_failures.load(relaxed);
  stats.prepares = m_prepares.load(relaxed);
  stats.statements = m_statements.load(relaxed);
  stats.unnamed_statements = m_unnamed_statements.load(relaxed);
  stats.simple_statements = m_simple_statements.load(relaxed);
  stats.failures = m_failures.load(relaxed);
  stats.rollbacks = m_rollbacks.load(relaxed);
  stats.pings = m_pings.load(relaxed);
  stats.statements_while_connecting = m_statements_while_connecting.load(relaxed);
  stats.statements_while_pinging = m_statements_while_pinging.load(relaxed);
  stats.statements_while_rolling_back = m_statements_while_rolling_back.load(relaxed);
  stats.thread_changes = m_thread_changes.load(relaxed);
  stats.open = m_open.load(relaxed);
  stats.max_open = m_max_open.load(relaxed);
  return stats;
}

pool::ConnectResult FakeServer::connect() noexcept {
  if (m_options.connect_time.count() > 0) {
    const InProgress connecting(m_connecting);
    std::this_thread::sleep_for(m_options.connect_time);
  }
  return open_connection();
}

std::unique_ptr<pg::ConnectAttempt> FakeServer::start_connect() noexcept {
  try {
    return std::make_unique<FakeConnectAttempt>(*this);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}

void FakeServer::count_statement() noexcept {
  constexpr auto relaxed = std::memory_order_relaxed;
  m_statements.fetch_add(1, relaxed);
  if (m_connecting.load(relaxed) > 0) m_statements_while_connecting.fetch_add(1, relaxed);
  if (m_pinging.load(relaxed) > 0) m_statements_while_pinging.fetch_add(1, relaxed);
  if (m_rolling_back.load(relaxed) > 0) m_statements_while_rolling_back.fetch_add(1, relaxed);
}

pool::ConnectResult FakeServer::open_connection() noexcept {
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
  util::Fd fd(answers_by_timer(m_options)
                  ? timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)
                  : eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  try {
    if (!fd.valid()) {
      result.error = std::string("cannot create a fake connection: ") + std::strerror(errno);
    } else {
      const std::uint64_t number = ++m_connects;
      result.connection =
          std::make_unique<FakeServerConnection>(*this, std::move(fd), m_options.seed + number);
      return result;  // the connection owns fd and the open slot now
    }
  } catch (const std::bad_alloc&) {
    result.error = "out of memory";
  }
  --m_open;
  ++m_connect_failures;
  result.sqlstate = std::string(pg::k_sqlstate_connect_failed);
  return result;
}

// -------------------------------------------------------------------------- FakeServerConnection

FakeServerConnection::FakeServerConnection(FakeServer& server, util::Fd fd,
                                           std::uint64_t seed) noexcept
    : m_server(server), m_fd(std::move(fd)), m_random(seed) {}

FakeServerConnection::~FakeServerConnection() {
  end_simple();
  m_fd.reset();
  --m_server.m_open;
}

const FakeServerConnection::Prepared* FakeServerConnection::find(
    const std::string& name) const noexcept {
  for (const Prepared& prepared : m_prepared) {
    if (prepared.name == name) return &prepared;
  }
  return nullptr;
}

std::optional<pg::PgFailure> FakeServerConnection::prepare(const std::string& name,
                                                           const std::string& sql) noexcept {
  if (find(name) != nullptr) return std::nullopt;
  try {
    if (m_pending) return client_error("cannot prepare while a statement is pending");
    if (m_broken) {
      return pg::PgFailure{pg::ErrorKind::connection,
                           std::string(pg::k_sqlstate_connection_failure),
                           "server closed the connection unexpectedly"};
    }
    m_prepared.push_back(Prepared{name, effect_of(sql)});
  } catch (const std::bad_alloc&) {
    return pg::PgFailure{pg::ErrorKind::statement, std::string(pg::k_sqlstate_client_error), {}};
  }
  m_server.m_prepares.fetch_add(1, std::memory_order_relaxed);
  return std::nullopt;
}

FakeServerConnection::Effect FakeServerConnection::effect_of(const std::string& sql) {
  const auto [first, second] = leading_words(sql);
  if (first == "BEGIN" || first == "START") return Effect::begin;
  if (first == "COMMIT" || first == "END" || first == "ABORT" ||
      (first == "ROLLBACK" && second != "TO")) {
    return Effect::end;
  }
  return Effect::none;
}

bool FakeServerConnection::begin_send() noexcept {
  if (m_pending) return false;
  m_pending = true;
  m_done = false;
  return true;
}

bool FakeServerConnection::answered_broken() {
  if (!m_broken) return false;
  m_done = true;
  m_failure = lost_connection();
  return true;
}

bool FakeServerConnection::send_prepare(const std::string& name, const std::string& sql) noexcept {
  if (m_pending) return false;
  m_failure = prepare(name, sql);
  m_pending = true;
  m_done = true;
  return false;
}

bool FakeServerConnection::draw_failure() noexcept {
  const double rate = m_server.m_options.failure_rate;
  if (rate <= 0) return false;
  const double draw = static_cast<double>(next_random(m_random) >> 11) * 0x1.0p-53;
  return draw < rate;
}

bool FakeServerConnection::send_prepared_raw(const std::string& name, int /*count*/,
                                             const char* const* /*values*/) noexcept {
  if (!begin_send()) return false;
  const Prepared* prepared = find(name);
  try {
    if (prepared == nullptr || m_broken) {
      m_done = true;
      m_failure = prepared == nullptr
                      ? pg::PgFailure{pg::ErrorKind::statement, "26000",
                                      "prepared statement \"" + name + "\" does not exist"}
                      : lost_connection();
      return false;
    }
    start_statement(prepared->effect);
  } catch (const std::bad_alloc&) {
    m_failure = client_error({});
  }
  return dispatch(m_server.m_options.service_time);
}

bool FakeServerConnection::send_unnamed_raw(const char* sql, int /*count*/,
                                            const char* const* /*values*/) noexcept {
  if (!begin_send()) return false;
  try {
    if (answered_broken()) return false;
    m_server.m_unnamed_statements.fetch_add(1, std::memory_order_relaxed);
    start_statement(effect_of(sql));
  } catch (const std::bad_alloc&) {
    m_failure = client_error({});
  }
  return dispatch(m_server.m_options.service_time);
}

bool FakeServerConnection::append_literal(std::string& out, std::string_view value) noexcept {
  // standard_conforming_strings on (PostgreSQL's default): quotes doubled, nothing else.
  try {
    out += '\'';
    for (const char c : value) {
      if (c == '\'') out += '\'';
      out += c;
    }
    out += '\'';
  } catch (const std::bad_alloc&) {
    return false;
  }
  return true;
}

void FakeServerConnection::start_statement(Effect effect) {
  m_server.count_statement();
  const std::thread::id thread = std::this_thread::get_id();
  if (m_last_thread != std::thread::id{} && m_last_thread != thread) {
    m_server.m_thread_changes.fetch_add(1, std::memory_order_relaxed);
  }
  m_last_thread = thread;
  m_pending_effect = effect;
  if (draw_failure()) {
    m_server.m_failures.fetch_add(1, std::memory_order_relaxed);
    const std::string& sqlstate = m_server.m_options.failure_sqlstate;
    m_failure =
        pg::classify_statement_error(sqlstate, false, "ERROR:  injected failure " + sqlstate);
  }
}

bool FakeServerConnection::send_simple_query(const char* sql) noexcept {
  if (!begin_send()) return false;
  try {
    if (answered_broken()) return false;
    const auto [first, second] = leading_words(sql);
    const FakeServerOptions& options = m_server.m_options;
    if (std::strcmp(sql, "SELECT 1") == 0) {
      m_pending_simple = Simple::ping;
      m_server.m_pinging.fetch_add(1, std::memory_order_relaxed);
      m_server.m_pings.fetch_add(1, std::memory_order_relaxed);
      return dispatch(options.ping_time);
    }
    if (first == "ROLLBACK") {
      m_pending_simple = Simple::rollback;
      m_server.m_rolling_back.fetch_add(1, std::memory_order_relaxed);
      m_pending_effect = Effect::end;
      if (m_in_transaction) m_server.m_rollbacks.fetch_add(1, std::memory_order_relaxed);
      return dispatch(options.rollback_time);
    }
    // Any other simple query (a replayed trace's BEGIN or COMMIT, a statement of
    // workload.protocol simple): a statement.
    m_server.m_simple_statements.fetch_add(1, std::memory_order_relaxed);
    start_statement(effect_of(sql));
  } catch (const std::bad_alloc&) {
    m_failure = client_error({});
  }
  return dispatch(m_server.m_options.service_time);
}

bool FakeServerConnection::arm(std::chrono::microseconds time) noexcept {
  if (answers_by_timer(m_server.m_options)) return arm_timer(m_fd.get(), time);
  const std::uint64_t one = 1;
  return ::write(m_fd.get(), &one, sizeof one) == static_cast<ssize_t>(sizeof one);
}

bool FakeServerConnection::dispatch(std::chrono::microseconds time) noexcept {
  if (time.count() == 0 && m_server.m_options.synchronous) {
    complete();  // the answer is ready at send time: no descriptor involved
    return false;
  }
  if (!arm(time)) {
    complete();
    m_failure = client_error("cannot signal the fake answer");
    return false;
  }
  return true;
}

void FakeServerConnection::end_simple() noexcept {
  if (m_pending_simple == Simple::ping) m_server.m_pinging.fetch_sub(1, std::memory_order_relaxed);
  if (m_pending_simple == Simple::rollback) {
    m_server.m_rolling_back.fetch_sub(1, std::memory_order_relaxed);
  }
  m_pending_simple = Simple::none;
}

void FakeServerConnection::complete() noexcept {
  m_done = true;
  end_simple();
  if (!m_failure) {
    if (m_pending_effect == Effect::begin) m_in_transaction = true;
    if (m_pending_effect == Effect::end) m_in_transaction = false;
  } else if (m_failure->kind == pg::ErrorKind::connection) {
    m_broken = true;
  }
  m_pending_effect = Effect::none;
}

pg::Progress FakeServerConnection::consume() noexcept {
  if (!m_pending || m_done) return pg::Progress::done;
  std::uint64_t count = 0;
  if (::read(m_fd.get(), &count, sizeof count) != static_cast<ssize_t>(sizeof count)) {
    return pg::Progress::busy;  // not yet (EAGAIN): a spurious wake-up
  }
  complete();
  return pg::Progress::done;
}

pg::StatementOutcome FakeServerConnection::take_outcome() noexcept {
  pg::StatementOutcome outcome;
  outcome.ok = !m_failure;
  outcome.rows = outcome.ok ? 1 : 0;
  outcome.failure = std::move(m_failure);
  m_failure.reset();
  m_pending = false;
  m_done = false;
  return outcome;
}

bool FakeServerConnection::ping() noexcept {
  if (m_broken) return false;
  m_server.m_pings.fetch_add(1, std::memory_order_relaxed);
  if (m_server.m_options.ping_time.count() > 0) {
    const InProgress pinging(m_server.m_pinging);
    std::this_thread::sleep_for(m_server.m_options.ping_time);
  }
  return !m_broken;
}

bool FakeServerConnection::rollback() noexcept {
  if (m_broken) return false;
  const bool had_work = m_pending || m_in_transaction;
  if (had_work && m_server.m_options.rollback_time.count() > 0) {
    const InProgress rolling_back(m_server.m_rolling_back);
    std::this_thread::sleep_for(m_server.m_options.rollback_time);
  }
  if (m_pending && !m_done) {
    // Wait for the answer in flight, as a cancelled statement is drained.
    const FakeServerOptions& options = m_server.m_options;
    const auto longest = std::max({options.service_time, options.ping_time, options.rollback_time});
    const auto wait_ms = longest.count() / 1000 + 1000;
    pollfd fd{m_fd.get(), POLLIN, 0};
    if (::poll(&fd, 1, static_cast<int>(wait_ms)) != 1) {
      m_broken = true;
      return false;
    }
    std::uint64_t count = 0;
    [[maybe_unused]] const ssize_t got = ::read(m_fd.get(), &count, sizeof count);
    complete();
  }
  if (m_pending) take_outcome();
  m_in_transaction = false;
  if (had_work) m_server.m_rollbacks.fetch_add(1, std::memory_order_relaxed);
  return !m_broken;
}

}  // namespace poolbench::testing
