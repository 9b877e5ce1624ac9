#include "report/calculator.hpp"

#include <cmath>

#include "analysis/plan.hpp"
#include "analysis/sizing.hpp"

namespace poolbench::report {
namespace {

nlohmann::json number_or_null(double value) {
  return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json();
}

/// The load the form starts from: the scenario's open-loop rate, else the highest
/// throughput a cell measured (rounded), else nothing.
nlohmann::json default_rps(const ReportModel& model) {
  if (std::isfinite(model.offered_rps) && model.offered_rps > 0) return model.offered_rps;
  double best = 0;
  for (const auto& row : model.cells) {
    if (std::isfinite(row.throughput_rps)) best = std::max(best, row.throughput_rps);
  }
  return best > 0 ? nlohmann::json(std::round(best)) : nlohmann::json();
}

nlohmann::json cell_entry(const CellRow& row) {
  const nlohmann::json* hold = find_path(*row.cell, {"summary", "hold_ms"});
  if (hold == nullptr || !hold->is_object()) return nullptr;
  const double mean_ms = number_at(*hold, "mean");
  // plan parses --query-time to whole microseconds; the calculator uses the same value.
  const double hold_us = std::isfinite(mean_ms) ? std::round(mean_ms * 1000) : 0;
  if (hold_us < 1) return nullptr;
  return {{"label", row.label},
          {"hold_us", hold_us},
          {"hold_p50_ms", number_or_null(number_at(*hold, "p50"))},
          {"hold_p90_ms", number_or_null(number_at(*hold, "p90"))},
          {"hold_p99_ms", number_or_null(number_at(*hold, "p99"))},
          {"throughput_rps", number_or_null(row.throughput_rps)},
          {"status", row.invalid_reason.empty() ? row.status : "invalid"}};
}

}  // namespace

nlohmann::json calculator_data(const ReportModel& model) {
  nlohmann::json cells = nlohmann::json::array();
  for (const auto& row : model.cells) {
    if (auto entry = cell_entry(row); !entry.is_null()) cells.push_back(std::move(entry));
  }
  nlohmann::json tiers = nlohmann::json::array();
  for (const auto& row : analysis::seed_tier_rows()) {
    tiers.push_back(
        {{"name", row.name}, {"label", row.label}, {"pool_timeout_s", row.pool_timeout_s}});
  }
  const analysis::PlanInputs plan_defaults;
  const nlohmann::json* server = find_path(*model.results, {"server"});
  const double server_max = server != nullptr ? number_at(*server, "max_connections") : k_nan;
  return {{"cells", cells},
          {"tiers", tiers},
          {"defaults",
           {{"rps", default_rps(model)},
            {"instances", plan_defaults.instances},
            {"max_connections", std::isfinite(server_max)
                                    ? nlohmann::json(server_max)
                                    : nlohmann::json(plan_defaults.max_connections)},
            {"superuser_reserved", plan_defaults.superuser_reserved_connections},
            {"reserved", plan_defaults.reserved_connections},
            {"timeout_rate", std::isfinite(model.slo_timeout_rate) && model.slo_timeout_rate > 0
                                 ? model.slo_timeout_rate
                                 : plan_defaults.timeout_rate},
            {"p99_ms", number_or_null(model.slo_p99_ms)},
            {"queries", plan_defaults.queries_per_request}}}};
}

}  // namespace poolbench::report
