// poolbench run SCENARIO: one cell (the scenario's base point) against a server, with a live
// progress line, a summary table and <out>/results.json.

#include <iostream>

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "analysis/analyze.hpp"
#include "analysis/slo.hpp"
#include "analysis/validity.hpp"
#include "cli/command.hpp"
#include "cli/dry_run.hpp"
#include "cli/inputs.hpp"
#include "cli/options.hpp"
#include "cluster/budget.hpp"
#include "cluster/signals.hpp"
#include "faults/injector.hpp"
#include "matrix/cell_runner.hpp"
#include "matrix/servers.hpp"
#include "matrix/shard.hpp"
#include "results/document.hpp"
#include "results/file.hpp"
#include "scenario/scenario.hpp"
#include "scenario/shard_split.hpp"
#include "util/atomic_file.hpp"
#include "util/duration.hpp"
#include "util/error.hpp"
#include "workload/transactions.hpp"

namespace po = boost::program_options;

namespace poolbench::cli {
namespace {

constexpr const char* k_run_usage =
    "poolbench run SCENARIO [--dsn URL] [--app-config FILE] [--profile NAME[+NAME]] "
    "[--set k=v]... [--threads N] [--shard I/N --start-at T] [--out DIR]";

constexpr const char* k_run_help_tail = R"(
Runs the scenario's base point (its matrix: block is ignored; use poolbench matrix):
warmup, then the measurement, printing a progress line each second (elapsed, tps, p99,
pool checked_out/overflow/waiting, timeouts), then a summary table, and writes
<out>/results.json atomically (default out: reports/<scenario>-<time>/), with the sizing
analysis, and the report beside it (index.html, summary.md, cells.csv, charts/).

Server: --dsn or POOLBENCH_DSN (libpq URL or key=value; postgresql+asyncpg:// and
?pool_size=&max_overflow=&pool_timeout=&pool_recycle= are accepted). With neither, an
embedded PostgreSQL is started on 127.0.0.1 with server.profile applied and verified,
and stopped at the end. Pool settings, later wins: SQLAlchemy 2.0 defaults, the
scenario's pool:, --app-config, the DSN's ?pool_size=..., then --set.

Replay (workload.mode: replay): the requests of a captured trace at their arrival times /
replay.speed (docs/capture.md). --dry-run measures nothing: after the server (and dataset)
steps it PREPAREs every distinct statement the scenario would send (the trace's, or the
scripts') and lists each one that would fail with its SQLSTATE; exit 1 if any would.

Distributed load: --shard I/N runs this process's part (shard I of N, 0-based) of the
clients, arrival rate or trace (every N-th request), as separate app instances with the full pool settings, starting at
--start-at T (RFC 3339 UTC or Unix seconds, the same on every shard) against the shared
--dsn server; then poolbench merge combines the shards' results.json into one (the
analysis, report and slo: verdict come from the merged results).

Faults: a scenario's faults: list (restart, terminate_backends, stall, exhaust_connections,
network_delay; each at an offset from the measurement start) is injected during the run,
which goes on; results.json (each cell's faults) and the report's Faults table give the
errors by SQLSTATE, timeouts and recovery time of each. See scenarios/faults.yaml.

Examples:
  poolbench run scenarios/read_heavy.yaml
  poolbench run scenarios/read_heavy.yaml --set pool.pool_size=4 --set workload.duration=10s
  poolbench run scenarios/write_heavy.yaml --dsn postgresql://bench@127.0.0.1/bench

Exit codes: 0 ok; 1 an slo: limit was missed (--dry-run: a statement would fail); 2 bad input (nothing run, nothing written);
3 server unreachable or cluster failed; 130 interrupted (results so far are written).
)";

struct RunFlags {
  InputFlags inputs;
  int threads = 0;
  std::optional<std::string> out;
  bool reinit = false;
  bool quiet = false;
  bool dry_run = false;
  std::uint64_t seed = 0;
  ShardFlags shard;
};

/// A pool that cannot fit the server's max_connections is a warning for a single run (its
/// too-many-connections errors are counted).
void warn_over_budget(const scenario::Scenario& scenario, const matrix::ServerTarget& server,
                      std::ostream& err) {
  cluster::ConnectionBudget budget = server.limits;
  budget.instances = scenario.pool.instances;
  budget.pool_size = scenario.pool.settings.pool_size;
  budget.max_overflow = scenario.pool.settings.max_overflow;
  budget.other_connections = 2;  // the monitoring and setup connections
  const auto verdict = cluster::check_connection_budget(budget);
  if (!verdict.fits) fmt::print(err, "warning: {}\n", verdict.message);
}

void print_summary(const nlohmann::json& cell, std::ostream& out) {
  const auto& s = cell["summary"];
  if (const std::string reason = analysis::invalid_reason(cell); !reason.empty()) {
    fmt::print(out,
               "\nINVALID: {}\n(the numbers below are the load generator's limit, not the "
               "system's: no models, no verdict)\n",
               reason);
  }
  fmt::print(out, "\n{:<18} {}\n", "status", cell["status"].get<std::string>());
  fmt::print(out, "{:<18} {:.1f} s\n", "measured", s["duration_s"].get<double>());
  fmt::print(out, "{:<18} {} = {} completed + {} timeouts + {} errors + {} dropped\n", "requests",
             s["requests"].get<long long>(), s["completed"].get<long long>(),
             s["timeouts"].get<long long>(), s["errors"].get<long long>(),
             s["dropped"].get<long long>());
  fmt::print(out, "{:<18} {:.1f} req/s\n", "throughput", s["throughput_rps"].get<double>());
  const auto rates = analysis::measured_rates(s);
  fmt::print(out, "{:<18} {:.4f}\n", "timeout_rate", rates.timeout_rate);
  fmt::print(out, "{:<18} {:.4f}\n", "drop_rate", rates.drop_rate);
  fmt::print(out, "{:<18} {:.4f}\n", "error_rate", rates.error_rate);
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
  if (pool.contains("warmup")) {
    const auto& w = pool["warmup"];
    fmt::print(out,
               "      (measurement only; the warmup before it: connects {}, recycles {}, "
               "invalidations {}, pre-ping failures {})\n",
               w["connects"].get<long long>(), w["recycles"].get<long long>(),
               w["invalidations"].get<long long>(), w["preping_failures"].get<long long>());
  }
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
      "server-cores", po::value<std::string>(),
      "the --dsn server's CPU cores, for HikariCP's cores x 2 + spindles (= --set server.cores=N)")(
      "threads", po::value<int>()->default_value(0), "worker threads (0: one per core)")(
      "out", po::value<std::string>(), "output directory (default reports/<scenario>-<time>)")(
      "reinit", po::bool_switch(), "recreate pgbench tables of another scale on a --dsn server")(
      "seed", po::value<std::uint64_t>()->default_value(0), "random seed (0: from the clock)")(
      "quiet", po::bool_switch(), "no progress line")(
      "dry-run", po::bool_switch(), "prepare every distinct statement, list what would fail")(
      "shard", po::value<std::string>(), "I/N: run shard I (0-based) of N of a distributed run")(
      "start-at", po::value<std::string>(),
      "with --shard: when the load starts (RFC 3339 UTC or Unix seconds)");
  options.add_options()("scenario", po::value<std::string>(), "scenario file");
  po::positional_options_description positional;
  positional.add("scenario", 1);
  const auto values = parse_options("run", options, positional, args);
  if (values.count("help")) {
    print_command_help(io.out, k_run_usage, options, k_run_help_tail);
    return std::nullopt;
  }
  if (!values.count("scenario")) {
    throw InputError("poolbench run: a scenario file is required\nRun 'poolbench run --help'.");
  }
  flags.inputs.scenario = values["scenario"].as<std::string>();
  if (values.count("dsn")) flags.inputs.dsn = values["dsn"].as<std::string>();
  if (values.count("app-config")) flags.inputs.app_config = values["app-config"].as<std::string>();
  if (values.count("profile")) flags.inputs.profile = values["profile"].as<std::string>();
  if (values.count("set")) flags.inputs.sets = values["set"].as<std::vector<std::string>>();
  if (values.count("server-cores")) {
    flags.inputs.sets.push_back("server.cores=" + values["server-cores"].as<std::string>());
  }
  if (values.count("out")) flags.out = values["out"].as<std::string>();
  flags.threads = values["threads"].as<int>();
  flags.reinit = values["reinit"].as<bool>();
  flags.quiet = values["quiet"].as<bool>();
  flags.dry_run = values["dry-run"].as<bool>();
  flags.seed = values["seed"].as<std::uint64_t>();
  if (values.count("shard")) flags.shard.shard = values["shard"].as<std::string>();
  if (values.count("start-at")) flags.shard.start_at = values["start-at"].as<std::string>();
  if (flags.threads < 0) throw InputError("--threads: expected a number >= 0");
  return flags;
}

/// A shard whose load starts later than this after --start-at gets a warning.
constexpr double k_late_start_warning_s = 0.5;

/// What the measurement's options are made from.
struct CellInputs {
  const RunFlags& flags;
  const scenario::Scenario& scenario;
  const std::optional<matrix::ShardPlan>& shard;
  const std::optional<scenario::ShardLoad>& load;
  std::uint64_t seed;
  cluster::Cluster* cluster;
  const cluster::InterruptGuard& guard;
};

/// The measurement's options: threads, seed and run id, a shard's start, notes and progress
/// lines on stderr.
matrix::CellOptions cell_options(const CellInputs& in, Io io) {
  const RunFlags& flags = in.flags;
  const scenario::Scenario& scenario = in.scenario;
  const auto& shard = in.shard;
  const auto& load = in.load;
  const std::uint64_t seed = in.seed;
  // The callbacks outlive this function: they capture the guard and the streams, not `in`.
  const cluster::InterruptGuard* const guard = &in.guard;
  std::ostream* const err = &io.err;
  matrix::CellOptions cell;
  cell.cluster = in.cluster;
  cell.inject_faults = !shard || shard->spec.index == 0;
  cell.threads = worker_threads(flags.threads);
  cell.seed = shard ? scenario::shard_seed(seed, shard->spec) : seed;
  cell.run_id = run_id(scenario.name, seed);
  if (shard) {
    cell.run_id += fmt::format("-s{}", shard->spec.index);
    cell.start_at = shard->start_at;
    cell.reset_statements = shard->spec.index == 0;
    fmt::print(io.err, "Shard {} of {}: {}, instances {}; the load starts at {}\n",
               shard->spec.index, shard->spec.count,
               scenario.workload.mode == scenario::LoadMode::closed
                   ? fmt::format("{} of {} clients", load->clients, scenario.workload.clients)
                   : fmt::format("{:g} of {:g} requests/s", load->rate_per_s,
                                 scenario.workload.rate_per_s),
               fmt::join(load->instances, ", "), matrix::format_rfc3339(shard->start_at));
  }
  cell.interrupted = [guard] { return guard->interrupted(); };
  cell.note = [err](const std::string& line) { fmt::print(*err, "{}\n", line); };
  if (!flags.quiet) {
    cell.on_progress = [err](const workload::ProgressSample& p) {
      fmt::print(*err,
                 "progress: {:6.1f} s{} {:8.1f} tps, p99 {:8.2f} ms, checked_out {} overflow {} "
                 "waiting {}, timeouts {}, errors {}\n",
                 p.elapsed_s, p.warming_up ? " (warmup)" : "", p.throughput_rps, p.p99_ms,
                 p.checked_out, p.overflow, p.waiting, p.timeouts, p.errors);
    };
  }
  return cell;
}

/// results.json of the run (with the analysis, unless a shard's).
nlohmann::json run_results(const scenario::Scenario& scenario, const matrix::ServerTarget& server,
                           const matrix::CellOptions& cell,
                           const std::optional<matrix::ShardPlan>& shard,
                           const std::optional<scenario::ShardLoad>& load, std::uint64_t seed,
                           matrix::CellOutcome& outcome, Io io) {
  nlohmann::json results = results::run_document(
      scenario,
      {.masked_dsn = server.masked, .server = server.info, .run_id = cell.run_id, .seed = seed});
  results["cells"] = nlohmann::json::array();
  if (shard) {
    outcome.cell["shard"] = matrix::cell_shard_json(*load, shard->start_at, outcome.late_s);
    results["shard"] = matrix::shard_json(*shard);
    if (outcome.late_s > k_late_start_warning_s) {
      fmt::print(io.err,
                 "warning: the load started {:.1f} s after --start-at: it overlaps the other "
                 "shards' only partly\n",
                 outcome.late_s);
    }
  }
  results["cells"].push_back(outcome.cell);
  if (!shard) {
    try {
      results["analysis"] = analysis::analyze(results);
    } catch (const Error& e) {  // derived data: never lose the measured cell over it
      fmt::print(io.err, "warning: no analysis: {}\n", e.what());
    }
  }
  return results;
}

/// What runs next, on stderr: a Debug or sanitizer build's warning, then the length and
/// threads of the measurement.
void print_run_start(const scenario::Scenario& scenario, int threads, Io io) {
  if (const auto warning = results::build_warning()) fmt::print(io.err, "warning: {}\n", *warning);
  fmt::print(io.err, "Running {} for {} after {} warmup, {} threads...\n", scenario.name,
             scenario.workload.transactions
                 ? fmt::format("{} transactions per client", *scenario.workload.transactions)
                 : util::format_duration(scenario.workload.duration),
             util::format_duration(scenario.workload.warmup), threads);
}

/// Starts or checks the server and prepares the dataset; null when SIGINT came first.
const matrix::ServerTarget* prepare_server(matrix::Servers& servers,
                                           const cluster::Profile& profile,
                                           const scenario::Scenario& scenario, bool reinit,
                                           const cluster::InterruptGuard& interrupt_guard, Io io) {
  try {
    servers.verify_all({profile});
    const matrix::ServerTarget* server = &servers.use(profile);
    warn_over_budget(scenario, *server, io.err);
    const auto dataset = matrix::prepare_dataset(
        scenario, *server,
        server->embedded || reinit ? matrix::Reinit::allow : matrix::Reinit::refuse);
    fmt::print(io.err, "{}\n", dataset.summary);
    return server;
  } catch (const RuntimeFailure&) {
    // SIGINT stops the embedded server at once; a start or dataset step then finds it gone.
    if (!interrupt_guard.interrupted()) throw;
    fmt::print(io.err, "interrupted before the measurement: nothing was run or written\n");
    return nullptr;
  }
}

int run_command(const std::vector<std::string>& args, Io io) {
  const std::optional<RunFlags> parsed = parse_run_flags(args, io);
  if (!parsed) return 0;
  const RunFlags& flags = *parsed;

  // Every input is read and checked before anything starts or is written.
  const ResolvedInputs inputs = resolve_inputs(flags.inputs);
  const scenario::Scenario& scenario = inputs.scenario;
  workload::compile_transactions(scenario);  // script errors are bad input: exit 2 now
  const cluster::Profile profile = load_scenario_profile(scenario, flags.inputs);
  const bool embedded = matrix::runs_embedded(inputs.dsn, {profile}, inputs.env);
  if (embedded) matrix::check_embedded_profiles({profile});  // unknown settings: exit 2 now
  faults::check_injectable(scenario.faults, embedded,
                           embedded || (inputs.dsn && faults::is_tcp(inputs.dsn->target)));
  const auto shard = resolve_shard(flags.shard, {});
  require_shared_server(shard, embedded);
  std::optional<scenario::ShardLoad> load;
  if (shard) {
    (void)matrix::slot_length(scenario, {});  // duration-bound workloads only
    load = scenario::shard_load(scenario, shard->spec);
  }
  const std::string out_dir = flags.out.value_or("reports/" + scenario.name + "-" + timestamp());
  const std::uint64_t seed = shared_seed(flags.seed, shard);

  if (!scenario.matrix.empty()) {
    fmt::print(io.err,
               "note: run ignores the scenario's matrix: ({} axes); poolbench matrix runs it\n",
               scenario.matrix.size());
  }
  print_effective_settings(scenario, io.err);

  cluster::InterruptGuard interrupt_guard;
  matrix::Servers servers(
      {.dsn = inputs.dsn,
       .env = inputs.env,
       .auth = scenario.server.auth,
       .ssl = scenario.server.ssl,
       .note = [&](const std::string& line) { fmt::print(io.err, "{}\n", line); }});
  const matrix::ServerTarget* server_ptr =
      prepare_server(servers, profile, scenario, flags.reinit, interrupt_guard, io);
  if (server_ptr == nullptr) return static_cast<int>(ExitCode::interrupted);
  const matrix::ServerTarget& server = *server_ptr;
  if (flags.dry_run) return dry_run(load ? load->scenario : scenario, server, io.out);

  const matrix::CellOptions cell = cell_options({.flags = flags,
                                                 .scenario = scenario,
                                                 .shard = shard,
                                                 .load = load,
                                                 .seed = seed,
                                                 .cluster = servers.cluster(),
                                                 .guard = interrupt_guard},
                                                io);
  print_run_start(scenario, cell.threads, io);
  matrix::CellOutcome outcome = matrix::run_cell(load ? load->scenario : scenario, server, cell);

  const nlohmann::json results =
      run_results(scenario, server, cell, shard, load, seed, outcome, io);
  const std::string path = out_dir + "/results.json";
  results::write_results(path, results);
  print_summary(outcome.cell, io.out);
  fmt::print(io.out, "\nresults: {}\n", path);
  if (shard) {
    fmt::print(io.out,
               "shard {} of {}: merge every shard's results.json with poolbench merge "
               "A.json B.json ... --out DIR for the report\n",
               shard->spec.index, shard->spec.count);
  } else {
    write_report_next_to(results, path, io.out, io.err);
  }
  if (outcome.interrupted || interrupt_guard.interrupted()) {
    fmt::print(io.err, "interrupted: the results measured so far are in {}\n", path);
    return static_cast<int>(ExitCode::interrupted);
  }
  if (shard) return 0;  // slo: is judged on the merged results
  const auto misses = matrix::slo_misses(scenario, outcome.cell);
  for (const auto& miss : misses) fmt::print(io.err, "SLO missed: {}\n", miss);
  return misses.empty() ? 0 : static_cast<int>(ExitCode::check_failed);
}

}  // namespace

Command run_command_entry() {
  return Command{"run", k_run_usage,
                 "run a scenario once (embedded PostgreSQL unless --dsn) and write results.json",
                 run_command};
}

}  // namespace poolbench::cli
