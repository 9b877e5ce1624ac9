#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "faults/injector.hpp"
#include "workload/generator.hpp"

// What each injected fault did to the run, from the per-second time series (results.json,
// a cell's `faults`, docs/results.md): for each fault
//   kind, at_s (when it began, since the measurement start), end_s (when it was over),
//   baseline_rps: mean throughput of the (up to 5) whole seconds before it that no earlier
//     fault disturbed (none: the previous fault's baseline, as it had not recovered);
//   recovery_threshold_rps: the throughput that counts as back: 90% of baseline_rps, or the
//     slowest of those seconds when they varied more than 10% (a noisy machine);
//   recovery_s: from the fault's end until the first second whose throughput reaches the
//     threshold (0: it never fell, or was back within the second the fault ended;
//     null: not back before the next fault or the measurement's end, or no baseline),
//     recovered (bool),
//     disrupted_s: from the fault's start to that second;
//   errors, timeouts, errors_by_sqlstate, lowest_rps: over the seconds from the fault's start
//     to its recovery (to the end when it did not recover);
//   invalidations, preping_failures, connects: the pools' counters from this fault's start
//     to the next fault's (or the end);
//   detail (what was done), error (the injection itself failed; else absent), plus the
//   fault's own keys (duration_s, delay_ms, mode, table).

namespace poolbench::faults {

/// The recovery threshold: throughput back to at least this fraction of the baseline (or to
/// the slowest baseline second, when that is lower).
inline constexpr double k_recovered_fraction = 0.9;

nlohmann::json fault_results(const std::vector<FaultRecord>& records,
                             const std::vector<workload::TimeseriesRow>& rows);

}  // namespace poolbench::faults
