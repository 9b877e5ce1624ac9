#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "pool/settings.hpp"

namespace poolbench::scenario {

/// replay: the requests of a captured trace, sent at their recorded arrival times
/// (`replay:`, docs/capture.md).
enum class LoadMode { closed, open, replay };
enum class ArrivalProcess { poisson, uniform };
/// How a script's statements reach the server (pgbench's -M): `prepared` parses each once
/// per connection (PQprepare, then PQsendQueryPrepared), `extended` sends the unnamed
/// statement with its parameters each time (PQsendQueryParams: a parse per statement),
/// `simple` sends the text with the values quoted into it (PQsendQuery).
enum class QueryProtocol { simple, extended, prepared };
enum class CheckoutMode { per_request, per_statement };
enum class ServerAuth { scram, trust };

/// Where a value came from: "read_heavy.yaml:12:5", or "--set pool.pool_size=8".
struct SourceRef {
  std::string file;  ///< the scenario file, or the flag that set it
  int line = 0;      ///< 1-based; 0 when not from a file
  int column = 0;    ///< 1-based; 0 when unknown
  std::string to_string() const;
};

/// One weighted transaction: a pgbench script run as one request.
struct TransactionSpec {
  std::string name;
  /// The effective weight, what the generator picks by: the `workload.mix`'s weight for this
  /// transaction when a mix is set, else `own_weight`. >= 0; a transaction weighing 0 is
  /// never picked.
  double weight = 1;
  double own_weight = 1;  ///< the transaction's own `weight:` (> 0)
  std::string script;     ///< pgbench script text
  SourceRef script_at;    ///< where the first line of the script text stands
};

/// One entry of `mixes:`: named transaction weights that replace the transactions' own
/// weights when `workload.mix` names it. A transaction the mix does not name weighs 0 in it.
/// Invariants (checked at load): every name is a transaction of the scenario, every weight
/// is >= 0 and finite, at least one is > 0.
struct TransactionMix {
  std::string name;
  std::map<std::string, double> weights;  ///< transaction name -> weight
  SourceRef at;

  /// The weight of `transaction` in this mix (0 when the mix does not name it).
  double weight_of(const std::string& transaction) const;
};

/// One axis of `matrix:`: a key path and the values it takes (as written, validated).
/// A composite axis (`pool: [{pool_size: 30, max_overflow: 5}, ...]`) pairs settings that a
/// cartesian product cannot: each of its values sets several keys at once.
struct MatrixAxis {
  std::string key;
  std::vector<std::string> values;  ///< as written; a composite value's label "{k: v, ...}"
  SourceRef at;
  /// Composite axes only (else empty): per value, the full key paths and values it sets.
  std::vector<std::vector<std::pair<std::string, std::string>>> settings;
};

/// A fault injected during the measurement (`faults:`), at an offset from its start.
enum class FaultKind { restart, terminate_backends, stall, exhaust_connections, network_delay };

struct Fault {
  FaultKind kind = FaultKind::terminate_backends;
  std::chrono::microseconds at{0};  ///< after the measurement started (warmup excluded)
  /// stall, exhaust_connections, network_delay: how long the fault lasts (required).
  std::chrono::microseconds duration{0};
  /// network_delay: added to every chunk of bytes in each direction through poolbench's
  /// loopback proxy (like `tc netem delay` on lo: a round trip gains 2 x delay).
  std::chrono::microseconds delay{0};
  bool immediate = false;                  ///< restart: `mode: immediate` (else fast)
  std::string table = "pgbench_accounts";  ///< stall: the table locked ACCESS EXCLUSIVE
  SourceRef where;
};

const char* to_string(FaultKind kind);

/// A scenario file resolved against the defaults and every --set override, validated.
/// The defaults below are the one place they are written down (`poolbench run --help` and
/// the README quote them).
struct Scenario {
  std::string name;
  std::string description;
  std::string file;  ///< the path it was loaded from

  struct Dataset {
    int scale = 1;      ///< pgbench tables; pgbench_accounts has 100000 * scale rows
    std::string setup;  ///< custom SQL run once instead (empty: pgbench tables)
    SourceRef setup_at;
  } dataset;

  struct Workload {
    LoadMode mode = LoadMode::closed;
    int clients = 8;                                   ///< closed loop
    std::chrono::microseconds think_time{0};           ///< closed; no connection held
    double rate_per_s = 100;                           ///< open loop: mean arrivals/s
    ArrivalProcess arrival = ArrivalProcess::poisson;  ///< open loop
    int max_in_flight = 1000;                          ///< open loop: beyond = dropped
    std::chrono::microseconds duration = std::chrono::seconds(30);
    std::optional<std::int64_t> transactions;  ///< per client, instead of duration
    std::chrono::microseconds warmup = std::chrono::seconds(5);  ///< excluded from statistics
    /// The name of one of `mixes`, or empty ("none" in files and JSON): the transactions'
    /// own weights.
    std::string mix;
    /// The deployment environment(s) of seed 003's table this load models, '+'-joined
    /// ("production", "development+testing"), or empty ("none"): the analysis judges an
    /// environment row only where the scenario names it.
    std::string environment;
    QueryProtocol protocol = QueryProtocol::prepared;  ///< scripts' statements (not replay)
  } workload;

  /// `replay:` (workload.mode: replay): the trace `poolbench capture --log` wrote.
  struct Replay {
    std::string trace;  ///< as written; relative to the scenario file's directory
    double speed = 1;   ///< > 0: 2 replays the arrivals twice as fast
    bool loop = false;  ///< start over at the trace's end until workload.duration
    /// --shard I/N (set by shard_load(), not a key): this process replays the requests whose
    /// 0-based index i has i % shard_count == shard_index.
    int shard_index = 0;
    int shard_count = 1;
  } replay;

  struct Request {
    std::chrono::microseconds app_time{0};  ///< outside SQL, no connection held
    CheckoutMode checkout = CheckoutMode::per_request;
    int max_tries = 1;  ///< pgbench's --max-tries: 1 = no retry, 0 = unlimited
  } request;

  std::vector<TransactionSpec> transactions;
  std::vector<TransactionMix> mixes;  ///< `mixes:`, in file order

  /// One app process of a heterogeneous fleet (`pool.instances` as a list).
  struct Instance {
    std::string name;
    double share = 1;  ///< relative share of the clients or arrivals
    /// Its own pool keys ("pool_size" -> "50"), applied over the scenario's pool: settings.
    std::vector<std::pair<std::string, std::string>> pool;
    SourceRef at;
  };

  struct Pool {
    pool::PoolSettings settings;  ///< SQLAlchemy 2.0's defaults unless set
    int instances = 1;            ///< app processes, one pool each
    /// `pool.instances` given as a list: one entry per instance (then instances == size);
    /// empty when it is a count (identical instances with equal shares).
    std::vector<Instance> fleet;
  } pool;

  struct Server {
    std::string profile = "default";  ///< scenarios/profiles/<name>.conf, or a+b, or a path
    ServerAuth auth = ServerAuth::scram;
    bool ssl = false;
    /// Record cells[].server_stats (statistics views, wait events, /proc); false keeps only
    /// the backends' states and summary.server_statements (to measure the collection's cost).
    bool stats = true;
    /// Run CHECKPOINT before each cell's warmup, so that every cell starts with no WAL since
    /// the last checkpoint: full-page images and requested checkpoints then count from the
    /// same state in every cell instead of depending on the cells before it.
    bool checkpoint_before_cell = false;
    /// The server's CPU cores (HikariCP's cores x 2 + spindles), for a --dsn server whose
    /// cores poolbench cannot see; none: the local host's for the embedded server.
    std::optional<int> cores;
  } server;

  /// `slo:`. A scenario with an slo: block (or any slo.* key set) allows no dropped
  /// arrivals and no errors unless it says otherwise: drop_rate and error_rate default to 0.
  struct Slo {
    std::optional<double> timeout_rate;  ///< timeouts / requests, 0..1
    std::optional<std::chrono::microseconds> p99_latency;
    std::optional<double> drop_rate;   ///< dropped arrivals / requests, 0..1
    std::optional<double> error_rate;  ///< errors / requests (timeouts not included), 0..1

    /// Whether any limit is set (a scenario without an slo: judges nothing).
    bool any() const { return timeout_rate || p99_latency || drop_rate || error_rate; }

    /// The scenario has an slo: the rates it does not give become 0.
    void declare() {
      if (!drop_rate) drop_rate = 0.0;
      if (!error_rate) error_rate = 0.0;
    }
  } slo;

  /// `faults:`, in time order.
  std::vector<Fault> faults;

  std::vector<MatrixAxis> matrix;
  int repetitions = 1;
  /// matrix.allow_over_budget: run cells whose pools exceed max_connections (a matrix that
  /// shows a seed's budget finding); --allow-over-budget does the same from the command line.
  bool allow_over_budget = false;

  /// Where each key path was set (file position or --set), for messages and for the run's
  /// "effective settings" table. Keys at their defaults are absent.
  std::map<std::string, SourceRef> origins;
};

/// Loads and validates a scenario file, then applies `overrides` ("key.path=value", from
/// --set) in order. Throws poolbench::InputError naming file:line:column and the key, with
/// what was expected and a "did you mean" for a near-miss key.
Scenario load_scenario(const std::string& path, const std::vector<std::string>& overrides = {});

/// The same from text; `file_label` names it in messages.
Scenario parse_scenario(const std::string& yaml_text, const std::string& file_label,
                        const std::vector<std::string>& overrides = {});

/// Sets one scalar key (e.g. "pool.pool_size" to "8") as --set and matrix axes do, with the
/// same validation. Throws InputError naming `where` and the key. "workload.mix" is checked
/// against `scenario.mixes` and rewrites every transaction's effective `weight`.
void set_scenario_key(Scenario& scenario, const std::string& key, const std::string& value,
                      const SourceRef& where);

/// One app instance resolved: its name, its share of the load (shares sum to 1) and its pool
/// settings (the scenario's pool: with the instance's own keys applied).
struct ResolvedInstance {
  std::string name;
  double share = 1;
  pool::PoolSettings settings;
};

/// The scenario's app instances: the fleet's entries, or `pool.instances` identical ones
/// ("app-1", ...). Throws InputError when an instance's own pool key is invalid.
std::vector<ResolvedInstance> resolve_instances(const Scenario& scenario);

/// Every key path set_scenario_key() accepts, for help texts and "did you mean". (`mixes` is
/// a block, not a scalar key: it is in scenario_blocks().)
std::vector<std::string> scenario_keys();
bool is_scenario_key(const std::string& key);

/// The top-level keys of a scenario file, in the order the documentation lists them.
std::vector<std::string> scenario_blocks();
/// What scenario_keys() accepts as valid, in words ("a whole number >= 1"): error messages
/// and docs/scenario.md's range column say it. Empty for an unknown key.
std::string expected_value(const std::string& key);
/// The keys a scenario file holds inside its lists and mappings, as docs/scenario.md names
/// them: "transactions[].name", "mixes.<mix>.<transaction>", "pool.instances[].pool.<key>",
/// "matrix.<key>", "matrix.repetitions", "faults[].at", ... The loader accepts exactly these
/// besides scenario_keys() and scenario_blocks().
std::vector<std::string> structured_keys();

/// The resolved scenario as JSON (results.json "scenario"): every key, durations as strings
/// with units, scripts included.
nlohmann::json to_json(const Scenario& scenario);

std::string_view to_string(LoadMode mode) noexcept;
std::string_view to_string(ArrivalProcess arrival) noexcept;
std::string_view to_string(QueryProtocol protocol) noexcept;
std::string_view to_string(CheckoutMode checkout) noexcept;
std::string_view to_string(ServerAuth auth) noexcept;

}  // namespace poolbench::scenario
