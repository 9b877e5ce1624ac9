// `poolbench profiles list | show NAME | check NAME [--dsn URL]`.

#include <algorithm>
#include <ostream>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "cli/command.hpp"
#include "cli/options.hpp"
#include "cluster/binaries.hpp"
#include "cluster/budget.hpp"
#include "cluster/cluster.hpp"
#include "cluster/process.hpp"
#include "cluster/profile.hpp"
#include "cluster/scenarios_dir.hpp"
#include "cluster/signals.hpp"
#include "cluster/template_cache.hpp"
#include "cluster/verify.hpp"
#include "pg/dsn.hpp"
#include "pg/masking.hpp"
#include "pg/session.hpp"
#include "util/error.hpp"

namespace po = boost::program_options;

namespace poolbench::cli {
namespace {

constexpr const char* k_profiles_help = R"(Usage: poolbench profiles list
       poolbench profiles show NAME[+NAME...]
       poolbench profiles check NAME[+NAME...] [--dsn URL]

postgresql.conf profiles: the seeds' tuning tables as files in scenarios/profiles/*.conf
(default, ssd, hdd, mem-8gb, mem-16gb, wal-write-heavy, wal-read-heavy, parallel, prod,
prod-hardened). NAME is a shipped name or a path to your own .conf excerpt; compose with
'+', later names win (ssd+wal-write-heavy).

  list    each shipped profile with its one-line description
  show    the resolved settings, validated against the server's pg_settings: the value,
          its normalized form, and whether changing it needs a restart or a reload
  check   embedded (no --dsn, no POOLBENCH_DSN): starts a PostgreSQL of its own, applies
          the profile (restarting when a setting needs it), then prints every setting with
          the server's value and whether they match, in normalized units (512MB == 65536
          x 8kB). With --dsn: only compares with that server, changes nothing.
          Also prints the seeds' memory rules for this host (shared_buffers ~25% of RAM,
          effective_cache_size ~75%, work_mem x max_connections worst case) as warnings.

Options:
  --dsn URL   server to compare with (libpq URL or key=value; also POOLBENCH_DSN)
  -h, --help  this text

Examples:
  poolbench profiles list
  poolbench profiles show prod
  poolbench profiles check ssd
  poolbench profiles check ssd+wal-write-heavy
  poolbench profiles check ./my-postgresql.conf --dsn postgresql://bench@db:5432/bench

Exit codes: 0 every setting matches; 1 a setting does not match (check); 2 bad profile
(unknown parameter, bad value, type, unit or range, unreadable file: the message names
file:line) or bad usage; 3 the server could not be started or reached.
)";

std::string context_word(const std::string& context) {
  if (context == "postmaster") return "restart";
  if (context == "sighup") return "reload";
  if (context == "internal") return "fixed";
  return "session";
}

/// The catalog of the local server binaries (builds the template on first use), or nullopt
/// when this machine has no PostgreSQL server.
std::optional<cluster::ClusterTemplate> local_template() {
  std::optional<cluster::ServerBinaries> binaries;
  try {
    binaries = cluster::find_server_binaries();
  } catch (const RuntimeFailure&) {
    return std::nullopt;
  }
  return cluster::ensure_template(*binaries, cluster::server_user());
}

int run_list(Io io) {
  const auto dir = cluster::profiles_dir();
  const auto entries = cluster::list_profiles(dir);
  if (entries.empty()) {
    throw RuntimeFailure(fmt::format(
        "no profiles found in {} (set POOLBENCH_SCENARIOS_DIR to the scenarios/ directory)",
        dir.string()));
  }
  std::size_t width = 0;
  for (const auto& entry : entries) width = std::max(width, entry.name.size());
  fmt::print(io.out, "Profiles in {}:\n", dir.string());
  for (const auto& entry : entries) {
    fmt::print(io.out, "  {:<{}}  {}\n", entry.name, width, entry.description);
  }
  fmt::print(io.out,
             "\nCompose with '+' (later names win): poolbench profiles check ssd+wal-write-heavy\n"
             "Any .conf file works too: poolbench profiles check ./my-postgresql.conf\n");
  return 0;
}

int run_show(const std::string& name, Io io) {
  const auto profile = cluster::load_profile(name, cluster::profiles_dir());
  const auto tpl = local_template();
  if (tpl) cluster::validate_profile(profile, tpl->catalog);
  fmt::print(io.out, "Profile {}", profile.name);
  for (std::size_t i = 0; i < profile.files.size(); ++i) {
    fmt::print(io.out, "{}{}", i == 0 ? " (" : ", ", profile.files[i].string());
  }
  fmt::print(io.out, ")\n");
  if (profile.settings.empty()) {
    fmt::print(io.out, "  no settings: PostgreSQL's defaults\n");
    return 0;
  }
  std::size_t width = 0;
  for (const auto& s : profile.settings) width = std::max(width, s.name.size());
  for (const auto& setting : profile.settings) {
    std::string detail;
    if (tpl) {
      const auto* info = tpl->catalog.find(setting.name);
      const auto parsed = cluster::parse_value(*info, setting.value);
      detail = fmt::format("{:<12} {:<8}", cluster::display_value(*info, *parsed.value),
                           context_word(info->context));
    }
    fmt::print(io.out, "  {:<{}} = {:<20} {}{}\n", setting.name, width, setting.value, detail,
               setting.where());
  }
  if (tpl) {
    fmt::print(io.out,
               "Validated against PostgreSQL {}'s pg_settings (normalized value, and "
               "what a change needs).\n",
               tpl->version);
  } else {
    fmt::print(io.out, "Not validated: no PostgreSQL server binaries on this machine.\n");
  }
  return 0;
}

void print_checks(const std::vector<cluster::SettingCheck>& checks, Io io) {
  std::size_t name_width = 7;
  std::size_t value_width = 7;
  for (const auto& c : checks) {
    name_width = std::max(name_width, c.name.size());
    value_width =
        std::max({value_width, c.expected.size(), std::min<std::size_t>(c.actual.size(), 40)});
  }
  fmt::print(io.out, "  {:<{}}  {:<{}}  {:<{}}  match\n", "setting", name_width, "profile",
             value_width, "server", value_width);
  for (const auto& c : checks) {
    fmt::print(io.out, "  {:<{}}  {:<{}}  {:<{}}  {}{}\n", c.name, name_width, c.expected,
               value_width, c.actual, value_width, c.matches ? "yes" : "NO",
               c.note.empty() ? "" : "  (" + c.note + ")");
  }
}

void print_memory_rules(pg::Session& session, Io io, cluster::ServerKind kind) {
  const auto settings = cluster::read_memory_settings(session);
  const double ram = cluster::host_ram_bytes();
  fmt::print(io.out, "Memory rules of the seeds for this host ({} RAM){}:\n",
             cluster::format_bytes(ram),
             kind == cluster::ServerKind::other ? "; the --dsn server may be another machine" : "");
  for (const auto& finding : cluster::evaluate_memory_rules(settings, ram)) {
    fmt::print(io.out, "  {}{}\n", finding.warning ? "warning: " : "", finding.message);
  }
}

int report(const cluster::Profile& profile, const std::vector<cluster::SettingCheck>& checks,
           Io io) {
  print_checks(checks, io);
  const auto bad =
      std::count_if(checks.begin(), checks.end(), [](const auto& c) { return !c.matches; });
  if (checks.empty()) {
    fmt::print(io.out, "Result: profile {} sets nothing (PostgreSQL's defaults).\n", profile.name);
    return 0;
  }
  if (bad == 0) {
    fmt::print(io.out, "Result: all {} settings match.\n", checks.size());
    return 0;
  }
  fmt::print(io.out, "Result: {} of {} settings do not match:\n{}\n", bad, checks.size(),
             cluster::mismatch_message(checks));
  return static_cast<int>(ExitCode::check_failed);
}

int check_remote(const cluster::Profile& profile, const pg::ParsedDsn& dsn, Io io) {
  const auto& target = dsn.target;
  try {
    auto session = pg::Session::connect(target.conninfo());
    const auto catalog =
        cluster::SettingsCatalog::from_rows(session.query(cluster::SettingsCatalog::query()).rows);
    cluster::validate_profile(profile, catalog);
    const auto version = session.query("SHOW server_version");
    fmt::print(io.out, "Profile {} compared with {} (PostgreSQL {}); nothing is changed there\n",
               profile.name, target.masked(), version.rows.at(0).at(0).value_or("?"));
    const auto checks =
        cluster::compare_settings(session, profile, catalog, cluster::ServerKind::other);
    const int code = report(profile, checks, io);
    print_memory_rules(session, io, cluster::ServerKind::other);
    return code;
  } catch (const pg::PgError& e) {
    throw RuntimeFailure(
        pg::mask_secret(pg::mask_message(e.what(), target.conninfo()), target.password()));
  }
}

int check_embedded(const cluster::Profile& profile, Io io) {
  cluster::InterruptGuard guard;
  try {
    const auto tpl = local_template();
    if (tpl) cluster::validate_profile(profile, tpl->catalog);  // exit 2 before any start
    cluster::Cluster server;
    const auto result = server.apply_profile(profile, cluster::OnMismatch::report);
    fmt::print(io.out, "Profile {} applied to an embedded PostgreSQL {} ({}){}\n", profile.name,
               server.server_version(), server.masked_dsn(),
               result.restarted ? ", restarted for it" : ", reloaded");
    const int code = report(profile, result.checks, io);
    auto session = pg::Session::connect(server.admin_conninfo());
    print_memory_rules(session, io, cluster::ServerKind::embedded);
    if (guard.interrupted()) throw RuntimeFailure("interrupted");
    return code;
  } catch (const Error&) {
    if (guard.interrupted()) {
      io.err << "poolbench profiles: interrupted; the embedded server was stopped\n";
      return static_cast<int>(ExitCode::interrupted);
    }
    throw;
  }
}

int run_profiles(const std::vector<std::string>& args, Io io) {
  po::options_description options("profiles");
  options.add_options()("help,h", "")("dsn", po::value<std::string>(), "")(
      "action", po::value<std::string>(), "")("name", po::value<std::string>(), "");
  po::positional_options_description positional;
  positional.add("action", 1).add("name", 1);
  const auto values = parse_options("profiles", options, positional, args);
  if (values.count("help") != 0U) {
    io.out << k_profiles_help;
    return 0;
  }
  if (values.count("action") == 0U) {
    throw InputError(
        "poolbench profiles: expected list, show NAME or check NAME\n"
        "Run 'poolbench profiles --help'.");
  }
  const std::string action = values["action"].as<std::string>();
  const bool has_name = values.count("name") != 0U;
  if (action == "list") {
    if (has_name) throw InputError("poolbench profiles list: takes no NAME");
    return run_list(io);
  }
  if (action != "show" && action != "check") {
    throw InputError(
        fmt::format("poolbench profiles: unknown action '{}' (expected list, show or check)\n"
                    "Run 'poolbench profiles --help'.",
                    action));
  }
  if (!has_name) {
    throw InputError(
        fmt::format("poolbench profiles {}: missing NAME (e.g. ssd, or "
                    "ssd+wal-write-heavy)\nRun 'poolbench profiles list'.",
                    action));
  }
  const std::string name = values["name"].as<std::string>();
  if (action == "show") {
    if (values.count("dsn") != 0U) throw InputError("poolbench profiles show: takes no --dsn");
    return run_show(name, io);
  }
  std::optional<std::string> flag;
  if (values.count("dsn") != 0U) flag = values["dsn"].as<std::string>();
  const auto dsn = pg::dsn_from_flag_or_env(flag, pg::process_environment());
  const auto profile = cluster::load_profile(name, cluster::profiles_dir());
  return dsn ? check_remote(profile, *dsn, io) : check_embedded(profile, io);
}

}  // namespace

Command profiles_command() {
  return {"profiles", "profiles list|show NAME|check NAME [--dsn URL]",
          "list, show and check postgresql.conf profiles (embedded server or --dsn)", run_profiles};
}

}  // namespace poolbench::cli
