#include "faults/injector.hpp"

#include <cctype>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "cluster/cluster.hpp"
#include "faults/delay_proxy.hpp"
#include "pg/session.hpp"
#include "pool/queue_pool.hpp"
#include "util/duration.hpp"
#include "util/error.hpp"

namespace poolbench::faults {
namespace {

/// exhaust_connections opens sessions until the server refuses one, for at most this long
/// and at most this many (a server without a connection limit must not take the host down).
constexpr auto k_exhaust_fill_limit = std::chrono::seconds(10);
constexpr std::size_t k_exhaust_max_sessions = 10'000;
/// exhaust_connections' concurrent connects.
constexpr int k_exhaust_connectors = 4;

double seconds_between(FaultInjector::Clock::time_point from, FaultInjector::Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

/// A table name as SQL: plain (optionally schema-qualified) lower-case names as they are,
/// anything else double-quoted.
std::string quoted_table(const std::string& name) {
  bool plain = !name.empty();
  for (const char c : name) {
    plain = plain && (std::islower(static_cast<unsigned char>(c)) ||
                      std::isdigit(static_cast<unsigned char>(c)) || c == '_' || c == '.');
  }
  if (plain) return name;
  std::string out = "\"";
  for (const char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

/// The first line of a libpq message (they end with newlines and sometimes a DETAIL).
std::string first_line(const std::string& message) {
  const auto end = message.find('\n');
  return end == std::string::npos ? message : message.substr(0, end);
}

/// The sessions exhaust_connections holds, and the server's refusal of the next.
struct Filled {
  std::vector<pg::Session> held;
  std::string refused;
};

/// exhaust_connections' fill: opens sessions until the server refuses one, `stopped()` says
/// so, or a limit is reached.
Filled fill_server(const std::string& conninfo, const std::function<bool()>& stopped) {
  // Several connects at once, as a connection storm opens them: one after the other, a
  // loaded machine's SCRAM handshakes took 6 s to fill 77 slots, most of a short run.
  Filled filled;
  std::mutex filled_mutex;
  bool done = false;  // guarded by filled_mutex: refused, the cap or the fill limit reached
  std::exception_ptr failure;  // guarded by filled_mutex: what no connector expected
  const auto fill_until = FaultInjector::Clock::now() + k_exhaust_fill_limit;
  auto connect_until_refused = [&] {
    while (FaultInjector::Clock::now() < fill_until) {
      if (stopped()) return;
      {
        std::lock_guard lock(filled_mutex);
        if (done) return;
      }
      try {
        pg::Session session = pg::Session::connect(conninfo, std::chrono::seconds(2));
        std::lock_guard lock(filled_mutex);
        filled.held.push_back(std::move(session));
        done = done || filled.held.size() >= k_exhaust_max_sessions;
      } catch (const pg::PgError& e) {
        // The server's words, without the conninfo libpq puts before them.
        const std::string message = first_line(e.what());
        const auto fatal = message.find("FATAL:");
        std::lock_guard lock(filled_mutex);
        if (filled.refused.empty()) {
          filled.refused =
              fmt::format("{}{}", e.sqlstate().empty() ? "" : e.sqlstate() + " ",
                          fatal == std::string::npos ? message : message.substr(fatal));
        }
        done = true;
        return;
      } catch (...) {
        std::lock_guard lock(filled_mutex);
        if (!failure) failure = std::current_exception();
        done = true;
        return;
      }
    }
  };
  std::vector<std::thread> connectors;
  for (int i = 0; i < k_exhaust_connectors; ++i) connectors.emplace_back(connect_until_refused);
  for (auto& connector : connectors) connector.join();
  if (failure) std::rethrow_exception(failure);  // recorded as the fault's error
  return filled;
}

}  // namespace

bool is_tcp(const pg::ConnectionTarget& target) {
  if (const auto hostaddr = target.get("hostaddr"); hostaddr && !hostaddr->empty()) return true;
  const auto host = target.get("host");
  return host && !host->empty() && host->front() != '/' && host->front() != '@' &&
         host->find(',') == std::string::npos;
}

void check_injectable(const std::vector<scenario::Fault>& faults, bool embedded, bool tcp_server) {
  for (const auto& fault : faults) {
    if (fault.kind == scenario::FaultKind::restart && !embedded) {
      throw InputError(fmt::format(
          "{}: faults: restart needs the embedded server (poolbench cannot restart a --dsn "
          "server); run without --dsn, or restart your server yourself and use "
          "terminate_backends here",
          fault.where.to_string()));
    }
    if (fault.kind == scenario::FaultKind::network_delay && !tcp_server) {
      throw InputError(fmt::format(
          "{}: faults: network_delay needs a TCP server (host=name or address): poolbench puts "
          "a delaying proxy on 127.0.0.1 in front of it, which a Unix socket cannot have",
          fault.where.to_string()));
    }
  }
}

FaultInjector::FaultInjector(std::vector<scenario::Fault> faults, FaultTargets targets)
    : m_faults(std::move(faults)), m_targets(std::move(targets)) {}

FaultInjector::~FaultInjector() {
  if (m_thread.joinable()) finish();
}

void FaultInjector::start(Clock::time_point measure_start) {
  m_measure_start = measure_start;
  m_thread = std::thread([this] { run(); });
}

std::vector<FaultRecord> FaultInjector::finish() {
  {
    std::lock_guard lock(m_mutex);
    m_stop = true;
  }
  m_wake.notify_all();
  if (m_thread.joinable()) m_thread.join();
  if (!m_records.empty()) m_records.back().after = snapshot();
  return std::move(m_records);
}

bool FaultInjector::wait_until(Clock::time_point until) {
  std::unique_lock lock(m_mutex);
  return !m_wake.wait_until(lock, until, [this] { return m_stop; });
}

PoolSnapshot FaultInjector::snapshot() const {
  PoolSnapshot out;
  for (const pool::QueuePool* pool : m_targets.pools) {
    const pool::PoolCounters counters = pool->counters();
    out.connects += counters.connects;
    out.invalidations += counters.invalidations;
    out.preping_failures += counters.preping_failures;
  }
  return out;
}

void FaultInjector::run() noexcept {
  for (const auto& fault : m_faults) {
    if (!wait_until(m_measure_start + fault.at)) return;
    FaultRecord record;
    record.fault = fault;
    const auto began = Clock::now();
    record.start_s = seconds_between(m_measure_start, began);
    record.start_unix_s =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    record.before = snapshot();
    if (!m_records.empty()) m_records.back().after = record.before;
    try {
      inject(record);
    } catch (const std::exception& e) {
      record.error = first_line(e.what());
    }
    record.end_s = seconds_between(m_measure_start, Clock::now());
    m_records.push_back(std::move(record));
  }
}

void FaultInjector::inject(FaultRecord& record) {
  const scenario::Fault& fault = record.fault;
  const auto lift_at = Clock::now() + fault.duration;  // lasting faults but exhaust
  switch (fault.kind) {
    case scenario::FaultKind::terminate_backends: {
      auto session = pg::Session::connect(m_targets.conninfo);
      const auto rows = session.query(
          "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
          "WHERE application_name = $1 AND pid <> pg_backend_pid()",
          {m_targets.application_name});
      record.detail =
          fmt::format("terminated {} backends of this run", rows.rows.at(0).at(0).value_or("0"));
      return;
    }
    case scenario::FaultKind::restart: {
      if (m_targets.cluster == nullptr) throw RuntimeFailure("no embedded server to restart");
      m_targets.cluster->restart(fault.immediate ? cluster::Shutdown::immediate
                                                 : cluster::Shutdown::fast);
      record.detail = fmt::format("{} shutdown, then start: the server was away for {:.2f} s",
                                  fault.immediate ? "immediate" : "fast",
                                  seconds_between(lift_at, Clock::now()));
      return;
    }
    case scenario::FaultKind::stall: {
      auto session = pg::Session::connect(m_targets.conninfo);
      session.exec("SET lock_timeout = '10s'");
      session.exec("BEGIN");
      session.exec(
          fmt::format("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE", quoted_table(fault.table)));
      const auto locked = Clock::now();
      wait_until(lift_at);
      session.exec("COMMIT");
      record.detail = fmt::format(
          "{} locked ACCESS EXCLUSIVE for {:.2f} s (granted after {:.3f} s)", fault.table,
          seconds_between(locked, Clock::now()), seconds_between(lift_at - fault.duration, locked));
      return;
    }
    case scenario::FaultKind::exhaust_connections: {
      // Fill up first (until the server refuses), then hold for the duration.
      Filled filled = fill_server(m_targets.conninfo, [this] {
        std::lock_guard lock(m_mutex);
        return m_stop;
      });
      const auto full = Clock::now();
      wait_until(full + fault.duration);
      record.detail = fmt::format(
          "held {} connections from {:.2f} s until {:.2f} s{}", filled.held.size(),
          seconds_between(m_measure_start, full), seconds_between(m_measure_start, Clock::now()),
          filled.refused.empty() ? "" : fmt::format("; the next was refused: {}", filled.refused));
      return;
    }
    case scenario::FaultKind::network_delay: {
      if (m_targets.proxy == nullptr) throw RuntimeFailure("no delay proxy");
      m_targets.proxy->set_delay(fault.delay);
      wait_until(lift_at);
      m_targets.proxy->set_delay(std::chrono::microseconds(0));
      record.detail =
          fmt::format("{} added each way for {:.2f} s", util::format_duration(fault.delay),
                      seconds_between(lift_at - fault.duration, Clock::now()));
      return;
    }
  }
}

}  // namespace poolbench::faults
