#include "cluster/template_cache.hpp"

#include <cstdlib>
#include <cstring>
#include <fstream>

#include <fcntl.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cluster/postmaster.hpp"
#include "cluster/runtime_dir.hpp"
#include "pg/session.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace poolbench::cluster {
namespace {

/// How long making the template may take: initdb, the first start, the final shutdown.
constexpr auto k_initdb_timeout = std::chrono::seconds(300);
constexpr auto k_template_start_timeout = std::chrono::seconds(120);
constexpr auto k_template_stop_timeout = std::chrono::seconds(60);

namespace fs = std::filesystem;

/// An flock held for the object's lifetime (released by close, also when the process dies).
class FileLock {
 public:
  explicit FileLock(const fs::path& file)
      : m_fd(::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
    if (!m_fd.valid() || ::flock(m_fd.get(), LOCK_EX) != 0) {
      throw RuntimeFailure(fmt::format("cannot lock {}: {}", file.string(), std::strerror(errno)));
    }
  }

 private:
  util::Fd m_fd;
};

std::string cache_key(const std::string& version, const fs::path& bindir) {
  // FNV-1a of the bin directory: two installations of one version get separate templates.
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const unsigned char c : bindir.string()) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return fmt::format("pg{}-{:08x}", version, static_cast<std::uint32_t>(hash));
}

void make_dir(const fs::path& dir, mode_t mode) {
  if (::mkdir(dir.c_str(), mode) != 0 && errno != EEXIST) {
    throw RuntimeFailure(fmt::format("cannot create {}: {}", dir.string(), std::strerror(errno)));
  }
}

ClusterTemplate read_template(const fs::path& entry, const std::string& version) {
  std::ifstream in(entry / "pg_settings.json");
  ClusterTemplate result;
  result.data_dir = entry / "data";
  result.version = version;
  try {
    result.catalog = SettingsCatalog::from_json(nlohmann::json::parse(in));
  } catch (const std::exception& e) {
    throw RuntimeFailure(fmt::format("corrupt template cache {} ({}); remove it and retry",
                                     entry.string(), e.what()));
  }
  return result;
}

/// initdb + one start to create the database and read pg_settings, into `staging`.
void build_template(const ServerBinaries& binaries, const std::optional<RunAs>& user,
                    const fs::path& staging) {
  const fs::path data = staging / "data";
  const auto init =
      run_command({binaries.initdb().string(), "-D", data.string(), "-U", k_cluster_user, "-A",
                   "trust", "-E", "UTF8", "--locale=C", "--no-sync"},
                  user, k_initdb_timeout);
  if (init.exit_code != 0) {
    throw RuntimeFailure(fmt::format("initdb failed (exit {}):\n{}", init.exit_code, init.output));
  }
  RunDir socket_dir(runtime_root());
  chown_tree(socket_dir.path(), user);
  write_owned_file(data / "postgresql.conf",
                   fmt::format("listen_addresses = ''\nport = 5432\n"
                               "unix_socket_directories = '{}'\n"
                               "shared_preload_libraries = 'pg_stat_statements'\n",
                               socket_dir.path().string()),
                   user);
  const fs::path log = staging / "template.log";
  Postmaster server(binaries, data, log, user);
  server.start(k_template_start_timeout);
  const std::string base =
      fmt::format("host={} port=5432 user={}", socket_dir.path().string(), k_cluster_user);
  SettingsCatalog catalog;
  {
    pg::Session::connect(base + " dbname=postgres")
        .exec(fmt::format("CREATE DATABASE {}", k_cluster_database));
    auto session = pg::Session::connect(fmt::format("{} dbname={}", base, k_cluster_database));
    session.exec("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
    catalog = SettingsCatalog::from_rows(session.query(SettingsCatalog::query()).rows);
  }
  if (catalog.find("shared_buffers") == nullptr) {
    throw RuntimeFailure("the template server's pg_settings is empty");
  }
  if (!server.stop_fast(k_template_stop_timeout)) {
    throw RuntimeFailure("the template server did not shut down");
  }
  std::ofstream out(staging / "pg_settings.json");
  out << catalog.to_json().dump(1) << '\n';
  if (!out) throw RuntimeFailure(fmt::format("cannot write {}/pg_settings.json", staging.string()));
}

/// Staging directories (.build-<pid>-<token>) of builds whose process is gone.
void remove_dead_builds(const fs::path& root) {
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(root, error)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with(".build-")) continue;
    const long pid = std::strtol(name.c_str() + 7, nullptr, 10);
    if (pid > 0 && !process_start_time(static_cast<pid_t>(pid)))
      fs::remove_all(entry.path(), error);
  }
}

}  // namespace

fs::path template_cache_root() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg == '/') {
    return fs::path(xdg) / "poolbench" / "templates";
  }
  return fmt::format("/var/tmp/poolbench-templates-{}", ::geteuid());
}

ClusterTemplate ensure_template(const ServerBinaries& binaries,
                                const std::optional<RunAs>& server_user) {
  const std::string version = server_version(binaries);
  const fs::path root = template_cache_root();
  std::error_code error;
  fs::create_directories(root.parent_path(), error);
  // 0755: when poolbench runs as root the server user builds the template inside.
  make_dir(root, 0755);
  struct stat info {};
  if (::lstat(root.c_str(), &info) != 0 || !S_ISDIR(info.st_mode) || info.st_uid != ::geteuid() ||
      (info.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    throw RuntimeFailure(fmt::format(
        "template cache {} is not a directory owned by this user and writable only by it",
        root.string()));
  }
  const fs::path entry = root / cache_key(version, binaries.bindir);
  if (fs::exists(entry / "pg_settings.json", error)) return read_template(entry, version);

  FileLock lock(entry.string() + ".lock");
  if (fs::exists(entry / "pg_settings.json", error)) return read_template(entry, version);
  remove_dead_builds(root);
  const fs::path staging = root / fmt::format(".build-{}-{}", ::getpid(), random_token(6));
  make_dir(staging, 0755);
  chown_tree(staging, server_user);
  try {
    build_template(binaries, server_user, staging);
    fs::rename(staging, entry);
  } catch (...) {
    fs::remove_all(staging, error);
    throw;
  }
  return read_template(entry, version);
}

}  // namespace poolbench::cluster
