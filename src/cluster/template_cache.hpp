#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "cluster/binaries.hpp"
#include "cluster/process.hpp"
#include "cluster/settings.hpp"

// A cached, initialized data directory per server version, so starting an embedded cluster
// is a copy instead of an initdb, plus that server's pg_settings (the catalog profiles are
// validated against). Safe across concurrent processes (an flock per cache entry; entries
// appear by atomic rename).

namespace poolbench::cluster {

struct ClusterTemplate {
  std::filesystem::path data_dir;  ///< initialized, cleanly shut down; never started from
  std::string version;             ///< "15.18"
  SettingsCatalog catalog;         ///< pg_settings with pg_stat_statements preloaded
};

/// $XDG_CACHE_HOME/poolbench/templates when XDG_CACHE_HOME is set, else
/// /var/tmp/poolbench-templates-<uid>.
std::filesystem::path template_cache_root();

/// The template for `binaries`, built on first use: initdb (superuser `poolbench`, UTF8, C
/// locale), database `poolbench` with the pg_stat_statements extension, pg_settings saved as
/// JSON next to it. Takes a few seconds once per server version; then only reads the cache.
/// The template does not depend on the auth mode: pg_hba.conf and the password are set per
/// cluster. Throws RuntimeFailure.
ClusterTemplate ensure_template(const ServerBinaries& binaries,
                                const std::optional<RunAs>& server_user);

/// The name of the superuser and database every embedded cluster has.
inline constexpr const char* k_cluster_user = "poolbench";
inline constexpr const char* k_cluster_database = "poolbench";

}  // namespace poolbench::cluster
