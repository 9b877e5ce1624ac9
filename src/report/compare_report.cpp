#include "report/compare_report.hpp"

#include <cmath>

#include <fmt/format.h>

#include "report/markdown_text.hpp"
#include "report/mustache_view.hpp"
#include "report/templates.hpp"

namespace poolbench::report {
namespace {

using analysis::Basis;
using analysis::Comparison;
using analysis::MetricComparison;

bool is_fraction(const MetricComparison& metric) {
  return metric.unit == "fraction";
}

/// A value for people: fractions as percentages, others with 3-4 significant digits.
std::string value_text(const MetricComparison& metric, double value) {
  if (is_fraction(metric)) return fmt::format("{:.2f}%", 100 * value);
  const double size = std::abs(value);
  if (size >= 1000) return fmt::format("{:.0f}", value);
  if (size >= 100) return fmt::format("{:.1f}", value);
  if (size >= 1) return fmt::format("{:.2f}", value);
  if (size >= 0.01 || value == 0) return fmt::format("{:.3f}", value);
  return fmt::format("{:.3g}", value);
}

/// Relative change in percent; percentage points for fractions; the absolute change when
/// the baseline is 0.
std::string change_text(const MetricComparison& metric) {
  if (is_fraction(metric)) return fmt::format("{:+.2f} pp", 100 * metric.change);
  if (metric.relative_change) return fmt::format("{:+.1f}%", 100 * *metric.relative_change);
  return fmt::format("{:+.3g} {}", metric.change, metric.unit);
}

std::string threshold_text(const MetricComparison& metric) {
  std::string text;
  if (metric.threshold.relative) text = fmt::format("{}%", 100 * *metric.threshold.relative);
  if (metric.threshold.absolute) {
    if (!text.empty()) text += " & ";
    text += is_fraction(metric) ? fmt::format("+{} pp", 100 * *metric.threshold.absolute)
                                : fmt::format("+{} {}", *metric.threshold.absolute, metric.unit);
  }
  return text;
}

std::string p_text(const MetricComparison& metric) {
  if (!metric.p_value) return "-";
  return *metric.p_value < 0.001 ? std::string("<0.001") : fmt::format("{:.3f}", *metric.p_value);
}

std::string totals_text(const Comparison& comparison) {
  const std::size_t metrics = comparison.cells.empty() ? 0 : comparison.cells[0].metrics.size();
  return fmt::format("{} regressed, {} improved, {} unchanged ({} cell{} x {} metrics)",
                     comparison.count(analysis::Verdict::regressed),
                     comparison.count(analysis::Verdict::improved),
                     comparison.count(analysis::Verdict::unchanged), comparison.cells.size(),
                     comparison.cells.size() == 1 ? "" : "s", metrics);
}

std::string test_text(const Comparison& comparison) {
  return fmt::format(
      "Mann-Whitney U, two-sided, alpha {}; a change is a regression only when it is "
      "significant and beyond its threshold",
      comparison.alpha);
}

std::string repetitions_text(const analysis::CellComparison& cell) {
  return fmt::format("{} vs {} repetition{}", cell.baseline_repetitions, cell.current_repetitions,
                     cell.current_repetitions == 1 ? "" : "s");
}

/// A metric's own note worth printing next to it: thresholds-only notes are said once for
/// the whole comparison.
const std::string* shown_note(const MetricComparison& metric) {
  if (metric.note.empty() || metric.basis == Basis::thresholds_only) return nullptr;
  return &metric.note;
}

/// The verdict's name, a regression in bold.
std::string md_verdict(analysis::Verdict verdict) {
  const std::string name(to_string(verdict));
  return verdict == analysis::Verdict::regressed ? "**" + name + "**" : name;
}

std::string md_row(const std::string& cell, const MetricComparison& metric) {
  return fmt::format("| {} | `{}` | {} | {} | {} | {} | {} | {} |\n", markdown_cell_text(cell),
                     metric.metric, value_text(metric, metric.baseline_value),
                     value_text(metric, metric.current_value), change_text(metric), p_text(metric),
                     markdown_cell_text(threshold_text(metric)), md_verdict(metric.verdict));
}

constexpr const char* k_md_header =
    "| cell | metric | baseline | current | change | p | threshold | verdict |\n"
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |\n";

nlohmann::json metric_json(const MetricComparison& metric) {
  nlohmann::json threshold = {{"text", metric.threshold.to_string()}};
  threshold["relative"] = metric.threshold.relative ? nlohmann::json(*metric.threshold.relative)
                                                    : nlohmann::json(nullptr);
  threshold["absolute"] = metric.threshold.absolute ? nlohmann::json(*metric.threshold.absolute)
                                                    : nlohmann::json(nullptr);
  return {
      {"metric", metric.metric},
      {"unit", metric.unit},
      {"better", metric.better == analysis::Better::smaller ? "smaller" : "bigger"},
      {"baseline", metric.baseline_value},
      {"current", metric.current_value},
      {"change", metric.change},
      {"relative_change",
       metric.relative_change ? nlohmann::json(*metric.relative_change) : nlohmann::json(nullptr)},
      {"threshold", threshold},
      {"beyond_threshold", metric.beyond_threshold},
      {"basis", metric.basis == Basis::test ? "test" : "thresholds_only"},
      {"p_value", metric.p_value ? nlohmann::json(*metric.p_value) : nlohmann::json(nullptr)},
      {"significant", metric.significant},
      {"verdict", std::string(analysis::to_string(metric.verdict))},
      {"repetitions_needed", metric.repetitions_needed},
      {"note", metric.note},
      {"baseline_samples", metric.baseline},
      {"current_samples", metric.current},
  };
}

std::string metric_summary(const MetricComparison& metric) {
  return fmt::format("baseline {}, current {} ({}), p {}, threshold {}: {}{}",
                     value_text(metric, metric.baseline_value),
                     value_text(metric, metric.current_value), change_text(metric), p_text(metric),
                     threshold_text(metric), analysis::to_string(metric.verdict),
                     metric.note.empty() ? "" : "; " + metric.note);
}

}  // namespace

std::string render_compare_console(const Comparison& comparison) {
  std::string out = fmt::format("poolbench compare: scenario '{}'\n", comparison.scenario);
  out += fmt::format("  baseline  {}\n  current   {}\n  test      {}\n", comparison.baseline_source,
                     comparison.current_source, test_text(comparison));
  for (const auto& cell : comparison.cells) {
    out += fmt::format("\n{}  ({})\n", cell.label, repetitions_text(cell));
    out += fmt::format("  {:<22} {:>10} {:>10} {:>10} {:>7}  {:<14} {}\n", "metric", "baseline",
                       "current", "change", "p", "threshold", "verdict");
    for (const auto& metric : cell.metrics) {
      out +=
          fmt::format("  {:<22} {:>10} {:>10} {:>10} {:>7}  {:<14} {}\n", metric.metric,
                      value_text(metric, metric.baseline_value),
                      value_text(metric, metric.current_value), change_text(metric), p_text(metric),
                      threshold_text(metric), analysis::to_string(metric.verdict));
    }
    for (const auto& metric : cell.metrics) {
      if (const std::string* note = shown_note(metric)) {
        out += fmt::format("    {}: {}\n", metric.metric, *note);
      }
    }
  }
  out += fmt::format("\n{}\n", totals_text(comparison));
  for (const auto& note : comparison.notes) out += fmt::format("note: {}\n", note);
  return out;
}

std::string render_compare_markdown(const Comparison& comparison) {
  const int regressed = comparison.count(analysis::Verdict::regressed);
  std::string out = fmt::format(
      "### poolbench compare: `{}` — {}\n\n", comparison.scenario,
      regressed > 0 ? fmt::format(":x: {} regression{}", regressed, regressed == 1 ? "" : "s")
                    : std::string(":white_check_mark: no regression"));
  out += fmt::format("Baseline `{}`, current `{}`. {}.\n\n{}.\n\n", comparison.baseline_source,
                     comparison.current_source, test_text(comparison), totals_text(comparison));
  std::string changed;
  for (const auto& cell : comparison.cells) {
    for (const auto& metric : cell.metrics) {
      if (metric.verdict != analysis::Verdict::unchanged) changed += md_row(cell.label, metric);
    }
  }
  if (!changed.empty()) out += std::string(k_md_header) + changed + "\n";
  if (!comparison.notes.empty()) {
    for (const auto& note : comparison.notes)
      out += fmt::format("> {}\n", markdown_cell_text(note));
    out += "\n";
  }
  out += "<details><summary>Every cell and metric</summary>\n\n";
  for (const auto& cell : comparison.cells) {
    out += fmt::format("**{}** ({})\n\n{}", markdown_cell_text(cell.label), repetitions_text(cell),
                       k_md_header);
    for (const auto& metric : cell.metrics) out += md_row(cell.label, metric);
    std::string notes;
    for (const auto& metric : cell.metrics) {
      if (const std::string* note = shown_note(metric)) {
        notes += fmt::format("- `{}`: {}\n", metric.metric, markdown_cell_text(*note));
      }
    }
    out += notes.empty() ? "\n" : "\n" + notes + "\n";
  }
  out += "</details>\n";
  return out;
}

nlohmann::json compare_json(const Comparison& comparison) {
  nlohmann::json cells = nlohmann::json::array();
  for (const auto& cell : comparison.cells) {
    nlohmann::json metrics = nlohmann::json::array();
    for (const auto& metric : cell.metrics) metrics.push_back(metric_json(metric));
    cells.push_back({{"label", cell.label},
                     {"params", cell.params},
                     {"baseline_repetitions", cell.baseline_repetitions},
                     {"current_repetitions", cell.current_repetitions},
                     {"metrics", metrics}});
  }
  return {{"schema", "poolbench.compare/1"},
          {"scenario", comparison.scenario},
          {"baseline", comparison.baseline_source},
          {"current", comparison.current_source},
          {"alpha", comparison.alpha},
          {"test", "mann-whitney-u, two-sided"},
          {"outcome", comparison.any_regression() ? "regressed" : "ok"},
          {"counts",
           {{"regressed", comparison.count(analysis::Verdict::regressed)},
            {"improved", comparison.count(analysis::Verdict::improved)},
            {"unchanged", comparison.count(analysis::Verdict::unchanged)}}},
          {"thresholds_only", comparison.thresholds_only()},
          {"notes", comparison.notes},
          {"cells", cells}};
}

std::string render_compare_junit(const Comparison& comparison, const std::string& timestamp,
                                 const std::string& hostname) {
  nlohmann::json suites = nlohmann::json::array();
  int tests = 0;
  for (const auto& cell : comparison.cells) {
    nlohmann::json cases = nlohmann::json::array();
    int failures = 0;
    for (const auto& metric : cell.metrics) {
      nlohmann::json test_case = {
          {"name", metric.metric},
          {"classname", fmt::format("poolbench.compare.{}.{}", comparison.scenario, cell.label)},
          {"out", metric_summary(metric)},
          {"failure", false}};
      if (metric.verdict == analysis::Verdict::regressed) {
        ++failures;
        test_case["failure"] = {
            {"message", fmt::format("{} regressed: {} -> {} ({}), beyond the {} threshold",
                                    metric.metric, value_text(metric, metric.baseline_value),
                                    value_text(metric, metric.current_value), change_text(metric),
                                    threshold_text(metric))},
            {"details", fmt::format("{}\nbaseline samples: {}\ncurrent samples: {}",
                                    metric_summary(metric), nlohmann::json(metric.baseline).dump(),
                                    nlohmann::json(metric.current).dump())}};
      }
      cases.push_back(test_case);
    }
    tests += static_cast<int>(cases.size());
    suites.push_back({{"name", fmt::format("{}: {} ({})", comparison.scenario, cell.label,
                                           repetitions_text(cell))},
                      {"tests", static_cast<int>(cases.size())},
                      {"failures", failures},
                      {"timestamp", timestamp},
                      {"hostname", hostname},
                      {"cases", cases}});
  }
  const nlohmann::json view = {{"name", "poolbench compare " + comparison.scenario},
                               {"tests", tests},
                               {"failures", comparison.count(analysis::Verdict::regressed)},
                               {"suites", suites}};
  return render_template("junit.xml", std::string(k_junit_xml_template), view, Escaping::xml);
}

nlohmann::json benchmark_action_json(const Comparison& comparison, analysis::Better wanted) {
  nlohmann::json entries = nlohmann::json::array();
  for (const auto& cell : comparison.cells) {
    for (const auto& metric : cell.metrics) {
      if (metric.better != wanted) continue;
      entries.push_back({{"name", fmt::format("{} {}", cell.label, metric.metric)},
                         {"unit", metric.unit},
                         {"value", metric.current_value},
                         {"extra", metric_summary(metric)}});
    }
  }
  return entries;
}

}  // namespace poolbench::report
