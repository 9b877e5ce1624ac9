#pragma once

// `poolbench compare BASELINE CURRENT`: the cells of two results.json documents of the same
// scenario matched by params (the repetitions of one params set form a sample), and every
// compared metric of every cell judged by regression.hpp. Pure: no I/O; the CLI loads the
// files and src/report/compare_report.hpp renders the result.

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/regression.hpp"

namespace poolbench::analysis {

struct CompareOptions {
  double alpha = 0.05;                          ///< in (0, 1)
  std::map<std::string, Threshold> thresholds;  ///< per metric key; others keep their default
};

struct CellComparison {
  /// The cell's id without its "#repetition" ("pool.pool_size=5,server.profile=ssd"); the
  /// scenario's name for a run without matrix axes.
  std::string label;
  nlohmann::json params;
  int baseline_repetitions = 0;  ///< cells with status "ok" (others are not measurements)
  int current_repetitions = 0;
  std::vector<MetricComparison> metrics;  ///< compared_metrics() order
};

struct Comparison {
  std::string scenario;  ///< scenario.name
  std::string baseline_source;
  std::string current_source;
  double alpha = 0.05;
  std::vector<CellComparison> cells;  ///< baseline order
  /// Said once for the whole comparison: skipped cells, thresholds-only verdicts.
  std::vector<std::string> notes;

  int count(Verdict verdict) const;
  bool any_regression() const { return count(Verdict::regressed) > 0; }
  /// Some metric's verdict came from thresholds alone (too few repetitions for the test).
  bool thresholds_only() const;
};

/// Compares `current` against `baseline` (both already checked to be poolbench results
/// documents; `*_source` name them in messages). Throws InputError, naming the file and the
/// reason, when they cannot be compared: different scenarios (name, or a resolved setting
/// other than the file path, description and matrix: the matrix is checked cell by cell), a
/// cell one has and the other lacks (or has no finished repetition of), a finished cell
/// without a numeric summary value.
Comparison compare_results(const nlohmann::json& baseline, const std::string& baseline_source,
                           const nlohmann::json& current, const std::string& current_source,
                           const CompareOptions& options);

}  // namespace poolbench::analysis
