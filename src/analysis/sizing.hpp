#pragma once

// The seeds' sizing rules and tuning tables, encoded once (the seeds' tables as README quotes
// them), and HikariCP's rule of thumb. Pure functions and constant tables, thread-safe.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace poolbench::analysis {

/// Seed 000 ("Formula"):
///   connections_needed = concurrent_requests × avg_query_time / request_duration
/// (100 concurrent × 0.05 s / 0.2 s = 25). avg_query_time is the time a request holds a
/// connection; request_duration the whole request. Requires request_duration_s > 0.
double seeds_connections_needed(double concurrent_requests, double avg_query_time_s,
                                double request_duration_s);

/// Seed 003: `pool_size + max_overflow >= expected_concurrent_requests`. An unbounded pool
/// (pool_size 0 or max_overflow -1, SQLAlchemy 2.0) always holds.
bool seeds_sum_rule_holds(int pool_size, int max_overflow, double concurrent_requests);

/// pool_size + max_overflow, or nullopt for an unbounded pool (pool_size 0 or
/// max_overflow < 0).
std::optional<int> pool_total(int pool_size, int max_overflow);

/// HikariCP's "About Pool Sizing": connections = cores × 2 + effective_spindles.
/// poolbench's assumption for effective spindles: 1 for the `hdd` profile, 0 otherwise (an
/// SSD or a cached working set has no spindle to keep busy); the profile stands for the
/// storage it is tuned for, not the disk the server really has.
struct HikariCp {
  int cores = 0;
  int effective_spindles = 0;
  int connections = 0;
};
HikariCp hikaricp_connections(int cores, std::string_view profile);

/// A pool setting as the seeds' tables write them (pool_timeout in seconds; 0 = not given
/// by the row).
struct PoolRow {
  std::string name;   ///< "high", "production", "read_heavy", ...
  std::string label;  ///< the seed's own wording, e.g. "High traffic (50-200 RPS)"
  int pool_size = 0;
  int max_overflow = 0;
  double pool_timeout_s = 0;
  double pool_recycle_s = 0;  ///< 0 = not given by the row
  std::string source;         ///< the seed it comes from, e.g. "seed 000 (docs/seeds.md)"
};

/// Traffic tiers: low < 10 RPS, medium 10-50, high > 50 and <= 200,
/// very high > 200. Names: "low", "medium", "high", "very_high".
std::string_view traffic_tier(double requests_per_s);

/// Seed 000 "Tuning Guidelines" rows, in tier order (low, medium, high, very_high).
std::span<const PoolRow> seed_tier_rows();
/// The seed 000 row of traffic_tier(requests_per_s).
const PoolRow& seed_tier_row(double requests_per_s);
/// Seed 003 "Pool Sizing Guidelines" (development, testing, staging, production).
std::span<const PoolRow> seed_environment_rows();
/// Seed 000 "Connection Pool Optimization" (read_heavy, write_heavy).
std::span<const PoolRow> seed_workload_rows();

/// Seed 000 DatabaseConfig validation bounds (pydantic Field ge/le): pool_size 1-100,
/// max_overflow 0-100, pool_timeout 1-300 s, pool_recycle 300-7200 s.
struct SeedBounds {
  static constexpr int k_pool_size_min = 1;
  static constexpr int k_pool_size_max = 100;
  static constexpr int k_max_overflow_min = 0;
  static constexpr int k_max_overflow_max = 100;
  static constexpr double k_pool_timeout_min_s = 1;
  static constexpr double k_pool_timeout_max_s = 300;
  static constexpr double k_pool_recycle_min_s = 300;
  static constexpr double k_pool_recycle_max_s = 7200;
};

/// One message per setting outside SeedBounds, in the seeds' words
/// ("pool_size must be <= 100"); empty when all fit. pool_recycle_s < 0 (never) is
/// reported as outside the bounds too.
std::vector<std::string> seed_bounds_violations(int pool_size, int max_overflow,
                                                double pool_timeout_s, double pool_recycle_s);

/// Splits a number of connections into pool_size + max_overflow the way the seeds'
/// example does (25 needed → 20 + 10): total = ceil(needed × 1.2) (20 % headroom), then
/// two thirds persistent (pool_size = round(total × 2/3), at least 1) and the rest overflow.
struct PoolSplit {
  int pool_size = 1;
  int max_overflow = 0;
  int total() const { return pool_size + max_overflow; }
};
PoolSplit split_with_headroom(double connections_needed);
/// The same split of an exact total (no headroom added): pool_size = round(total × 2/3).
PoolSplit split_total(int total);

}  // namespace poolbench::analysis
