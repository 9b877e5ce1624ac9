#pragma once

// Internal to src/analysis/: the numbers analyze() reads from one results.json cell, with
// the scenario's values where the cell has no matrix axis for them. Not part of the API.

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace poolbench::analysis::detail {

/// A JSON number, or a string holding one (matrix axis values are strings); else nullopt.
std::optional<double> number(const nlohmann::json& value);
/// A JSON number (seconds) or a duration string ("250ms"), in seconds; else nullopt.
std::optional<double> seconds(const nlohmann::json& value);
/// The value at a dotted key path ("workload.rate") inside an object, or null.
const nlohmann::json& at_path(const nlohmann::json& object, std::string_view path);

/// The scenario's SLO: limits that are set.
struct Slo {
  std::optional<double> timeout_rate;
  std::optional<double> p99_latency_ms;
};
Slo read_slo(const nlohmann::json& scenario);

struct CellView {
  const nlohmann::json* cell = nullptr;
  std::string id;  ///< the cell's `id`, else its index as text
  int index = 0;
  std::string status;
  bool ok = false;

  int pool_size = 0;
  int max_overflow = 0;
  double pool_timeout_s = 0;
  int instances = 1;
  std::optional<int> total;  ///< per instance; none when unbounded
  std::string profile;

  bool open_loop = false;
  std::optional<double> rate_rps;  ///< open loop: offered rate, all instances
  std::optional<double> clients;   ///< closed loop

  std::string group_key;        ///< readable: "server.profile=ssd"
  std::string group_identity;   ///< exact: the non-pool params, dumped
  nlohmann::json group_params;  ///< the non-pool params

  long long timeouts = 0;
  long long refused_connections = 0;  ///< errors_by_sqlstate 53300 (too_many_connections)
  long long completed = 0;
  double throughput_rps = 0;
  double arrival_rate_measured_rps = 0;  ///< requests / duration_s (all instances)
  double timeout_rate = 0;
  double latency_mean_ms = 0;
  double latency_p99_ms = 0;
  double hold_mean_ms = 0;
  double wait_mean_ms = 0;
  double mean_checked_out = 0;
};

/// Reads cell `index` of `results` (scenario values fill what the cell's params lack).
CellView read_cell(const nlohmann::json& results, const nlohmann::json& cell, int index);

/// Concurrent requests: open loop λ × mean latency (Little), closed loop the clients.
double concurrency_of(const CellView& cell);

/// Whether a measured cell met: no timeouts and every SLO limit; the reasons it did not.
bool cell_met(const CellView& cell, const Slo& slo, std::vector<std::string>* reasons);

}  // namespace poolbench::analysis::detail
