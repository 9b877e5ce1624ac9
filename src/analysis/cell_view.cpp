#include "analysis/cell_view.hpp"

#include <cmath>
#include <string>

#include <fmt/format.h>

#include "analysis/sizing.hpp"
#include "analysis/validity.hpp"
#include "util/duration.hpp"

namespace poolbench::analysis::detail {
namespace {

using nlohmann::json;

/// Params that are pool settings: cells differing only in these form one group.
bool is_pool_setting_param(const std::string& key) {
  return key == "pool_size" || key == "max_overflow" || key == "pool_timeout_s" ||
         key == "pool.pool_size" || key == "pool.max_overflow" || key == "pool.pool_timeout";
}

/// A cell's param by key path, else the scenario's value at that path.
const json& param_or_scenario(const json& params, const json& scenario, const std::string& path) {
  if (params.is_object()) {
    const auto it = params.find(path);
    if (it != params.end()) return *it;
  }
  return at_path(scenario, path);
}

double num_or(const json& value, double fallback) {
  return number(value).value_or(fallback);
}

std::string as_text(const json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

/// "development+testing" -> {"development", "testing"}.
std::vector<std::string> split_plus(const std::string& text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto plus = text.find('+', start);
    const std::string part = text.substr(start, plus == std::string::npos ? plus : plus - start);
    if (!part.empty()) parts.push_back(part);
    if (plus == std::string::npos) break;
    start = plus + 1;
  }
  return parts;
}

/// SQLAlchemy's QueuePool defaults, for results that do not say.
constexpr double k_sqlalchemy_pool_size = 5;
constexpr double k_sqlalchemy_max_overflow = 10;
constexpr double k_sqlalchemy_pool_timeout_s = 30;
/// The one-sided normal quantile of 1e-4: an open-loop cell that served everything offered
/// falls this many Poisson standard deviations short with probability 1e-4.
constexpr double k_shortfall_z = 3.719;

}  // namespace

std::optional<double> number(const json& value) {
  if (value.is_number()) return value.get<double>();
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    try {
      std::size_t used = 0;
      const double parsed = std::stod(text, &used);
      if (used == text.size() && std::isfinite(parsed)) return parsed;
    } catch (const std::exception&) {
    }
  }
  return std::nullopt;
}

std::optional<double> seconds(const json& value) {
  if (value.is_number()) return value.get<double>();
  if (value.is_string()) {
    if (const auto d = util::parse_duration(value.get<std::string>())) return util::to_seconds(*d);
  }
  return std::nullopt;
}

const json& at_path(const json& object, std::string_view path) {
  static const json k_null;
  const json* node = &object;
  while (!path.empty()) {
    const auto dot = path.find('.');
    const std::string key(path.substr(0, dot));
    if (!node->is_object()) return k_null;
    const auto it = node->find(key);
    if (it == node->end()) return k_null;
    node = &*it;
    path = dot == std::string_view::npos ? std::string_view{} : path.substr(dot + 1);
  }
  return *node;
}

namespace {

/// The pool settings, profile, load and group of a cell (its params, else the scenario's).
void read_settings(CellView& view, const json& params, const json& scenario) {
  view.pool_size =
      static_cast<int>(num_or(param_or_scenario(params, scenario, "pool_size"),
                              num_or(at_path(scenario, "pool.pool_size"), k_sqlalchemy_pool_size)));
  view.max_overflow = static_cast<int>(
      num_or(param_or_scenario(params, scenario, "max_overflow"),
             num_or(at_path(scenario, "pool.max_overflow"), k_sqlalchemy_max_overflow)));
  if (const auto t =
          number(params.is_object() && params.contains("pool_timeout_s") ? params["pool_timeout_s"]
                                                                         : json())) {
    view.pool_timeout_s = *t;
  } else {
    view.pool_timeout_s =
        seconds(at_path(scenario, "pool.pool_timeout")).value_or(k_sqlalchemy_pool_timeout_s);
  }
  view.instances = std::max(
      1, static_cast<int>(num_or(param_or_scenario(params, scenario, "pool.instances"), 1)));
  view.total = pool_total(view.pool_size, view.max_overflow);
  if (params.is_object() && params.contains("profile")) {
    view.profile = as_text(params["profile"]);
  } else {
    const json& profile = param_or_scenario(params, scenario, "server.profile");
    view.profile = profile.is_null() ? "default" : as_text(profile);
  }
  const json& mode = param_or_scenario(params, scenario, "workload.mode");
  const std::string mode_text = mode.is_string() ? mode.get<std::string>() : "";
  // Replay's arrivals come from the trace, whatever the pool does: open loop, no rate.
  view.replay = mode_text == "replay";
  view.open_loop = mode_text == "open" || view.replay;
  if (view.replay) {
    view.replay_speed = number(param_or_scenario(params, scenario, "replay.speed"));
  } else if (view.open_loop) {
    view.rate_rps = number(param_or_scenario(params, scenario, "workload.rate"));
  } else {
    view.clients = number(param_or_scenario(params, scenario, "workload.clients"));
    view.think_time_s =
        seconds(param_or_scenario(params, scenario, "workload.think_time")).value_or(0);
  }
  const json& checkout = param_or_scenario(params, scenario, "request.checkout");
  view.per_statement = checkout.is_string() && checkout.get<std::string>() == "per_statement";
  const json& environment = param_or_scenario(params, scenario, "workload.environment");
  if (environment.is_string() && environment.get<std::string>() != "none") {
    view.environments = split_plus(environment.get<std::string>());
  }
}

void read_group(CellView& view, const json& params) {
  view.group_params = json::object();
  std::string key;
  if (params.is_object()) {
    for (const auto& [name, value] : params.items()) {
      if (is_pool_setting_param(name)) continue;
      view.group_params[name] = value;
      if (name.find('.') == std::string::npos) continue;  // matrix axes are key paths
      key += fmt::format("{}{}={}", key.empty() ? "" : ",", name, as_text(value));
    }
  }
  view.group_key = key;
  view.group_identity = view.group_params.dump();
}

void read_summary(CellView& view, const json& s) {
  view.timeouts = static_cast<long long>(num_or(s.value("timeouts", json()), 0));
  view.refused_connections =
      static_cast<long long>(num_or(at_path(s, "errors_by_sqlstate.53300"), 0));
  view.completed = static_cast<long long>(num_or(s.value("completed", json()), 0));
  view.requests = static_cast<long long>(num_or(s.value("requests", json()), 0));
  view.errors = static_cast<long long>(num_or(s.value("errors", json()), 0));
  view.dropped = static_cast<long long>(num_or(s.value("dropped", json()), 0));
  view.throughput_rps = num_or(s.value("throughput_rps", json()), 0);
  view.duration_s = num_or(s.value("duration_s", json()), 0);
  if (view.duration_s > 0) {
    view.arrival_rate_measured_rps = static_cast<double>(view.requests) / view.duration_s;
  }
  view.timeout_rate = num_or(s.value("timeout_rate", json()), 0);
  view.latency_mean_ms = num_or(at_path(s, "latency_ms.mean"), 0);
  view.latency_p99_ms = num_or(at_path(s, "latency_ms.p99"), 0);
  view.hold_mean_ms = num_or(at_path(s, "hold_ms.mean"), 0);
  const json& queue = at_path(s, "queue_wait_ms");
  view.wait_source = queue.is_object() ? "queue_wait" : "checkout_wait";
  view.wait_mean_ms = num_or(at_path(s, view.wait_source + "_ms.mean"), 0);
  view.wait_p99_ms = num_or(at_path(s, view.wait_source + "_ms.p99"), 0);
  view.checkout_wait_mean_ms = num_or(at_path(s, "checkout_wait_ms.mean"), 0);
  view.mean_checked_out = num_or(at_path(s, "pool.mean_checked_out"), 0);
}

}  // namespace

CellView read_cell(const json& results, const json& cell, int index) {
  const json& scenario = results.contains("scenario") ? results["scenario"] : json();
  const json& params = cell.contains("params") ? cell["params"] : json();
  CellView view;
  view.cell = &cell;
  view.index = cell.contains("index") ? static_cast<int>(num_or(cell["index"], index)) : index;
  view.id = cell.contains("id") && cell["id"].is_string() ? cell["id"].get<std::string>()
                                                          : std::to_string(view.index);
  view.status = cell.value("status", std::string("ok"));
  view.invalid_reason = invalid_reason(cell);
  view.ok = view.status == "ok" && cell.contains("summary") && view.invalid_reason.empty();
  read_settings(view, params, scenario);
  read_group(view, params);
  if (view.ok) read_summary(view, cell["summary"]);
  return view;
}

std::optional<double> arrival_rate_rps(const CellView& cell) {
  if (cell.replay) {
    if (cell.duration_s <= 0) return std::nullopt;
    return cell.arrival_rate_measured_rps;
  }
  if (cell.open_loop) return cell.rate_rps;
  return std::nullopt;
}

double concurrency_of(const CellView& cell) {
  if (cell.open_loop) return arrival_rate_rps(cell).value_or(0) * cell.latency_mean_ms / 1000;
  return cell.clients.value_or(0);
}

bool measured_capacity(const CellView& cell) {
  if (!cell.open_loop) return true;
  const double offered = cell.replay ? static_cast<double>(cell.requests)
                                     : cell.rate_rps.value_or(0) * cell.duration_s;
  if (offered <= 0) return false;
  return static_cast<double>(cell.completed) < offered - k_shortfall_z * std::sqrt(offered);
}

bool cell_met(const CellView& cell, const Slo& slo, std::vector<std::string>* reasons) {
  bool met = true;
  auto miss = [&](std::string reason) {
    met = false;
    if (reasons) reasons->push_back(std::move(reason));
  };
  if (cell.refused_connections > 0) {
    miss(
        fmt::format("the server refused {} connections (53300 too_many_connections): the "
                    "pools exceed max_connections",
                    cell.refused_connections));
  }
  if (cell.timeouts > 0) {
    miss(fmt::format("{} pool timeouts (timeout_rate {:.4f})", cell.timeouts, cell.timeout_rate));
  }
  // A dropped arrival is a request the application never served: never adequate.
  if (cell.dropped > 0) {
    miss(fmt::format(
        "{} of {} arrivals dropped (drop_rate {:.4f}): workload.max_in_flight "
        "requests were already running",
        cell.dropped, cell.requests, static_cast<double>(cell.dropped) / cell.requests));
  }
  if (!slo.error_rate && cell.errors > 0) {
    miss(fmt::format("{} errors (error_rate {:.4f})", cell.errors,
                     static_cast<double>(cell.errors) / std::max(cell.requests, 1LL)));
  }
  static const json k_no_summary = json::object();
  const json& summary = cell.cell != nullptr && cell.cell->contains("summary")
                            ? (*cell.cell)["summary"]
                            : k_no_summary;
  for (const SloMiss& slo_miss : slo_misses(slo, summary)) {
    if (slo_miss.key == "timeout_rate") {
      miss(fmt::format("timeout_rate {:.4f} > slo.timeout_rate {:g}", slo_miss.measured,
                       slo_miss.limit));
    } else if (slo_miss.key == "p99_latency") {
      miss(fmt::format("latency p99 {:.1f} ms > slo.p99_latency {:g} ms", slo_miss.measured,
                       slo_miss.limit));
    } else if (slo_miss.key == "error_rate") {
      miss(fmt::format("{} errors: error_rate {:.4f} > slo.error_rate {:g}", cell.errors,
                       slo_miss.measured, slo_miss.limit));
    }  // drop_rate: any drop is a miss already (above)
  }
  return met;
}

const nlohmann::json& cells_of(const nlohmann::json& results) {
  static const nlohmann::json k_none = nlohmann::json::array();
  return results.contains("cells") && results["cells"].is_array() ? results["cells"] : k_none;
}

std::optional<double> blks_read_per_request(const nlohmann::json& cell) {
  if (const auto recorded = number(at_path(cell, "summary.blks_read_per_request"))) return recorded;
  const auto read = number(at_path(cell, "server_stats.database.blks_read"));
  auto requests = number(at_path(cell, "server_stats.window.requests"));
  if (!requests) requests = number(at_path(cell, "summary.completed"));
  if (!read || !requests || *requests <= 0) return std::nullopt;
  return *read / *requests;
}

nlohmann::json claim_row(const char* seed, const char* table, const char* row, const char* claim,
                         nlohmann::json cells) {
  return {{"seed", seed},
          {"table", table},
          {"row", row},
          {"claim", claim},
          {"cells", std::move(cells)}};
}

std::string without_profile(const nlohmann::json& params) {
  std::string key;
  for (const auto& [name, value] : params.items()) {
    if (name.find('.') == std::string::npos || name == "server.profile") continue;
    if (!key.empty()) key += ' ';
    key += name + "=" + (value.is_string() ? value.get<std::string>() : value.dump());
  }
  return key;
}

}  // namespace poolbench::analysis::detail
