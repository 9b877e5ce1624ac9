#include "report/report_model.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "analysis/validity.hpp"
#include "results/file.hpp"
#include "util/duration.hpp"
#include "util/error.hpp"

namespace poolbench::report {
namespace {

/// results.json params keys that are another spelling of a pool parameter (pool_size, max_overflow,
/// ...).
const std::map<std::string, std::string>& param_aliases() {
  static const std::map<std::string, std::string> k_aliases = {
      {"pool.pool_size", "pool_size"}, {"pool.max_overflow", "max_overflow"},
      {"server.profile", "profile"},   {"pool.pool_timeout", "pool_timeout_s"},
      {"pool.fairness", "fairness"},
  };
  return k_aliases;
}

const std::vector<std::string>& leading_params() {
  static const std::vector<std::string> k_leading = {"pool_size", "max_overflow", "profile",
                                                     "pool_timeout_s", "fairness"};
  return k_leading;
}

std::string value_text(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_float()) return format_number(value.get<double>());
  return value.dump();
}

/// "workload.rate" -> "rate": labels stay short.
std::string short_name(const std::string& name) {
  const auto dot = name.rfind('.');
  return dot == std::string::npos ? name : name.substr(dot + 1);
}

double text_number(const std::string& text) {
  try {
    std::size_t used = 0;
    const double value = std::stod(text, &used);
    return used == text.size() ? value : k_nan;
  } catch (const std::exception&) {
    return k_nan;
  }
}

/// "replay of trace.jsonl.gz at 1, 2, 4x, 4s": the speeds the cells ran at (a replay.speed
/// axis), else replay.speed (`run` ignores a matrix). No offered rate: the trace's is measured
/// per cell.
std::string describe_replay(const nlohmann::json& results, const nlohmann::json& scenario,
                            const std::string& duration) {
  const nlohmann::json* replay = find_path(scenario, {"replay"});
  const nlohmann::json* trace = replay != nullptr ? find_path(*replay, {"trace"}) : nullptr;
  const std::string name =
      trace != nullptr && trace->is_string()
          ? std::filesystem::path(trace->get<std::string>()).filename().string()
          : std::string("a trace");
  std::vector<std::string> speeds;
  if (const auto* cells = find_path(results, {"cells"}); cells != nullptr && cells->is_array()) {
    for (const auto& cell : *cells) {
      const auto* speed = find_path(cell, {"params", "replay.speed"});
      if (speed == nullptr) continue;
      const std::string text = value_text(*speed);
      if (std::find(speeds.begin(), speeds.end(), text) == speeds.end()) speeds.push_back(text);
    }
  }
  if (speeds.empty() && replay != nullptr) {
    speeds.push_back(format_number(number_at(*replay, "speed")));
  }
  return fmt::format("replay of {} at {}x, {}", name, fmt::join(speeds, ", "), duration);
}

std::string describe_load(const nlohmann::json& results, const nlohmann::json& scenario,
                          double* offered_rps) {
  const nlohmann::json* workload = find_path(scenario, {"workload"});
  if (workload == nullptr) return {};
  const std::string mode = workload->value("mode", "");
  const std::string duration = workload->value("duration", "");
  if (mode == "open") {
    *offered_rps = number_at(*workload, "rate");
    return fmt::format("open loop, {} rps ({}), {}", format_number(*offered_rps),
                       workload->value("arrival", "poisson"), duration);
  }
  if (mode == "closed") {
    return fmt::format("closed loop, {} clients, {}",
                       format_number(number_at(*workload, "clients")), duration);
  }
  if (mode == "replay") return describe_replay(results, scenario, duration);
  return mode;
}

/// The analysis entry of `row`: analysis.cells as an array (matched by id, then index, then
/// position) or as an object keyed by id.
const nlohmann::json* analysis_entry(const nlohmann::json* analysis, const CellRow& row,
                                     std::size_t position) {
  if (analysis == nullptr) return nullptr;
  const nlohmann::json* cells = find_path(*analysis, {"cells"});
  if (cells == nullptr) return nullptr;
  if (cells->is_object()) {
    const auto it = cells->find(row.id);
    return it != cells->end() && it->is_object() ? &*it : nullptr;
  }
  if (!cells->is_array()) return nullptr;
  for (const auto& entry : *cells) {
    if (entry.is_object() && entry.contains("id") && entry["id"] == row.id) return &entry;
  }
  for (const auto& entry : *cells) {
    if (entry.is_object() && !entry.contains("id") && entry.contains("index") &&
        entry["index"] == row.index) {
      return &entry;
    }
  }
  if (position < cells->size() && (*cells)[position].is_object() &&
      !(*cells)[position].contains("id") && !(*cells)[position].contains("index")) {
    return &(*cells)[position];
  }
  return nullptr;
}

/// One missed slo: limit, short: "timeouts 23% > 0%", "p99 522 ms > 100 ms".
std::string short_miss(const analysis::SloMiss& miss) {
  if (miss.key == "p99_latency") {
    return fmt::format("p99 {} ms > {} ms", format_ms(miss.measured), format_ms(miss.limit));
  }
  const char* what = miss.key == "timeout_rate" ? "timeouts"
                     : miss.key == "drop_rate"  ? "dropped"
                                                : "errors";
  return fmt::format("{} {} > {}", what, format_percent(miss.measured), format_percent(miss.limit));
}

Verdict verdict_from_slo(const ReportModel& model, const CellRow& row) {
  if (row.status != "ok") {
    return {VerdictKind::failed, row.status.empty() ? "no result" : row.status, {}};
  }
  if (!row.invalid_reason.empty()) return {VerdictKind::invalid, "invalid", row.invalid_reason};
  if (!model.slo.any()) return {VerdictKind::none, "—", "the scenario has no slo:"};
  static const nlohmann::json k_empty = nlohmann::json::object();
  const nlohmann::json* summary = find_path(*row.cell, {"summary"});
  std::vector<std::string> misses;
  for (const auto& miss : analysis::slo_misses(model.slo, summary ? *summary : k_empty)) {
    misses.push_back(short_miss(miss));
  }
  if (misses.empty()) return {VerdictKind::slo_met, "SLO met", {}};
  return {VerdictKind::slo_missed, "SLO missed", fmt::format("{}", fmt::join(misses, "; "))};
}

/// "no timeouts, p99 <= 100 ms, no drops, no errors".
std::string describe_slo(const analysis::SloLimits& slo) {
  std::vector<std::string> parts;
  const auto rate = [&](const std::optional<double>& limit, const char* none, const char* name) {
    if (!limit) return;
    parts.push_back(*limit == 0 ? std::string(none)
                                : fmt::format("{} <= {}", name, format_percent(*limit)));
  };
  rate(slo.timeout_rate, "no timeouts", "timeout rate");
  if (slo.p99_latency_ms) parts.push_back("p99 <= " + format_ms(*slo.p99_latency_ms) + " ms");
  rate(slo.drop_rate, "no drops", "drop rate");
  rate(slo.error_rate, "no errors", "error rate");
  return fmt::format("{}", fmt::join(parts, ", "));
}

std::optional<Verdict> verdict_from_analysis(const CellRow& row) {
  if (row.analysis == nullptr) return std::nullopt;
  const auto it = row.analysis->find("verdict");
  if (it == row.analysis->end() || !it->is_string()) return std::nullopt;
  std::string text = it->get<std::string>();
  VerdictKind kind = VerdictKind::none;
  if (text == "adequate") kind = VerdictKind::adequate;
  if (text == "undersized") kind = VerdictKind::undersized;
  if (text == "oversized") kind = VerdictKind::oversized;
  if (text == "over_budget") {
    kind = VerdictKind::slo_missed;  // shown as a miss: the server refused connections
    text = "over budget";
  }
  if (text == "not_measured") {
    kind = VerdictKind::failed;
    text = "not measured";
  }
  if (text == "invalid") kind = VerdictKind::invalid;
  std::vector<std::string> reasons;
  if (const auto* list = find_path(*row.analysis, {"reasons"}); list && list->is_array()) {
    for (const auto& reason : *list) {
      if (reason.is_string()) reasons.push_back(reason.get<std::string>());
    }
  }
  if (reasons.empty() && row.analysis->contains("reason") &&
      (*row.analysis)["reason"].is_string()) {
    reasons.push_back((*row.analysis)["reason"].get<std::string>());
  }
  return Verdict{kind, text, fmt::format("{}", fmt::join(reasons, "; "))};
}

void fill_numbers(CellRow& row, const nlohmann::json& cell) {
  const nlohmann::json* summary = find_path(cell, {"summary"});
  if (summary == nullptr) return;
  row.requests = number_at(*summary, "requests");
  row.timeouts = number_at(*summary, "timeouts");
  row.errors = number_at(*summary, "errors");
  row.dropped = number_at(*summary, "dropped");
  if (row.requests > 0) {
    row.drop_rate = row.dropped / row.requests;
    row.error_rate = row.errors / row.requests;
  } else if (row.requests == 0) {
    row.drop_rate = row.error_rate = 0;
  }
  row.throughput_rps = number_at(*summary, "throughput_rps");
  row.timeout_rate = number_at(*summary, "timeout_rate");
  if (const auto* latency = find_path(*summary, {"latency_ms"})) {
    row.latency_p50_ms = number_at(*latency, "p50");
    row.latency_p99_ms = number_at(*latency, "p99");
    row.latency_max_ms = number_at(*latency, "max");
  }
  if (const auto* wait = find_path(*summary, {"checkout_wait_ms"})) {
    row.checkout_wait_p99_ms = number_at(*wait, "p99");
  }
  if (const auto* wait = find_path(*summary, {"queue_wait_ms"})) {
    row.queue_wait_p99_ms = number_at(*wait, "p99");
  }
  if (const auto* hold = find_path(*summary, {"hold_ms"}))
    row.hold_mean_ms = number_at(*hold, "mean");
  if (const auto* pool = find_path(*summary, {"pool"})) {
    row.mean_checked_out = number_at(*pool, "mean_checked_out");
    row.max_checked_out = number_at(*pool, "max_checked_out");
  }
}

/// Display params of one cell, by display name (aliases folded into the scenario key names).
std::map<std::string, std::string> display_params(const nlohmann::json& cell) {
  std::map<std::string, std::string> params;
  const nlohmann::json* raw = find_path(cell, {"params"});
  if (raw == nullptr) return params;
  for (const auto& [key, value] : raw->items()) {
    const auto alias = param_aliases().find(key);
    const std::string name = alias == param_aliases().end() ? key : alias->second;
    // The canonical key (a number) wins over the axis spelling (text).
    if (alias == param_aliases().end() || !params.count(name)) params[name] = value_text(value);
  }
  return params;
}

void label_rows(ReportModel& model) {
  const auto has = [&](const std::string& name) {
    return std::find(model.param_names.begin(), model.param_names.end(), name) !=
           model.param_names.end();
  };
  const bool pool_pair = has("pool_size") && has("max_overflow");
  for (auto& row : model.cells) {
    std::vector<std::string> label;
    if (pool_pair) {
      label.push_back(param_value(model, row, "pool_size") + "+" +
                      param_value(model, row, "max_overflow"));
    }
    std::vector<std::string> series;
    for (const auto& name : model.varying) {
      const std::string value = param_value(model, row, name);
      if (name != "pool_size" && name != "max_overflow") {
        label.push_back(name == "profile" ? value : short_name(name) + "=" + value);
      }
      if (name != "pool_size") series.push_back(short_name(name) + "=" + value);
    }
    if (model.repetitions_vary) label.push_back(fmt::format("#{}", row.repetition));
    row.label = fmt::format("{}", fmt::join(label, " "));
    if (row.label.empty()) row.label = row.id.empty() ? fmt::format("cell {}", row.index) : row.id;
    row.series = fmt::format("{}", fmt::join(series, " "));
  }
}

/// Each cell's display params; sets the model's param names (the leading ones first, then
/// other axes in first-seen order), which vary, and whether repetitions do.
std::vector<std::map<std::string, std::string>> collect_params(ReportModel& model,
                                                               const nlohmann::json& cells) {
  std::vector<std::map<std::string, std::string>> params;
  std::set<std::string> seen;
  std::vector<std::string> others;
  std::set<int> repetitions;
  for (const auto& cell : cells) {
    params.push_back(display_params(cell));
    for (const auto& [name, value] : params.back()) {
      if (seen.insert(name).second && std::find(leading_params().begin(), leading_params().end(),
                                                name) == leading_params().end()) {
        others.push_back(name);
      }
    }
    repetitions.insert(cell.value("repetition", 0));
  }
  for (const auto& name : leading_params()) {
    if (seen.count(name)) model.param_names.push_back(name);
  }
  model.param_names.insert(model.param_names.end(), others.begin(), others.end());
  model.repetitions_vary = repetitions.size() > 1;
  for (const auto& name : model.param_names) {
    std::set<std::string> values;
    for (const auto& p : params) values.insert(p.count(name) ? p.at(name) : "");
    if (values.size() > 1) model.varying.push_back(name);
  }
  return params;
}

/// Each row's verdict: invalid cells' whatever an older analysis said, then the analysis',
/// else the slo:'s; and where the verdicts came from.
void assign_verdicts(ReportModel& model) {
  bool any_analysis_verdict = false;
  for (auto& row : model.cells) {
    if (!row.invalid_reason.empty()) {
      row.verdict = {VerdictKind::invalid, "invalid", row.invalid_reason};
    } else if (auto verdict = verdict_from_analysis(row)) {
      row.verdict = *verdict;
      any_analysis_verdict = true;
    } else {
      row.verdict = verdict_from_slo(model, row);
    }
  }
  model.verdict_source = any_analysis_verdict     ? "analysis"
                         : model.slo_text.empty() ? "none"
                                                  : "slo";
}

}  // namespace

double number_at(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return k_nan;
  const auto it = object.find(key);
  return it != object.end() && it->is_number() ? it->get<double>() : k_nan;
}

const nlohmann::json* find_path(const nlohmann::json& object,
                                std::initializer_list<const char*> keys) {
  const nlohmann::json* at = &object;
  for (const char* key : keys) {
    if (!at->is_object()) return nullptr;
    const auto it = at->find(key);
    if (it == at->end()) return nullptr;
    at = &*it;
  }
  return at;
}

std::string format_ms(double ms) {
  if (std::isnan(ms)) return "—";
  if (ms >= 100 || ms == 0) return fmt::format("{:.0f}", ms);
  if (ms >= 10) return fmt::format("{:.1f}", ms);
  if (ms >= 1) return fmt::format("{:.2f}", ms);
  return fmt::format("{:.3f}", ms);
}

std::string format_percent(double fraction) {
  if (std::isnan(fraction)) return "—";
  const double percent = fraction * 100;
  if (percent == 0) return "0%";
  if (percent >= 10) return fmt::format("{:.0f}%", percent);
  // Fixed decimals, then no trailing zeros: "4.1%", "1%", "0.25%".
  std::string text = percent >= 1 ? fmt::format("{:.1f}", percent) : fmt::format("{:.2f}", percent);
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text + "%";
}

std::string format_rps(double rps) {
  return std::isnan(rps) ? "—" : fmt::format("{:.1f}", rps);
}

std::string format_number(double value) {
  return std::isnan(value) ? "—" : fmt::format("{}", value);
}

std::vector<FaultRow> fault_rows(const ReportModel& model) {
  std::vector<FaultRow> out;
  for (const auto& row : model.cells) {
    const auto* faults = find_path(*row.cell, {"faults"});
    if (faults == nullptr || !faults->is_array()) continue;
    for (const auto& fault : *faults) {
      if (!fault.is_object()) continue;
      FaultRow item;
      item.cell = row.label;
      const std::string kind = fault.value("kind", "?");
      std::string what = kind;
      if (fault.contains("mode") && fault["mode"].is_string())
        what += " (" + fault["mode"].get<std::string>() + ")";
      if (const double delay = number_at(fault, "delay_ms"); !std::isnan(delay)) {
        what += fmt::format(" +{} ms", format_number(delay));
      }
      if (const double duration = number_at(fault, "duration_s"); !std::isnan(duration)) {
        what += fmt::format(" for {} s", format_number(duration));
      }
      item.fault = fmt::format("{} at {:.1f} s", what, number_at(fault, "at_s"));
      item.detail = fault.contains("error") && fault["error"].is_string()
                        ? "injection failed: " + fault["error"].get<std::string>()
                        : fault.value("detail", "");
      std::vector<std::string> states;
      if (const auto* by = find_path(fault, {"errors_by_sqlstate"}); by && by->is_object()) {
        for (const auto& [state, count] : by->items()) {
          states.push_back(fmt::format("{} {}", state, count.is_number() ? count.dump() : "?"));
        }
      }
      item.errors = fmt::format(
          "{}{}", format_number(number_at(fault, "errors")),
          states.empty() ? "" : " (" + fmt::format("{}", fmt::join(states, ", ")) + ")");
      item.timeouts = format_number(number_at(fault, "timeouts"));
      const double recovery = number_at(fault, "recovery_s");
      const double lowest = number_at(fault, "lowest_rps");
      const double baseline = number_at(fault, "baseline_rps");
      const std::string dip = std::isnan(baseline)
                                  ? std::string()
                                  : fmt::format(" (lowest {} rps, before {} rps)",
                                                format_rps(lowest), format_rps(baseline));
      const double threshold = number_at(fault, "recovery_threshold_rps");
      const std::string back_to =
          std::isnan(threshold) ? "within 10%" : fmt::format("to {} rps", format_rps(threshold));
      item.recovery =
          std::isnan(recovery)
              ? (std::isnan(baseline)
                     ? "no baseline before it"
                     : fmt::format("not back {} before the next fault or the end{}", back_to, dip))
              : fmt::format("{:.1f} s{}", recovery, dip);
      item.pool = fmt::format("{} invalidated, {} failed pre-pings, {} connects",
                              format_number(number_at(fault, "invalidations")),
                              format_number(number_at(fault, "preping_failures")),
                              format_number(number_at(fault, "connects")));
      out.push_back(std::move(item));
    }
  }
  return out;
}

std::vector<const CellRow*> rows_invalid_first(const ReportModel& model) {
  std::vector<const CellRow*> rows;
  for (const auto& row : model.cells) {
    if (row.verdict.kind == VerdictKind::invalid) rows.push_back(&row);
  }
  for (const auto& row : model.cells) {
    if (row.verdict.kind != VerdictKind::invalid) rows.push_back(&row);
  }
  return rows;
}

std::string invalid_note(const ReportModel& model) {
  std::vector<std::string> cells;
  for (const auto& row : model.cells) {
    if (row.verdict.kind == VerdictKind::invalid) {
      cells.push_back(fmt::format("{} ({})", row.label, row.invalid_reason));
    }
  }
  if (cells.empty()) return {};
  return fmt::format(
      "{} of {} cells are invalid: the load generator, not the system, set their numbers; "
      "they are left out of the models and verdicts (rerun them with more --threads, a lower "
      "rate or on a less loaded machine): {}",
      cells.size(), model.cells.size(), fmt::join(cells, "; "));
}

std::string param_value(const ReportModel& model, const CellRow& row, const std::string& name) {
  const auto it = std::find(model.param_names.begin(), model.param_names.end(), name);
  if (it == model.param_names.end()) return {};
  return row.param_values[static_cast<std::size_t>(it - model.param_names.begin())];
}

ReportModel build_model(const nlohmann::json& results, const nlohmann::json* analysis,
                        const std::string& source) {
  results::check_results(results, source);
  ReportModel model;
  model.source = source;
  model.results = &results;
  model.analysis =
      analysis != nullptr && analysis->is_object() && !analysis->empty() ? analysis : nullptr;
  static const nlohmann::json k_empty = nlohmann::json::object();
  const nlohmann::json* scenario_ptr = find_path(results, {"scenario"});
  const nlohmann::json& scenario =
      scenario_ptr != nullptr && scenario_ptr->is_object() ? *scenario_ptr : k_empty;
  model.scenario_name = scenario.value("name", "");
  model.scenario_file = scenario.value("file", "");
  model.description = scenario.value("description", "");
  model.load_text = describe_load(results, scenario, &model.offered_rps);
  model.slo = analysis::read_slo(scenario);
  model.slo_timeout_rate = model.slo.timeout_rate.value_or(k_nan);
  model.slo_p99_ms = model.slo.p99_latency_ms.value_or(k_nan);
  model.slo_text = describe_slo(model.slo);

  const std::vector<std::map<std::string, std::string>> params =
      collect_params(model, results["cells"]);

  std::size_t position = 0;
  for (const auto& cell : results["cells"]) {
    CellRow row;
    row.cell = &cell;
    row.id = cell.value("id", "");
    row.index = cell.value("index", static_cast<int>(position));
    row.repetition = cell.value("repetition", 0);
    row.status = cell.value("status", "");
    row.invalid_reason = analysis::invalid_reason(cell);
    const auto& p = params[position];
    for (const auto& name : model.param_names) {
      row.param_values.push_back(p.count(name) ? p.at(name) : "");
    }
    row.pool_size = text_number(param_value(model, row, "pool_size"));
    row.max_overflow = text_number(param_value(model, row, "max_overflow"));
    row.profile = param_value(model, row, "profile");
    fill_numbers(row, cell);
    row.analysis = analysis_entry(model.analysis, row, position);
    model.cells.push_back(std::move(row));
    ++position;
  }
  label_rows(model);

  assign_verdicts(model);
  return model;
}

double analysis_number(const CellRow& row, std::initializer_list<const char*> path) {
  if (row.analysis == nullptr) return k_nan;
  const nlohmann::json* value = find_path(*row.analysis, path);
  return value != nullptr && value->is_number() ? value->get<double>() : k_nan;
}

double erlang_c_timeout_rate(const CellRow& row) {
  if (row.analysis == nullptr) return k_nan;
  const nlohmann::json* status = find_path(*row.analysis, {"erlang_c", "status"});
  if (status != nullptr && *status == "not_applicable") return k_nan;
  return analysis_number(row, {"erlang_c", "predicted_timeout_rate"});
}

double erlang_c_p99_wait_ms(const CellRow& row) {
  return analysis_number(row, {"erlang_c", "p99_wait_ms"});
}

const nlohmann::json* analysis_group(const ReportModel& model, const CellRow& row) {
  if (model.analysis == nullptr || row.analysis == nullptr) return nullptr;
  const nlohmann::json* key = find_path(*row.analysis, {"group"});
  const nlohmann::json* groups = find_path(*model.analysis, {"groups"});
  if (key == nullptr || groups == nullptr || !groups->is_array()) return nullptr;
  for (const auto& group : *groups) {
    if (group.is_object() && group.contains("key") && group["key"] == *key) return &group;
  }
  return nullptr;
}

double median(std::vector<double> values) {
  values.erase(std::remove_if(values.begin(), values.end(), [](double v) { return std::isnan(v); }),
               values.end());
  if (values.empty()) return k_nan;
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

int worst_cell(const ReportModel& model) {
  int worst = -1;
  const auto key = [](const CellRow& row) {
    return std::pair{std::isnan(row.timeout_rate) ? -1.0 : row.timeout_rate,
                     std::isnan(row.latency_p99_ms) ? -1.0 : row.latency_p99_ms};
  };
  for (std::size_t i = 0; i < model.cells.size(); ++i) {
    if (worst < 0 || key(model.cells[i]) > key(model.cells[static_cast<std::size_t>(worst)])) {
      worst = static_cast<int>(i);
    }
  }
  return worst;
}

}  // namespace poolbench::report
