#include "analysis/sizing.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include <fmt/format.h>

namespace poolbench::analysis {
namespace {

constexpr const char* k_seed_000 = "seed 000 (docs/seeds.md)";
constexpr const char* k_seed_003 = "seed 003 (docs/seeds.md)";

// Seed 000 (docs/seeds.md), "Tuning Guidelines":
// | Workload Type | pool_size | max_overflow | pool_timeout |
const std::array<PoolRow, 4> k_tier_rows = {{
    {"low", "Low traffic (< 10 RPS)", 5, 5, 30, 0, k_seed_000},
    {"medium", "Medium traffic (10-50 RPS)", 10, 10, 30, 0, k_seed_000},
    {"high", "High traffic (50-200 RPS)", 20, 10, 30, 0, k_seed_000},
    {"very_high", "Very high traffic (> 200 RPS)", 30, 20, 60, 0, k_seed_000},
}};

// Seed 003 (docs/seeds.md), "Pool Sizing Guidelines" (no timeouts given; the seed's
// DATABASE_POOL_TIMEOUT=30 and DATABASE_POOL_RECYCLE=3600 defaults apply).
const std::array<PoolRow, 4> k_environment_rows = {{
    {"development", "Development: local dev, low concurrency", 5, 10, 30, 3600, k_seed_003},
    {"testing", "Testing: test isolation", 5, 5, 30, 3600, k_seed_003},
    {"staging", "Staging: pre-production testing", 20, 10, 30, 3600, k_seed_003},
    {"production", "Production: high traffic (1000+ RPS)", 50, 20, 30, 3600, k_seed_003},
}};

// Seed 000 (docs/seeds.md), "Connection Pool Optimization". Keys a row leaves out
// keep the seed's config.yaml values (pool_timeout 30, pool_recycle 1800).
const std::array<PoolRow, 2> k_workload_rows = {{
    {"read_heavy", "Read-heavy workloads", 30, 5, 30, 3600, k_seed_000},
    {"write_heavy", "Write-heavy workloads", 15, 15, 60, 1800, k_seed_000},
}};

}  // namespace

double seeds_connections_needed(double concurrent_requests, double avg_query_time_s,
                                double request_duration_s) {
  return concurrent_requests * avg_query_time_s / request_duration_s;
}

std::optional<int> pool_total(int pool_size, int max_overflow) {
  if (pool_size <= 0 || max_overflow < 0) return std::nullopt;
  return pool_size + max_overflow;
}

bool seeds_sum_rule_holds(int pool_size, int max_overflow, double concurrent_requests) {
  const auto total = pool_total(pool_size, max_overflow);
  return !total || *total >= concurrent_requests;
}

HikariCp hikaricp_connections(int cores, std::string_view profile) {
  HikariCp result;
  result.cores = cores;
  result.effective_spindles = profile == "hdd" ? 1 : 0;
  result.connections = cores * 2 + result.effective_spindles;
  return result;
}

std::string_view traffic_tier(double requests_per_s) {
  if (requests_per_s < 10) return "low";
  if (requests_per_s <= 50) return "medium";
  if (requests_per_s <= 200) return "high";
  return "very_high";
}

std::span<const PoolRow> seed_tier_rows() {
  return k_tier_rows;
}
std::span<const PoolRow> seed_environment_rows() {
  return k_environment_rows;
}
std::span<const PoolRow> seed_workload_rows() {
  return k_workload_rows;
}

const PoolRow& seed_tier_row(double requests_per_s) {
  const std::string_view tier = traffic_tier(requests_per_s);
  for (const auto& row : k_tier_rows) {
    if (row.name == tier) return row;
  }
  return k_tier_rows.back();
}

std::vector<std::string> seed_bounds_violations(int pool_size, int max_overflow,
                                                double pool_timeout_s, double pool_recycle_s) {
  using B = SeedBounds;
  std::vector<std::string> out;
  if (pool_size < B::k_pool_size_min) {
    out.push_back(fmt::format("pool_size must be >= {} (is {})", B::k_pool_size_min, pool_size));
  }
  if (pool_size > B::k_pool_size_max) {
    out.push_back(fmt::format("pool_size must be <= {} (is {})", B::k_pool_size_max, pool_size));
  }
  if (max_overflow < B::k_max_overflow_min) {
    out.push_back(
        fmt::format("max_overflow must be >= {} (is {})", B::k_max_overflow_min, max_overflow));
  }
  if (max_overflow > B::k_max_overflow_max) {
    out.push_back(
        fmt::format("max_overflow must be <= {} (is {})", B::k_max_overflow_max, max_overflow));
  }
  if (pool_timeout_s < B::k_pool_timeout_min_s) {
    out.push_back(fmt::format("pool_timeout must be >= {} (is {:g})", B::k_pool_timeout_min_s,
                              pool_timeout_s));
  }
  if (pool_timeout_s > B::k_pool_timeout_max_s) {
    out.push_back(fmt::format("pool_timeout must be <= {} (is {:g})", B::k_pool_timeout_max_s,
                              pool_timeout_s));
  }
  if (pool_recycle_s < B::k_pool_recycle_min_s) {
    out.push_back(fmt::format("pool_recycle must be >= {} (is {:g})", B::k_pool_recycle_min_s,
                              pool_recycle_s));
  }
  if (pool_recycle_s > B::k_pool_recycle_max_s) {
    out.push_back(fmt::format("pool_recycle must be <= {} (is {:g})", B::k_pool_recycle_max_s,
                              pool_recycle_s));
  }
  return out;
}

PoolSplit split_total(int total) {
  PoolSplit split;
  total = std::max(total, 1);
  split.pool_size = std::max(1, static_cast<int>(std::lround(total * 2.0 / 3.0)));
  split.max_overflow = total - split.pool_size;
  return split;
}

PoolSplit split_with_headroom(double connections_needed) {
  // 1e-9: 25 × 1.2 is 30.000000000000004 in binary; it must stay 30.
  const double with_headroom = std::max(connections_needed, 0.0) * 1.2;
  return split_total(static_cast<int>(std::ceil(with_headroom - 1e-9)));
}

}  // namespace poolbench::analysis
