#pragma once

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cluster/profile.hpp"
#include "matrix/shard.hpp"
#include "pg/dsn.hpp"
#include "pg/environment.hpp"
#include "scenario/scenario.hpp"

// What `run` and `matrix` read before anything starts: the scenario with --set, --profile,
// --app-config and the DSN's pool parameters applied (docs/cli.md's order, later wins), and
// the target server. All bad input throws InputError here, before anything runs.

namespace poolbench::cli {

struct InputFlags {
  std::string scenario;
  std::vector<std::string> sets;
  std::optional<std::string> profile;
  std::optional<std::string> dsn;
  std::optional<std::string> app_config;
};

struct ResolvedInputs {
  scenario::Scenario scenario;
  std::optional<pg::ParsedDsn> dsn;  ///< nullopt: embedded cluster (unless POOLBENCH_DSN_<P>)
  pg::EnvLookup env;
};

/// Loads and validates everything; pool settings from config.yaml and the DSN's query apply
/// unless --set gave the key. Throws InputError.
ResolvedInputs resolve_inputs(const InputFlags& flags);

/// The profile `scenario` (the base scenario or a matrix cell's) names. A name that names no
/// profile is an InputError saying where it was given: --profile, the scenario file's line,
/// --set or the --matrix axis.
cluster::Profile load_scenario_profile(const scenario::Scenario& scenario, const InputFlags& flags);

/// The pool settings and where each came from (file:line, --set, config.yaml, default).
void print_effective_settings(const scenario::Scenario& scenario, std::ostream& out);

/// Builds the report (index.html, summary.md, cells.csv, charts/) next to a results.json
/// that was just written, and prints where it is. A report that cannot be built is a
/// warning: the results are already safe.
void write_report_next_to(const nlohmann::json& results, const std::filesystem::path& results_file,
                          std::ostream& out, std::ostream& err);

/// "20261126-104919" (UTC), for default output directories.
std::string timestamp();

/// A run's id (application_name "poolbench/<id>", results.json run_id): the scenario's name
/// and the last six decimal digits of the seed ("quickstart-482913").
std::string run_id(const std::string& scenario_name, std::uint64_t seed);

/// --shard I/N and --start-at T of run and matrix, as given.
struct ShardFlags {
  std::optional<std::string> shard;
  std::optional<std::string> start_at;
};

/// The shard plan, or nullopt without --shard. Throws InputError for a bad --shard or
/// --start-at, --start-at without --shard, and several shards without --start-at.
std::optional<matrix::ShardPlan> resolve_shard(const ShardFlags& flags,
                                               std::chrono::microseconds settle);

/// Throws InputError for a shard without a shared server: `embedded`, the run would start
/// its own server (no --dsn, POOLBENCH_DSN or config.yaml URL).
void require_shared_server(const std::optional<matrix::ShardPlan>& shard, bool embedded);

/// The seed all shards share: --seed when given, else one from --start-at (the same on
/// every shard, so --order random orders cells alike), else from the clock.
std::uint64_t shared_seed(std::uint64_t flag, const std::optional<matrix::ShardPlan>& shard);

/// `flag` when > 0, else one per core.
int worker_threads(int flag);

/// `flag` when non-zero, else from the clock.
std::uint64_t seed_or_clock(std::uint64_t flag);

}  // namespace poolbench::cli
