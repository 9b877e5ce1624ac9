#include "metrics/summary.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "util/error.hpp"

namespace poolbench::metrics {

namespace {

constexpr double k_us_per_ms = 1000.0;

std::int64_t read_count(const nlohmann::json& json, const char* key) {
  const auto it = json.find(key);
  if (it == json.end()) {
    throw InputError(fmt::format("outcome counters: missing key \"{}\"", key));
  }
  if (!it->is_number_integer() || it->get<std::int64_t>() < 0) {
    throw InputError(fmt::format("outcome counters: \"{}\" must be a non-negative integer (got {})",
                                 key, it->dump()));
  }
  return it->get<std::int64_t>();
}

bool is_sqlstate(std::string_view code) {
  if (code.size() != 5) {
    return false;
  }
  for (const char c : code) {
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'))) {
      return false;
    }
  }
  return true;
}

}  // namespace

void Counters::add_error(std::string_view sqlstate, std::int64_t n) {
  m_errors += n;
  const auto it = m_errors_by_sqlstate.find(sqlstate);
  if (it != m_errors_by_sqlstate.end()) {
    it->second += n;
  } else {
    m_errors_by_sqlstate.emplace(std::string(sqlstate), n);
  }
}

void Counters::merge(const Counters& other) {
  m_completed += other.m_completed;
  m_timeouts += other.m_timeouts;
  m_dropped += other.m_dropped;
  for (const auto& [sqlstate, n] : other.m_errors_by_sqlstate) {
    add_error(sqlstate, n);
  }
}

double Counters::timeout_rate() const noexcept {
  const std::int64_t total = requests();
  return total == 0 ? 0.0 : static_cast<double>(m_timeouts) / static_cast<double>(total);
}

void to_json(nlohmann::json& json, const Counters& counters) {
  nlohmann::json by_sqlstate = nlohmann::json::object();
  for (const auto& [sqlstate, n] : counters.errors_by_sqlstate()) {
    by_sqlstate[sqlstate] = n;
  }
  json = nlohmann::json{
      {"requests", counters.requests()}, {"completed", counters.completed()},
      {"timeouts", counters.timeouts()}, {"errors", counters.errors()},
      {"dropped", counters.dropped()},   {"errors_by_sqlstate", std::move(by_sqlstate)}};
}

void from_json(const nlohmann::json& json, Counters& counters) {
  if (!json.is_object()) {
    throw InputError("outcome counters: expected an object, got " + json.dump());
  }
  Counters result;
  result.add_completed(read_count(json, "completed"));
  result.add_timeout(read_count(json, "timeouts"));
  result.add_dropped(read_count(json, "dropped"));
  const std::int64_t errors = read_count(json, "errors");
  const std::int64_t requests = read_count(json, "requests");
  const auto by_sqlstate = json.find("errors_by_sqlstate");
  if (by_sqlstate == json.end() || !by_sqlstate->is_object()) {
    throw InputError("outcome counters: \"errors_by_sqlstate\" must be an object");
  }
  for (const auto& [sqlstate, n] : by_sqlstate->items()) {
    if (!is_sqlstate(sqlstate)) {
      throw InputError(fmt::format(
          "outcome counters: errors_by_sqlstate key \"{}\" is not a SQLSTATE (5 of 0-9A-Z)",
          sqlstate));
    }
    if (!n.is_number_integer() || n.get<std::int64_t>() <= 0) {
      throw InputError(
          fmt::format("outcome counters: errors_by_sqlstate.{} must be a positive integer (got {})",
                      sqlstate, n.dump()));
    }
    result.add_error(sqlstate, n.get<std::int64_t>());
  }
  if (result.errors() != errors) {
    throw InputError(
        fmt::format("outcome counters: errors is {} but errors_by_sqlstate adds up "
                    "to {}",
                    errors, result.errors()));
  }
  if (result.requests() != requests) {
    throw InputError(
        fmt::format("outcome counters: requests is {} but completed + timeouts + "
                    "errors + dropped = {}",
                    requests, result.requests()));
  }
  counters = std::move(result);
}

HistogramSummaryMs summarize_ms(const HdrHistogram& histogram_us) {
  const auto ms = [](std::int64_t us) { return static_cast<double>(us) / k_us_per_ms; };
  HistogramSummaryMs summary;
  summary.mean = histogram_us.mean_us() / k_us_per_ms;
  summary.p50 = ms(histogram_us.value_at_percentile_us(50.0));
  summary.p90 = ms(histogram_us.value_at_percentile_us(90.0));
  summary.p99 = ms(histogram_us.value_at_percentile_us(99.0));
  summary.p999 = ms(histogram_us.value_at_percentile_us(99.9));
  summary.max = ms(histogram_us.max_us());
  return summary;
}

void to_json(nlohmann::json& json, const HistogramSummaryMs& summary) {
  json = nlohmann::json{{"mean", summary.mean}, {"p50", summary.p50},   {"p90", summary.p90},
                        {"p99", summary.p99},   {"p999", summary.p999}, {"max", summary.max}};
}

void from_json(const nlohmann::json& json, HistogramSummaryMs& summary) {
  if (!json.is_object()) {
    throw InputError("histogram summary: expected an object, got " + json.dump());
  }
  HistogramSummaryMs result;
  const std::array<std::pair<const char*, double*>, 6> fields{{{"mean", &result.mean},
                                                               {"p50", &result.p50},
                                                               {"p90", &result.p90},
                                                               {"p99", &result.p99},
                                                               {"p999", &result.p999},
                                                               {"max", &result.max}}};
  for (const auto& [key, target] : fields) {
    const auto it = json.find(key);
    if (it == json.end()) {
      throw InputError(fmt::format("histogram summary: missing key \"{}\"", key));
    }
    if (!it->is_number() || !std::isfinite(it->get<double>()) || it->get<double>() < 0.0) {
      throw InputError(fmt::format(
          "histogram summary: \"{}\" must be a non-negative number of milliseconds (got {})", key,
          it->dump()));
    }
    *target = it->get<double>();
  }
  if (json.size() != fields.size()) {
    for (const auto& item : json.items()) {
      const std::string& key = item.key();
      const bool known = std::any_of(fields.begin(), fields.end(),
                                     [&key](const auto& field) { return key == field.first; });
      if (!known) {
        throw InputError(fmt::format("histogram summary: unknown key \"{}\"", key));
      }
    }
  }
  summary = result;
}

}  // namespace poolbench::metrics
