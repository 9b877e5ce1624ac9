#include "analysis/slo.hpp"

#include <chrono>
#include <cmath>

#include <fmt/format.h>

#include "analysis/cell_view.hpp"
#include "util/duration.hpp"

namespace poolbench::analysis {
namespace {

using nlohmann::json;

double number_or_zero(const json& object, const char* path) {
  return detail::number(detail::at_path(object, path)).value_or(0);
}

/// "50ms" for 50.0: the limit as the scenario spells durations.
std::string duration_text_ms(double ms) {
  return util::format_duration(std::chrono::microseconds(std::llround(ms * 1000)));
}

}  // namespace

SloLimits read_slo(const json& scenario) {
  SloLimits limits;
  const json& slo = detail::at_path(scenario, "slo");
  if (!slo.is_object() || slo.empty()) return limits;
  limits.timeout_rate = detail::number(detail::at_path(slo, "timeout_rate"));
  if (const auto p99_s = detail::seconds(detail::at_path(slo, "p99_latency"))) {
    limits.p99_latency_ms = *p99_s * 1000;
  }
  limits.drop_rate = detail::number(detail::at_path(slo, "drop_rate")).value_or(0);
  limits.error_rate = detail::number(detail::at_path(slo, "error_rate")).value_or(0);
  return limits;
}

MeasuredRates measured_rates(const json& summary) {
  MeasuredRates m;
  m.requests = number_or_zero(summary, "requests");
  m.timeouts = number_or_zero(summary, "timeouts");
  m.errors = number_or_zero(summary, "errors");
  m.dropped = number_or_zero(summary, "dropped");
  m.timeout_rate = number_or_zero(summary, "timeout_rate");
  if (m.requests > 0) {
    m.drop_rate = m.dropped / m.requests;
    m.error_rate = m.errors / m.requests;
  }
  m.p99_latency_ms = number_or_zero(summary, "latency_ms.p99");
  return m;
}

std::vector<SloMiss> slo_misses(const SloLimits& limits, const json& summary) {
  const MeasuredRates m = measured_rates(summary);
  std::vector<SloMiss> misses;
  if (limits.timeout_rate && m.timeout_rate > *limits.timeout_rate) {
    misses.push_back({"timeout_rate", *limits.timeout_rate, m.timeout_rate,
                      fmt::format("slo.timeout_rate: limit {}, measured {:.4f}",
                                  *limits.timeout_rate, m.timeout_rate)});
  }
  if (limits.p99_latency_ms && m.p99_latency_ms > *limits.p99_latency_ms) {
    misses.push_back({"p99_latency", *limits.p99_latency_ms, m.p99_latency_ms,
                      fmt::format("slo.p99_latency: limit {}, measured {:.2f}ms",
                                  duration_text_ms(*limits.p99_latency_ms), m.p99_latency_ms)});
  }
  if (limits.drop_rate && m.drop_rate > *limits.drop_rate) {
    misses.push_back(
        {"drop_rate", *limits.drop_rate, m.drop_rate,
         fmt::format("slo.drop_rate: limit {}, measured {:.4f} ({} of {} arrivals dropped: "
                     "max_in_flight requests were already running)",
                     *limits.drop_rate, m.drop_rate, m.dropped, m.requests)});
  }
  if (limits.error_rate && m.error_rate > *limits.error_rate) {
    misses.push_back({"error_rate", *limits.error_rate, m.error_rate,
                      fmt::format("slo.error_rate: limit {}, measured {:.4f} ({} of {} requests "
                                  "failed with an error)",
                                  *limits.error_rate, m.error_rate, m.errors, m.requests)});
  }
  return misses;
}

}  // namespace poolbench::analysis
