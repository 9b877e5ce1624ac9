#include "analysis/validity.hpp"

#include <algorithm>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "analysis/cell_view.hpp"

namespace poolbench::analysis {

using nlohmann::json;

std::optional<std::string> generator_fell_behind(const json& summary) {
  std::vector<std::string> why;
  if (const auto lag = detail::number(detail::at_path(summary, "schedule_lag_ms.p99"));
      lag && *lag > k_max_schedule_lag_p99_ms) {
    why.push_back(
        fmt::format("schedule lag p99 {:.3g} ms (limit {:g} ms)", *lag, k_max_schedule_lag_p99_ms));
  }
  const json& busy = detail::at_path(summary, "generator.worker_cpu_busy");
  if (busy.is_array()) {
    double highest = 0;
    for (const auto& value : busy) highest = std::max(highest, detail::number(value).value_or(0));
    if (highest > k_max_worker_cpu_busy) {
      why.push_back(fmt::format("a worker thread was on a CPU {:.0f}% of the time (limit {:.0f}%)",
                                100 * highest, 100 * k_max_worker_cpu_busy));
    }
  }
  if (why.empty()) return std::nullopt;
  return fmt::format("the load generator fell behind: {}", fmt::join(why, "; "));
}

std::string invalid_reason(const json& cell) {
  const json& reason = detail::at_path(cell, "invalid.reason");
  if (reason.is_string()) return reason.get<std::string>();
  return cell.is_object() && cell.contains("invalid") ? std::string("marked invalid") : "";
}

bool is_measured(const json& cell) {
  return cell.is_object() && cell.value("status", std::string()) == "ok" &&
         cell.contains("summary") && !cell.contains("invalid");
}

}  // namespace poolbench::analysis
