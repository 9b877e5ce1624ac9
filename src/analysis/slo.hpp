#pragma once

// The scenario's `slo:` judged on one cell's summary: the one implementation behind
// `poolbench run`'s exit code, `matrix --fail-on-slo`, the console's verdicts, the report's
// "SLO met/missed" and the sizing analysis (analyze.hpp).
//
// Every arrival counts: requests = completed + timeouts + errors + dropped, and each rate
// is over all requests (timeout_rate = timeouts / requests, drop_rate = dropped /
// requests, error_rate = errors / requests; errors do not include pool timeouts).
// A scenario with an slo: allows no drops and no errors unless it sets drop_rate or
// error_rate: both default to 0 whenever `scenario.slo` has any key (results written
// before these keys existed are read the same way).

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace poolbench::analysis {

/// The limits an slo: sets (fractions; p99 in milliseconds).
struct SloLimits {
  std::optional<double> timeout_rate;
  std::optional<double> p99_latency_ms;
  std::optional<double> drop_rate;
  std::optional<double> error_rate;

  bool any() const noexcept { return timeout_rate || p99_latency_ms || drop_rate || error_rate; }
};

/// The limits of a results.json `scenario` object (its `slo`: numbers, p99_latency a
/// duration such as "50ms"); drop_rate and error_rate default to 0 when slo has any key.
SloLimits read_slo(const nlohmann::json& scenario);

/// The measured rates of a cell's `summary` (0 for a summary without requests).
struct MeasuredRates {
  double requests = 0;
  double timeouts = 0;
  double errors = 0;
  double dropped = 0;
  double timeout_rate = 0;
  double drop_rate = 0;
  double error_rate = 0;
  double p99_latency_ms = 0;
};
MeasuredRates measured_rates(const nlohmann::json& summary);

/// One limit a cell missed.
struct SloMiss {
  std::string key;  ///< "timeout_rate", "p99_latency", "drop_rate", "error_rate"
  double limit = 0;
  double measured = 0;
  std::string text;  ///< "slo.drop_rate: limit 0, measured 0.7158 (4295 of 6001 arrivals dropped)"
};

/// The limits `summary` misses, in the order above; empty when it met them all (or there
/// is no slo).
std::vector<SloMiss> slo_misses(const SloLimits& limits, const nlohmann::json& summary);

}  // namespace poolbench::analysis
