#include "cli/matrix_console.hpp"

#include <algorithm>
#include <cmath>
#include <ostream>
#include <set>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "analysis/slo.hpp"
#include "analysis/validity.hpp"
#include "matrix/cell_runner.hpp"
#include "util/error.hpp"

namespace poolbench::cli {
namespace {

std::string pool_shape(const matrix::Cell& cell) {
  const auto& p = cell.scenario.pool;
  if (!p.fleet.empty()) {
    std::vector<std::string> parts;
    for (const auto& instance : scenario::resolve_instances(cell.scenario)) {
      parts.push_back(fmt::format("{} {}+{}", instance.name, instance.settings.pool_size,
                                  instance.settings.max_overflow));
    }
    return fmt::format("{} on {}", fmt::join(parts, ", "), cell.scenario.server.profile);
  }
  return fmt::format("{} x ({} + {}) on {}", p.instances, p.settings.pool_size,
                     p.settings.max_overflow, cell.scenario.server.profile);
}

}  // namespace

std::string format_eta(double seconds) {
  const long total = std::lround(std::max(0.0, seconds));
  if (total >= 3600) return fmt::format("{}h{:02}m", total / 3600, (total % 3600) / 60);
  if (total >= 60) return fmt::format("{}m{:02}s", total / 60, total % 60);
  return fmt::format("{}s", total);
}

void print_plan(const std::vector<matrix::Cell>& cells, std::chrono::microseconds settle,
                std::ostream& out) {
  double total_s = 0;
  fmt::print(out, "{} cells, in run order:\n", cells.size());
  for (const auto& cell : cells) {
    const double planned = matrix::planned_seconds(cell, settle);
    total_s += planned;
    fmt::print(out, "  [{:>3}] {:<60} rep {}  ~{}\n", cell.index + 1,
               matrix::describe_params(cell.params), cell.repetition, format_eta(planned));
  }
  fmt::print(out,
             "Estimated time: {} (warmup + duration + settle per cell; add a few seconds per "
             "profile change and for the dataset)\n",
             format_eta(total_s));
}

void print_budgets(const std::vector<matrix::CellBudget>& budgets, std::ostream& out) {
  std::set<std::string> seen;
  fmt::print(out, "Connection budget (instances x (pool_size + max_overflow) + {} harness):\n",
             matrix::k_harness_connections);
  for (const auto& budget : budgets) {
    const std::string shape = pool_shape(*budget.cell);
    if (!seen.insert(shape).second) continue;
    if (budget.verdict.fits) {
      fmt::print(out, "  {:<32} fits: {} of the {} connections max_connections leaves\n", shape,
                 budget.verdict.needed, budget.verdict.available);
    } else {
      fmt::print(out, "  {:<32} OVER BUDGET: {}\n", shape, budget.verdict.message);
    }
  }
}

void enforce_budgets(const std::vector<matrix::CellBudget>& budgets, bool allow,
                     std::ostream& err) {
  std::vector<std::string> over;
  std::set<std::string> seen;
  for (const auto& budget : budgets) {
    if (budget.verdict.fits) continue;
    const std::string shape = pool_shape(*budget.cell);
    if (seen.insert(shape).second) {
      over.push_back(
          fmt::format("  cell {} ({}): {}", budget.cell->id, shape, budget.verdict.message));
    }
  }
  if (over.empty()) return;
  if (!allow) {
    throw InputError(fmt::format(
        "matrix: {} pool shape(s) cannot fit the server's max_connections:\n{}\nRun them anyway "
        "with --allow-over-budget (their too_many_connections errors are then counted), or "
        "change the matrix.",
        over.size(), fmt::join(over, "\n")));
  }
  fmt::print(err, "warning: --allow-over-budget: these cells exceed max_connections:\n{}\n",
             fmt::join(over, "\n"));
}

void print_cell_line(const matrix::CellReport& report, std::ostream& out) {
  const auto& s = report.result["summary"];
  const std::string status = report.result.value("status", std::string("?"));
  // "no slo": nothing was judged (a scenario without slo: limits), not "met".
  std::string verdict = !report.slo_misses.empty()       ? "SLO MISS"
                        : report.cell.scenario.slo.any() ? "slo ok"
                                                         : "no slo";
  if (status != "ok") verdict = status;
  if (report.result.contains("invalid")) verdict = "INVALID";
  fmt::print(out,
             "[{:>3}/{}] {:<44} {:>8.1f} rps  p99 {:>8.2f} ms  wait p99 {:>8.2f} ms  timeouts "
             "{:>6.2f}%  dropped {:<4} errors {:<4} {:<8} ETA {}\n",
             report.position, report.to_run, matrix::describe_params(report.cell.params),
             s["throughput_rps"].get<double>(), s["latency_ms"]["p99"].get<double>(),
             s["checkout_wait_ms"]["p99"].get<double>(), 100.0 * s["timeout_rate"].get<double>(),
             s["dropped"].get<long long>(), s["errors"].get<long long>(), verdict,
             format_eta(report.eta_s));
}

namespace {

/// The verdict column of a stored cell: INVALID with its reason, its status, or the slo:.
std::string table_verdict(const matrix::Cell& cell, const nlohmann::json& stored) {
  if (const std::string reason = analysis::invalid_reason(stored); !reason.empty()) {
    return "INVALID: " + reason;
  }
  std::string verdict = stored.value("status", std::string("?"));
  if (verdict != "ok") return verdict;
  const auto misses = matrix::slo_misses(cell.scenario, stored);
  // "slo.timeout_rate: limit ..." -> "timeout_rate": the numbers are in the columns.
  std::vector<std::string> names;
  for (const auto& miss : misses) names.push_back(miss.substr(4, miss.find(':') - 4));
  verdict = !misses.empty()           ? fmt::format("SLO MISS: {}", fmt::join(names, ", "))
            : cell.scenario.slo.any() ? "slo ok"
                                      : "no slo";
  // Errors always deserve a look: the most frequent SQLSTATE.
  std::string top;
  long long most = 0;
  for (const auto& [state, count] : stored["summary"]["errors_by_sqlstate"].items()) {
    if (count.get<long long>() > most) {
      most = count.get<long long>();
      top = state;
    }
  }
  if (most > 0) verdict += fmt::format("; errors mostly {} ({})", top, most);
  return verdict;
}

}  // namespace

void print_matrix_table(const nlohmann::json& document, const std::vector<matrix::Cell>& cells,
                        std::ostream& out) {
  fmt::print(out, "\n{:<44} {:>3} {:>9} {:>9} {:>9} {:>10} {:>8} {:>6} {:>6} {:>6}  {}\n", "cell",
             "rep", "rps", "p50 ms", "p99 ms", "wait p99", "timeout%", "drop%", "errors", "max_co",
             "verdict");
  std::vector<std::pair<const matrix::Cell*, const nlohmann::json*>> rows;
  for (const auto& cell : cells) {
    const nlohmann::json* stored = nullptr;
    for (const auto& c : document["cells"]) {
      if (c.value("id", std::string()) == cell.id) stored = &c;
    }
    rows.emplace_back(&cell, stored);
  }
  // Invalid cells first: their numbers are the generator's limit, to be read before the rest.
  std::stable_partition(rows.begin(), rows.end(), [](const auto& row) {
    return row.second != nullptr && row.second->contains("invalid");
  });
  for (const auto& [cell, stored] : rows) {
    const std::string params = matrix::describe_params(cell->params);
    if (stored == nullptr) {
      fmt::print(out, "{:<44} {:>3} {:>9}\n", params, cell->repetition, "not run");
      continue;
    }
    const auto& s = (*stored)["summary"];
    const auto rates = analysis::measured_rates(s);
    fmt::print(
        out,
        "{:<44} {:>3} {:>9.1f} {:>9.2f} {:>9.2f} {:>10.2f} {:>8.2f} {:>6.2f} {:>6} {:>6}  {}\n",
        params, cell->repetition, s["throughput_rps"].get<double>(),
        s["latency_ms"]["p50"].get<double>(), s["latency_ms"]["p99"].get<double>(),
        s["checkout_wait_ms"]["p99"].get<double>(), 100.0 * rates.timeout_rate,
        100.0 * rates.drop_rate, s["errors"].get<long long>(),
        s["pool"]["max_checked_out"].get<int>(), table_verdict(*cell, *stored));
  }
}

}  // namespace poolbench::cli
