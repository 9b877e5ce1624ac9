#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "scenario/scenario.hpp"
#include "scenario/shard_split.hpp"

// The shared schedule of a distributed run (`poolbench run|matrix --shard I/N --start-at
// T`): every shard computes the same slots from the same inputs, so cell j of every shard
// runs at the same time and the load overlaps. Slot 0 starts at T; each slot lasts
// warmup + duration + settle + k_slot_margin of its cell (deterministic from the resolved
// cell scenarios and the flags, never from measured times). A cell waits for its slot;
// a shard that reaches a slot late starts at once and records how late (`late_s`).

namespace poolbench::matrix {

using WallClock = std::chrono::system_clock;

/// Room in every slot for what happens around the measurement: fresh pools, the dataset
/// check, the monitoring connection, requests still in flight at the end.
inline constexpr std::chrono::seconds k_slot_margin{3};

/// "I/N" with 0 <= I < N, N >= 1. Throws InputError naming --shard otherwise.
scenario::ShardSpec parse_shard(std::string_view text);

/// RFC 3339 in UTC ("2026-01-31T12:00:00Z", fractional seconds allowed, "+00:00" for "Z")
/// or Unix seconds ("1769860800", fraction allowed). Throws InputError naming --start-at.
WallClock::time_point parse_start_at(std::string_view text);

/// "2026-01-31T12:00:00Z" (fraction shown only when there is one, to microseconds).
std::string format_rfc3339(WallClock::time_point at);

/// Seconds since the Unix epoch.
double unix_seconds(WallClock::time_point at);

/// The length of a cell's slot. Throws InputError for a cell bound by workload.transactions
/// (its length is not known in advance, so shards could not share a schedule).
std::chrono::microseconds slot_length(const scenario::Scenario& cell,
                                      std::chrono::microseconds settle);

/// A shard of a distributed run: who it is and when slot 0 starts.
struct ShardPlan {
  scenario::ShardSpec spec;
  WallClock::time_point start_at;
  std::chrono::microseconds settle{0};  ///< part of every slot (matrix --settle)
};

/// results.json's top-level "shard": {"index", "count", "start_at" (RFC 3339),
/// "start_at_unix_s", "slot_margin_s", "settle_s"}.
nlohmann::json shard_json(const ShardPlan& plan);

/// A cell's "shard" entry: this shard's load ({"clients"} or {"rate_per_s"}), its
/// instances, the pools of all shards together, when its slot and its measurement were
/// due ("slot_start_unix_s", "measure_start_unix_s") and how late it started ("late_s").
nlohmann::json cell_shard_json(const scenario::ShardLoad& load, WallClock::time_point slot_start,
                               double late_s);

}  // namespace poolbench::matrix
