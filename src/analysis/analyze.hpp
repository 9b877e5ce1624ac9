#pragma once

// The `analysis` block of results.json: every sizing model next to what was measured, per
// cell and per group of cells, and a verdict per cell. Input: a whole results.json
// (schemas/results.schema.json); cells whose status is not "ok" get no model and the verdict
// "not_measured"; cells marked invalid (the load generator fell behind, validity.hpp) get
// no model and the verdict "invalid", and count in no group. Throws poolbench::InputError when
// `results` is not a results file (no `cells` array) or a histogram cannot be decoded.
//
// Definitions (all keys snake_case; *_ms milliseconds, *_s seconds, *_rps per second):
//   pool total        pool_size + max_overflow (per instance); null for an unbounded pool.
//   group             cells that differ only in pool settings (pool_size, max_overflow,
//                     pool_timeout) and repetition: same profile and other matrix axes.
//   met               a cell with timeouts == 0, dropped == 0 (a dropped arrival is a
//                     request never served), no refused connections, errors / requests <=
//                     slo.error_rate (no errors at all without an slo) and every other
//                     scenario.slo limit met (slo.hpp: timeout_rate, p99_latency,
//                     drop_rate, error_rate; the last two default to 0 with an slo). A
//                     setting met when all its ok repetitions met.
//   open loop rate    λ = workload.rate (cell params "workload.rate" if a matrix axis, else
//                     scenario.workload.rate), split evenly over pool.instances.
//   replay            workload.mode replay: arrivals from a captured trace at replay.speed,
//                     independent of the pool as in an open loop, so Erlang C applies (not
//                     finite_source); λ is measured (requests / duration_s: there is no
//                     configured rate) and the arrivals are the trace's, not Poisson
//                     (arrival_source "trace").
//   concurrency       open loop and replay: λ × mean latency (Little); closed loop:
//                     workload.clients.
//   measured waits    measured_p_wait: the fraction of checkouts that waited more than
//                     1 ms for the pool to grant a slot, from the cell's
//                     `histograms.queue_wait` (HdrHistogram V2; acquire to grant, without
//                     the connect or pre-ping that may follow, which no queueing model
//                     describes); measured_mean_wait_ms and measured_p99_wait_ms from
//                     `summary.queue_wait_ms`. Results written before queue_wait was
//                     measured fall back to checkout_wait (connect and pre-ping counted as
//                     wait, so it runs above the models' P(wait) with pool_pre_ping or
//                     churning overflow connections); measured_wait_source says which.
//
// Layout:
// analysis = {
//   "schema": "poolbench.analysis/1",
//   "slo": {"timeout_rate": x|null, "p99_latency_ms": x|null, "drop_rate": x|null,
//           "error_rate": x|null},
//   "measured_p_wait_threshold_ms": 1.0,
//   "cells": [ {
//     "id", "index", "status", "group",
//     "pool": {"pool_size", "max_overflow", "pool_timeout_s", "instances", "total"},
//     "workload": {"mode": "open"|"closed"|"replay", "arrival_source": "workload.rate"|
//                  "trace"|null (closed), "arrival_rate_rps"|null (open: workload.rate;
//                  replay: measured), "replay_speed"|null, "clients"|null, "tier",
//                  "tier_rps"},
//     "little": {"throughput_rps", "mean_hold_ms", "predicted_in_use", "measured_in_use",
//                "relative_error"|null},
//     "seeds_formula": {"concurrent_requests", "avg_query_time_ms", "request_duration_ms",
//                       "connections_needed"},
//     "sum_rule": {"pool_total"|null (all instances), "concurrent_requests", "holds"},
//     "erlang_c": {"status": "ok"|"unstable"|"not_applicable", "reason"?,
//                  "arrival_source"? ("workload.rate", or "trace" for a replay: the
//                  measured rate, arrivals not Poisson),
//                  "arrival_rate_rps" (per pool), "measured_arrival_rate_rps" (per pool:
//                  requests / duration_s), "mean_hold_ms", "offered_load", "servers",
//                  "occupancy", "p_wait", "mean_wait_ms"|null,
//                  "predicted_timeout_rate" (stable: P(wait > pool_timeout), an upper
//                      estimate since waiters give up; unstable: 1 - c/A, a lower bound),
//                  "timeout_rate_floor" (1 - c/A when unstable, else 0),
//                  "p90_wait_ms"|null, "p99_wait_ms"|null (quantiles of Erlang C's
//                      waiting-time distribution; null when unstable),
//                  "measured_wait_source": "queue_wait"|"checkout_wait",
//                  "measured_p_wait"|null, "measured_mean_wait_ms", "measured_p99_wait_ms",
//                  "measured_timeout_rate"},
//     "finite_source": the closed-loop model M/M/c//N (finite_source.hpp), same measured keys
//                 as erlang_c plus "measured_throughput_rps" (per pool);
//                 {"status": "ok"|"not_applicable", "reason"?, "clients" (per pool),
//                  "servers", "mean_think_ms" (workload.think_time + the measured time a
//                  request spends outside its checkout: latency - wait - hold),
//                  "mean_hold_ms", "utilization", "mean_in_use", "p_wait",
//                  "mean_wait_ms", "p90_wait_ms", "p99_wait_ms", "throughput_rps" (per
//                  pool), "predicted_timeout_rate" (P(wait > pool_timeout))},
//     "hikaricp": {"status": "ok"|"not_computed", "cores"|null, "cores_source" (where the
//                  server's cores came from: server.cores, or this host's when poolbench
//                  ran the server; else why unknown), "effective_spindles",
//                  "connections"|null, "reason"? ("not computed: server cores unknown...")},
//     "seed_tier_row": {"name", "label", "pool_size", "max_overflow", "pool_timeout_s"},
//     "monitoring": [ {"rule": "checked_out_over_90pct_of_pool_size" |
//                              "overflow_consistently" | "invalid_connections",
//                      "description", "seconds_matching", "seconds_total", "fraction",
//                      "fired"} ],
//     "verdict": "adequate"|"undersized"|"oversized"|"over_budget"|"not_measured"|
//                "invalid",
//                (over_budget: the server refused connections, 53300: the pools exceed
//                max_connections; invalid: the generator fell behind, reasons say how)
//     "met": bool|null, "reasons": [strings], "evidence_cell": id|null } ],
//   "groups": [ {
//     "key" (e.g. "server.profile=ssd", "" for a single group), "params": {non-pool params},
//     "cells": [ids],
//     "smallest_met": {"pool_size", "max_overflow", "pool_timeout_s", "total", "cell"}|null
//                     (ties: the smaller pool_size, then the shorter pool_timeout),
//     "erlang_c_smallest_servers": n|null (smallest c with P(wait > pool_timeout) <=
//                     max(slo.timeout_rate, 0.001), open loop only),
//     "usl": {"status", "concurrency_source": "pool.mean_checked_out", "points",
//             "distinct_concurrency", "unsaturated_cells" (open-loop cells that served the
//             whole offered rate: left out, their throughput is the load), "good_fit" (a
//             fit with R^2 >= 0.9), "reason"? (why there is no fit, or no good one),
//             "sigma", "kappa", "lambda", "r_squared", "peak_concurrency"|null,
//             "peak_throughput_rps"|null, "throughput_limit_rps"|null,
//             "observations": [{"cell", "concurrency", "throughput_rps"}]}. Only cells that
//             measured a capacity are fitted (closed loop; open loop only when it completed
//             fewer requests than offered beyond Poisson noise), and only with at least 4
//             distinct concurrencies.
//     "hikaricp": {...as per cell},
//     "seed_rows": the rows that apply to the group: the traffic tier of its arrival rate
//                  per instance (open loop: the offered rate; closed loop: requests /
//                  duration pooled over its measured cells), the environment rows the scenario's
//                  workload.environment names, the read- or write-heavy row when the mix is
//                  one (mix.hpp);
//                  [ {"table": "traffic_tier"|"environment"|"workload", "name", "label",
//                     "source", "applies" (why the row applies, in words),
//                     "pool_size", "max_overflow", "pool_timeout_s", "total",
//                     "verdict": "adequate"|"undersized"|"oversized"|"over_budget"|
//                                "not_covered",
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
