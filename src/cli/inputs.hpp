#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "pg/dsn.hpp"
#include "pg/environment.hpp"
#include "workload/scenario.hpp"

// What `run` and `matrix` read before anything starts: the scenario with --set, --profile,
// --app-config and the DSN's pool parameters applied (DESIGN.md's order, later wins), and
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
  workload::Scenario scenario;
  std::optional<pg::ParsedDsn> dsn;  ///< nullopt: embedded cluster (unless POOLBENCH_DSN_<P>)
  pg::EnvLookup env;
};

/// Loads and validates everything; pool settings from config.yaml and the DSN's query apply
/// unless --set gave the key. Throws InputError.
ResolvedInputs resolve_inputs(const InputFlags& flags);

/// The pool settings and where each came from (file:line, --set, config.yaml, default).
void print_effective_settings(const workload::Scenario& scenario, std::ostream& out);

/// "20261126-104919" (UTC), for default output directories.
std::string timestamp();

/// `flag` when > 0, else one per core.
int worker_threads(int flag);

/// `flag` when non-zero, else from the clock.
std::uint64_t seed_or_clock(std::uint64_t flag);

}  // namespace poolbench::cli
