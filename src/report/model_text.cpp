#include "report/model_text.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace poolbench::report {
namespace {

/// Below this Jain index the completions were uneven enough to say who was starved.
constexpr double k_uneven_jain = 0.9;
/// How many seed rows the finding names one by one; the rest are counted.
constexpr std::size_t k_rows_named = 6;

const nlohmann::json* analysis_object(const CellRow& row, const char* key) {
  if (row.analysis == nullptr) return nullptr;
  const nlohmann::json* object = find_path(*row.analysis, {key});
  return object != nullptr && object->is_object() ? object : nullptr;
}

std::string status_of(const nlohmann::json& model) {
  const auto it = model.find("status");
  return it != model.end() && it->is_string() ? it->get<std::string>() : std::string();
}

void read_model(QueueModel& out, const nlohmann::json& model) {
  out.status = status_of(model);
  const auto source = model.find("measured_wait_source");
  out.measured_wait_source = source != model.end() && source->is_string()
                                 ? source->get<std::string>()
                                 : std::string("checkout_wait");
  out.p_wait = number_at(model, "p_wait");
  out.measured_p_wait = number_at(model, "measured_p_wait");
  out.mean_wait_ms = number_at(model, "mean_wait_ms");
  out.measured_mean_wait_ms = number_at(model, "measured_mean_wait_ms");
  out.p99_wait_ms = number_at(model, "p99_wait_ms");
  out.measured_p99_wait_ms = number_at(model, "measured_p99_wait_ms");
  out.throughput_rps = number_at(model, "throughput_rps");
  out.measured_throughput_rps = number_at(model, "measured_throughput_rps");
  out.predicted_timeout_rate = number_at(model, "predicted_timeout_rate");
}

/// The cell of `cells` whose fairness is the most uneven (lowest Jain index), or nullptr.
const CellRow* least_fair(const ReportModel& model) {
  const CellRow* worst = nullptr;
  double worst_jain = k_nan;
  for (const auto& row : model.cells) {
    const FairnessView view = fairness_view(row);
    if (!view.present || std::isnan(view.jain_index)) continue;
    if (worst == nullptr || view.jain_index < worst_jain) {
      worst = &row;
      worst_jain = view.jain_index;
    }
  }
  return worst;
}

/// Queueing models next to the measurements: how many cells each model covers and the
/// largest gap in P(wait) between model and measurement.
std::string models_finding(const ReportModel& model) {
  std::map<std::string, int> counts;
  int without = 0;
  const CellRow* widest = nullptr;
  double widest_gap = -1;
  for (const auto& row : model.cells) {
    if (row.status != "ok" || row.verdict.kind == VerdictKind::invalid) continue;
    const QueueModel q = queue_model(row);
    if (q.name.empty()) {
      ++without;
      continue;
    }
    ++counts[q.name];
    const double gap = std::fabs(q.p_wait - q.measured_p_wait);
    if (!std::isnan(gap) && gap > widest_gap) {
      widest_gap = gap;
      widest = &row;
    }
  }
  if (counts.empty()) return {};
  std::vector<std::string> parts;
  for (const auto& [name, n] : counts) parts.push_back(fmt::format("{} for {} cells", name, n));
  std::string text =
      fmt::format("Queueing models next to the measurements: {}", fmt::join(parts, ", "));
  if (without > 0) text += fmt::format(" ({} cells without one: see their details)", without);
  if (widest != nullptr) {
    const QueueModel q = queue_model(*widest);
    text += fmt::format("; the widest gap in P(wait) is {}: {} predicted, {} measured{}",
                        widest->label, format_percent(q.p_wait), format_percent(q.measured_p_wait),
                        q.measured_wait_source == "queue_wait"
                            ? " (waits for a slot over 1 ms)"
                            : " (checkout waits over 1 ms, connect and pre-ping included)");
  }
  return text + ".";
}

/// HikariCP's cores × 2 + spindles beside the smallest adequate pool, per group.
std::string hikari_finding(const ReportModel& model) {
  if (model.analysis == nullptr) return {};
  const nlohmann::json* groups = find_path(*model.analysis, {"groups"});
  if (groups == nullptr || !groups->is_array() || groups->empty()) return {};
  std::vector<std::string> parts;
  std::string rule;
  for (const auto& group : *groups) {
    const nlohmann::json* hikari = find_path(group, {"hikaricp"});
    if (hikari == nullptr || !hikari->is_object()) continue;
    if (status_of(*hikari) != "ok") {
      rule = hikari->value("reason", std::string("not computed"));
      continue;
    }
    rule = fmt::format("{} server cores: {}", format_number(number_at(*hikari, "cores")),
                       hikari->value("cores_source", std::string("?")));
    const nlohmann::json* smallest = find_path(group, {"smallest_met"});
    const std::string measured = smallest != nullptr && smallest->is_object()
                                     ? cell_label(model, smallest->value("cell", std::string()))
                                     : "none met";
    parts.push_back(fmt::format("{} connections vs {}",
                                format_number(number_at(*hikari, "connections")), measured));
  }
  if (rule.empty()) return {};
  if (parts.empty()) return fmt::format("HikariCP's cores x 2 + spindles: {}.", rule);
  return fmt::format(
      "HikariCP's cores x 2 + spindles ({}) vs the smallest adequate pool "
      "measured: {}.",
      rule, fmt::join(parts, "; "));
}

/// Who bore the waiting: the least even cell, and why barging starves clients.
std::string fairness_finding(const ReportModel& model) {
  const CellRow* worst = least_fair(model);
  if (worst == nullptr) return {};
  const FairnessView view = fairness_view(*worst);
  std::string text = fmt::format(
      "Fairness per client: the least even cell is {} (Jain's index of completions {:.2f}; {} "
      "to {} requests completed per client",
      worst->label, view.jain_index, format_number(view.completions_min),
      format_number(view.completions_max));
  if (view.timeouts > 0) {
    text +=
        fmt::format("; the worst fifth of the clients bore {} of the {} timeouts",
                    format_percent(view.timeouts_worst_fifth_share), format_number(view.timeouts));
  }
  text += ").";
  if (view.jain_index < k_uneven_jain && param_value(model, *worst, "fairness") == "sqlalchemy") {
    text +=
        " With pool.fairness sqlalchemy a client that checks a connection in and asks again at "
        "once takes it back before the woken waiter runs (barging): the busy clients keep the "
        "connections and the rest wait until they time out; fifo hands each returned connection "
        "to the oldest waiter.";
  }
  return text;
}

std::string seed_row_text(const ReportModel& model, const nlohmann::json& row) {
  const std::string verdict = row.value("verdict", std::string("?"));
  const nlohmann::json* evidence = find_path(row, {"evidence_cell"});
  std::string by;
  if (evidence != nullptr && evidence->is_string()) {
    by = fmt::format(" ({} {})",
                     row.value("basis", std::string()) == "inferred" ? "inferred from" : "by",
                     cell_label(model, evidence->get<std::string>()));
  }
  return fmt::format(
      "\"{}\" {}+{} for {}: {}{}", row.value("label", row.value("name", std::string("?"))),
      format_number(number_at(row, "pool_size")), format_number(number_at(row, "max_overflow")),
      row.value("applies", row.value("table", std::string("?"))),
      verdict == "not_covered" ? "not covered" : verdict, by);
}

}  // namespace

QueueModel queue_model(const CellRow& row) {
  QueueModel out;
  if (const nlohmann::json* erlang = analysis_object(row, "erlang_c")) {
    const std::string status = status_of(*erlang);
    if (status == "ok" || status == "unstable") {
      out.name = "Erlang C";
      read_model(out, *erlang);
      return out;
    }
  }
  if (const nlohmann::json* finite = analysis_object(row, "finite_source")) {
    if (status_of(*finite) == "ok") {
      out.name = "finite source";
      read_model(out, *finite);
    }
  }
  return out;
}

std::string model_text(const CellRow& row) {
  const QueueModel q = queue_model(row);
  if (q.name.empty()) return "—";
  // Older results measured only the checkout wait: its connects and pre-pings are not
  // queueing, so the measured side says what it holds.
  const char* note =
      q.measured_wait_source == "queue_wait" ? "" : ", checkout wait with connect and pre-ping";
  std::string text = fmt::format("{}: P(wait) {} (measured {}{})", q.name, format_percent(q.p_wait),
                                 format_percent(q.measured_p_wait), note);
  if (q.status == "unstable") return text + ", unstable (offered load above the pool)";
  text += fmt::format(", wait p99 {} ms ({})", format_ms(q.p99_wait_ms),
                      format_ms(q.measured_p99_wait_ms));
  if (!std::isnan(q.throughput_rps)) {
    text += fmt::format(", {} rps ({})", format_rps(q.throughput_rps),
                        format_rps(q.measured_throughput_rps));
  }
  return text;
}

FairnessView fairness_view(const CellRow& row) {
  FairnessView out;
  if (row.cell == nullptr) return out;
  const nlohmann::json* fairness = find_path(*row.cell, {"summary", "fairness"});
  if (fairness == nullptr || !fairness->is_object()) return out;
  out.present = true;
  out.clients = number_at(*fairness, "clients");
  out.jain_index = number_at(*fairness, "jain_index");
  out.completions_min = number_at(*fairness, "completions_min");
  out.completions_max = number_at(*fairness, "completions_max");
  out.timeouts = number_at(*fairness, "timeouts");
  out.timeouts_worst_fifth_share = number_at(*fairness, "timeouts_worst_fifth_share");
  return out;
}

std::string fairness_text(const CellRow& row) {
  const FairnessView view = fairness_view(row);
  if (!view.present || std::isnan(view.jain_index)) return "—";
  std::string text =
      fmt::format("Jain {:.2f}; {}-{} completed per client", view.jain_index,
                  format_number(view.completions_min), format_number(view.completions_max));
  if (view.timeouts > 0) {
    text +=
        fmt::format("; worst fifth bore {} of {} timeouts",
                    format_percent(view.timeouts_worst_fifth_share), format_number(view.timeouts));
  }
  return text;
}

std::string cell_label(const ReportModel& model, const std::string& id) {
  for (const auto& row : model.cells) {
    if (row.id == id) return row.label;
  }
  return id;
}

std::string seed_rows_finding(const ReportModel& model) {
  if (model.analysis == nullptr) return {};
  const nlohmann::json* groups = find_path(*model.analysis, {"groups"});
  if (groups == nullptr || !groups->is_array()) return {};
  std::vector<std::string> rows;
  for (const auto& group : *groups) {
    const nlohmann::json* seed_rows = find_path(group, {"seed_rows"});
    if (seed_rows == nullptr || !seed_rows->is_array()) continue;
    for (const auto& row : *seed_rows) {
      if (row.is_object() && row.contains("verdict")) rows.push_back(seed_row_text(model, row));
    }
  }
  if (rows.empty()) return {};
  const std::size_t more = rows.size() > k_rows_named ? rows.size() - k_rows_named : 0;
  rows.resize(rows.size() - more);
  return fmt::format("The seeds' tuning-table rows that apply, judged against these cells: {}{}.",
                     fmt::join(rows, "; "),
                     more > 0 ? fmt::format("; and {} more (cell details)", more) : "");
}

std::vector<std::string> model_findings(const ReportModel& model) {
  std::vector<std::string> out;
  for (std::string line : {models_finding(model), hikari_finding(model), fairness_finding(model)}) {
    if (!line.empty()) out.push_back(std::move(line));
  }
  return out;
}

}  // namespace poolbench::report
