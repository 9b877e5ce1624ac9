#pragma once

// analysis.server_differences: the largest differences in what the server counted between
// cells that differ only in their server profile (same matrix axes otherwise, repetitions
// pooled). Per group of such cells, per pair of profiles and per metric, each profile's mean
// over its measured cells (validity.hpp) that have the metric:
//   cache_hit_ratio, wal_bytes_per_transaction, server_cpu_ms_per_request,
//   temp_bytes_per_request, checkpoints and blks_read_per_request (summary; a cell
//   recorded before blks_read_per_request: server_stats.database.blks_read per request).
// Each entry: {metric, group, profiles: [higher, lower], means: [higher, lower],
// ranges: [[min, max], [min, max]], cells: [n, n], ratio: higher / lower (null when the
// lower mean is 0)}. Pairs whose ranges over their cells overlap are left out: repetitions
// that disagree as much as the profiles do say nothing about the profiles (with one cell a
// side nothing says it is more than noise: `cells` shows it). Sorted by the size of the difference
// (a zero against a non-zero first, then the largest ratio; ties in the metric order above); at
// most k_max_server_differences. Cells without a `profile` param (no profile axis) take no part.

#include <cstddef>

#include <nlohmann/json.hpp>

namespace poolbench::analysis::detail {

inline constexpr std::size_t k_max_server_differences = 5;

nlohmann::json server_differences(const nlohmann::json& results);

}  // namespace poolbench::analysis::detail
