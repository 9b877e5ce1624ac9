#pragma once

#include <string>
#include <vector>

#include "cluster/budget.hpp"
#include "cluster/profile.hpp"
#include "cluster/settings.hpp"
#include "pg/session.hpp"

// Comparing a profile with what a running server actually has (pg_settings), for the
// embedded cluster (after applying) and for --dsn servers (compare only).

namespace poolbench::cluster {

struct SettingCheck {
  std::string name;
  std::string expected;  ///< the profile's value as written ("512MB")
  std::string actual;    ///< the server's value as SHOW prints it ("512MB"), or "(absent)"
  std::string where;     ///< profile file:line
  bool matches = false;  ///< compared in normalized units (512MB == 65536 x 8kB)
  std::string note;      ///< e.g. "set by the embedded server (skipped)", "pending restart"
};

/// Which server compare_settings() reads: the embedded one, whose harness sets some settings
/// itself, or any other.
enum class ServerKind { embedded, other };

/// Reads pg_settings once for every setting of `profile` and compares. On the embedded
/// server the harness-owned settings (is_harness_setting) are skipped instead of compared,
/// and shared_preload_libraries means "contains the profile's libraries" (the harness adds
/// pg_stat_statements). Throws PgError.
std::vector<SettingCheck> compare_settings(pg::Session& session, const Profile& profile,
                                           const SettingsCatalog& catalog, ServerKind server);

/// The checks that do not match, named in one message ("shared_buffers: profile 512MB,
/// server 128MB (prod.conf:9)"), empty when all match.
std::string mismatch_message(const std::vector<SettingCheck>& checks);

/// shared_buffers, effective_cache_size, work_mem (bytes) and max_connections from the
/// server. Throws PgError.
MemorySettings read_memory_settings(pg::Session& session);

/// A budget with the server's max_connections, superuser_reserved_connections and (PostgreSQL
/// >= 16) reserved_connections filled in; the pool fields keep their defaults.
ConnectionBudget read_connection_limits(pg::Session& session);

}  // namespace poolbench::cluster
