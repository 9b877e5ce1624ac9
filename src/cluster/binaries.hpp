#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

// Finding the PostgreSQL server binaries (postgres, initdb) on this machine.

namespace poolbench::cluster {

/// What discovery looks at, injectable so tests can fake the environment and the file system.
struct DiscoveryEnv {
  /// Environment lookup (POOLBENCH_PG_BINDIR); nullopt when unset.
  std::function<std::optional<std::string>(const std::string&)> getenv;
  /// Output of `pg_config --bindir` (trimmed); nullopt when pg_config is missing or fails.
  std::function<std::optional<std::string>()> pg_config_bindir;
  /// Where Debian installs server versions: <versions_root>/<major>/bin.
  std::filesystem::path versions_root = "/usr/lib/postgresql";

  /// The real process environment, `pg_config` from PATH and /usr/lib/postgresql.
  static DiscoveryEnv system();
};

struct ServerBinaries {
  std::filesystem::path bindir;  ///< holds postgres and initdb
  std::string found_by;          ///< "POOLBENCH_PG_BINDIR", "pg_config --bindir", or the glob

  std::filesystem::path postgres() const { return bindir / "postgres"; }
  std::filesystem::path initdb() const { return bindir / "initdb"; }
};

/// True when `dir` holds executable `postgres` and `initdb`.
bool is_server_bindir(const std::filesystem::path& dir);

/// The server binaries, in this order: POOLBENCH_PG_BINDIR (an InputError when set but not a
/// server bindir), `pg_config --bindir` when it holds postgres and initdb, then
/// /usr/lib/postgresql/*/bin, newest major version first. None found: RuntimeFailure (exit 3)
/// saying what to install.
ServerBinaries find_server_binaries(const DiscoveryEnv& env = DiscoveryEnv::system());

/// "15.18" from `postgres --version` ("postgres (PostgreSQL) 15.18 (Debian ...)").
std::string parse_postgres_version(const std::string& version_output);

/// Runs `postgres --version` and parses it. Throws RuntimeFailure.
std::string server_version(const ServerBinaries& binaries);

}  // namespace poolbench::cluster
