#pragma once

// What the report says about a cell's queueing model, its fairness per client and the
// HikariCP rule, read from the ReportModel (report_model.hpp): the analysis's
// cells[].erlang_c / finite_source / hikaricp, groups[].smallest_met / seed_rows and the
// cell's summary.fairness. Text meant for people names cells by their report labels, never
// by internal ids.

#include <string>
#include <vector>

#include "report/report_model.hpp"

namespace poolbench::report {

/// The queueing model the analysis applied to a cell: Erlang C (open loop) or the
/// finite-source model M/M/c//N (closed loop). Numbers are NaN when absent.
struct QueueModel {
  std::string name;    ///< "Erlang C", "finite source", empty when neither applies
  std::string status;  ///< the analysis's status ("ok", "unstable")
  /// What the measured waits are: "queue_wait" (acquire to the pool's grant, what the models
  /// describe) or "checkout_wait" (older results: connect and pre-ping included).
  std::string measured_wait_source;
  double p_wait = k_nan;
  double measured_p_wait = k_nan;
  double mean_wait_ms = k_nan;
  double measured_mean_wait_ms = k_nan;
  double p99_wait_ms = k_nan;
  double measured_p99_wait_ms = k_nan;
  double throughput_rps = k_nan;  ///< finite source: predicted completions per second, per pool
  double measured_throughput_rps = k_nan;
  double predicted_timeout_rate = k_nan;
};

/// The model of a cell (Erlang C when its status is ok or unstable, else the finite-source
/// model when ok); an empty name when neither applies or there is no analysis.
QueueModel queue_model(const CellRow& row);

/// "finite source: P(wait) 42% (measured 40%), wait p99 3.1 ms (3.0), 210 rps (205)", or
/// "—"; measured waits that include the connect and pre-ping (results older than
/// queue_wait) say so.
std::string model_text(const CellRow& row);

/// A cell's summary.fairness; `present` false when the cell has none (open loop).
struct FairnessView {
  bool present = false;
  double clients = k_nan;
  double jain_index = k_nan;
  double completions_min = k_nan;
  double completions_max = k_nan;
  double timeouts = k_nan;
  double timeouts_worst_fifth_share = k_nan;
};
FairnessView fairness_view(const CellRow& row);

/// "Jain 0.62; 1-20 completed per client; worst fifth bore 100% of 26 timeouts", or "—".
std::string fairness_text(const CellRow& row);

/// The report label of the cell with this results id; the id itself when no cell has it.
std::string cell_label(const ReportModel& model, const std::string& id);

/// The seeds' tuning-table rows that apply, each named with its verdict and the cell that
/// decided it; empty when the analysis judged none.
std::string seed_rows_finding(const ReportModel& model);

/// Findings that are never cut: the models next to the measurements, HikariCP's rule beside
/// the smallest adequate pool, and who bore the waiting (fairness). Each may be absent.
std::vector<std::string> model_findings(const ReportModel& model);

}  // namespace poolbench::report
