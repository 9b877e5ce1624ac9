#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cluster/binaries.hpp"
#include "cluster/postmaster.hpp"
#include "cluster/profile.hpp"
#include "cluster/runtime_dir.hpp"
#include "cluster/settings.hpp"
#include "cluster/verify.hpp"

// An embedded, ephemeral PostgreSQL cluster: started from a cached template, listening on
// 127.0.0.1 on a free port and on a Unix socket in its own directory, SCRAM (or trust) over
// TCP, optional TLS, always preloading pg_stat_statements, removed when done.

namespace poolbench::cluster {

enum class AuthMode { trust, scram };

/// "trust" or "scram" (also "scram-sha-256"); anything else is an InputError.
AuthMode parse_auth_mode(std::string_view text);

struct ClusterOptions {
  AuthMode auth = AuthMode::scram;
  /// TLS with a self-signed certificate generated at start (also turned on by a profile that
  /// sets ssl = on); the DSN then carries sslmode=require, else sslmode=disable, so connect
  /// costs are exactly plain or exactly TLS.
  bool ssl = false;
  std::optional<int> port;                 ///< default: a free port on 127.0.0.1
  std::optional<Profile> profile;          ///< applied before the first start, then verified
  std::optional<ServerBinaries> binaries;  ///< default: find_server_binaries()
  std::chrono::seconds start_timeout{60};
};

/// How Cluster::restart() stops the server: a fast shutdown (a checkpoint first) or an
/// immediate one (none: crash recovery at the start).
enum class Shutdown { fast, immediate };
/// What Cluster::apply_profile() does when a setting did not take effect.
enum class OnMismatch { fail, report };

/// What apply_profile() found, one check per profile setting.
struct ApplyResult {
  std::vector<SettingCheck> checks;
  bool restarted = false;
  bool all_match() const;
};

/// A profile did not take effect: names each setting (exit 1, the check failed).
class ProfileMismatch : public Error {
 public:
  ProfileMismatch(const std::string& message, std::vector<SettingCheck> checks)
      : Error(message, ExitCode::check_failed), m_checks(std::move(checks)) {}
  const std::vector<SettingCheck>& checks() const noexcept { return m_checks; }

 private:
  std::vector<SettingCheck> m_checks;
};

/// Owns one running server and its directory. The destructor stops it (fast, then immediate,
/// then SIGKILL, each with a bounded wait) and removes everything; an InterruptGuard stops it
/// on SIGINT/SIGTERM; a run killed outright leaves a directory that the next start removes.
/// When poolbench runs as root the server runs as `postgres` (else `nobody`).
///
/// Thread safety: stop() may be called from any thread (the signal thread does); the other
/// methods from one thread at a time. The thread that constructs the cluster must outlive it
/// (the server is told to quit when that thread dies: PR_SET_PDEATHSIG).
class Cluster {
 public:
  /// Starts the cluster. Throws InputError for a bad profile (before anything starts),
  /// RuntimeFailure when the server cannot be started (no binaries: what to install),
  /// ProfileMismatch when the profile does not take effect.
  explicit Cluster(ClusterOptions options = {});
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;
  ~Cluster();

  /// key=value conninfo for clients over TCP: host, port, user, dbname, passfile, sslmode. No
  /// secret in it: the password is in the mode-0600 passfile.
  std::string conninfo() const;
  /// The same as a URL: postgresql://poolbench@127.0.0.1:PORT/poolbench?passfile=...
  std::string dsn() const;
  /// dsn() as printed anywhere (it holds no secret; masked all the same).
  std::string masked_dsn() const;
  /// Superuser conninfo over the Unix socket (trust, reachable only by the server's user and
  /// root), for administration.
  std::string admin_conninfo() const;

  int port() const noexcept { return m_port; }
  std::filesystem::path data_dir() const;
  std::filesystem::path socket_dir() const;
  std::filesystem::path passfile() const;
  std::filesystem::path log_file() const;
  const std::string& server_version() const noexcept { return m_version; }
  const SettingsCatalog& catalog() const noexcept { return m_catalog; }
  AuthMode auth() const noexcept { return m_options.auth; }
  bool ssl() const noexcept { return m_ssl; }
  pid_t postmaster_pid() const noexcept;
  /// False once the server has exited (stopped, or died).
  bool running() noexcept;
  /// The profile applied last (empty name: none).
  const Profile& profile() const noexcept { return m_profile; }

  /// Fast (or immediate: no checkpoint, crash recovery at the start) shutdown and start
  /// again on the same port. Any thread. Throws RuntimeFailure.
  void restart(Shutdown mode = Shutdown::fast);
  /// Asks the server to reread its configuration (SIGHUP; takes effect asynchronously).
  void reload();
  /// Replaces the applied profile with `profile` (validated first: InputError): writes its
  /// settings, restarts when a changed setting needs it (postmaster context), else reloads,
  /// then reads pg_settings and verifies every setting in normalized units. A mismatch
  /// throws ProfileMismatch naming the settings (OnMismatch::fail) or is only reported in
  /// the result (OnMismatch::report).
  ApplyResult apply_profile(const Profile& profile, OnMismatch on_mismatch = OnMismatch::fail);

  /// Stops the server and removes its directory. Idempotent, noexcept, any thread.
  void stop() noexcept;

 private:
  void prepare_files();
  void write_harness_conf() const;
  void write_profile_conf(const Profile& profile) const;
  void ensure_certificate();
  void start_server();
  void set_password();
  /// The applied settings compared with `profile`'s, polled until they match or a bounded
  /// time passed (a reload takes effect asynchronously).
  ApplyResult verify(const Profile& profile);
  bool needs_restart(const Profile& from, const Profile& to) const;

  ClusterOptions m_options;
  ServerBinaries m_binaries;
  std::optional<RunAs> m_user;
  std::string m_version;
  SettingsCatalog m_catalog;
  Profile m_profile;
  bool m_ssl = false;
  int m_port = 0;
  std::string m_password;

  std::filesystem::path m_dir;  ///< the run directory's path (stays valid after stop())
  mutable std::mutex m_mutex;   ///< guards the server's lifecycle (stop vs restart)
  std::unique_ptr<RunDir> m_run_dir;
  std::unique_ptr<Postmaster> m_server;  ///< destroyed before m_run_dir
  int m_stop_id = 0;
  /// The thread that made the cluster. The server dies with the thread that started it
  /// (PR_SET_PDEATHSIG is per thread), so a restart asked for by another thread (a fault
  /// injector, which ends with its cell) starts the server on `m_launcher` instead, a thread
  /// that lives as long as the cluster.
  std::thread::id m_owner = std::this_thread::get_id();
  std::unique_ptr<class Launcher> m_launcher;
};

}  // namespace poolbench::cluster
