#pragma once

#include <nlohmann/json.hpp>

// Claims of seed 001 ("Performance Characteristics") checked against measured cells:
// its behaviour table for a pool_size 20 + max_overflow 10 pool
//   Low traffic (< 20 concurrent)     Uses base pool only    Minimal overhead, instant connections
//   Medium traffic (20-30 concurrent) Uses overflow          Slight latency for new connections
//   High traffic (> 30 concurrent)    Blocks until timeout   Requests wait up to 30s, then fail
// and its "Typical Latencies" table: "Get session from pool < 1ms" (the checkout wait of a
// pool with a connection for every client), and for cells that run one kind of operation
// alone (one SELECT by key, INSERT, UPDATE, SELECT 1, or an explicit writing transaction;
// no \sleep, no app_time) the production column's upper bound against the request p50.
//
// analysis.seed_claims: [{ "seed", "table", "row", "claim",
//   "cells": [{ "id", "concurrent_requests", "verdict": "holds" | "differs", "evidence" }] }]
// Seed 000's planner-cost, WAL and memory rows compare profiles (cells that differ only in
// server.profile), and budget_claims.hpp adds the max_connections statements of seeds 003
// and 004; their cells may say "inconclusive" too. server_claims.hpp adds the rules judged
// with the server's own counters (cache hit ratio, temp files, checkpoints, lock waits).
// Only rows some cell speaks to are listed. Concurrency is the closed loop's clients, or the
// open loop's arrival rate x mean latency (Little's law).

namespace poolbench::analysis {

nlohmann::json seed_claims(const nlohmann::json& results);

}  // namespace poolbench::analysis
