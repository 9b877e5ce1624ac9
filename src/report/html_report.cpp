#include "report/html_report.hpp"

#include <fmt/format.h>

#include "report/calculator.hpp"
#include "report/model_text.hpp"
#include "report/mustache_view.hpp"
#include "report/templates.hpp"
#include "util/error.hpp"

namespace poolbench::report {
namespace {

/// A cell's details list its clients one by one up to this many.
constexpr std::size_t k_clients_listed = 50;

std::string verdict_class(VerdictKind kind) {
  switch (kind) {
    case VerdictKind::undersized:
    case VerdictKind::slo_missed:
      return "v-bad";
    case VerdictKind::adequate:
    case VerdictKind::slo_met:
      return "v-good";
    case VerdictKind::oversized:
      return "v-over";
    case VerdictKind::invalid:
      return "v-invalid";
    default:
      return "v-none";
  }
}

std::string verdict_note(const ReportModel& model) {
  if (model.verdict_source == "analysis") {
    return "Verdicts from the sizing analysis: adequate, undersized (timeouts, dropped "
           "arrivals, errors or an SLO miss) or oversized; invalid cells (listed first) get none.";
  }
  if (model.verdict_source == "slo") {
    return fmt::format(
        "Verdicts from the scenario's SLO ({}); no sizing analysis in these results.",
        model.slo_text);
  }
  return "The scenario has no slo: and the results no analysis, so cells get no verdict.";
}

std::string count_text(double value) {
  return std::isnan(value) ? "—" : fmt::format("{:.0f}", value);
}

nlohmann::json metric_row(const nlohmann::json& summary, const char* key, const char* name) {
  const nlohmann::json* m = find_path(summary, {key});
  if (m == nullptr) return nullptr;
  nlohmann::json row = {{"name", name}};
  for (const char* p : {"mean", "p50", "p90", "p99", "p999", "max"}) {
    row[p] = format_ms(number_at(*m, p));
  }
  return row;
}

/// The cell's counters (requests, outcomes, rates, pool counters, errors by SQLSTATE).
nlohmann::json cell_counters(const CellRow& row, const nlohmann::json& summary) {
  nlohmann::json counters = nlohmann::json::array();
  const auto counter = [&](const char* name, const std::string& value) {
    counters.push_back({{"name", name}, {"value", value}});
  };
  counter("requests", count_text(number_at(summary, "requests")));
  counter("completed", count_text(number_at(summary, "completed")));
  counter("timeouts", count_text(row.timeouts));
  counter("errors", count_text(row.errors));
  counter("dropped", count_text(row.dropped));
  counter("drop rate", format_percent(row.drop_rate));
  counter("error rate", format_percent(row.error_rate));
  counter("throughput (rps)", format_rps(row.throughput_rps));
  counter("timeout rate", format_percent(row.timeout_rate));
  if (const auto* pool = find_path(summary, {"pool"})) {
    counter("mean checked out", format_number(std::round(row.mean_checked_out * 100) / 100));
    counter("max checked out", count_text(row.max_checked_out));
    counter("max overflow used", count_text(number_at(*pool, "max_overflow_used")));
    counter("connects", count_text(number_at(*pool, "connects")));
    if (const auto* warmup = find_path(*pool, {"warmup"})) {
      counter("connects in the warmup", count_text(number_at(*warmup, "connects")));
    }
  }
  if (!row.invalid_reason.empty()) counter("invalid", row.invalid_reason);
  if (const auto* by_state = find_path(summary, {"errors_by_sqlstate"}); by_state != nullptr) {
    for (const auto& [state, n] : by_state->items()) {
      counters.push_back({{"name", "errors " + state}, {"value", n.is_number() ? n.dump() : "?"}});
    }
  }
  return counters;
}

/// The cell's analysis entry, flattened: "erlang_c.p_wait" = 1, "monitoring: <rule>" = fired.
nlohmann::json cell_models(const ReportModel& model, const CellRow& row) {
  nlohmann::json models = nlohmann::json::array();
  if (row.analysis != nullptr) {
    const auto text = [](const nlohmann::json& value) -> std::string {
      if (value.is_number()) return fmt::format("{:.4g}", value.get<double>());
      if (value.is_boolean()) return value.get<bool>() ? "yes" : "no";
      if (value.is_string()) return value.get<std::string>();
      return "—";
    };
    for (const auto& [name, value] : row.analysis->items()) {
      if (value.is_object() && name != "pool") {
        for (const auto& [key, item] : value.items()) {
          if (item.is_primitive()) {
            models.push_back({{"name", name + "." + key}, {"value", text(item)}});
          }
        }
      } else if (name == "monitoring" && value.is_array()) {
        for (const auto& rule : value) {
          if (!rule.is_object()) continue;
          models.push_back({{"name", "monitoring: " + rule.value("rule", "?")},
                            {"value", rule.value("fired", false)
                                          ? fmt::format("fired ({} of the seconds)",
                                                        format_percent(number_at(rule, "fraction")))
                                          : "no"}});
        }
      } else if (name == "met") {
        models.push_back({{"name", name}, {"value", text(value)}});
      } else if (name == "evidence_cell" && value.is_string()) {
        models.push_back(
            {{"name", "evidence cell"}, {"value", cell_label(model, value.get<std::string>())}});
      }
    }
  }
  return models;
}

/// Per client (closed loop): completions, timeouts and checkout-wait p99, up to
/// k_clients_listed clients (a larger fleet is summarised by summary.fairness only).
nlohmann::json client_rows(const CellRow& row) {
  nlohmann::json out = nlohmann::json::array();
  const nlohmann::json* clients = find_path(*row.cell, {"clients"});
  if (clients == nullptr || !clients->is_object()) return out;
  const auto column = [&](const char* name) -> const nlohmann::json* {
    const auto it = clients->find(name);
    return it != clients->end() && it->is_array() ? &*it : nullptr;
  };
  const auto* ids = column("id");
  const auto* instances = column("instance");
  const auto* completed = column("completed");
  const auto* timeouts = column("timeouts");
  const auto* waits = column("checkout_wait_p99_ms");
  if (ids == nullptr || completed == nullptr || timeouts == nullptr || waits == nullptr ||
      ids->size() > k_clients_listed) {
    return out;
  }
  for (std::size_t i = 0;
       i < ids->size() && i < completed->size() && i < timeouts->size() && i < waits->size(); ++i) {
    const auto text = [](const nlohmann::json& value) {
      return value.is_number() ? format_number(value.get<double>()) : std::string("—");
    };
    out.push_back(
        {{"client", text((*ids)[i])},
         {"instance",
          instances != nullptr && i < instances->size() ? text((*instances)[i]) : std::string("0")},
         {"completed", text((*completed)[i])},
         {"timeouts", text((*timeouts)[i])},
         {"wait_p99",
          (*waits)[i].is_number() ? format_ms((*waits)[i].get<double>()) : std::string("—")}});
  }
  return out;
}

nlohmann::json cell_view(const ReportModel& model, const CellRow& row) {
  nlohmann::json view = {{"label", row.label},
                         {"anchor", fmt::format("cell-{}", row.index)},
                         {"id", row.id},
                         {"status", row.status},
                         {"verdict", row.verdict.text},
                         {"verdict_class", verdict_class(row.verdict.kind)},
                         {"reason", row.verdict.reason}};
  view["params"] = nlohmann::json::array();
  for (std::size_t i = 0; i < model.param_names.size(); ++i) {
    view["params"].push_back({{"name", model.param_names[i]}, {"value", row.param_values[i]}});
  }
  view["params"].push_back({{"name", "repetition"}, {"value", std::to_string(row.repetition)}});
  static const nlohmann::json k_empty = nlohmann::json::object();
  const nlohmann::json* summary_ptr = find_path(*row.cell, {"summary"});
  const nlohmann::json& summary = summary_ptr != nullptr ? *summary_ptr : k_empty;
  view["timeout_message"] = summary.value("timeout_message", "");
  view["counters"] = cell_counters(row, summary);
  view["metrics"] = nlohmann::json::array();
  for (const auto& [key, name] :
       {std::pair{"latency_ms", "latency"}, std::pair{"checkout_wait_ms", "checkout wait"},
        std::pair{"hold_ms", "hold"}, std::pair{"connect_ms", "connect"},
        std::pair{"schedule_lag_ms", "schedule lag"}}) {
    if (auto m = metric_row(summary, key, name); !m.is_null()) view["metrics"].push_back(m);
  }
  view["models"] = cell_models(model, row);
  view["clients"] = client_rows(row);
  view["has_clients"] = !view["clients"].empty();
  view["has_models"] = !view["models"].empty();
  // The server settings the cell ran with (its profile's, as SHOW printed them).
  view["settings"] = nlohmann::json::array();
  if (const auto* settings = find_path(*row.cell, {"server_settings"});
      settings != nullptr && settings->is_object()) {
    for (const auto& [name, value] : settings->items()) {
      view["settings"].push_back(
          {{"name", name}, {"value", value.is_string() ? value.get<std::string>() : value.dump()}});
    }
  }
  view["has_settings"] = !view["settings"].empty();
  return view;
}

std::string server_text(const nlohmann::json& results) {
  const nlohmann::json* version = find_path(results, {"server", "version"});
  return version != nullptr && version->is_string() ? "PostgreSQL " + version->get<std::string>()
                                                    : "";
}

std::string tool_text(const nlohmann::json& results) {
  const nlohmann::json* tool = find_path(results, {"tool"});
  if (tool == nullptr || !tool->is_object()) return "poolbench";
  return fmt::format("{} {} (git {}, {})", tool->value("name", "poolbench"),
                     tool->value("version", "?"), tool->value("git", "?"),
                     tool->value("build_type", "?"));
}

std::string host_text(const nlohmann::json& results) {
  const nlohmann::json* host = find_path(results, {"host"});
  if (host == nullptr || !host->is_object()) return "";
  const double cores = number_at(*host, "cores");
  return fmt::format("host {}{}", host->value("hostname", "?"),
                     std::isnan(cores) ? "" : fmt::format(", {:.0f} cores", cores));
}

/// The Server table's rows (server_rows()).
nlohmann::json server_view(const ReportModel& model) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& row : server_rows(model)) {
    rows.push_back({{"cell", row.cell},
                    {"cache_hit", row.cache_hit},
                    {"wal", row.wal},
                    {"checkpoints", row.checkpoints},
                    {"temp", row.temp},
                    {"server_cpu", row.server_cpu},
                    {"client_cpu", row.client_cpu},
                    {"waits", row.waits}});
  }
  return rows;
}

}  // namespace

nlohmann::json html_view(const ReportModel& model, const std::vector<RenderedChart>& charts) {
  std::size_t ok = 0;
  for (const auto& row : model.cells) ok += row.status == "ok" ? 1 : 0;
  nlohmann::json view = {
      {"title", model.scenario_name.empty() ? model.source : model.scenario_name},
      {"description", model.description},
      {"scenario_file", model.scenario_file},
      {"source", model.source},
      {"cell_count", std::to_string(model.cells.size())},
      {"ok_count", std::to_string(ok)},
      {"load_text", model.load_text},
      {"slo_text", model.slo_text},
      {"tool", tool_text(*model.results)},
      {"server", server_text(*model.results)},
      {"host", host_text(*model.results)},
      {"verdict_note", verdict_note(model)},
      {"invalid_note", invalid_note(model)},
      {"has_cells", !model.cells.empty()},
  };
  view["rows"] = nlohmann::json::array();
  view["cells"] = nlohmann::json::array();
  for (const CellRow* row : rows_invalid_first(model)) {
    view["rows"].push_back({{"label", row->label},
                            {"anchor", fmt::format("cell-{}", row->index)},
                            {"rps", format_rps(row->throughput_rps)},
                            {"p99", format_ms(row->latency_p99_ms)},
                            {"wait_p99", format_ms(row->checkout_wait_p99_ms)},
                            {"timeouts", format_percent(row->timeout_rate)},
                            {"dropped", format_percent(row->drop_rate)},
                            {"errors", format_percent(row->error_rate)},
                            {"model", model_text(*row)},
                            {"fairness", fairness_text(*row)},
                            {"verdict", row->verdict.text},
                            {"verdict_class", verdict_class(row->verdict.kind)},
                            {"reason", row->verdict.reason}});
  }
  for (const auto& row : model.cells) view["cells"].push_back(cell_view(model, row));
  view["findings"] = findings(model);
  view["has_findings"] = !view["findings"].empty();
  view["faults"] = nlohmann::json::array();
  for (const auto& fault : fault_rows(model)) {
    view["faults"].push_back({{"cell", fault.cell},
                              {"fault", fault.fault},
                              {"detail", fault.detail},
                              {"errors", fault.errors},
                              {"timeouts", fault.timeouts},
                              {"recovery", fault.recovery},
                              {"pool", fault.pool}});
  }
  view["has_faults"] = !view["faults"].empty();
  view["server"] = server_view(model);
  view["has_server"] = !view["server"].empty();
  view["server_lag_note"] = server_lag_note(model);
  view["server_differences"] = server_difference_lines(model);
  view["has_server_differences"] = !view["server_differences"].empty();
  view["plan_changes"] = plan_change_lines(model);
  view["has_plan_changes"] = !view["plan_changes"].empty();
  view["has_server_section"] = view["has_server"] || view["has_plan_changes"];
  view["charts"] = nlohmann::json::array();
  view["skipped"] = nlohmann::json::array();
  for (const auto& rendered : charts) {
    const Chart& chart = *rendered.chart;
    if (!chart.skipped.empty()) {
      view["skipped"].push_back({{"title", chart.title}, {"reason", chart.skipped}});
    } else {
      view["charts"].push_back({{"name", chart.name},
                                {"title", chart.title},
                                {"caption", chart.caption},
                                {"svg", rendered.svg}});
    }
  }
  view["has_skipped"] = !view["skipped"].empty();
  view["calculator"] = calculator_data(model).dump();
  view["calculator_js"] = std::string(k_calculator_js);
  return view;
}

std::string render_html(const nlohmann::json& view) {
  return render_template("index.html", std::string(k_index_html_template), view);
}

}  // namespace poolbench::report
