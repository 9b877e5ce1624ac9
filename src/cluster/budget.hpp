#pragma once

#include <string>
#include <vector>

// Host memory rules and the max_connections budget from the seeds. Pure functions.

namespace poolbench::cluster {

/// The server's connection limits and the application pools that share it.
struct ConnectionBudget {
  int instances = 1;          ///< app processes, one pool each ("each application instance
                              ///< needs its own pool")
  int pool_size = 5;          ///< 0 = no limit (SQLAlchemy 2.0)
  int max_overflow = 10;      ///< -1 = unlimited
  int max_connections = 100;  ///< PostgreSQL's default
  int superuser_reserved_connections = 3;  ///< PostgreSQL's default
  int reserved_connections = 0;            ///< PostgreSQL >= 16; 0 when the server has none
  int other_connections = 0;               ///< connections outside the pools (e.g. monitoring)
  /// A heterogeneous fleet (instances with pools of their own): name, pool_size,
  /// max_overflow per instance. When not empty it replaces instances x (pool_size +
  /// max_overflow).
  struct FleetPool {
    std::string name;
    int pool_size = 5;
    int max_overflow = 10;
  };
  std::vector<FleetPool> fleet;
};

struct BudgetVerdict {
  bool fits = false;
  long long needed = 0;     ///< instances x (pool_size + max_overflow) + other_connections
  long long available = 0;  ///< max_connections - reserved connections
  std::string message;      ///< one paragraph in the seeds' terms, for fits and not
};

/// Whether every pool at its limit (pool_size + max_overflow per instance) plus other
/// connections fits what max_connections leaves after the reserved connections. An unbounded
/// pool (pool_size 0 or max_overflow -1) never fits.
BudgetVerdict check_connection_budget(const ConnectionBudget& budget);

/// Memory settings in bytes, and max_connections, as the server has them.
struct MemorySettings {
  double shared_buffers_bytes = 0;
  double effective_cache_size_bytes = 0;
  double work_mem_bytes = 0;
  int max_connections = 0;
};

struct MemoryFinding {
  bool warning = false;  ///< false: informational line
  std::string message;
};

/// The seeds' memory rules against `ram_bytes`: shared_buffers ~25% of RAM,
/// effective_cache_size ~75% of RAM, work_mem x max_connections as the worst case next to
/// RAM. A value far from the rule (below half or above 1.6x the target, or a worst case
/// above RAM) is a warning; never an error.
std::vector<MemoryFinding> evaluate_memory_rules(const MemorySettings& settings, double ram_bytes);

/// Physical memory of this host in bytes (sysconf).
double host_ram_bytes();

/// "512MB", "1.5GB", "23.4GB": bytes in the largest unit with at most one decimal.
std::string format_bytes(double bytes);

}  // namespace poolbench::cluster
