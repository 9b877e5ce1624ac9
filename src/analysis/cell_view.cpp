#include "analysis/cell_view.hpp"

#include <cmath>
#include <string>

#include <fmt/format.h>

#include "analysis/sizing.hpp"
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

Slo read_slo(const json& scenario) {
  Slo slo;
  slo.timeout_rate = number(at_path(scenario, "slo.timeout_rate"));
  if (const auto p99 = seconds(at_path(scenario, "slo.p99_latency"))) {
    slo.p99_latency_ms = *p99 * 1000;
  }
  return slo;
}

CellView read_cell(const json& results, const json& cell, int index) {
  const json& scenario = results.contains("scenario") ? results["scenario"] : json();
  const json& params = cell.contains("params") ? cell["params"] : json();
  CellView view;
  view.cell = &cell;
  view.index = cell.contains("index") ? static_cast<int>(num_or(cell["index"], index)) : index;
  view.id = cell.contains("id") && cell["id"].is_string() ? cell["id"].get<std::string>()
                                                          : std::to_string(view.index);
  view.status = cell.value("status", std::string("ok"));
  view.ok = view.status == "ok" && cell.contains("summary");

  view.pool_size = static_cast<int>(num_or(param_or_scenario(params, scenario, "pool_size"),
                                           num_or(at_path(scenario, "pool.pool_size"), 5)));
  view.max_overflow = static_cast<int>(num_or(param_or_scenario(params, scenario, "max_overflow"),
                                              num_or(at_path(scenario, "pool.max_overflow"), 10)));
  if (const auto t =
          number(params.is_object() && params.contains("pool_timeout_s") ? params["pool_timeout_s"]
                                                                         : json())) {
    view.pool_timeout_s = *t;
  } else {
    view.pool_timeout_s = seconds(at_path(scenario, "pool.pool_timeout")).value_or(30);
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
  view.open_loop = mode.is_string() && mode.get<std::string>() == "open";
  if (view.open_loop) {
    view.rate_rps = number(param_or_scenario(params, scenario, "workload.rate"));
  } else {
    view.clients = number(param_or_scenario(params, scenario, "workload.clients"));
  }

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

  if (view.ok) {
    const json& s = cell["summary"];
    view.timeouts = static_cast<long long>(num_or(s.value("timeouts", json()), 0));
    view.refused_connections =
        static_cast<long long>(num_or(at_path(s, "errors_by_sqlstate.53300"), 0));
    view.completed = static_cast<long long>(num_or(s.value("completed", json()), 0));
    view.throughput_rps = num_or(s.value("throughput_rps", json()), 0);
    const double duration_s = num_or(s.value("duration_s", json()), 0);
    if (duration_s > 0) {
      view.arrival_rate_measured_rps = num_or(s.value("requests", json()), 0) / duration_s;
    }
    view.timeout_rate = num_or(s.value("timeout_rate", json()), 0);
    view.latency_mean_ms = num_or(at_path(s, "latency_ms.mean"), 0);
    view.latency_p99_ms = num_or(at_path(s, "latency_ms.p99"), 0);
    view.hold_mean_ms = num_or(at_path(s, "hold_ms.mean"), 0);
    view.wait_mean_ms = num_or(at_path(s, "checkout_wait_ms.mean"), 0);
    view.mean_checked_out = num_or(at_path(s, "pool.mean_checked_out"), 0);
  }
  return view;
}

double concurrency_of(const CellView& cell) {
  if (cell.open_loop) return cell.rate_rps.value_or(0) * cell.latency_mean_ms / 1000;
  return cell.clients.value_or(0);
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
  if (slo.timeout_rate && cell.timeout_rate > *slo.timeout_rate) {
    miss(fmt::format("timeout_rate {:.4f} > slo.timeout_rate {:g}", cell.timeout_rate,
                     *slo.timeout_rate));
  }
  if (slo.p99_latency_ms && cell.latency_p99_ms > *slo.p99_latency_ms) {
    miss(fmt::format("latency p99 {:.1f} ms > slo.p99_latency {:g} ms", cell.latency_p99_ms,
                     *slo.p99_latency_ms));
  }
  return met;
}

}  // namespace poolbench::analysis::detail
