#pragma once

// summary.md: a short Markdown page for a pull request — the scenario, the cell count, a
// compact table (params, rps, p99, timeout rate, verdict) and the top findings. Output is a
// pure function of the model (the golden test relies on it: no clock, no paths of this
// machine beyond what results.json holds).

#include <string>

#include "report/report_model.hpp"

namespace poolbench::report {

std::string render_summary_md(const ReportModel& model);

}  // namespace poolbench::report
