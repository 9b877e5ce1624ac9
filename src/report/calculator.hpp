#pragma once

// The data index.html's sizing calculator runs on (src/report/templates/calculator.js): the
// cells whose hold time was measured, by the report's own labels, and the defaults the form
// starts from. The calculator ports `poolbench plan`'s models (src/analysis/plan.cpp) to
// JavaScript; it takes a cell's mean hold as plan's --query-time (rounded to the microsecond,
// as plan parses durations) and the seed tier rows' pool_timeout from here, so both read
// the same numbers. docs/ of the fragment keys: README.md, "How to read the report".

#include <nlohmann/json.hpp>

#include "report/report_model.hpp"

namespace poolbench::report {

/// {"cells": [{"label", "hold_us", "hold_p50_ms", "hold_p90_ms", "hold_p99_ms",
///   "throughput_rps", "status"}], "tiers": [{"name", "label", "pool_timeout_s"}],
///  "defaults": {"rps", "instances", "max_connections", "superuser_reserved", "reserved",
///   "timeout_rate", "p99_ms", "queries"}}. Cells without a measured hold (> 0 µs) are left out;
/// a null default leaves the field empty.
nlohmann::json calculator_data(const ReportModel& model);

}  // namespace poolbench::report
