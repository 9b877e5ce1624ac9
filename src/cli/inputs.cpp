#include "cli/inputs.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <ostream>
#include <thread>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "cluster/scenarios_dir.hpp"
#include "pg/app_config.hpp"
#include "report/report.hpp"
#include "util/duration.hpp"
#include "util/error.hpp"

namespace poolbench::cli {
namespace {

/// Applies pool settings from config.yaml / the DSN unless --set gave the key (later wins:
/// --set is last).
void apply_overrides(scenario::Scenario& scenario, const pg::PoolOverrides& overrides) {
  auto from_set = [&](const char* key) {
    const auto it = scenario.origins.find(key);
    return it != scenario.origins.end() && it->second.file.starts_with("--set");
  };
  auto& p = scenario.pool.settings;
  auto take = [&](const char* key, const auto& override, auto& field) {
    if (override.value && !from_set(key)) {
      field = *override.value;
      scenario.origins[key] = scenario::SourceRef{override.source, 0, 0};
    }
  };
  take("pool.pool_size", overrides.pool_size, p.pool_size);
  take("pool.max_overflow", overrides.max_overflow, p.max_overflow);
  take("pool.pool_timeout", overrides.pool_timeout, p.pool_timeout);
  take("pool.pool_recycle", overrides.pool_recycle, p.pool_recycle);
  take("pool.pool_pre_ping", overrides.pool_pre_ping, p.pool_pre_ping);
}

}  // namespace

ResolvedInputs resolve_inputs(const InputFlags& flags) {
  ResolvedInputs inputs;
  std::vector<std::string> sets = flags.sets;
  // --profile is --set server.profile, so it also fixes a server.profile matrix axis.
  if (flags.profile) sets.push_back("server.profile=" + *flags.profile);
  inputs.scenario = scenario::load_scenario(flags.scenario, sets);
  inputs.env = pg::process_environment();
  inputs.dsn = pg::dsn_from_flag_or_env(flags.dsn, inputs.env);
  pg::PoolOverrides overrides;
  if (flags.app_config) {
    pg::AppConfig config = pg::load_app_config(*flags.app_config, inputs.env);
    overrides.merge(config.pool);
    if (!inputs.dsn && config.target) inputs.dsn = pg::ParsedDsn{*config.target, {}};
  }
  if (inputs.dsn) overrides.merge(inputs.dsn->pool);
  apply_overrides(inputs.scenario, overrides);
  if (const auto error = inputs.scenario.pool.settings.validation_error(); !error.empty()) {
    throw InputError(fmt::format("{}: pool: {}", inputs.scenario.file, error));
  }
  return inputs;
}

cluster::Profile load_scenario_profile(const scenario::Scenario& scenario,
                                       const InputFlags& flags) {
  try {
    return cluster::load_profile(scenario.server.profile, cluster::profiles_dir());
  } catch (const cluster::ProfileNameError& e) {
    if (flags.profile) throw InputError(fmt::format("--profile {}: {}", *flags.profile, e.what()));
    const auto origin = scenario.origins.find("server.profile");
    throw InputError(fmt::format(
        "{}: server.profile: {}",
        origin == scenario.origins.end() ? scenario.file : origin->second.to_string(), e.what()));
  }
}

void print_effective_settings(const scenario::Scenario& scenario, std::ostream& out) {
  const auto& p = scenario.pool.settings;
  auto origin = [&](const char* key) {
    const auto it = scenario.origins.find(key);
    return it == scenario.origins.end() ? std::string("default") : it->second.to_string();
  };
  fmt::print(out, "Pool settings (where each came from):\n");
  fmt::print(out, "  pool_size      {:<8} {}\n", p.pool_size, origin("pool.pool_size"));
  fmt::print(out, "  max_overflow   {:<8} {}\n", p.max_overflow, origin("pool.max_overflow"));
  fmt::print(out, "  pool_timeout   {:<8} {}\n", util::format_duration(p.pool_timeout),
             origin("pool.pool_timeout"));
  fmt::print(out, "  pool_recycle   {:<8} {}\n",
             p.pool_recycle.count() < 0 ? "-1" : util::format_duration(p.pool_recycle),
             origin("pool.pool_recycle"));
  fmt::print(out, "  pool_pre_ping  {:<8} {}\n", p.pool_pre_ping, origin("pool.pool_pre_ping"));
  fmt::print(out, "  fairness       {:<8} {}\n", pool::to_string(p.fairness),
             origin("pool.fairness"));
  fmt::print(out, "  instances      {:<8} {}\n", scenario.pool.instances, origin("pool.instances"));
}

void write_report_next_to(const nlohmann::json& results, const std::filesystem::path& results_file,
                          std::ostream& out, std::ostream& err) {
  try {
    report::ReportOptions options;
    options.source = results_file.string();
    const auto summary = report::write_report(results, results_file.parent_path(), options);
    fmt::print(out, "report:  {} (open it in a browser; summary.md for a pull request)\n",
               (results_file.parent_path() / "index.html").string());
    (void)summary;
  } catch (const Error& e) {
    fmt::print(err,
               "warning: the report could not be built ({}); rebuild it with: poolbench "
               "report {}\n",
               e.what(), results_file.string());
  }
}

std::optional<matrix::ShardPlan> resolve_shard(const ShardFlags& flags,
                                               std::chrono::microseconds settle) {
  if (!flags.shard) {
    if (flags.start_at)
      throw InputError("--start-at: only for a shard of a distributed run; add --shard I/N");
    return std::nullopt;
  }
  matrix::ShardPlan plan;
  plan.spec = matrix::parse_shard(*flags.shard);
  plan.settle = settle;
  if (flags.start_at) {
    plan.start_at = matrix::parse_start_at(*flags.start_at);
  } else if (plan.spec.count > 1) {
    throw InputError(
        "--shard: shards need a shared start: give every shard the same --start-at T (RFC 3339 "
        "UTC or Unix seconds, e.g. --start-at $(( $(date +%s) + 30 )))");
  } else {
    plan.start_at = matrix::WallClock::now();
  }
  return plan;
}

void require_shared_server(const std::optional<matrix::ShardPlan>& shard, bool embedded) {
  if (shard && embedded) {
    throw InputError(
        "--shard: the shards of a distributed run share one server: give it with --dsn URL or "
        "POOLBENCH_DSN (an embedded server belongs to one process; poolbench server runs one "
        "for several)");
  }
}

std::uint64_t shared_seed(std::uint64_t flag, const std::optional<matrix::ShardPlan>& shard) {
  if (flag != 0 || !shard) return seed_or_clock(flag);
  const auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(shard->start_at.time_since_epoch());
  return static_cast<std::uint64_t>(seconds.count()) | 1;  // never 0
}

std::string timestamp() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y%m%d-%H%M%S", &tm);
  return text;
}

std::string run_id(const std::string& scenario_name, std::uint64_t seed) {
  constexpr std::uint64_t k_seed_digits = 1'000'000;  // six decimal digits
  return fmt::format("{}-{}", scenario_name, seed % k_seed_digits);
}

int worker_threads(int flag) {
  return flag > 0 ? flag : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

std::uint64_t seed_or_clock(std::uint64_t flag) {
  return flag != 0 ? flag
                   : static_cast<std::uint64_t>(
                         std::chrono::system_clock::now().time_since_epoch().count());
}

}  // namespace poolbench::cli
