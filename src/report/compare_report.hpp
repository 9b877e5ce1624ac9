#pragma once

// What `poolbench compare` writes, each from the plain analysis::Comparison:
//   console table, Markdown (a pull-request comment), JSON, JUnit XML (one test case per
//   cell and metric, regressions as <failure>), and github-action-benchmark input
//   (customSmallerIsBetter / customBiggerIsBetter: [{"name", "unit", "value", "extra"}]).
// Pure renderers: strings and JSON out, the CLI writes them.

#include <string>

#include <nlohmann/json.hpp>

#include "analysis/compare.hpp"

namespace poolbench::report {

/// The console table: per cell, one row per metric (baseline, current, change, p, threshold,
/// verdict), its notes, then the totals and the comparison's notes.
std::string render_compare_console(const analysis::Comparison& comparison);

/// A pull-request comment: the outcome, the metrics that changed, every metric in a
/// collapsed <details> table, and the notes.
std::string render_compare_markdown(const analysis::Comparison& comparison);

/// `compare --json`: {"schema": "poolbench.compare/1", "scenario", "baseline", "current",
/// "alpha", "test", "outcome": "regressed"|"ok", "counts": {"regressed", "improved",
/// "unchanged"}, "thresholds_only", "notes": [...], "cells": [{"label", "params",
/// "baseline_repetitions", "current_repetitions", "metrics": [{"metric", "unit", "better",
/// "baseline", "current", "change", "relative_change" (null when the baseline is 0),
/// "threshold": {"relative", "absolute", "text"}, "beyond_threshold", "basis" ("test" |
/// "thresholds_only"), "p_value" (null without a test), "significant", "verdict",
/// "repetitions_needed", "note", "baseline_samples", "current_samples"}]}]}.
nlohmann::json compare_json(const analysis::Comparison& comparison);

/// JUnit XML: <testsuites> with one <testsuite> per cell and one <testcase name=METRIC
/// classname="poolbench.compare.SCENARIO.CELL"> per metric; a regression is a <failure
/// type="regression">. `timestamp` is ISO 8601 without a zone ("2024-05-01T12:00:00").
std::string render_compare_junit(const analysis::Comparison& comparison,
                                 const std::string& timestamp, const std::string& hostname);

/// github-action-benchmark input for one tool: Better::smaller -> the customSmallerIsBetter
/// metrics (latencies, checkout waits, timeout and error rates), Better::bigger ->
/// customBiggerIsBetter (throughput, cache hit ratio). Values are the current run's medians; names
/// "CELL METRIC".
nlohmann::json benchmark_action_json(const analysis::Comparison& comparison,
                                     analysis::Better better);

}  // namespace poolbench::report
