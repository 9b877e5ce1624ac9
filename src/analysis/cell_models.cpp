#include "analysis/cell_models.hpp"

#include <cmath>

#include <fmt/format.h>

#include "analysis/finite_source.hpp"
#include "analysis/queueing.hpp"
#include "analysis/sizing.hpp"
#include "metrics/hdr_codec.hpp"
#include "util/error.hpp"

namespace poolbench::analysis::detail {
namespace {

using nlohmann::json;

constexpr double k_ms_per_s = 1000;

/// JSON null for a non-finite number (JSON has no infinity).
json finite_or_null(double value) {
  return std::isfinite(value) ? json(value) : json();
}

json optional_json(const std::optional<double>& value) {
  return value ? json(*value) : json();
}

/// The measured side every queueing model shows next to its prediction.
json measured_waits(const CellView& cell, std::optional<double> p_wait_measured) {
  return {{"measured_wait_source", cell.wait_source},
          {"measured_p_wait", optional_json(p_wait_measured)},
          {"measured_mean_wait_ms", cell.wait_mean_ms},
          {"measured_p99_wait_ms", cell.wait_p99_ms},
          {"measured_timeout_rate", cell.timeout_rate}};
}

json not_applicable(json out, const char* reason) {
  out["status"] = "not_applicable";
  out["reason"] = reason;
  return out;
}

/// Why neither queueing model can say anything about a cell; nullptr when one can.
const char* no_model_reason(const CellView& cell) {
  if (!cell.total) return "unbounded pool";
  if (cell.hold_mean_ms <= 0) return "no completed checkout (no mean hold)";
  return nullptr;
}

}  // namespace

std::optional<double> measured_p_wait(const CellView& cell) {
  const json& histograms = cell.cell->value("histograms", json::object());
  const std::string& name = cell.wait_source;
  if (!histograms.is_object() || !histograms.contains(name) || !histograms[name].is_string()) {
    return std::nullopt;
  }
  metrics::HdrHistogram histogram;
  try {
    histogram = metrics::decode_hdr_v2_base64(histograms[name].get<std::string>());
  } catch (const InputError& e) {
    throw InputError(fmt::format("cell {}: histograms.{}: {}", cell.id, name, e.what()));
  }
  if (histogram.total_count() == 0) return std::nullopt;
  const auto threshold_us = static_cast<std::int64_t>(k_wait_threshold_ms * k_ms_per_s);
  std::int64_t waited = 0;
  histogram.for_each_recorded([&](const metrics::HdrBucket& bucket) {
    if (bucket.lowest_us > threshold_us) waited += bucket.count;
  });
  return static_cast<double>(waited) / static_cast<double>(histogram.total_count());
}

json little_json(const CellView& cell) {
  const LittleCheck check =
      little_check(cell.throughput_rps, cell.hold_mean_ms / k_ms_per_s, cell.mean_checked_out);
  return {{"throughput_rps", check.throughput_rps},
          {"mean_hold_ms", cell.hold_mean_ms},
          {"predicted_in_use", check.predicted_in_use},
          {"measured_in_use", check.measured_in_use},
          {"relative_error", optional_json(check.relative_error)}};
}

json seeds_formula_json(const CellView& cell) {
  const double concurrency = concurrency_of(cell);
  const double needed =
      cell.latency_mean_ms > 0
          ? seeds_connections_needed(concurrency, cell.hold_mean_ms, cell.latency_mean_ms)
          : 0;
  json out = {{"concurrent_requests", concurrency},
              {"avg_query_time_ms", cell.hold_mean_ms},
              {"request_duration_ms", cell.latency_mean_ms},
              {"connections_needed", needed}};
  // The server's own execution time per request (pg_stat_statements), next to the hold
  // the formula uses: the difference is time a connection is held but not executing.
  const json* summary = cell.cell != nullptr ? &(*cell.cell)["summary"] : nullptr;
  if (summary != nullptr && summary->contains("server_statements") &&
      (*summary)["server_statements"].is_object()) {
    const double exec_ms = (*summary)["server_statements"].value("exec_ms_per_request", 0.0);
    out["server_exec_ms_per_request"] = exec_ms;
    out["connections_needed_by_server_time"] =
        cell.latency_mean_ms > 0
            ? seeds_connections_needed(concurrency, exec_ms, cell.latency_mean_ms)
            : 0;
  }
  return out;
}

json sum_rule_json(const CellView& cell) {
  const double concurrency = concurrency_of(cell);
  json total = cell.total ? json(*cell.total * cell.instances) : json();
  return {{"pool_total", total},
          {"concurrent_requests", concurrency},
          {"holds", !cell.total || *cell.total * cell.instances >= concurrency}};
}

json erlang_json(const CellView& cell, std::optional<double> p_wait_measured) {
  json out = measured_waits(cell, p_wait_measured);
  if (!cell.open_loop) {
    return not_applicable(std::move(out),
                          "closed loop: a finite population of clients (finite_source applies)");
  }
  // Replay: the trace's arrivals, independent of the pool as an open loop's, at the rate
  // measured (there is no configured one). They are not Poisson: the model's waits are an
  // estimate for the trace's mean rate (bursts wait more, regular arrivals less).
  out["arrival_source"] = cell.replay ? "trace" : "workload.rate";
  const std::optional<double> all_rate = arrival_rate_rps(cell);
  if (!all_rate || *all_rate <= 0) {
    return not_applicable(std::move(out), cell.replay
                                              ? "replay: no request of the trace arrived in "
                                                "the measurement window"
                                              : "no workload.rate");
  }
  if (const char* reason = no_model_reason(cell)) return not_applicable(std::move(out), reason);
  const double rate = *all_rate / cell.instances;
  const ErlangC q = erlang_c(*cell.total, rate, cell.hold_mean_ms / k_ms_per_s);
  out["status"] = q.stable ? "ok" : "unstable";
  out["arrival_rate_rps"] = rate;
  out["measured_arrival_rate_rps"] = cell.arrival_rate_measured_rps / cell.instances;
  out["mean_hold_ms"] = cell.hold_mean_ms;
  out["offered_load"] = q.offered_load;
  out["servers"] = q.servers;
  out["occupancy"] = q.occupancy;
  out["p_wait"] = q.p_wait;
  out["mean_wait_ms"] = finite_or_null(q.mean_wait_s * k_ms_per_s);
  out["p90_wait_ms"] = finite_or_null(q.wait_quantile_s(k_p90) * k_ms_per_s);
  out["p99_wait_ms"] = finite_or_null(q.wait_quantile_s(k_p99) * k_ms_per_s);
  out["predicted_timeout_rate"] =
      q.stable ? q.p_wait_longer_than(cell.pool_timeout_s) : q.overload_loss_floor();
  out["timeout_rate_floor"] = q.overload_loss_floor();
  return out;
}

json finite_source_json(const CellView& cell, std::optional<double> p_wait_measured) {
  json out = measured_waits(cell, p_wait_measured);
  out["measured_throughput_rps"] = cell.throughput_rps / cell.instances;
  if (cell.replay) {
    return not_applicable(std::move(out),
                          "replay: arrivals come from the trace, not from a finite population of "
                          "clients (erlang_c applies)");
  }
  if (cell.open_loop) {
    return not_applicable(
        std::move(out), "open loop: arrivals do not wait for earlier requests (erlang_c applies)");
  }
  if (!cell.clients || *cell.clients < 1)
    return not_applicable(std::move(out), "no workload.clients");
  if (cell.per_statement) {
    return not_applicable(std::move(out),
                          "request.checkout per_statement: several checkouts per request");
  }
  if (const char* reason = no_model_reason(cell)) return not_applicable(std::move(out), reason);
  // Time away from the pool: the think time, plus what a request spends outside a checkout
  // (app_time, script steps): latency (from ready to done) minus its whole checkout wait
  // (connect and pre-ping included: they are not think time) and hold.
  const double outside_ms =
      std::max(0.0, cell.latency_mean_ms - cell.checkout_wait_mean_ms - cell.hold_mean_ms);
  const double think_ms = cell.think_time_s * k_ms_per_s + outside_ms;
  const int clients = std::max(1, static_cast<int>(std::lround(*cell.clients / cell.instances)));
  const FiniteSource m =
      finite_source(clients, *cell.total, think_ms / k_ms_per_s, cell.hold_mean_ms / k_ms_per_s);
  out["status"] = "ok";
  out["clients"] = clients;
  out["servers"] = m.servers;
  out["mean_think_ms"] = think_ms;
  out["mean_hold_ms"] = cell.hold_mean_ms;
  out["utilization"] = m.utilization;
  out["mean_in_use"] = m.mean_in_use;
  out["p_wait"] = m.p_wait;
  out["mean_wait_ms"] = m.mean_wait_s * k_ms_per_s;
  out["p90_wait_ms"] = m.wait_quantile_s(k_p90) * k_ms_per_s;
  out["p99_wait_ms"] = m.wait_quantile_s(k_p99) * k_ms_per_s;
  out["throughput_rps"] = m.throughput_per_s;
  out["predicted_timeout_rate"] = m.p_wait_longer_than(cell.pool_timeout_s);
  return out;
}

ServerCores server_cores(const json& results) {
  if (const auto cores = number(at_path(results, "scenario.server.cores")); cores && *cores >= 1) {
    return {static_cast<int>(*cores), "server.cores"};  // the scenario's, or --server-cores
  }
  const bool embedded = at_path(results, "server.embedded") == json(true) ||
                        at_path(results, "dsn") == json("embedded");
  const auto host = number(at_path(results, "host.cores"));
  if (embedded && host && *host >= 1) {
    return {static_cast<int>(*host), "the host's, which ran poolbench and its embedded server"};
  }
  return {std::nullopt,
          "server cores unknown: give server.cores (scenario) or --server-cores for a --dsn "
          "server"};
}

json hikari_json(const ServerCores& cores, const std::string& profile) {
  if (!cores.cores) {
    return {{"status", "not_computed"},
            {"cores", json()},
            {"cores_source", cores.source},
            {"effective_spindles", hikaricp_connections(0, profile).effective_spindles},
            {"connections", json()},
            {"reason", "not computed: " + cores.source}};
  }
  const HikariCp h = hikaricp_connections(*cores.cores, profile);
  return {{"status", "ok"},
          {"cores", h.cores},
          {"cores_source", cores.source},
          {"effective_spindles", h.effective_spindles},
          {"connections", h.connections}};
}

}  // namespace poolbench::analysis::detail
