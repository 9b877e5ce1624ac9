#include "matrix/cell_runner.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "analysis/slo.hpp"
#include "analysis/validity.hpp"
#include "faults/delay_proxy.hpp"
#include "faults/injector.hpp"
#include "faults/recovery.hpp"
#include "matrix/plans.hpp"
#include "matrix/server_stats_collector.hpp"
#include "matrix/statement_match.hpp"
#include "pg/masking.hpp"
#include "pg/pg_connection.hpp"
#include "pg/session.hpp"
#include "pool/queue_pool.hpp"
#include "results/cell.hpp"
#include "scenario/trace_reader.hpp"
#include "util/duration.hpp"
#include "util/error.hpp"
#include "workload/recorder.hpp"
#include "workload/transactions.hpp"

namespace poolbench::matrix {
namespace {

/// Where `key` was set ("file.yaml:4:3", "--set ..."), or the scenario file when it was not.
std::string where_set(const scenario::Scenario& scenario, const char* key) {
  const auto it = scenario.origins.find(key);
  return it == scenario.origins.end() ? scenario.file : it->second.to_string();
}

/// Resets pg_stat_statements when it is available (an extension, the right to reset); the
/// statements' figures are differences of two readings either way. True when it was reset.
bool reset_statements(pg::Session& session) {
  try {
    session.query("SELECT pg_stat_statements_reset()");
    return true;
  } catch (const pg::PgError&) {
    return false;
  }
}

/// Advisory lock key of dataset preparation ("poolbench" as ASCII digits, any fixed value).
constexpr const char* k_dataset_lock_key = "7080111108";
/// Waiting for --start-at: SIGINT is checked this often; the last stretch is one sleep_until.
constexpr auto k_interrupt_poll_interval = std::chrono::milliseconds(20);
constexpr auto k_start_at_final_sleep = std::chrono::milliseconds(50);

/// Sleeps until `at` (wall clock) in short steps; returns how late it was when called after
/// `at` (seconds, 0 when on time). Stops early when interrupted.
double wait_until(std::chrono::system_clock::time_point at,
                  const std::function<bool()>& interrupted) {
  using WallClock = std::chrono::system_clock;
  const auto now = WallClock::now();
  if (now > at) return std::chrono::duration<double>(now - at).count();
  while (WallClock::now() + k_start_at_final_sleep < at) {
    if (interrupted && interrupted()) return 0;
    std::this_thread::sleep_for(k_interrupt_poll_interval);
  }
  std::this_thread::sleep_until(at);
  return 0;
}

/// Where the pools connect: the server, or a delay proxy in front of it when the scenario
/// injects network_delay.
struct PoolRoute {
  std::unique_ptr<faults::DelayProxy> proxy;
  pg::ConnectionTarget target;
};

PoolRoute route_pools(const scenario::Scenario& scenario, const ServerTarget& server, bool faulty) {
  PoolRoute route{nullptr, server.target};
  const bool delays =
      faulty && std::any_of(scenario.faults.begin(), scenario.faults.end(), [](const auto& f) {
        return f.kind == scenario::FaultKind::network_delay;
      });
  if (!delays) return route;
  const auto host =
      server.target.get("hostaddr").value_or(server.target.get("host").value_or("127.0.0.1"));
  route.proxy = std::make_unique<faults::DelayProxy>(
      host, std::stoi(server.target.get("port").value_or("5432")));
  route.target.set("host", "127.0.0.1");
  route.target.set("hostaddr", "127.0.0.1");
  route.target.set("port", std::to_string(route.proxy->port()));
  // A passfile names the server's host and port, not the proxy's: hand libpq the password
  // it found there (in memory only, like a DSN's own password).
  if (!server.target.get("password")) {
    try {
      const std::string password = pg::Session::connect(server.target.conninfo()).password_used();
      if (!password.empty()) route.target.set("password", password);
    } catch (const pg::PgError&) {
      // the pools' own connects will count the failure
    }
  }
  return route;
}

/// pg_stat_activity of this run's connections (GeneratorOptions::sample_server) and the
/// server's counters of each second, through the monitoring connection. When a fault took
/// that connection (`reconnect`), it tries again once a second (refused at once while the
/// server is down).
struct ServerSampler {
  std::optional<pg::Session>* monitor;
  ServerStatsCollector* collector;
  std::string conninfo;  ///< holds the password: never print
  bool reconnect = false;
  std::chrono::steady_clock::time_point next_reconnect{};

  std::optional<workload::ServerStates> operator()() {
    std::optional<pg::Session>& session = *monitor;
    if (!session && reconnect && std::chrono::steady_clock::now() >= next_reconnect) {
      next_reconnect = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      try {
        session.emplace(pg::Session::connect(conninfo, std::chrono::seconds(2)));
      } catch (const pg::PgError&) {
      }
    }
    if (!session) return std::nullopt;
    try {
      return collector->sample(*session);
    } catch (const std::exception&) {
      session.reset();  // the server went away: stop asking
      return std::nullopt;
    }
  }
};

/// Each pool's counters over the measurement window and the warmup before it.
std::vector<results::PoolWindow> pool_windows(const std::vector<pool::QueuePool*>& pools,
                                              const std::vector<pool::PoolCounters>& at_start,
                                              const workload::GeneratorResult& measured) {
  std::vector<results::PoolWindow> windows;
  for (std::size_t p = 0; p < pools.size(); ++p) {
    const auto peak = p < measured.pool_peaks.size() ? measured.pool_peaks[p]
                                                     : workload::GeneratorResult::PoolPeak{};
    windows.push_back(results::pool_window(at_start[p], pools[p]->counters(), peak));
  }
  return windows;
}

}  // namespace

void mark_validity(nlohmann::json& cell) {
  if (cell.value("status", std::string()) != "ok" || !cell.contains("summary")) return;
  if (const auto reason = analysis::generator_fell_behind(cell["summary"])) {
    cell["invalid"] = {{"reason", *reason}};
  } else {
    cell.erase("invalid");
  }
}

workload::DatasetReport prepare_dataset(const scenario::Scenario& scenario,
                                        const ServerTarget& server, workload::Reinit reinit) {
  // A replay runs the captured application's statements against the tables already there:
  // pgbench tables are made only when the scenario asks (docs/capture.md).
  if (scenario.workload.mode == scenario::LoadMode::replay &&
      scenario.origins.count("dataset.scale") == 0 && scenario.dataset.setup.empty()) {
    workload::DatasetReport none;
    none.reused = true;
    none.summary = "dataset: none (a replay runs against the tables already on the server)";
    return none;
  }
  try {
    auto session = pg::Session::connect(server.target.conninfo());
    // Session-level: released with the session whatever happens below.
    session.query("SELECT pg_advisory_lock($1)", {k_dataset_lock_key});
    return scenario.dataset.setup.empty()
               ? workload::prepare_pgbench_dataset(session, scenario.dataset.scale, reinit)
               : workload::run_setup_sql(session, scenario.dataset.setup,
                                         where_set(scenario, "dataset.setup"));
  } catch (const pg::PgError& e) {
    throw RuntimeFailure(pg::mask_secret(pg::mask_message(e.what(), server.target.conninfo()),
                                         server.target.password()));
  }
}

namespace {

/// The session that samples the server's statistics during the cell; none (with a note) when
/// it cannot connect: the server_* time series are then empty.
std::optional<pg::Session> open_monitor(const ServerTarget& server, const CellOptions& options) {
  try {
    return pg::Session::connect(server.target.conninfo());
  } catch (const pg::PgError&) {
    if (options.note)
      options.note("warning: no monitoring connection: server_* time series are empty");
  }
  return std::nullopt;
}

}  // namespace

namespace {

/// The generator's options that come from the scenario and the cell's options alone.
workload::GeneratorOptions generator_options(
    const scenario::Scenario& scenario, const CellOptions& options,
    const std::vector<pool::QueuePool*>& pools,
    const std::vector<scenario::ResolvedInstance>& instances) {
  workload::GeneratorOptions generator;
  generator.transactions = workload::compile_transactions(scenario);
  generator.pools = pools;
  for (const auto& instance : instances) generator.pool_shares.push_back(instance.share);
  generator.threads = options.threads;
  generator.random_seed = options.seed;
  generator.interrupted = options.interrupted;
  generator.on_progress = options.on_progress;
  return generator;
}

/// The server's readings and the requests completed between them (results::ReadingWindow):
/// the generator counts every completion, this reads the count at the start reading's first
/// query and after the run.
class ServerWindow {
 public:
  /// Where the generator counts completions.
  std::atomic<std::int64_t>* counter() noexcept { return &m_completions; }

  /// The start reading, when the measurement window opens at `measure_start`: the
  /// pg_stat_statements reset (unless `reset` is false) and the collector's first reading,
  /// which reads pg_stat_statements first when it was not reset.
  /// `delay` holds the reading back first (tests: a loaded monitor's late reading).
  void start(std::chrono::steady_clock::time_point measure_start, pg::Session* monitor, bool reset,
             ServerStatsCollector& collector, std::chrono::milliseconds delay) {
    if (delay.count() > 0) std::this_thread::sleep_for(delay);
    const auto began = std::chrono::steady_clock::now();
    // The count right before pg_stat_statements' start: its reset, or else the collector's
    // first query (pg_stat_statements counts each execution at once).
    m_at_start = m_completions.load(std::memory_order_relaxed);
    const bool was_reset = monitor != nullptr && reset && reset_statements(*monitor);
    if (!was_reset) m_at_start = m_completions.load(std::memory_order_relaxed);
    collector.start(monitor, was_reset);
    const auto ended = std::chrono::steady_clock::now();
    m_window.requests_in_start_reading = m_completions.load(std::memory_order_relaxed) - m_at_start;
    m_window.start_reading_ms = std::chrono::duration<double, std::milli>(ended - began).count();
    m_window.start_lag_ms =
        std::max(0.0, std::chrono::duration<double, std::milli>(began - measure_start).count());
  }

  /// After the run: every request the end reading will see has completed.
  const results::ReadingWindow& close() noexcept {
    m_window.requests = m_completions.load(std::memory_order_relaxed) - m_at_start;
    return m_window;
  }

 private:
  std::atomic<std::int64_t> m_completions{0};
  std::int64_t m_at_start = 0;
  results::ReadingWindow m_window;
};

/// cells[].server_stats (its statements matched to the scenario's, the readings' window) and
/// what summary derives from it, and summary.server_statements.
void add_server_stats(nlohmann::json& cell, const ServerStatsCollector& collector,
                      const std::vector<workload::CompiledTransaction>& transactions,
                      const results::ReadingWindow& window) {
  if (nlohmann::json statements = collector.statements_summary(window.requests);
      !statements.is_null()) {
    cell["summary"]["server_statements"] = std::move(statements);
  }
  nlohmann::json stats = collector.server_stats();
  if (stats.is_null()) return;
  match_statements(stats["statements"], transactions, k_statement_query_chars);
  stats["window"] = results::window_json(window);
  results::add_server_summary(cell["summary"], stats);
  cell["server_stats"] = std::move(stats);
}

/// cells[].plans under the cell's profile (the monitoring connection carries its session
/// settings); null when not recorded (server.stats false; no monitoring connection, or it was
/// lost while explaining: then `why` says so).
nlohmann::json record_plans(const scenario::Scenario& scenario, const ServerTarget& server,
                            const CellOptions& options, const workload::GeneratorOptions& generator,
                            std::optional<pg::Session>& monitor, std::string& why) {
  if (!scenario.server.stats) return nullptr;
  if (!monitor) {
    why = "no monitoring connection to the server";
    return nullptr;
  }
  try {
    if (scenario.workload.mode == scenario::LoadMode::replay) {
      return capture_replay_plans(*monitor, scenario::replay_trace_path(scenario));
    }
    return capture_plans(*monitor, generator.transactions, options.seed, scenario.dataset.scale);
  } catch (const pg::PgError& e) {
    why = fmt::format("the monitoring connection was lost while explaining: {}", e.what());
    if (options.note) options.note(fmt::format("warning: no plans recorded: {}", e.what()));
    monitor = open_monitor(server, options);  // lost while explaining: the cell needs one
  }
  return nullptr;
}

/// cells[].plans when server.stats is on: the plans, or null with plans_reason saying why.
void add_plans(nlohmann::json& cell, const scenario::Scenario& scenario, nlohmann::json plans,
               const std::string& why) {
  if (!scenario.server.stats) return;
  if (plans.is_null()) cell["plans_reason"] = why;
  cell["plans"] = std::move(plans);
}

/// server.checkpoint_before_cell: CHECKPOINT through the monitoring connection, before the
/// warmup. A server that refuses it (no pg_checkpoint role) leaves the cell as it is, noted.
void checkpoint_first(const scenario::Scenario& scenario, const CellOptions& options,
                      std::optional<pg::Session>& monitor) {
  if (!scenario.server.checkpoint_before_cell) return;
  std::string why = "no monitoring connection";
  try {
    if (monitor) {
      monitor->query("CHECKPOINT");
      return;
    }
  } catch (const pg::PgError& e) {
    why = e.what();
  }
  if (options.note) {
    options.note(fmt::format(
        "warning: server.checkpoint_before_cell: no CHECKPOINT before this cell: {}", why));
  }
}

}  // namespace

CellOutcome run_cell(const scenario::Scenario& scenario, const ServerTarget& server,
                     const CellOptions& options) {
  const bool faulty = options.inject_faults && !scenario.faults.empty();
  if (faulty)
    faults::check_injectable(scenario.faults, server.embedded, faults::is_tcp(server.target));
  // network_delay: the pools connect through a delaying proxy in front of the server.
  PoolRoute route = route_pools(scenario, server, faulty);
  std::unique_ptr<faults::DelayProxy> proxy = std::move(route.proxy);
  pg::PgConnectionFactory factory(route.target, options.run_id);
  workload::RecordingFactory recording(factory);
  const auto instances = scenario::resolve_instances(scenario);
  std::vector<std::unique_ptr<pool::QueuePool>> pools;
  std::vector<pool::QueuePool*> pool_ptrs;
  for (const auto& instance : instances) {
    pools.push_back(std::make_unique<pool::QueuePool>(instance.settings, recording));
    pool_ptrs.push_back(pools.back().get());
  }
  std::optional<pg::Session> monitor = open_monitor(server, options);
  std::optional<faults::FaultInjector> injector;
  if (faulty) {
    injector.emplace(scenario.faults,
                     faults::FaultTargets{.conninfo = server.target.conninfo(),
                                          .application_name = factory.application_name(),
                                          .cluster = options.cluster,
                                          .proxy = proxy.get(),
                                          .pools = pool_ptrs});
  }
  ServerStatsCollector collector({.enabled = scenario.server.stats,
                                  .application_name = factory.application_name(),
                                  .remote_reason = remote_reason(server.target, server.embedded),
                                  .proc_root = options.proc_root});
  collector.prepare(monitor ? &*monitor : nullptr);
  workload::GeneratorOptions generator = generator_options(scenario, options, pool_ptrs, instances);
  std::string no_plans;
  nlohmann::json plans = record_plans(scenario, server, options, generator, monitor, no_plans);
  checkpoint_first(scenario, options, monitor);
  // The pools' counters when the measurement starts: what came before is the warmup's.
  std::vector<pool::PoolCounters> at_measure_start(pool_ptrs.size());
  const bool warms_up = !scenario.workload.transactions && scenario.workload.warmup.count() > 0;
  ServerWindow server_window;
  generator.completions = server_window.counter();
  generator.on_measure_start = [&](std::chrono::steady_clock::time_point measure_start) {
    if (injector) injector->start(measure_start);
    recording.start_recording();
    if (warms_up) {
      for (std::size_t p = 0; p < pool_ptrs.size(); ++p)
        at_measure_start[p] = pool_ptrs[p]->counters();
    }
    server_window.start(measure_start, monitor ? &*monitor : nullptr, options.reset_statements,
                        collector, options.start_reading_delay);
  };
  generator.sample_server = ServerSampler{.monitor = &monitor,
                                          .collector = &collector,
                                          .conninfo = server.target.conninfo(),
                                          .reconnect = faulty};
  const double late_s = options.start_at ? wait_until(*options.start_at, options.interrupted) : 0;
  const workload::GeneratorResult measured = workload::run_load(scenario, generator);
  const results::ReadingWindow& window = server_window.close();
  const std::vector<faults::FaultRecord> fault_records =
      injector ? injector->finish() : std::vector<faults::FaultRecord>{};
  const auto windows = pool_windows(pool_ptrs, at_measure_start, measured);
  // Closing the pools ends their backends, which report their last counters as they exit.
  pools.clear();
  collector.finish(monitor ? &*monitor : nullptr);
  monitor.reset();
  CellOutcome outcome{results::cell_json(scenario, measured, results::sum_windows(windows),
                                         recording.take_histogram(), server.settings,
                                         options.repetition, options.extra_params),
                      measured.interrupted, late_s};
  add_server_stats(outcome.cell, collector, generator.transactions, window);
  add_plans(outcome.cell, scenario, std::move(plans), no_plans);
  if (instances.size() > 1) {
    outcome.cell["summary"]["instances"] = results::instances_json(instances, measured, windows);
  }
  mark_validity(outcome.cell);
  if (faulty) outcome.cell["faults"] = faults::fault_results(fault_records, measured.timeseries);
  return outcome;
}

std::vector<std::string> slo_misses(const scenario::Scenario& scenario,
                                    const nlohmann::json& cell) {
  analysis::SloLimits limits;
  limits.timeout_rate = scenario.slo.timeout_rate;
  if (scenario.slo.p99_latency) {
    limits.p99_latency_ms =
        std::chrono::duration<double, std::milli>(*scenario.slo.p99_latency).count();
  }
  limits.drop_rate = scenario.slo.drop_rate;
  limits.error_rate = scenario.slo.error_rate;
  std::vector<std::string> misses;
  for (auto& miss : analysis::slo_misses(limits, cell["summary"])) {
    misses.push_back(std::move(miss.text));
  }
  return misses;
}

}  // namespace poolbench::matrix
