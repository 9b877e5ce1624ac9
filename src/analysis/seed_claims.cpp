#include "analysis/seed_claims.hpp"

#include <fmt/format.h>

namespace poolbench::analysis {
namespace {

using json = nlohmann::json;

double number_at(const json& object, const json::json_pointer& pointer, double fallback = 0) {
  return object.contains(pointer) && object[pointer].is_number() ? object[pointer].get<double>()
                                                                 : fallback;
}

struct Measured {
  std::string id;
  int pool_size = 0;
  int max_overflow = 0;
  double concurrency = 0;
  double overflow_used = 0;
  double timeouts = 0;
  double wait_p50_ms = 0;
  double wait_p99_ms = 0;
  double wait_max_ms = 0;
  double pool_timeout_ms = 0;
};

Measured measure(const json& results, const json& cell, std::size_t index) {
  Measured m;
  m.id = cell.value("id", std::to_string(index));
  const json& params = cell.value("params", json::object());
  m.pool_size = params.value("pool_size", 0);
  m.max_overflow = params.value("max_overflow", 0);
  m.pool_timeout_ms = 1000.0 * params.value("pool_timeout_s", 0.0);
  const json& s = cell.value("summary", json::object());
  const std::string mode = results.value(json::json_pointer("/scenario/workload/mode"), "closed");
  if (mode == "open") {
    m.concurrency = number_at(s, json::json_pointer("/throughput_rps")) *
                    number_at(s, json::json_pointer("/latency_ms/mean")) / 1000.0;
  } else {
    const auto clients = params.contains("workload.clients")
                             ? std::stod(params["workload.clients"].get<std::string>())
                             : number_at(results, json::json_pointer("/scenario/workload/clients"));
    m.concurrency = clients;
  }
  m.overflow_used = number_at(s, json::json_pointer("/pool/max_overflow_used"));
  m.timeouts = number_at(s, json::json_pointer("/timeouts"));
  m.wait_p50_ms = number_at(s, json::json_pointer("/checkout_wait_ms/p50"));
  m.wait_p99_ms = number_at(s, json::json_pointer("/checkout_wait_ms/p99"));
  m.wait_max_ms = number_at(s, json::json_pointer("/checkout_wait_ms/max"));
  return m;
}

json verdict(const Measured& m, bool holds, std::string evidence) {
  return {{"id", m.id},
          {"concurrent_requests", m.concurrency},
          {"verdict", holds ? "holds" : "differs"},
          {"evidence", std::move(evidence)}};
}

/// The behaviour table row for a 20 + 10 pool at this concurrency.
std::pair<int, json> behaviour_row(const Measured& m) {
  if (m.concurrency < 20) {
    const bool holds = m.overflow_used == 0 && m.timeouts == 0;
    return {0, verdict(m, holds,
                       fmt::format("{} overflow connections used, checkout wait p50 {:.2f} ms",
                                   m.overflow_used, m.wait_p50_ms))};
  }
  if (m.concurrency <= 30) {
    const bool holds = m.overflow_used > 0 && m.timeouts == 0;
    return {1, verdict(m, holds,
                       fmt::format("{} overflow connections used, {} timeouts, checkout wait p99 "
                                   "{:.2f} ms",
                                   m.overflow_used, m.timeouts, m.wait_p99_ms))};
  }
  // "Blocks until timeout ... then fail": requests wait; they fail only when the queue does
  // not drain within pool_timeout.
  const bool blocked = m.wait_p99_ms > 1.0;
  const bool failed = m.timeouts > 0;
  return {2, verdict(m, blocked && failed,
                     fmt::format("requests waited (checkout wait p99 {:.1f} ms, max {:.1f} ms of "
                                 "a {:.0f} ms pool_timeout); {} timed out{}",
                                 m.wait_p99_ms, m.wait_max_ms, m.pool_timeout_ms, m.timeouts,
                                 blocked && !failed ? ": the queue drained before pool_timeout, "
                                                      "so it blocks but does not fail"
                                                    : ""))};
}

}  // namespace

json seed_claims(const json& results) {
  static const char* const k_rows[3][2] = {
      {"Low traffic (< 20 concurrent)",
       "Uses base pool only; minimal overhead, instant connections"},
      {"Medium traffic (20-30 concurrent)",
       "Uses overflow connections; slight latency for new connections"},
      {"High traffic (> 30 concurrent)",
       "Blocks until timeout; requests wait up to 30s, then fail"}};
  json behaviour[3] = {json::array(), json::array(), json::array()};
  json session = json::array();
  const json& cells = results.value("cells", json::array());
  for (std::size_t i = 0; i < cells.size(); ++i) {
    const json& cell = cells[i];
    if (!cell.is_object() || cell.value("status", "") != "ok") continue;
    const Measured m = measure(results, cell, i);
    if (m.pool_size == 20 && m.max_overflow == 10) {
      auto [row, item] = behaviour_row(m);
      behaviour[row].push_back(std::move(item));
    }
    // "Get session from pool < 1ms" speaks of a pool that has a connection to give.
    if (m.timeouts == 0 && m.concurrency < m.pool_size) {
      session.push_back(verdict(
          m, m.wait_p50_ms < 1.0,
          fmt::format("checkout wait p50 {:.3f} ms, p99 {:.2f} ms", m.wait_p50_ms, m.wait_p99_ms)));
    }
  }
  json out = json::array();
  for (int row = 0; row < 3; ++row) {
    if (behaviour[row].empty()) continue;
    out.push_back({{"seed", "001"},
                   {"table", "Connection Pool Performance (pool_size 20, max_overflow 10)"},
                   {"row", k_rows[row][0]},
                   {"claim", k_rows[row][1]},
                   {"cells", behaviour[row]}});
  }
  if (!session.empty()) {
    out.push_back({{"seed", "001"},
                   {"table", "Typical Latencies"},
                   {"row", "Get session from pool"},
                   {"claim", "< 1ms (development and production)"},
                   {"cells", session}});
  }
  return out;
}

}  // namespace poolbench::analysis
