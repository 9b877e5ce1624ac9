// poolbench matrix SCENARIO: every cell of the scenario's matrix (axes x repetitions), each
// stored in <out>/results.json as soon as it finishes; resumable, interruptible.

#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <thread>

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "cli/inputs.hpp"
#include "cli/matrix_console.hpp"
#include "cli/options.hpp"
#include "cluster/budget.hpp"
#include "cluster/signals.hpp"
#include "faults/injector.hpp"
#include "matrix/cell_runner.hpp"
#include "matrix/expand.hpp"
#include "matrix/orchestrator.hpp"
#include "matrix/result_store.hpp"
#include "matrix/servers.hpp"
#include "results/document.hpp"
#include "results/file.hpp"
#include "scenario/shard_split.hpp"
#include "util/duration.hpp"
#include "util/error.hpp"
#include "workload/transactions.hpp"

namespace po = boost::program_options;

namespace poolbench::cli {
namespace {

constexpr const char* k_matrix_usage =
    "poolbench matrix SCENARIO [--dsn URL] [--matrix k=[a,b]]... [--set k=v]... [--resume] "
    "[--dry-run] [--order random] [--shard I/N --start-at T] [--out DIR]";

constexpr const char* k_matrix_help_tail = R"(
Runs every cell of the scenario's matrix: block, the cartesian product of its axes (any
scenario key path: pool.pool_size, pool.max_overflow, pool.pool_timeout, server.profile,
workload.rate, workload.clients, workload.mix, pool.instances, ...) times repetitions.
Each cell gets fresh pools, the same dataset, warmup, measurement and a short settle.
Cells are grouped by server.profile, so the embedded server restarts only when the
profile changes; every profile is verified through pg_settings before its cells run.

Before anything runs, each cell's connection budget, instances x (pool_size +
max_overflow) + reserved, is checked against the server's max_connections; cells that
cannot fit are refused unless --allow-over-budget (then their errors are counted).

Results: <out>/results.json (default out: reports/<scenario name>), rewritten atomically
after every cell, so a crash loses at most the running cell; at the end the sizing analysis
is added and the report written beside it (index.html, summary.md, cells.csv, charts/). Ctrl-C marks the running cell
interrupted, keeps the others and prints the --resume command. --resume runs the missing
and interrupted cells, and refuses results of another scenario or poolbench version.

Server: as for poolbench run (embedded unless --dsn / POOLBENCH_DSN). With a server.profile
axis on --dsn servers, POOLBENCH_DSN_<PROFILE> (e.g. POOLBENCH_DSN_SSD) names the server of
each profile; settings a session may set are set per connection, any other mismatch is an
error before anything runs.

Distributed load: --shard I/N --start-at T runs shard I (0-based) of N against the shared
--dsn server: each cell with this shard's part of the clients or rate (separate app
instances, full pool settings), in its slot of a schedule every shard computes alike (slot
0 at T, each slot warmup + duration + --settle + 3 s), so the shards' load overlaps cell by
cell. Give every shard the same scenario, flags, --start-at (and --seed with --order
random; without it the seed comes from --start-at). poolbench merge combines the shards.

Examples:
  poolbench matrix scenarios/quickstart.yaml
  poolbench matrix scenarios/quickstart.yaml --dry-run
  poolbench matrix scenarios/read_heavy.yaml --matrix pool.pool_size=[5,10,20] --set workload.duration=10s
  poolbench matrix scenarios/quickstart.yaml --out reports/qs --resume

Exit codes: 0 every cell ran (cells missing the slo: are findings, shown as verdicts);
1 with --fail-on-slo when a cell missed it; 2 bad input (nothing run, nothing written);
3 server unreachable or cluster failed; 130 interrupted (finished cells kept).
)";

struct MatrixFlags {
  InputFlags inputs;
  std::vector<std::string> axes;
  bool resume = false;
  bool fresh = false;
  bool dry_run = false;
  std::string order = "product";
  std::uint64_t seed = 0;
  int threads = 0;
  std::optional<std::string> out;
  std::chrono::microseconds settle = std::chrono::seconds(1);
  bool allow_over_budget = false;
  bool fail_on_slo = false;
  bool quiet = false;
  bool reinit = false;
  ShardFlags shard;
};

std::optional<MatrixFlags> parse_matrix_flags(const std::vector<std::string>& args, Io io) {
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")(
      "dsn", po::value<std::string>(), "target server (libpq URL or key=value); default: embedded")(
      "app-config", po::value<std::string>(), "the application's config.yaml (pool settings, URL)")(
      "profile", po::value<std::string>(), "fix server.profile (replaces a server.profile axis)")(
      "set", po::value<std::vector<std::string>>(),
      "fix a scenario key (replaces its axis): --set workload.duration=10s")(
      "server-cores", po::value<std::string>(),
      "the --dsn server's CPU cores, for HikariCP's cores x 2 + spindles (= --set server.cores=N)")(
      "matrix", po::value<std::vector<std::string>>(),
      "replace or add an axis: --matrix pool.pool_size=[5,10,20]")(
      "resume", po::bool_switch(), "run only the missing and interrupted cells of --out")(
      "fresh", po::bool_switch(), "replace results already in --out")(
      "dry-run", po::bool_switch(), "list the cells and the estimated time, run nothing")(
      "order", po::value<std::string>()->default_value("product"),
      "product, or random (shuffled with --seed within each profile, to spread drift)")(
      "seed", po::value<std::uint64_t>()->default_value(0), "random seed (0: from the clock)")(
      "threads", po::value<int>()->default_value(0), "worker threads (0: one per core)")(
      "out", po::value<std::string>(), "output directory (default reports/<scenario name>)")(
      "settle", po::value<std::string>()->default_value("1s"), "pause between cells")(
      "allow-over-budget", po::bool_switch(),
      "run cells whose pools exceed max_connections (their errors are counted)")(
      "fail-on-slo", po::bool_switch(), "exit 1 when any cell missed the scenario's slo:")(
      "reinit", po::bool_switch(), "recreate pgbench tables of another scale on a --dsn server")(
      "quiet", po::bool_switch(), "only the final table (for CI logs)")(
      "shard", po::value<std::string>(), "I/N: run shard I (0-based) of N of a distributed run")(
      "start-at", po::value<std::string>(),
      "with --shard: when slot 0 starts (RFC 3339 UTC or Unix seconds)");
  options.add_options()("scenario", po::value<std::string>(), "scenario file");
  po::positional_options_description positional;
  positional.add("scenario", 1);
  const auto values = parse_options("matrix", options, positional, args);
  if (values.count("help")) {
    print_command_help(io.out, k_matrix_usage, options, k_matrix_help_tail);
    return std::nullopt;
  }
  if (!values.count("scenario")) {
    throw InputError(
        "poolbench matrix: a scenario file is required\nRun 'poolbench matrix --help'.");
  }
  MatrixFlags flags;
  flags.inputs.scenario = values["scenario"].as<std::string>();
  if (values.count("dsn")) flags.inputs.dsn = values["dsn"].as<std::string>();
  if (values.count("app-config")) flags.inputs.app_config = values["app-config"].as<std::string>();
  if (values.count("profile")) flags.inputs.profile = values["profile"].as<std::string>();
  if (values.count("set")) flags.inputs.sets = values["set"].as<std::vector<std::string>>();
  if (values.count("server-cores")) {
    flags.inputs.sets.push_back("server.cores=" + values["server-cores"].as<std::string>());
  }
  if (values.count("matrix")) flags.axes = values["matrix"].as<std::vector<std::string>>();
  if (values.count("out")) flags.out = values["out"].as<std::string>();
  flags.resume = values["resume"].as<bool>();
  flags.fresh = values["fresh"].as<bool>();
  flags.dry_run = values["dry-run"].as<bool>();
  flags.order = values["order"].as<std::string>();
  flags.seed = values["seed"].as<std::uint64_t>();
  flags.threads = values["threads"].as<int>();
  const auto settle = util::parse_duration(values["settle"].as<std::string>());
  if (!settle || settle->count() < 0) {
    throw InputError("--settle: expected a duration such as 1s or 500ms");
  }
  flags.settle = *settle;
  flags.allow_over_budget = values["allow-over-budget"].as<bool>();
  flags.fail_on_slo = values["fail-on-slo"].as<bool>();
  flags.reinit = values["reinit"].as<bool>();
  flags.quiet = values["quiet"].as<bool>();
  if (values.count("shard")) flags.shard.shard = values["shard"].as<std::string>();
  if (values.count("start-at")) flags.shard.start_at = values["start-at"].as<std::string>();
  if (flags.threads < 0) throw InputError("--threads: expected a number >= 0");
  if (flags.resume && flags.fresh) throw InputError("--resume and --fresh: choose one");
  return flags;
}

/// Everything decided before a server starts: cells, their profiles, the output file.
struct Plan {
  ResolvedInputs inputs;
  std::vector<matrix::Cell> cells;
  std::map<std::string, cluster::Profile> profiles;  ///< by name
  std::vector<cluster::Profile> profile_order;       ///< as the cells use them
  std::filesystem::path results_file;
  std::uint64_t seed = 0;
  std::optional<matrix::ShardPlan> shard;
};

Plan make_plan(const MatrixFlags& flags) {
  Plan plan;
  plan.inputs = resolve_inputs(flags.inputs);
  const scenario::Scenario& base = plan.inputs.scenario;
  // The seed (cell order) needs --start-at before the cells exist; the server check needs
  // the cells' profiles (POOLBENCH_DSN_<PROFILE>): it comes below.
  plan.shard = resolve_shard(flags.shard, flags.settle);
  plan.seed = shared_seed(flags.seed, plan.shard);
  matrix::ExpandOptions expand;
  expand.axis_overrides = flags.axes;
  expand.order = matrix::parse_cell_order(flags.order);
  expand.seed = plan.seed;
  plan.cells = matrix::expand_matrix(base, expand);
  for (const auto& cell : plan.cells) {
    if (const auto error = cell.scenario.pool.settings.validation_error(); !error.empty()) {
      throw InputError(fmt::format("{}: matrix cell {}: pool: {}", base.file, cell.id, error));
    }
    if (plan.shard) {  // bad shard input is exit 2 before anything runs
      (void)matrix::slot_length(cell.scenario, flags.settle);
      (void)scenario::shard_load(cell.scenario, plan.shard->spec);
    }
    const std::string& name = cell.scenario.server.profile;
    if (!plan.profiles.count(name)) {
      plan.profiles.emplace(name, load_scenario_profile(cell.scenario, flags.inputs));
      plan.profile_order.push_back(plan.profiles.at(name));
    }
  }
  const bool embedded = matrix::runs_embedded(plan.inputs.dsn, plan.profile_order, plan.inputs.env);
  // Faults that cannot be injected on this server are bad input: exit 2 before anything.
  faults::check_injectable(base.faults, embedded,
                           embedded || !plan.inputs.dsn || faults::is_tcp(plan.inputs.dsn->target));
  require_shared_server(plan.shard, embedded);
  workload::compile_transactions(base);  // script errors are bad input: exit 2 now
  plan.results_file =
      std::filesystem::path(flags.out.value_or("reports/" + base.name)) / "results.json";
  return plan;
}

double remaining_seconds(const Plan& plan, const matrix::ResultStore& store,
                         std::chrono::microseconds settle) {
  double total = 0;
  for (const auto& cell : plan.cells) {
    if (!store.done(cell.id)) total += matrix::planned_seconds(cell, settle);
  }
  return total;
}

/// Budgets: embedded servers from each profile (before anything starts), --dsn servers from
/// what they report.
std::vector<matrix::CellBudget> budgets(const Plan& plan, matrix::Servers* servers) {
  return matrix::check_cell_budgets(plan.cells, [&](const std::string& profile) {
    const cluster::Profile& p = plan.profiles.at(profile);
    return servers != nullptr ? servers->use(p).limits : matrix::embedded_limits(p);
  });
}

int report_outcome(const matrix::MatrixOutcome& outcome, const Plan& plan,
                   const matrix::ResultStore& store, const MatrixFlags& flags, Io io) {
  const scenario::Scenario& base = plan.inputs.scenario;
  print_matrix_table(store.document(), plan.cells, io.out);
  fmt::print(io.out, "\nresults: {}\n", plan.results_file.string());
  if (plan.shard) {
    fmt::print(io.out,
               "shard {} of {}: merge every shard's results.json with poolbench merge "
               "A.json B.json ... --out DIR for the report\n",
               plan.shard->spec.index, plan.shard->spec.count);
  } else {
    write_report_next_to(store.document(), plan.results_file, io.out, io.err);
  }
  if (outcome.interrupted) {
    fmt::print(io.err,
               "interrupted: {} of {} cells are finished and kept in {}\nresume with: poolbench "
               "matrix {} --out {} --resume (with the same --set, --matrix and --profile)\n",
               store.done_count(), plan.cells.size(), plan.results_file.string(), base.file,
               plan.results_file.parent_path().string());
    return static_cast<int>(ExitCode::interrupted);
  }
  long invalid = 0;
  for (const auto& cell : store.document()["cells"]) invalid += cell.contains("invalid") ? 1 : 0;
  if (invalid > 0) {
    fmt::print(io.err,
               "warning: {} of {} cells are INVALID: the load generator fell behind, so their "
               "numbers are poolbench's limit (first in the table; no models or verdicts)\n",
               invalid, plan.cells.size());
  }
  if (outcome.slo_misses > 0 && !plan.shard) {
    fmt::print(io.err, "{} of {} cells missed the scenario's slo: (findings; see the table){}\n",
               outcome.slo_misses, plan.cells.size(),
               flags.fail_on_slo ? "; --fail-on-slo: exit 1" : "");
    if (flags.fail_on_slo) return static_cast<int>(ExitCode::check_failed);
  }
  return 0;
}

int matrix_command(const std::vector<std::string>& args, Io io) {
  const std::optional<MatrixFlags> parsed = parse_matrix_flags(args, io);
  if (!parsed) return 0;
  const MatrixFlags& flags = *parsed;
  const Plan plan = make_plan(flags);
  const scenario::Scenario& base = plan.inputs.scenario;
  const bool embedded = matrix::runs_embedded(plan.inputs.dsn, plan.profile_order, plan.inputs.env);
  if (embedded) matrix::check_embedded_profiles(plan.profile_order);  // exit 2 before any start
  if (flags.dry_run) {
    print_plan(plan.cells, flags.settle, io.out);
    if (embedded) print_budgets(budgets(plan, nullptr), io.out);
    return 0;
  }
  const auto existing = results::read_results(plan.results_file);
  if (existing && !flags.resume && !flags.fresh) {
    throw InputError(fmt::format(
        "{} already holds results: --resume runs its missing cells, --fresh replaces them, or "
        "choose another --out",
        plan.results_file.string()));
  }
  if (existing && flags.resume) {
    matrix::check_resumable(*existing, plan.results_file, matrix::scenario_hash(base));
  }
  if (embedded)
    enforce_budgets(budgets(plan, nullptr), flags.allow_over_budget || base.allow_over_budget,
                    io.err);

  cluster::InterruptGuard interrupt_guard;
  const auto note = [&](const std::string& line) {
    if (!flags.quiet) fmt::print(io.err, "{}\n", line);
  };
  matrix::Servers servers(
      {plan.inputs.dsn, plan.inputs.env, base.server.auth, base.server.ssl, note});
  try {
    servers.verify_all(plan.profile_order);
  } catch (const RuntimeFailure&) {
    if (!interrupt_guard.interrupted()) throw;
    fmt::print(io.err, "interrupted before the first cell: nothing was run or written\n");
    return static_cast<int>(ExitCode::interrupted);
  }
  if (!embedded)
    enforce_budgets(budgets(plan, &servers), flags.allow_over_budget || base.allow_over_budget,
                    io.err);

  matrix::MatrixSettings settings;
  settings.threads = worker_threads(flags.threads);
  settings.seed = plan.shard ? scenario::shard_seed(plan.seed, plan.shard->spec) : plan.seed;
  settings.settle = flags.settle;
  settings.reinit = flags.reinit;
  settings.run_id = run_id(base.name, plan.seed);
  settings.shard = plan.shard;
  if (plan.shard) settings.run_id += fmt::format("-s{}", plan.shard->spec.index);
  nlohmann::json document =
      matrix::matrix_document(base, plan.cells, servers.use(plan.profile_order.front()), plan.seed,
                              flags.order, settings.run_id);
  if (plan.shard) document["shard"] = matrix::shard_json(*plan.shard);
  matrix::ResultStore store(plan.results_file, std::move(document));
  if (existing && flags.resume) store.resume_from(*existing);
  if (const auto warning = results::build_warning()) fmt::print(io.err, "warning: {}\n", *warning);
  if (!flags.quiet) {
    fmt::print(io.err, "Running {} cells of {} ({} already done), {} threads, ~{}...\n",
               plan.cells.size() - store.done_count(), base.name, store.done_count(),
               settings.threads, format_eta(remaining_seconds(plan, store, flags.settle)));
  }
  matrix::MatrixCallbacks callbacks;
  callbacks.interrupted = [&] { return interrupt_guard.interrupted(); };
  callbacks.note = note;
  if (!flags.quiet) {
    callbacks.on_cell = [&](const matrix::CellReport& report) { print_cell_line(report, io.err); };
  }
  const auto outcome =
      matrix::run_matrix(plan.cells, plan.profiles, servers, store, settings, callbacks);
  return report_outcome(outcome, plan, store, flags, io);
}

}  // namespace

Command matrix_command_entry() {
  return Command{"matrix", k_matrix_usage,
                 "run every cell of a scenario's matrix (resumable) and write results.json",
                 matrix_command};
}

}  // namespace poolbench::cli
