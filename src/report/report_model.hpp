#pragma once

// The plain data every file reporter (CSV, Markdown, HTML, charts) is fed: one row per
// results.json cell with its display parameters, key summary numbers and verdict, built once
// from a results document and an optional `analysis` object (src/analysis/, or
// results["analysis"]). Reporters never read results.json themselves.
//
// Analysis keys consumed (src/analysis/analyze.hpp's layout, "poolbench.analysis/1"; all
// optional, anything missing falls back or is left out):
//   analysis.cells[]            matched to results cells by "id" (else "index", else position);
//                               an object keyed by cell id is accepted too
//     .verdict                  "adequate" | "undersized" | "oversized" | "not_measured" |
//                               "over_budget" | "invalid"
//     .reasons[]                strings (joined with "; "), or .reason
//     .group                    key of its entry in analysis.groups
//     .erlang_c.status          "ok" | "unstable" | "not_applicable"
//     .erlang_c.predicted_timeout_rate   fraction (dashed lines, timeout panel)
//     .erlang_c.p99_wait_ms     if ever provided (dashed lines, wait panel)
//     .seeds_formula.connections_needed  (a marker: the group's median)
//     every other object member (little, sum_rule, hikaricp, ...) and .monitoring[] are
//     listed in the cell's details as they are
//   analysis.groups[]           .key, .erlang_c_smallest_servers (a marker), .usl {lambda,
//                               sigma, kappa, peak_concurrency (N*), concurrency_source,
//                               note}, .seed_rows[] {verdict} (a finding)
//   analysis.findings[]         strings, if ever provided: used instead of computed ones
//
// Lifetime: a ReportModel points into the results and analysis JSON it was built from;
// they must outlive it.

#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/slo.hpp"

namespace poolbench::report {

inline constexpr double k_nan = std::numeric_limits<double>::quiet_NaN();

/// `invalid`: the load generator fell behind (results.json cells[].invalid): the cell's
/// numbers are poolbench's limit, not the system's; it gets no other verdict.
enum class VerdictKind {
  adequate,
  undersized,
  oversized,
  slo_met,
  slo_missed,
  failed,
  invalid,
  none
};

struct Verdict {
  VerdictKind kind = VerdictKind::none;
  std::string text;    ///< "undersized", "SLO met", "—"
  std::string reason;  ///< one line, may be empty
};

/// One cell, as every reporter shows it. Numbers are NaN when the cell has no such value
/// (a failed cell has no summary).
struct CellRow {
  std::string id;
  int index = 0;
  int repetition = 0;
  std::string status;
  /// Every parameter by display name (pool_size, max_overflow, profile, pool_timeout_s,
  /// fairness, then other axes by key path), values as text, in ReportModel::param_names
  /// order.
  std::vector<std::string> param_values;
  std::string label;   ///< short: "2+0 ssd" (pool_size+max_overflow, then varying params)
  std::string series;  ///< varying params other than pool_size: "max_overflow=0 profile=ssd"
  double pool_size = k_nan;
  double max_overflow = k_nan;
  std::string profile;

  std::string invalid_reason;  ///< cells[].invalid.reason, empty when the cell is valid
  double requests = k_nan;
  double timeouts = k_nan;
  double errors = k_nan;
  double dropped = k_nan;     ///< open-loop arrivals beyond max_in_flight: never served
  double drop_rate = k_nan;   ///< dropped / requests
  double error_rate = k_nan;  ///< errors / requests (pool timeouts not included)
  double throughput_rps = k_nan;
  double timeout_rate = k_nan;
  double latency_p50_ms = k_nan;
  double latency_p99_ms = k_nan;
  double latency_max_ms = k_nan;
  double checkout_wait_p99_ms = k_nan;
  /// The wait for a slot alone (summary.queue_wait_ms; NaN in results older than it).
  double queue_wait_p99_ms = k_nan;
  double hold_mean_ms = k_nan;
  double mean_checked_out = k_nan;
  double max_checked_out = k_nan;
  Verdict verdict;

  const nlohmann::json* cell = nullptr;      ///< the results.json cell
  const nlohmann::json* analysis = nullptr;  ///< its analysis entry, or nullptr
};

struct ReportModel {
  std::string source;  ///< file name shown in messages and the page
  std::string scenario_name;
  std::string scenario_file;
  std::string description;
  std::string load_text;       ///< "open loop, 200 rps (poisson), 6s"
  double offered_rps = k_nan;  ///< open loop only
  /// "no timeouts, p99 <= 250 ms, no drops, no errors", or empty
  std::string slo_text;
  analysis::SloLimits slo;  ///< the scenario's slo: (analysis/slo.hpp)
  double slo_timeout_rate = k_nan;
  double slo_p99_ms = k_nan;
  std::string verdict_source;            ///< "analysis", "slo" or "none"
  std::vector<std::string> param_names;  ///< display names, for CellRow::param_values
  std::vector<std::string> varying;      ///< the param names whose values differ
  bool repetitions_vary = false;
  std::vector<CellRow> cells;
  const nlohmann::json* results = nullptr;
  const nlohmann::json* analysis = nullptr;  ///< an object, or nullptr
};

/// Builds the model. `analysis` may be null or an empty object. Calls
/// results::check_results.
ReportModel build_model(const nlohmann::json& results, const nlohmann::json* analysis,
                        const std::string& source);

/// One injected fault of one cell (a cell's `faults`), as text for the tables.
struct FaultRow {
  std::string cell;      ///< the cell's label
  std::string fault;     ///< "restart (immediate) at 10.0 s", "stall 2s at 20.0 s"
  std::string detail;    ///< what the injector did, or its error
  std::string errors;    ///< "12 (57P01 8, 08006 4)"
  std::string timeouts;  ///< "0"
  std::string recovery;  ///< "1.2 s (down to 35 rps from 610)", "not back before the end"
  std::string pool;      ///< "3 invalidated, 2 failed pre-pings, 5 connects"
};

/// What the server did in one cell (cells[].server_stats and the summary's keys derived
/// from it), as text for the tables; "—" where the cell has no value.
struct ServerRow {
  std::string cell;         ///< the cell's label
  std::string cache_hit;    ///< "99.7%"
  std::string wal;          ///< WAL bytes per request, "1.2kB"
  std::string checkpoints;  ///< "2 (1 requested)"
  std::string temp;         ///< temp file bytes per request, "0B"
  std::string server_cpu;   ///< server CPU ms per request, "0.412"
  std::string client_cpu;   ///< poolbench CPU ms per request
  std::string waits;        ///< the three most sampled wait events, "Lock:transactionid 12"
};

/// One row per cell that has server_stats, in cell order; empty when none has.
std::vector<ServerRow> server_rows(const ReportModel& model);

/// What lags in the Server table (docs/results.md, "What lags") when the cells' windows are
/// short enough for it to matter, with the bound for the shortest; empty otherwise.
std::string server_lag_note(const ReportModel& model);

/// analysis.server_differences as lines, largest first: "checkpoints: wal-read-heavy 4 vs
/// wal-write-heavy 0 (pool.pool_size=5; 2 and 2 cells)". Empty without any.
std::vector<std::string> server_difference_lines(const ReportModel& model);

/// analysis.plan_changes as lines, one per statement: each profile's plan shape with the
/// p50 latency of its cells, "Plan change: lookup line 1 -- ssd: Index Scan using ... (p50
/// 0.8 ms); hdd: Seq Scan on ... (p50 4.1 ms)."; "Plan varies" with a caveat when a profile's
/// own cells recorded different plans. Empty without any.
std::vector<std::string> plan_change_lines(const ReportModel& model);

/// The rows in the order the verdict tables list them: invalid cells first (their numbers
/// are the load generator's limit, which must be read before anything else), then the rest
/// in cell order.
std::vector<const CellRow*> rows_invalid_first(const ReportModel& model);

/// "2 of 12 cells are invalid: ... left out of the models and verdicts", or empty.
std::string invalid_note(const ReportModel& model);

/// Every cell's faults, in cell order then time order; empty when no cell has any.
std::vector<FaultRow> fault_rows(const ReportModel& model);

/// The value of a param by display name, or empty.
std::string param_value(const ReportModel& model, const CellRow& row, const std::string& name);

/// Number formatting shared by the reporters ("—" for NaN).
std::string format_ms(double ms);             ///< 3 significant digits: "288", "12.3", "0.412"
std::string format_percent(double fraction);  ///< "54.3%", "0%", "0.12%"
std::string format_rps(double rps);           ///< "90.0"
std::string format_number(double value);      ///< shortest round-trip, "—" for NaN

/// A number at `key` of `object` (NaN when absent or not a number).
double number_at(const nlohmann::json& object, const char* key);
/// `object[a][b]...` when each step is an object holding the key; nullptr otherwise.
const nlohmann::json* find_path(const nlohmann::json& object,
                                std::initializer_list<const char*> keys);

/// A number at `path` in the cell's analysis entry; NaN when absent.
double analysis_number(const CellRow& row, std::initializer_list<const char*> path);
/// Erlang C's predicted timeout rate (fraction) for the cell; NaN when not applicable.
double erlang_c_timeout_rate(const CellRow& row);
/// Erlang C's predicted p99 checkout wait (ms), if the analysis provides one; else NaN.
double erlang_c_p99_wait_ms(const CellRow& row);
/// The analysis.groups entry of the cell's group, or nullptr.
const nlohmann::json* analysis_group(const ReportModel& model, const CellRow& row);

/// The median of the values that are not NaN; NaN when there is none.
double median(std::vector<double> values);

/// The cell the time-series chart shows by default: the highest timeout rate, ties (and an
/// all-zero column) broken by p99 latency. -1 when there are no cells.
int worst_cell(const ReportModel& model);

/// Top findings: analysis.findings when present, else 3-5 computed from the rows
/// (findings.cpp).
std::vector<std::string> findings(const ReportModel& model);

}  // namespace poolbench::report
