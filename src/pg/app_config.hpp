#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "pg/dsn.hpp"
#include "pg/environment.hpp"
#include "pg/pool_overrides.hpp"

// `--app-config config.yaml`: the seeds' application configuration (seed 000):
//
//   database:
//     url: "${DATABASE_URL:-postgresql+asyncpg://user:password@postgres:5432/app_db}"
//     pool_size: 20          max_overflow: 10
//     pool_timeout: 30       pool_recycle: 1800     (durations: a bare number is seconds)
//     user_pw_file_path: "${DATABASE_PASSWORD_FILE_PATH:-/run/secrets/postgres_app_user_pw}"
//     user_pw_env_var: "${DATABASE_PASSWORD_ENV_VAR:-POSTGRES_APP_USER_PW}"
//     (app_db, owner_user, user, ro_user, environment_mode, echo: accepted, not used)
//
// Every string value is expanded with ${VAR} / ${VAR:-default}. Pool settings, later wins:
// the file's keys, then the seed 003 variables DATABASE_POOL_SIZE, DATABASE_MAX_OVERFLOW
// (also spelled DATABASE_POOL_MAX_OVERFLOW), DATABASE_POOL_TIMEOUT, DATABASE_POOL_RECYCLE,
// then `?pool_size=...` in database.url. The password, first found wins: the file named by
// user_pw_file_path, the variable named by user_pw_env_var, the URL's own.

namespace poolbench::pg {

/// Expands `${NAME}` (error if NAME is unset) and `${NAME:-default}` (default when NAME is
/// unset or empty; the default may itself contain ${...}). A `$` not followed by `{` is
/// literal. Throws InputError naming `place` for an unset variable, an unterminated `${` or
/// a bad name; the message names the variable, never echoes the text (it may hold a
/// password).
std::string expand_variables(std::string_view text, const EnvLookup& env, std::string_view place);

struct AppConfig {
  /// From database.url (absent when the file has none), with the password applied.
  std::optional<ConnectionTarget> target;
  PoolOverrides pool;
  /// Where the password came from, for display (never the password): e.g.
  /// "config.yaml: database.user_pw_file_path (/run/secrets/pw)"; empty when it is the
  /// URL's own or there is none.
  std::string password_source;
};

/// Parses config.yaml text. `file_label` names the file in messages ("config.yaml").
/// Throws InputError naming the file, the key (database.url) and the line where known.
AppConfig parse_app_config(std::string_view yaml_text, std::string_view file_label,
                           const EnvLookup& env);

/// Reads and parses a config file; InputError when it cannot be read.
AppConfig load_app_config(const std::filesystem::path& path, const EnvLookup& env);

}  // namespace poolbench::pg
