#include "matrix/cell_runner.hpp"

#include <algorithm>
#include <memory>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "faults/delay_proxy.hpp"
#include "faults/injector.hpp"
#include "faults/recovery.hpp"
#include "pg/masking.hpp"
#include "pg/pg_connection.hpp"
#include "pg/session.hpp"
#include "pool/queue_pool.hpp"
#include "report/results.hpp"
#include "util/duration.hpp"
#include "util/error.hpp"
#include "workload/recorder.hpp"
#include "workload/script.hpp"

namespace poolbench::matrix {
namespace {

constexpr const char* k_server_states_sql =
    "SELECT count(*) FILTER (WHERE state = 'active'), count(*) FILTER (WHERE state = 'idle'), "
    "count(*) FILTER (WHERE state LIKE 'idle in transaction%') FROM pg_stat_activity "
    "WHERE application_name = $1";

/// Where `key` was set ("file.yaml:4:3", "--set ..."), or the scenario file when it was not.
std::string where_set(const workload::Scenario& scenario, const char* key) {
  const auto it = scenario.origins.find(key);
  return it == scenario.origins.end() ? scenario.file : it->second.to_string();
}

/// pg_stat_statements over the measurement, through the monitoring connection: the
/// server-side execution time next to the client's hold time (the seeds' avg_query_time).
/// Statements of poolbench's own monitoring (pg_stat_*) are left out.
constexpr const char* k_statements_sql =
    "SELECT coalesce(sum(calls), 0)::float8, coalesce(sum(total_exec_time), 0)::float8 "
    "FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = "
    "current_database()) AND query NOT ILIKE '%pg_stat%'";

/// Resets pg_stat_statements; false when it is not available (no extension, no right).
bool reset_statements(pg::Session& session) {
  try {
    session.query("SELECT pg_stat_statements_reset()");
    return true;
  } catch (const pg::PgError&) {
    return false;
  }
}

/// summary.server_statements, or null when pg_stat_statements could not be read.
nlohmann::json read_statements(pg::Session& session, std::int64_t completed) {
  try {
    const auto rows = session.query(k_statements_sql);
    const double calls = std::stod(rows.rows.at(0).at(0).value_or("0"));
    const double total_ms = std::stod(rows.rows.at(0).at(1).value_or("0"));
    return {
        {"calls", calls},
        {"total_exec_ms", total_ms},
        {"mean_exec_ms", calls > 0 ? total_ms / calls : 0.0},
        {"exec_ms_per_request", completed > 0 ? total_ms / static_cast<double>(completed) : 0.0},
        {"source", "pg_stat_statements, reset when the measurement started"}};
  } catch (const std::exception&) {
    return nullptr;
  }
}

/// Advisory lock key of dataset preparation ("poolbench" as ASCII digits, any fixed value).
constexpr const char* k_dataset_lock_key = "7080111108";

/// Sleeps until `at` (wall clock) in short steps; returns how late it was when called after
/// `at` (seconds, 0 when on time). Stops early when interrupted.
double wait_until(std::chrono::system_clock::time_point at,
                  const std::function<bool()>& interrupted) {
  using WallClock = std::chrono::system_clock;
  const auto now = WallClock::now();
  if (now > at) return std::chrono::duration<double>(now - at).count();
  while (WallClock::now() + std::chrono::milliseconds(50) < at) {
    if (interrupted && interrupted()) return 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
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

PoolRoute route_pools(const workload::Scenario& scenario, const ServerTarget& server, bool faulty) {
  PoolRoute route{nullptr, server.target};
  const bool delays =
      faulty && std::any_of(scenario.faults.begin(), scenario.faults.end(), [](const auto& f) {
        return f.kind == workload::FaultKind::network_delay;
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

}  // namespace

std::vector<workload::CompiledTransaction> compile_transactions(
    const workload::Scenario& scenario) {
  std::vector<workload::CompiledTransaction> out;
  for (const auto& transaction : scenario.transactions) {
    workload::SourceLocation where{scenario.file, transaction.name, transaction.script_at.line};
    out.push_back(
        {transaction.name, transaction.weight, workload::parse_script(transaction.script, where)});
  }
  return out;
}

workload::DatasetReport prepare_dataset(const workload::Scenario& scenario,
                                        const ServerTarget& server, bool allow_reinit) {
  try {
    auto session = pg::Session::connect(server.target.conninfo());
    // Session-level: released with the session whatever happens below.
    session.query("SELECT pg_advisory_lock($1)", {k_dataset_lock_key});
    return scenario.dataset.setup.empty()
               ? workload::prepare_pgbench_dataset(session, scenario.dataset.scale, allow_reinit)
               : workload::run_setup_sql(session, scenario.dataset.setup,
                                         where_set(scenario, "dataset.setup"));
  } catch (const pg::PgError& e) {
    throw RuntimeFailure(pg::mask_secret(pg::mask_message(e.what(), server.target.conninfo()),
                                         server.target.password()));
  }
}

CellOutcome run_cell(const workload::Scenario& scenario, const ServerTarget& server,
                     const CellOptions& options) {
  const bool faulty = options.inject_faults && !scenario.faults.empty();
  if (faulty)
    faults::check_injectable(scenario.faults, server.embedded, faults::is_tcp(server.target));
  // network_delay: the pools connect through a delaying proxy in front of the server.
  PoolRoute route = route_pools(scenario, server, faulty);
  std::unique_ptr<faults::DelayProxy> proxy = std::move(route.proxy);
  const pg::ConnectionTarget& pool_target = route.target;
  pg::PgConnectionFactory factory(pool_target, options.run_id);
  workload::RecordingFactory recording(factory);
  const auto instances = workload::resolve_instances(scenario);
  std::vector<std::unique_ptr<pool::QueuePool>> pools;
  std::vector<pool::QueuePool*> pool_ptrs;
  std::vector<double> shares;
  for (const auto& instance : instances) {
    pools.push_back(std::make_unique<pool::QueuePool>(instance.settings, recording));
    pool_ptrs.push_back(pools.back().get());
    shares.push_back(instance.share);
  }
  std::optional<pg::Session> monitor;
  try {
    monitor.emplace(pg::Session::connect(server.target.conninfo()));
  } catch (const pg::PgError&) {
    if (options.note)
      options.note("warning: no monitoring connection: server_* time series are empty");
  }
  std::optional<faults::FaultInjector> injector;
  if (faulty) {
    injector.emplace(scenario.faults,
                     faults::FaultTargets{server.target.conninfo(), factory.application_name(),
                                          options.cluster, proxy.get(), pool_ptrs});
  }

  workload::GeneratorOptions generator;
  generator.transactions = compile_transactions(scenario);
  generator.pools = pool_ptrs;
  generator.pool_shares = shares;
  generator.threads = options.threads;
  generator.random_seed = options.seed;
  generator.interrupted = options.interrupted;
  generator.on_progress = options.on_progress;
  bool statements = false;
  generator.on_measure_start = [&] {
    if (injector) injector->start(std::chrono::steady_clock::now());
    recording.start_recording();
    statements = monitor && (!options.reset_statements || reset_statements(*monitor));
  };
  const std::string application_name = factory.application_name();
  auto next_reconnect = std::chrono::steady_clock::now();
  generator.sample_server = [&]() -> std::optional<workload::ServerStates> {
    if (!monitor && faulty && std::chrono::steady_clock::now() >= next_reconnect) {
      // A restart or terminate fault took the monitoring connection too: once a second, try
      // again (refused at once while the server is down).
      next_reconnect = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      try {
        monitor.emplace(pg::Session::connect(server.target.conninfo(), std::chrono::seconds(2)));
      } catch (const pg::PgError&) {
      }
    }
    if (!monitor) return std::nullopt;
    try {
      const auto rows = monitor->query(k_server_states_sql, {application_name});
      const auto& row = rows.rows.at(0);
      return workload::ServerStates{std::stoi(row[0].value_or("0")),
                                    std::stoi(row[1].value_or("0")),
                                    std::stoi(row[2].value_or("0"))};
    } catch (const std::exception&) {
      monitor.reset();  // the server went away: stop asking
      return std::nullopt;
    }
  };
  const double late_s = options.start_at ? wait_until(*options.start_at, options.interrupted) : 0;
  const workload::GeneratorResult measured = workload::run_load(scenario, generator);
  const std::vector<faults::FaultRecord> fault_records =
      injector ? injector->finish() : std::vector<faults::FaultRecord>{};
  nlohmann::json server_statements = nullptr;
  if (statements && monitor) {
    server_statements = read_statements(*monitor, measured.counters.completed());
  }
  monitor.reset();
  CellOutcome outcome;
  outcome.interrupted = measured.interrupted;
  outcome.late_s = late_s;
  outcome.cell = report::cell_json(scenario, measured, report::sum_pool_counters(pool_ptrs),
                                   recording.take_histogram(), server.settings, options.repetition,
                                   options.extra_params);
  if (!server_statements.is_null())
    outcome.cell["summary"]["server_statements"] = server_statements;
  if (instances.size() > 1) {
    outcome.cell["summary"]["instances"] = report::instances_json(instances, measured, pool_ptrs);
  }
  if (faulty) outcome.cell["faults"] = faults::fault_results(fault_records, measured.timeseries);
  return outcome;
}

std::vector<std::string> slo_misses(const workload::Scenario& scenario,
                                    const nlohmann::json& cell) {
  std::vector<std::string> misses;
  const auto& s = cell["summary"];
  if (scenario.slo.timeout_rate && s["timeout_rate"].get<double>() > *scenario.slo.timeout_rate) {
    misses.push_back(fmt::format("slo.timeout_rate: limit {}, measured {:.4f}",
                                 *scenario.slo.timeout_rate, s["timeout_rate"].get<double>()));
  }
  if (scenario.slo.p99_latency) {
    const double limit_ms =
        std::chrono::duration<double, std::milli>(*scenario.slo.p99_latency).count();
    const double p99 = s["latency_ms"]["p99"].get<double>();
    if (p99 > limit_ms) {
      misses.push_back(fmt::format("slo.p99_latency: limit {}, measured {:.2f}ms",
                                   util::format_duration(*scenario.slo.p99_latency), p99));
    }
  }
  return misses;
}

}  // namespace poolbench::matrix
