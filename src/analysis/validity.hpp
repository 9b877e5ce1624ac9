#pragma once

// Whether a cell measured the system or the load generator. When the generator itself fell
// behind, the numbers describe poolbench, not the pool: such a cell is marked `invalid`
// (results.json `cells[].invalid = {"reason": ...}`), shown first in the console and the
// report, and left out of every model (Little, Erlang C, USL), verdict and seed claim.
//
// The generator fell behind when either
// - schedule lag p99 > k_max_schedule_lag_p99_ms: arrivals (or the end of think times)
//   started that much after their intended times, so the offered load was not the
//   scenario's (latency is still measured from the intended start, but the arrival
//   pattern the pool saw was bunched); or
// - a worker thread was on a CPU for more than k_max_worker_cpu_busy of the measurement
//   window: the client CPU saturated, so throughput and latency are bounded by it.
// Both come from the cell's summary (`schedule_lag_ms.p99`, `generator.worker_cpu_busy`).

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace poolbench::analysis {

/// Schedule lag p99 above this (milliseconds) marks a cell invalid.
inline constexpr double k_max_schedule_lag_p99_ms = 10.0;
/// A worker thread busy on a CPU for more than this fraction of the window marks it invalid.
inline constexpr double k_max_worker_cpu_busy = 0.9;

/// Why `summary` (a results.json cell summary) is the generator's limit rather than the
/// system's ("the load generator fell behind: schedule lag p99 23 ms (limit 10 ms)"), or
/// nullopt when it kept up. Missing keys count as keeping up.
std::optional<std::string> generator_fell_behind(const nlohmann::json& summary);

/// The reason a results.json cell is marked invalid (`cells[].invalid.reason`), or empty.
std::string invalid_reason(const nlohmann::json& cell);

/// A cell that measured something usable: status "ok", a summary, and not invalid.
bool is_measured(const nlohmann::json& cell);

}  // namespace poolbench::analysis
