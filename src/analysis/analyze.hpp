#pragma once

// The `analysis` block of results.json: every sizing model next to what was measured, per
// cell and per group of cells, and a verdict per cell. Input: a whole results.json
// (DESIGN.md, Results); cells whose status is not "ok" get no model and the verdict
// "not_measured". Throws poolbench::InputError when `results` is not a results file
// (no `cells` array) or a histogram cannot be decoded.
//
// Definitions (all keys snake_case; *_ms milliseconds, *_s seconds, *_rps per second):
//   pool total        pool_size + max_overflow (per instance); null for an unbounded pool.
//   group             cells that differ only in pool settings (pool_size, max_overflow,
//                     pool_timeout) and repetition: same profile and other matrix axes.
//   met               a cell with timeouts == 0 and every scenario.slo limit met
//                     (summary.timeout_rate <= slo.timeout_rate, latency_ms.p99 <=
//                     slo.p99_latency). A setting met when all its ok repetitions met.
//   open loop rate    λ = workload.rate (cell params "workload.rate" if a matrix axis, else
//                     scenario.workload.rate), split evenly over pool.instances.
//   concurrency       open loop: λ × mean latency (Little); closed loop: workload.clients.
//   measured p_wait   fraction of checkouts whose checkout_wait exceeds 1 ms, from the
//                     cell's `histograms.checkout_wait` (HdrHistogram V2). It includes
//                     checkouts that opened a new connection (connect time counts as wait),
//                     so it runs above Erlang C's P(wait) when overflow connections churn.
//
// Layout:
// analysis = {
//   "schema": "poolbench.analysis/1",
//   "slo": {"timeout_rate": x|null, "p99_latency_ms": x|null},
//   "measured_p_wait_threshold_ms": 1.0,
//   "cells": [ {
//     "id", "index", "status", "group",
//     "pool": {"pool_size", "max_overflow", "pool_timeout_s", "instances", "total"},
//     "workload": {"mode": "open"|"closed", "arrival_rate_rps"|null, "clients"|null,
//                  "tier", "tier_rps"},
//     "little": {"throughput_rps", "mean_hold_ms", "predicted_in_use", "measured_in_use",
//                "relative_error"|null},
//     "seeds_formula": {"concurrent_requests", "avg_query_time_ms", "request_duration_ms",
//                       "connections_needed"},
//     "sum_rule": {"pool_total"|null (all instances), "concurrent_requests", "holds"},
//     "erlang_c": {"status": "ok"|"unstable"|"not_applicable", "reason"?,
//                  "arrival_rate_rps" (per pool), "measured_arrival_rate_rps" (per pool:
//                  requests / duration_s), "mean_hold_ms", "offered_load", "servers",
//                  "occupancy", "p_wait", "mean_wait_ms"|null,
//                  "predicted_timeout_rate" (stable: P(wait > pool_timeout), an upper
//                      estimate since waiters give up; unstable: 1 - c/A, a lower bound),
//                  "timeout_rate_floor" (1 - c/A when unstable, else 0),
//                  "measured_p_wait"|null, "measured_mean_wait_ms",
//                  "measured_timeout_rate"},
//     "hikaricp": {"cores", "effective_spindles", "connections"},
//     "seed_tier_row": {"name", "label", "pool_size", "max_overflow", "pool_timeout_s"},
//     "monitoring": [ {"rule": "checked_out_over_90pct_of_pool_size" |
//                              "overflow_consistently" | "invalid_connections",
//                      "description", "seconds_matching", "seconds_total", "fraction",
//                      "fired"} ],
//     "verdict": "adequate"|"undersized"|"oversized"|"over_budget"|"not_measured",
//                (over_budget: the server refused connections, 53300: the pools exceed
//                max_connections)
//     "met": bool|null, "reasons": [strings], "evidence_cell": id|null } ],
//   "groups": [ {
//     "key" (e.g. "server.profile=ssd", "" for a single group), "params": {non-pool params},
//     "cells": [ids],
//     "smallest_met": {"pool_size", "max_overflow", "pool_timeout_s", "total", "cell"}|null
//                     (ties: the smaller pool_size, then the shorter pool_timeout),
//     "erlang_c_smallest_servers": n|null (smallest c with P(wait > pool_timeout) <=
//                     max(slo.timeout_rate, 0.001), open loop only),
//     "usl": {"status", "concurrency_source": "pool.mean_checked_out", "points",
//             "distinct_concurrency", "sigma", "kappa", "lambda", "r_squared",
//             "peak_concurrency"|null, "peak_throughput_rps"|null,
//             "throughput_limit_rps"|null, "note"? (open loop caveat), "observations": [{"cell",
//             "concurrency", "throughput_rps"}]},
//     "hikaricp": {...as per cell},
//     "seed_rows": [ {"table": "traffic_tier"|"environment"|"workload", "name", "label",
//                     "pool_size", "max_overflow", "pool_timeout_s", "total",
//                     "verdict": "adequate"|"undersized"|"oversized"|"not_covered",
//                     "basis": "measured"|"inferred"|null, "evidence_cell": id|null} ] } ] }
//
// Verdicts inside a group: `undersized` when the cell did not meet (reasons say which
// limit); `oversized` when it met but a setting with a smaller pool total also met
// (evidence_cell: the smallest one); `adequate` when it met and nothing smaller did.
// A seed row is judged "measured" by a cell with the row's pool_size and max_overflow,
// else "inferred" from its total (a total above the smallest that met is oversized, one at
// or below a total that missed is undersized; this assumes more connections never hurt),
// else "not_covered".

#include <string_view>

#include <nlohmann/json.hpp>

namespace poolbench::analysis {

/// The `analysis` object for a results.json (see the layout above). Messages of the
/// InputErrors it throws start with `source`, the file the results came from.
nlohmann::json analyze(const nlohmann::json& results, std::string_view source = "results.json");

/// The seeds' monitoring rules (seed 001 "Monitoring Recommendations") over one cell's
/// `timeseries` rows: checked_out > 90 % of pool_size (any second: fired), overflow > 0
/// consistently (more than half the seconds), invalid > 0 (any second). `pool_size` and
/// `instances` scale the first rule (gauges are summed over instances); pool_size 0
/// (no limit) makes that rule never fire. Returns the `monitoring` array above.
nlohmann::json evaluate_monitoring_rules(const nlohmann::json& timeseries, int pool_size,
                                         int instances);

}  // namespace poolbench::analysis
