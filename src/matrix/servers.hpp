#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "cluster/budget.hpp"
#include "cluster/cluster.hpp"
#include "cluster/profile.hpp"
#include "pg/dsn.hpp"
#include "pg/environment.hpp"
#include "scenario/scenario.hpp"

// The servers cells run against: one embedded cluster whose profile is switched between
// cells (restarted only when a changed setting needs it), or --dsn servers, one per profile
// (POOLBENCH_DSN_<PROFILE>, else the --dsn / POOLBENCH_DSN one) that are only compared and
// configured per connection, never changed.

namespace poolbench::matrix {

/// A server with one profile in force, ready for a cell's connections.
struct ServerTarget {
  /// What the pools connect with. For --dsn servers it carries `options=-c name=value` for
  /// the profile's settings a session may set. Holds the password: never print it.
  pg::ConnectionTarget target;
  std::string masked;  ///< the DSN as results.json and the console show it ("embedded")
  bool embedded = false;
  std::map<std::string, std::string> settings;  ///< the profile's settings as SHOW prints them
  std::vector<std::string> session_settings;    ///< names set per connection (--dsn only)
  nlohmann::json info;                          ///< results.json "server"
  cluster::ConnectionBudget limits;             ///< max_connections and reserved; pool fields unset
};

struct ServerOptions {
  std::optional<pg::ParsedDsn> dsn;                         ///< --dsn, POOLBENCH_DSN or config.yaml
  pg::EnvLookup env;                                        ///< for POOLBENCH_DSN_<PROFILE>
  scenario::ServerAuth auth = scenario::ServerAuth::scram;  ///< embedded only
  bool ssl = false;                                         ///< embedded only
  /// One line for the console ("Starting an embedded PostgreSQL ..."); may be empty.
  std::function<void(const std::string&)> note;
};

/// "POOLBENCH_DSN_SSD" for "ssd", "POOLBENCH_DSN_SSD_WAL_WRITE_HEAVY" for
/// "ssd+wal-write-heavy": upper case, every other character than A-Z and 0-9 is '_'.
std::string profile_dsn_variable(std::string_view profile_name);

/// True when neither `dsn` nor a POOLBENCH_DSN_<PROFILE> of any of `profiles` names a
/// server: an embedded cluster runs them all.
bool runs_embedded(const std::optional<pg::ParsedDsn>& dsn,
                   const std::vector<cluster::Profile>& profiles, const pg::EnvLookup& env);

/// For an embedded cluster: validates `profiles` against the local server's pg_settings (the
/// cached template's, built once per server version), so an unknown parameter or a bad value
/// is bad input before anything starts or is printed. Does nothing when no server binaries
/// are found (starting the cluster then says what is missing). Throws InputError, or
/// RuntimeFailure when the template cannot be built.
void check_embedded_profiles(const std::vector<cluster::Profile>& profiles);

/// Owns the embedded cluster (if any) and the per-profile connection targets.
/// Not thread-safe: one thread uses it.
class Servers {
 public:
  explicit Servers(ServerOptions options);
  Servers(const Servers&) = delete;
  Servers& operator=(const Servers&) = delete;
  ~Servers();

  /// True when no --dsn, POOLBENCH_DSN or POOLBENCH_DSN_<PROFILE> names a server for any of
  /// `profiles`: an embedded cluster will run them all.
  bool embedded() const noexcept { return m_embedded; }

  /// Checks every profile before anything runs: for --dsn servers, connects, sets what a
  /// session may set and compares the rest (a mismatch is an InputError listing each
  /// setting); for the embedded cluster, starts it with the first profile and validates the
  /// others against its pg_settings. Throws InputError (bad profile, mismatch, no server for
  /// a profile) or RuntimeFailure (unreachable, failed to start).
  void verify_all(const std::vector<cluster::Profile>& profiles);

  /// Puts `profile` in force (embedded: applies it, restarting if needed, and verifies) and
  /// returns the target for its cells. Valid until the next call.
  const ServerTarget& use(const cluster::Profile& profile);

  /// The embedded cluster, or nullptr.
  cluster::Cluster* cluster() noexcept { return m_cluster.get(); }

 private:
  ServerTarget prepare_external(const cluster::Profile& profile);
  ServerTarget describe_embedded(const cluster::Profile& profile);
  std::optional<pg::ParsedDsn> dsn_for(const cluster::Profile& profile) const;
  void note(const std::string& line) const;

  ServerOptions m_options;
  bool m_embedded = true;
  std::unique_ptr<cluster::Cluster> m_cluster;
  std::map<std::string, ServerTarget> m_external;  ///< by profile name
  ServerTarget m_current;
};

}  // namespace poolbench::matrix
