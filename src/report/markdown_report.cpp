#include "report/markdown_report.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "report/markdown_text.hpp"

namespace poolbench::report {
namespace {

std::string table_row(const std::vector<std::string>& fields) {
  std::vector<std::string> escaped;
  for (const auto& f : fields) escaped.push_back(markdown_cell_text(f));
  return fmt::format("| {} |\n", fmt::join(escaped, " | "));
}

/// The param columns of the table: pool_size and max_overflow when present, then every
/// other varying param; a single "cell" label column when none of them exists.
std::vector<std::string> table_params(const ReportModel& model) {
  std::vector<std::string> names;
  for (const char* fixed : {"pool_size", "max_overflow"}) {
    if (std::find(model.param_names.begin(), model.param_names.end(), fixed) !=
        model.param_names.end()) {
      names.emplace_back(fixed);
    }
  }
  for (const auto& name : model.varying) {
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  return names;
}

/// "## Server": what the server counted per cell (server_rows()); empty without any.
std::string server_section(const ReportModel& model) {
  const auto rows = server_rows(model);
  if (rows.empty()) return {};
  std::string out = "\n## Server\n\n";
  out += table_row({"cell", "cache hit", "WAL / request", "checkpoints", "temp / request",
                    "server CPU ms / request", "client CPU ms / request", "wait events"});
  out += table_row({"---", "---:", "---:", "---:", "---:", "---:", "---:", "---"});
  for (const auto& row : rows) {
    out += table_row({row.cell, row.cache_hit, row.wal, row.checkpoints, row.temp, row.server_cpu,
                      row.client_cpu, row.waits});
  }
  out +=
      "\n\"Per request\" means per request completed between the server's two readings "
      "(`server_stats.window.requests`).\n";
  if (const std::string note = server_lag_note(model); !note.empty()) out += "\n" + note + "\n";
  return out;
}

/// A "## title" section of `lines` as a list under `intro`; empty without lines.
std::string list_section(const std::string& title, const std::string& intro,
                         const std::vector<std::string>& lines) {
  if (lines.empty()) return {};
  std::string out = "\n## " + title + "\n\n" + intro + "\n\n";
  for (const auto& line : lines) out += "- " + markdown_cell_text(line) + "\n";
  return out;
}

/// "## Largest server-side differences between profiles" (analysis.server_differences).
std::string server_differences_section(const ReportModel& model) {
  return list_section("Largest server-side differences between profiles",
                      "Means over the cells that differ only in their server profile; listed "
                      "only where the profiles' ranges over their cells do not overlap.",
                      server_difference_lines(model));
}

/// "## Plan changes" (analysis.plan_changes): each statement's plan shape per profile.
std::string plan_changes_section(const ReportModel& model) {
  return list_section("Plan changes",
                      "Statements whose plan shape (node types, join order, indexes; not costs) "
                      "is not the same in every cell, from `EXPLAIN` before each cell's load: "
                      "each profile's plan, with the mean p50 latency of its cells that ran the "
                      "statement.",
                      plan_change_lines(model));
}

}  // namespace

std::string markdown_cell_text(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n' || c == '\r') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string render_summary_md(const ReportModel& model) {
  std::string out = fmt::format("# poolbench report: {}\n\n",
                                model.scenario_name.empty() ? model.source : model.scenario_name);
  if (!model.description.empty()) out += model.description + "\n\n";
  std::size_t ok = 0;
  for (const auto& row : model.cells) ok += row.status == "ok" ? 1 : 0;
  std::vector<std::string> facts;
  if (!model.load_text.empty()) facts.push_back("load: " + model.load_text);
  facts.push_back(fmt::format("{} cells ({} ok)", model.cells.size(), ok));
  if (!model.slo_text.empty()) facts.push_back("SLO: " + model.slo_text);
  facts.push_back(model.verdict_source == "analysis" ? "verdicts from the sizing analysis"
                  : model.verdict_source == "slo"    ? "verdicts from the SLO"
                                                     : "no SLO, no verdicts");
  out += fmt::format("{}\n\n", fmt::join(facts, " · "));
  if (const std::string note = invalid_note(model); !note.empty()) {
    out += "**Invalid cells.** " + note + "\n\n";
  }

  const std::vector<std::string> params = table_params(model);
  std::vector<std::string> header;
  std::vector<std::string> rule;
  if (params.empty()) {
    header.emplace_back("cell");
    rule.emplace_back("---");
  }
  for (const auto& name : params) {
    header.push_back(name);
    rule.emplace_back("---");
  }
  for (const char* name : {"rps", "p99 ms", "timeouts", "dropped", "errors"}) {
    header.emplace_back(name);
    rule.emplace_back("---:");
  }
  header.emplace_back("verdict");
  rule.emplace_back("---");
  out += table_row(header) + table_row(rule);
  for (const CellRow* row : rows_invalid_first(model)) {
    std::vector<std::string> fields;
    if (params.empty()) fields.push_back(row->label);
    for (const auto& name : params) fields.push_back(param_value(model, *row, name));
    fields.push_back(format_rps(row->throughput_rps));
    fields.push_back(format_ms(row->latency_p99_ms));
    fields.push_back(format_percent(row->timeout_rate));
    fields.push_back(format_percent(row->drop_rate));
    fields.push_back(format_percent(row->error_rate));
    fields.push_back(row->verdict.text);
    out += table_row(fields);
  }

  const auto found = findings(model);
  if (!found.empty()) {
    out += "\n## Findings\n\n";
    for (const auto& line : found) out += "- " + line + "\n";
  }
  if (const auto faults = fault_rows(model); !faults.empty()) {
    out += "\n## Faults\n\n";
    out += table_row({"cell", "fault", "errors", "timeouts", "recovery", "pool"});
    out += table_row({"---", "---", "---:", "---:", "---", "---"});
    for (const auto& fault : faults) {
      out += table_row(
          {fault.cell, fault.fault, fault.errors, fault.timeouts, fault.recovery, fault.pool});
    }
  }
  out += server_section(model);
  out += server_differences_section(model);
  out += plan_changes_section(model);
  out += "\nFull report: `index.html` (charts, per-cell details); data: `cells.csv`.\n";
  return out;
}

}  // namespace poolbench::report
