// poolbench run SCENARIO: one cell (the scenario's base point) against a server, with a live
// progress line, a summary table and <out>/results.json.

#include <chrono>
#include <ctime>
#include <iostream>

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "cli/options.hpp"
#include "cluster/cluster.hpp"
#include "cluster/scenarios_dir.hpp"
#include "cluster/signals.hpp"
#include "cluster/verify.hpp"
#include "pg/app_config.hpp"
#include "pg/dsn.hpp"
#include "pg/environment.hpp"
#include "pg/masking.hpp"
#include "pg/pg_connection.hpp"
#include "report/results.hpp"
#include "util/atomic_file.hpp"
#include "util/duration.hpp"
#include "util/error.hpp"
#include "workload/dataset.hpp"
#include "workload/generator.hpp"
#include "workload/recorder.hpp"
#include "workload/scenario.hpp"

namespace po = boost::program_options;

namespace poolbench::cli {
namespace {

constexpr const char* k_usage =
    "poolbench run SCENARIO [--dsn URL] [--app-config FILE] [--profile NAME[+NAME]] "
    "[--set k=v]... [--threads N] [--out DIR]";

constexpr const char* k_help_tail = R"(
Runs the scenario's base point (its matrix: block is ignored; use poolbench matrix):
warmup, then the measurement, printing a progress line each second (elapsed, tps, p99,
pool checked_out/overflow/waiting, timeouts), then a summary table, and writes
<out>/results.json atomically (default out: reports/<scenario>-<time>/).

Server: --dsn or POOLBENCH_DSN (libpq URL or key=value; postgresql+asyncpg:// and
?pool_size=&max_overflow=&pool_timeout=&pool_recycle= are accepted). With neither, an
embedded PostgreSQL is started on 127.0.0.1 with server.profile applied and verified,
and stopped at the end. Pool settings, later wins: SQLAlchemy 2.0 defaults, the
scenario's pool:, --app-config, the DSN's ?pool_size=..., then --set.

Examples:
  poolbench run scenarios/read_heavy.yaml
  poolbench run scenarios/read_heavy.yaml --set pool.pool_size=4 --set workload.duration=10s
  poolbench run scenarios/write_heavy.yaml --dsn postgresql://bench@127.0.0.1/bench

Exit codes: 0 ok; 1 an slo: limit was missed; 2 bad input (nothing run, nothing written);
3 server unreachable or cluster failed; 130 interrupted (results so far are written).
)";

struct RunFlags {
  std::string scenario;
  std::optional<std::string> dsn;
  std::optional<std::string> app_config;
  std::optional<std::string> profile;
  std::vector<std::string> sets;
  int threads = 0;
  std::optional<std::string> out;
  bool reinit = false;
  bool quiet = false;
  std::uint64_t seed = 0;
};

std::string timestamp() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y%m%d-%H%M%S", &tm);
  return text;
}

/// The scenario's transactions, parsed as pgbench scripts (errors name file, transaction,
/// line).
std::vector<workload::CompiledTransaction> compile(const workload::Scenario& scenario) {
  std::vector<workload::CompiledTransaction> out;
  for (const auto& transaction : scenario.transactions) {
    workload::SourceLocation where{scenario.file, transaction.name, transaction.script_at.line};
    out.push_back(
        {transaction.name, transaction.weight, workload::parse_script(transaction.script, where)});
  }
  return out;
}

/// Where `key` was set ("file.yaml:4", "--set"), or the scenario file when it was not.
std::string where_set(const workload::Scenario& scenario, const char* key) {
  const auto it = scenario.origins.find(key);
  return it == scenario.origins.end() ? scenario.file : it->second.to_string();
}

/// Applies pool settings from config.yaml / the DSN unless --set gave the key (later wins:
/// --set is last).
void apply_overrides(workload::Scenario& scenario, const pg::PoolOverrides& overrides) {
  auto from_set = [&](const char* key) {
    const auto it = scenario.origins.find(key);
    return it != scenario.origins.end() && it->second.file.starts_with("--set");
  };
  auto& p = scenario.pool.settings;
  auto take = [&](const char* key, const auto& override, auto& field) {
    if (override.value && !from_set(key)) {
      field = *override.value;
      scenario.origins[key] = workload::SourceRef{override.source, 0, 0};
    }
  };
  take("pool.pool_size", overrides.pool_size, p.pool_size);
  take("pool.max_overflow", overrides.max_overflow, p.max_overflow);
  take("pool.pool_timeout", overrides.pool_timeout, p.pool_timeout);
  take("pool.pool_recycle", overrides.pool_recycle, p.pool_recycle);
  take("pool.pool_pre_ping", overrides.pool_pre_ping, p.pool_pre_ping);
}

void print_effective_settings(const workload::Scenario& scenario, std::ostream& out) {
  const auto& p = scenario.pool.settings;
  auto origin = [&](const char* key) {
    const auto it = scenario.origins.find(key);
    return it == scenario.origins.end() ? std::string("default") : it->second.to_string();
  };
  fmt::print(out, "Pool settings (where each came from):\n");
  fmt::print(out, "  pool_size      {:<8} {}\n", p.pool_size, origin("pool.pool_size"));
  fmt::print(out, "  max_overflow   {:<8} {}\n", p.max_overflow, origin("pool.max_overflow"));
  fmt::print(out, "  pool_timeout   {:<8} {}\n", util::format_duration(p.pool_timeout),
             origin("pool.pool_timeout"));
  fmt::print(out, "  pool_recycle   {:<8} {}\n",
             p.pool_recycle.count() < 0 ? "-1" : util::format_duration(p.pool_recycle),
             origin("pool.pool_recycle"));
  fmt::print(out, "  pool_pre_ping  {:<8} {}\n", p.pool_pre_ping, origin("pool.pool_pre_ping"));
  fmt::print(out, "  fairness       {:<8} {}\n", pool::to_string(p.fairness),
             origin("pool.fairness"));
  fmt::print(out, "  instances      {:<8} {}\n", scenario.pool.instances, origin("pool.instances"));
}

/// Where the load goes: an embedded cluster, or a --dsn server.
struct Server {
  std::unique_ptr<cluster::Cluster> embedded;
  pg::ConnectionTarget target;
  std::string masked;
  std::map<std::string, std::string> settings;  // the profile's settings as SHOW prints them
  nlohmann::json info;
};

Server open_server(const workload::Scenario& scenario, std::optional<pg::ParsedDsn> dsn,
                   const cluster::Profile& profile, std::ostream& err) {
  Server server;
  if (dsn) {
    server.target = dsn->target;
    server.masked = dsn->target.masked();
  } else {
    fmt::print(err, "Starting an embedded PostgreSQL (profile {})...\n", profile.name);
    cluster::ClusterOptions options;
    options.auth = scenario.server.auth == workload::ServerAuth::trust ? cluster::AuthMode::trust
                                                                       : cluster::AuthMode::scram;
    options.ssl = scenario.server.ssl;
    options.profile = profile;
    server.embedded = std::make_unique<cluster::Cluster>(options);
    server.target = pg::parse_dsn(server.embedded->conninfo(), "embedded cluster").target;
    server.masked = "embedded";
    fmt::print(err, "Embedded PostgreSQL {} at {}\n", server.embedded->server_version(),
               server.embedded->masked_dsn());
  }
  try {
    auto session = pg::Session::connect(server.target.conninfo());
    const auto catalog =
        cluster::SettingsCatalog::from_rows(session.query(cluster::SettingsCatalog::query()).rows);
    const auto checks =
        cluster::compare_settings(session, profile, catalog, server.embedded != nullptr);
    if (!server.embedded) {
      if (const std::string mismatch = cluster::mismatch_message(checks); !mismatch.empty()) {
        throw InputError(fmt::format(
            "--profile {}: the server at {} does not match the profile (poolbench cannot "
            "change a --dsn server's configuration):\n{}",
            profile.name, server.masked, mismatch));
      }
    }
    for (const auto& check : checks) server.settings[check.name] = check.actual;
    const auto version = session.query("SHOW server_version");
    const auto limits = cluster::read_connection_limits(session);
    server.info = {{"version", version.rows.at(0).at(0).value_or("?")},
                   {"max_connections", limits.max_connections},
                   {"superuser_reserved_connections", limits.superuser_reserved_connections},
                   {"embedded", server.embedded != nullptr}};
    cluster::ConnectionBudget budget = limits;
    budget.instances = scenario.pool.instances;
    budget.pool_size = scenario.pool.settings.pool_size;
    budget.max_overflow = scenario.pool.settings.max_overflow;
    budget.other_connections = 2;  // the monitoring and setup connections
    const auto verdict = cluster::check_connection_budget(budget);
    if (!verdict.fits) fmt::print(err, "warning: {}\n", verdict.message);
  } catch (const pg::PgError& e) {
    throw RuntimeFailure(pg::mask_secret(pg::mask_message(e.what(), server.target.conninfo()),
                                         server.target.password()));
  }
  return server;
}

void print_summary(const nlohmann::json& cell, std::ostream& out) {
  const auto& s = cell["summary"];
  fmt::print(out, "\n{:<18} {}\n", "status", cell["status"].get<std::string>());
  fmt::print(out, "{:<18} {:.1f} s\n", "measured", s["duration_s"].get<double>());
  fmt::print(out, "{:<18} {} = {} completed + {} timeouts + {} errors + {} dropped\n", "requests",
             s["requests"].get<long long>(), s["completed"].get<long long>(),
             s["timeouts"].get<long long>(), s["errors"].get<long long>(),
             s["dropped"].get<long long>());
  fmt::print(out, "{:<18} {:.1f} req/s\n", "throughput", s["throughput_rps"].get<double>());
  fmt::print(out, "{:<18} {:.4f}\n", "timeout_rate", s["timeout_rate"].get<double>());
  if (!s["errors_by_sqlstate"].empty()) {
    fmt::print(out, "{:<18} {}\n", "errors by SQLSTATE", s["errors_by_sqlstate"].dump());
  }
  fmt::print(out, "\n{:<16} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}\n", "ms", "mean", "p50", "p90",
             "p99", "p99.9", "max");
  for (const char* key :
       {"latency_ms", "checkout_wait_ms", "hold_ms", "connect_ms", "schedule_lag_ms"}) {
    const auto& h = s[key];
    fmt::print(out, "{:<16} {:>9.2f} {:>9.2f} {:>9.2f} {:>9.2f} {:>9.2f} {:>9.2f}\n", key,
               h["mean"].get<double>(), h["p50"].get<double>(), h["p90"].get<double>(),
               h["p99"].get<double>(), h["p999"].get<double>(), h["max"].get<double>());
  }
  const auto& pool = s["pool"];
  fmt::print(out,
             "\npool: max checked out {}, mean checked out {:.2f}, max overflow used {}, "
             "connects {}, recycles {}, invalidations {}, pre-ping failures {}\n",
             pool["max_checked_out"].get<int>(), pool["mean_checked_out"].get<double>(),
             pool["max_overflow_used"].get<int>(), pool["connects"].get<long long>(),
             pool["recycles"].get<long long>(), pool["invalidations"].get<long long>(),
             pool["preping_failures"].get<long long>());
}

/// SLO misses, one line each (empty: met or none set).
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

/// The flags, or nullopt when --help was printed.
std::optional<RunFlags> parse_run_flags(const std::vector<std::string>& args, Io io) {
  RunFlags flags;
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")(
      "dsn", po::value<std::string>(), "target server (libpq URL or key=value); default: embedded")(
      "app-config", po::value<std::string>(), "the application's config.yaml (pool settings, URL)")(
      "profile", po::value<std::string>(),
      "postgresql.conf profile(s): ssd, ssd+wal-write-heavy, file.conf")(
      "set", po::value<std::vector<std::string>>(),
      "override a scenario key: --set pool.pool_size=8")(
      "threads", po::value<int>()->default_value(0), "worker threads (0: one per core)")(
      "out", po::value<std::string>(), "output directory (default reports/<scenario>-<time>)")(
      "reinit", po::bool_switch(), "recreate pgbench tables of another scale on a --dsn server")(
      "seed", po::value<std::uint64_t>()->default_value(0), "random seed (0: from the clock)")(
      "quiet", po::bool_switch(), "no progress line");
  options.add_options()("scenario", po::value<std::string>(), "scenario file");
  po::positional_options_description positional;
  positional.add("scenario", 1);
  const auto values = parse_options("run", options, positional, args);
  if (values.count("help")) {
    fmt::print(io.out, "Usage: {}\n\n{}\n{}", k_usage, fmt::streamed(options), k_help_tail);
    return std::nullopt;
  }
  if (!values.count("scenario")) {
    throw InputError("poolbench run: a scenario file is required\nRun 'poolbench run --help'.");
  }
  flags.scenario = values["scenario"].as<std::string>();
  if (values.count("dsn")) flags.dsn = values["dsn"].as<std::string>();
  if (values.count("app-config")) flags.app_config = values["app-config"].as<std::string>();
  if (values.count("profile")) flags.profile = values["profile"].as<std::string>();
  if (values.count("set")) flags.sets = values["set"].as<std::vector<std::string>>();
  if (values.count("out")) flags.out = values["out"].as<std::string>();
  flags.threads = values["threads"].as<int>();
  flags.reinit = values["reinit"].as<bool>();
  flags.quiet = values["quiet"].as<bool>();
  flags.seed = values["seed"].as<std::uint64_t>();
  if (flags.threads < 0) throw InputError("--threads: expected a number >= 0");
  return flags;
}

int run_command(const std::vector<std::string>& args, Io io) {
  const std::optional<RunFlags> parsed = parse_run_flags(args, io);
  if (!parsed) return 0;
  const RunFlags& flags = *parsed;

  // Every input is read and checked before anything starts or is written.
  workload::Scenario scenario = workload::load_scenario(flags.scenario, flags.sets);
  if (flags.profile) scenario.server.profile = *flags.profile;
  const auto transactions = compile(scenario);
  const pg::EnvLookup env = pg::process_environment();
  std::optional<pg::ParsedDsn> dsn = pg::dsn_from_flag_or_env(flags.dsn, env);
  pg::PoolOverrides overrides;
  if (flags.app_config) {
    pg::AppConfig config = pg::load_app_config(*flags.app_config, env);
    overrides.merge(config.pool);
    if (!dsn && config.target) dsn = pg::ParsedDsn{*config.target, {}};
  }
  if (dsn) overrides.merge(dsn->pool);
  apply_overrides(scenario, overrides);
  if (const auto error = scenario.pool.settings.validation_error(); !error.empty()) {
    throw InputError(fmt::format("{}: pool: {}", scenario.file, error));
  }
  const cluster::Profile profile =
      cluster::load_profile(scenario.server.profile, cluster::profiles_dir());
  const std::string out_dir = flags.out.value_or("reports/" + scenario.name + "-" + timestamp());
  const int threads = flags.threads > 0
                          ? flags.threads
                          : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  const std::uint64_t seed =
      flags.seed != 0
          ? flags.seed
          : static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());

  if (!scenario.matrix.empty()) {
    fmt::print(io.err,
               "note: run ignores the scenario's matrix: ({} axes); poolbench matrix runs it\n",
               scenario.matrix.size());
  }
  print_effective_settings(scenario, io.err);

  cluster::InterruptGuard interrupt_guard;
  Server server = open_server(scenario, dsn, profile, io.err);
  const std::string run_id = fmt::format("{}-{}", scenario.name, seed % 1000000);

  {
    auto setup = pg::Session::connect(server.target.conninfo());
    const auto report =
        scenario.dataset.setup.empty()
            ? workload::prepare_pgbench_dataset(setup, scenario.dataset.scale,
                                                server.embedded != nullptr || flags.reinit)
            : workload::run_setup_sql(setup, scenario.dataset.setup,
                                      where_set(scenario, "dataset.setup"));
    fmt::print(io.err, "{}\n", report.summary);
  }

  pg::PgConnectionFactory factory(server.target, run_id);
  workload::RecordingFactory recording(factory);
  std::vector<std::unique_ptr<pool::QueuePool>> pools;
  std::vector<pool::QueuePool*> pool_ptrs;
  for (int i = 0; i < scenario.pool.instances; ++i) {
    pools.push_back(std::make_unique<pool::QueuePool>(scenario.pool.settings, recording));
    pool_ptrs.push_back(pools.back().get());
  }
  std::optional<pg::Session> monitor;
  try {
    monitor.emplace(pg::Session::connect(server.target.conninfo()));
  } catch (const pg::PgError&) {
    fmt::print(io.err, "warning: no monitoring connection: server_* time series are empty\n");
  }

  workload::GeneratorOptions generator;
  generator.transactions = transactions;
  generator.pools = pool_ptrs;
  generator.threads = threads;
  generator.random_seed = seed;
  generator.interrupted = [&] { return interrupt_guard.interrupted(); };
  generator.on_measure_start = [&] { recording.start_recording(); };
  const std::string application_name = factory.application_name();
  generator.sample_server = [&]() -> std::optional<workload::ServerStates> {
    if (!monitor) return std::nullopt;
    try {
      const auto rows = monitor->query(
          "SELECT count(*) FILTER (WHERE state = 'active'), count(*) FILTER (WHERE state = "
          "'idle'), count(*) FILTER (WHERE state LIKE 'idle in transaction%') FROM "
          "pg_stat_activity WHERE application_name = $1",
          {application_name});
      const auto& row = rows.rows.at(0);
      return workload::ServerStates{std::stoi(row[0].value_or("0")),
                                    std::stoi(row[1].value_or("0")),
                                    std::stoi(row[2].value_or("0"))};
    } catch (const std::exception&) {
      monitor.reset();  // the server went away: stop asking
      return std::nullopt;
    }
  };
  if (!flags.quiet) {
    generator.on_progress = [&](const workload::ProgressSample& p) {
      fmt::print(io.err,
                 "progress: {:6.1f} s{} {:8.1f} tps, p99 {:8.2f} ms, checked_out {} overflow {} "
                 "waiting {}, timeouts {}, errors {}\n",
                 p.elapsed_s, p.warming_up ? " (warmup)" : "", p.throughput_rps, p.p99_ms,
                 p.checked_out, p.overflow, p.waiting, p.timeouts, p.errors);
    };
  }
  fmt::print(io.err, "Running {} for {} after {} warmup, {} threads...\n", scenario.name,
             scenario.workload.transactions
                 ? fmt::format("{} transactions per client", *scenario.workload.transactions)
                 : util::format_duration(scenario.workload.duration),
             util::format_duration(scenario.workload.warmup), threads);
  const workload::GeneratorResult measured = workload::run_load(scenario, generator);
  monitor.reset();

  const nlohmann::json cell =
      report::cell_json(scenario, measured, report::sum_pool_counters(pool_ptrs),
                        recording.take_histogram(), server.settings, 0);
  pools.clear();
  const nlohmann::json results = {{"schema", "poolbench.results/1"},
                                  {"dsn", server.masked},
                                  {"tool", report::tool_json()},
                                  {"host", report::host_json()},
                                  {"server", server.info},
                                  {"scenario", workload::to_json(scenario)},
                                  {"run_id", run_id},
                                  {"seed", seed},
                                  {"cells", nlohmann::json::array({cell})}};
  const std::string path = out_dir + "/results.json";
  util::write_file_atomically(path, results.dump(2) + "\n");

  print_summary(cell, io.out);
  fmt::print(io.out, "\nresults: {}\n", path);
  if (measured.interrupted || interrupt_guard.interrupted()) {
    fmt::print(io.err, "interrupted: the results measured so far are in {}\n", path);
    return static_cast<int>(ExitCode::interrupted);
  }
  const auto misses = slo_misses(scenario, cell);
  for (const auto& miss : misses) fmt::print(io.err, "SLO missed: {}\n", miss);
  return misses.empty() ? 0 : static_cast<int>(ExitCode::check_failed);
}

}  // namespace

Command run_command_entry() {
  return Command{"run", k_usage,
                 "run a scenario once (embedded PostgreSQL unless --dsn) and write results.json",
                 run_command};
}

}  // namespace poolbench::cli
