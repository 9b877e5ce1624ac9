#include "matrix/servers.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cluster/binaries.hpp"
#include "cluster/process.hpp"
#include "cluster/template_cache.hpp"
#include "cluster/verify.hpp"
#include "matrix/budget_check.hpp"
#include "pg/masking.hpp"
#include "pg/session.hpp"
#include "util/error.hpp"

namespace poolbench::matrix {
namespace {

/// A value for libpq's `options` keyword: spaces and backslashes escaped with a backslash.
std::string escape_option(std::string_view value) {
  std::string out;
  for (const char c : value) {
    if (c == ' ' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

/// Settings a session can SET: context user, or superuser when connected as one.
bool session_settable(const cluster::SettingInfo* info, bool superuser) {
  return info != nullptr &&
         (info->context == "user" || (superuser && info->context == "superuser"));
}

/// What results.json records of the server a cell ran on: its version, the connection
/// limits the seeds' max_connections budget needs, and the memory settings seed 000's memory
/// rules speak of and the checkpoint settings of its WAL rows, as SHOW prints them (whether
/// the profile sets them or not).
nlohmann::json server_info(pg::Session& session, const cluster::ConnectionBudget& limits,
                           bool embedded) {
  const auto show = [&](const char* name) {
    return session.query(fmt::format("SHOW {}", name)).rows.at(0).at(0).value_or("?");
  };
  nlohmann::json memory = nlohmann::json::object();
  for (const char* name :
       {"shared_buffers", "effective_cache_size", "work_mem", "maintenance_work_mem"}) {
    memory[name] = show(name);
  }
  // What seed 000's WAL and Checkpoints rows are judged against (server_claims.hpp).
  const nlohmann::json wal = {{"max_wal_size", show("max_wal_size")},
                              {"checkpoint_timeout", show("checkpoint_timeout")}};
  return {{"version", show("server_version")},
          {"max_connections", limits.max_connections},
          {"superuser_reserved_connections", limits.superuser_reserved_connections},
          {"reserved_connections", limits.reserved_connections},
          {"harness_connections", k_harness_connections},
          {"memory", memory},
          {"wal", wal},
          {"embedded", embedded}};
}

}  // namespace

std::string profile_dsn_variable(std::string_view profile_name) {
  std::string name = "POOLBENCH_DSN_";
  for (const char c : profile_name) {
    if (c >= 'a' && c <= 'z') {
      name += static_cast<char>(c - 'a' + 'A');
    } else if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
      name += c;
    } else {
      name += '_';
    }
  }
  return name;
}

bool runs_embedded(const std::optional<pg::ParsedDsn>& dsn,
                   const std::vector<cluster::Profile>& profiles, const pg::EnvLookup& env) {
  if (dsn) return false;
  for (const auto& profile : profiles) {
    if (!env) break;
    const auto value = env(profile_dsn_variable(profile.name));
    if (value && !value->empty()) return false;
  }
  return true;
}

void check_embedded_profiles(const std::vector<cluster::Profile>& profiles) {
  std::optional<cluster::ServerBinaries> binaries;
  try {
    binaries = cluster::find_server_binaries();
  } catch (const RuntimeFailure&) {
    return;  // starting the cluster reports it, with what to install
  }
  const cluster::ClusterTemplate tpl = cluster::ensure_template(*binaries, cluster::server_user());
  for (const auto& profile : profiles) cluster::validate_profile(profile, tpl.catalog);
}

Servers::Servers(ServerOptions options) : m_options(std::move(options)) {}

Servers::~Servers() = default;

void Servers::note(const std::string& line) const {
  if (m_options.note) m_options.note(line);
}

std::optional<pg::ParsedDsn> Servers::dsn_for(const cluster::Profile& profile) const {
  const std::string variable = profile_dsn_variable(profile.name);
  if (m_options.env) {
    if (const auto value = m_options.env(variable); value && !value->empty()) {
      return pg::parse_dsn(*value, variable);
    }
  }
  return m_options.dsn;
}

void Servers::verify_all(const std::vector<cluster::Profile>& profiles) {
  m_embedded = runs_embedded(m_options.dsn, profiles, m_options.env);
  if (!m_embedded) {
    for (const auto& profile : profiles) {
      if (m_external.count(profile.name)) continue;
      if (!dsn_for(profile)) {
        throw InputError(fmt::format(
            "server.profile {}: no server for this profile: other profiles run on --dsn servers, "
            "so set {} (or --dsn / POOLBENCH_DSN for all of them)",
            profile.name, profile_dsn_variable(profile.name)));
      }
      m_external.emplace(profile.name, prepare_external(profile));
    }
    return;
  }
  if (profiles.empty()) return;
  note(fmt::format("Starting an embedded PostgreSQL (profile {})...", profiles.front().name));
  cluster::ClusterOptions options;
  options.auth = m_options.auth == scenario::ServerAuth::trust ? cluster::AuthMode::trust
                                                               : cluster::AuthMode::scram;
  options.ssl = m_options.ssl;
  options.profile = profiles.front();
  m_cluster = std::make_unique<cluster::Cluster>(options);
  note(fmt::format("Embedded PostgreSQL {} at {}", m_cluster->server_version(),
                   m_cluster->masked_dsn()));
  for (const auto& profile : profiles) cluster::validate_profile(profile, m_cluster->catalog());
}

const ServerTarget& Servers::use(const cluster::Profile& profile) {
  if (!m_embedded) {
    const auto it = m_external.find(profile.name);
    if (it == m_external.end()) {
      m_external.emplace(profile.name, prepare_external(profile));
      return m_external.at(profile.name);
    }
    return it->second;
  }
  if (!m_cluster) verify_all({profile});
  if (m_cluster->profile().name != profile.name || m_current.target.params().empty()) {
    if (m_cluster->profile().name != profile.name) {
      const auto applied = m_cluster->apply_profile(profile);
      note(fmt::format("Embedded PostgreSQL: profile {} applied ({}), {} settings verified",
                       profile.name, applied.restarted ? "restarted" : "reloaded",
                       applied.checks.size()));
    }
    m_current = describe_embedded(profile);
  }
  return m_current;
}

ServerTarget Servers::describe_embedded(const cluster::Profile& profile) {
  ServerTarget server;
  server.target = pg::parse_dsn(m_cluster->conninfo(), "embedded cluster").target;
  server.masked = "embedded";
  server.embedded = true;
  try {
    auto session = pg::Session::connect(server.target.conninfo());
    for (const auto& check : cluster::compare_settings(session, profile, m_cluster->catalog(),
                                                       cluster::ServerKind::embedded)) {
      server.settings[check.name] = check.actual;
    }
    server.limits = cluster::read_connection_limits(session);
    server.info = server_info(session, server.limits, server.embedded);
  } catch (const pg::PgError& e) {
    throw RuntimeFailure(fmt::format("embedded PostgreSQL: {}", e.what()));
  }
  return server;
}

ServerTarget Servers::prepare_external(const cluster::Profile& profile) {
  const pg::ParsedDsn dsn = *dsn_for(profile);
  ServerTarget server;
  server.target = dsn.target;
  server.masked = dsn.target.masked();
  const auto runtime_failure = [&](const pg::PgError& e) {
    return RuntimeFailure(
        pg::mask_secret(pg::mask_message(e.what(), dsn.target.conninfo()), dsn.target.password()));
  };
  try {
    auto session = pg::Session::connect(server.target.conninfo());
    const auto catalog =
        cluster::SettingsCatalog::from_rows(session.query(cluster::SettingsCatalog::query()).rows);
    cluster::validate_profile(profile, catalog);
    const bool superuser =
        session.query("SHOW is_superuser").rows.at(0).at(0).value_or("off") == "on";
    std::string options = server.target.get("options").value_or("");
    for (const auto& check :
         cluster::compare_settings(session, profile, catalog, cluster::ServerKind::other)) {
      if (check.matches || !session_settable(catalog.find(check.name), superuser)) continue;
      const auto* setting = profile.find(check.name);
      if (!options.empty()) options += ' ';
      options += "-c " + check.name + "=" + escape_option(setting->value);
      server.session_settings.push_back(check.name);
    }
    if (!server.session_settings.empty()) {
      server.target.set("options", options);
      session = pg::Session::connect(server.target.conninfo());
    }
    const auto checks =
        cluster::compare_settings(session, profile, catalog, cluster::ServerKind::other);
    if (const std::string mismatch = cluster::mismatch_message(checks); !mismatch.empty()) {
      throw InputError(fmt::format(
          "server.profile {}: the server at {} ({}) does not match the profile, and poolbench "
          "cannot change a --dsn server's configuration (settings a session may set are set "
          "per connection):\n{}",
          profile.name, server.masked, dsn.target.source(), mismatch));
    }
    for (const auto& check : checks) server.settings[check.name] = check.actual;
    server.limits = cluster::read_connection_limits(session);
    server.info = server_info(session, server.limits, server.embedded);
    if (!server.session_settings.empty()) server.info["session_settings"] = server.session_settings;
  } catch (const pg::PgError& e) {
    throw runtime_failure(e);
  }
  if (!server.session_settings.empty()) {
    note(fmt::format("profile {}: set per connection on {}: {}", profile.name, server.masked,
                     fmt::join(server.session_settings, ", ")));
  }
  return server;
}

}  // namespace poolbench::matrix
