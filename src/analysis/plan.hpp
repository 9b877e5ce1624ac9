#pragma once

// `poolbench plan`: pool settings for a planned load, from the models alone (no run).
// Pure: the CLI parses flags into PlanInputs and prints the Plan (text or plan_json).
//
// Model: --rps is the total arrival rate over all instances; each instance has its own pool
// and gets rps / instances. A request runs `queries_per_request` queries of `query_time`
// each and lasts `request_time` (default queries × query_time: the request is all
// database). Concurrency = rps × request_time (Little's law); the seeds' formula takes
// avg_query_time = queries × query_time, the time a request needs a connection, so
// connections_needed = concurrency × queries × query_time / request_time (= rps × hold,
// Little's law). This assumes a request holds a connection only while its queries run
// (per-statement checkout); an app holding one for the whole request (session per
// request) needs the sum rule's size, pool_size + max_overflow >= concurrency.
// Recommendation: the seeds' formula with 20 % headroom, split 2:1 (split_with_headroom:
// 25 → 20 + 10), raised to the Erlang C size when that is larger; pool_timeout from
// --pool-timeout, else the seed tier row of one instance's rps.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/queueing.hpp"
#include "analysis/sizing.hpp"

namespace poolbench::analysis {

struct PlanInputs {
  double rps = 0;                          ///< total requests per second, > 0
  double query_time_s = 0;                 ///< mean time of one query, > 0
  int queries_per_request = 1;             ///< >= 1
  std::optional<double> request_time_s;    ///< whole request; default queries × query_time
  int instances = 1;                       ///< app processes, one pool each, >= 1
  int max_connections = 100;               ///< the server's (PostgreSQL's default)
  int superuser_reserved_connections = 3;  ///< PostgreSQL's default
  int reserved_connections = 0;            ///< PostgreSQL 16's reserved_connections (default 0)
  std::optional<double> slo_p99_s;         ///< p99 latency target for a request
  double timeout_rate = 0.001;             ///< target P(wait > pool_timeout), in (0, 1)
  std::optional<double> pool_timeout_s;    ///< default: the seed tier row's
};

struct Plan {
  PlanInputs inputs;
  double request_time_s = 0;        ///< effective (default applied)
  double hold_s = 0;                ///< queries × query_time: connection held per request
  double concurrency = 0;           ///< total: rps × request_time
  double instance_rps = 0;          ///< rps / instances
  double instance_concurrency = 0;  ///< concurrency / instances
  double connections_needed = 0;    ///< seeds' formula, per instance
  PoolSplit seeds_split;            ///< split_with_headroom(connections_needed)
  double pool_timeout_s = 0;        ///< used for Erlang C and the config block
  std::string tier;                 ///< traffic_tier(instance_rps): a row sizes one pool
  PoolRow tier_row;                 ///< seed_tier_row(instance_rps)
  /// Erlang C, per instance: the smallest c with P(wait > pool_timeout) <= timeout_rate;
  /// with an SLO also the smallest c whose p99 checkout wait fits the SLO's headroom,
  /// P(wait > slo_p99 - request_time) <= 1 % (P(wait > 0) <= 1 % when the SLO leaves no
  /// headroom). None when no c <= 100000 does.
  std::optional<int> erlang_servers_for_timeouts;
  std::optional<int> erlang_servers_for_slo;
  std::optional<int> erlang_servers;  ///< the larger of the two
  std::string recommended_basis;      ///< "seeds_formula" or "erlang_c"
  PoolSplit recommended;              ///< per instance
  ErlangC recommended_erlang;         ///< Erlang C of the recommendation
  bool sum_rule_holds = false;        ///< recommended total >= instance_concurrency
  long long budget_needed = 0;        ///< instances × total (no other connections)
  long long budget_available = 0;     ///< max_connections - both reserved settings
  bool budget_fits = false;
  std::string budget_message;
  std::vector<std::string> warnings;  ///< seed bounds, budget, SLO shorter than a request
  std::string config_yaml;            ///< the seeds' config.yaml `database:` block
  std::string database_url_query;     ///< "?pool_size=20&max_overflow=10&pool_timeout=60"
};

/// Throws poolbench::InputError for inputs out of range (rps <= 0, ...), naming the flag.
Plan make_plan(const PlanInputs& inputs);

/// The plan as JSON (snake_case keys; `schema`: "poolbench.plan/1").
nlohmann::json plan_json(const Plan& plan);

/// The plan as the text `poolbench plan` prints.
std::string plan_text(const Plan& plan);

}  // namespace poolbench::analysis
