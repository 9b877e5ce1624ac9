#pragma once

// cells.csv: one row per cell (RFC 4180: comma-separated, CRLF-free "\n" lines, fields with
// a comma, quote or line break quoted, quotes doubled). Columns: id, repetition, status,
// every parameter (ReportModel::param_names), the key summary numbers (full precision,
// empty when absent), verdict, verdict_reason.

#include <string>

#include "report/report_model.hpp"

namespace poolbench::report {

std::string render_cells_csv(const ReportModel& model);

}  // namespace poolbench::report
