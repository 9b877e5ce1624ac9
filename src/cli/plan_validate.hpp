#pragma once

#include <chrono>
#include <iosfwd>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "analysis/plan.hpp"

// `poolbench plan --validate`: the plan's recommendation run for real, a short open-loop run
// at the planned rate with requests shaped as planned (application time without a
// connection, then `queries_per_request` x query time holding one), on the embedded
// PostgreSQL or a --dsn server; the models' predictions next to what was measured.

namespace poolbench::cli {

struct ValidateOptions {
  std::optional<std::string> dsn;  ///< --dsn; else POOLBENCH_DSN; else embedded
  std::chrono::microseconds duration = std::chrono::seconds(10);
  std::chrono::microseconds warmup = std::chrono::seconds(2);
  std::function<void(const std::string&)> note;  ///< progress lines (stderr)
};

/// The scenario YAML of the planned load (for the run, and shown with --json).
std::string validation_scenario_yaml(const analysis::Plan& plan, const ValidateOptions& options);

/// Runs it and returns {"scenario", "cell", "predicted", "measured"}. Throws RuntimeFailure
/// when no server can be had.
nlohmann::json validate_plan(const analysis::Plan& plan, const ValidateOptions& options);

/// The predicted-vs-measured table.
void print_validation(const nlohmann::json& validation, std::ostream& out);

}  // namespace poolbench::cli
