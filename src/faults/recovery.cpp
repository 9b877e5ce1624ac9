#include "faults/recovery.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <string>

#include "util/duration.hpp"

namespace poolbench::faults {
namespace {

/// Seconds [first, last] (indexes into the time series) a fault disturbed.
struct Window {
  std::size_t first = 0;
  std::size_t last = 0;
};

/// The level before a fault: the mean of its quiet seconds, and the throughput that counts as
/// back to it.
struct Baseline {
  double mean = 0;
  double threshold = 0;
};

/// How many quiet seconds before a fault make its baseline (fewer when fewer are quiet).
constexpr int k_baseline_seconds = 5;

/// The threshold is 90% of the mean, or the slowest quiet second when the seconds before the
/// fault varied more than that: on a noisy machine a second as slow as one before the fault
/// is back to that level.
std::optional<Baseline> baseline(const std::vector<workload::TimeseriesRow>& rows,
                                 std::size_t before, const std::vector<Window>& disturbed) {
  double sum = 0;
  int count = 0;
  std::optional<double> slowest;
  for (std::size_t k = before; k > 0 && count < k_baseline_seconds; --k) {
    const std::size_t second = k - 1;
    const bool quiet = std::none_of(disturbed.begin(), disturbed.end(), [&](const Window& w) {
      return second >= w.first && second <= w.last;
    });
    if (!quiet) break;  // only seconds after the previous fault's recovery
    const auto completed = static_cast<double>(rows[second].completed);
    sum += completed;
    slowest = std::min(slowest.value_or(completed), completed);
    ++count;
  }
  if (count == 0) return std::nullopt;
  const double mean = sum / count;
  return Baseline{mean, std::min(k_recovered_fraction * mean, *slowest)};
}

std::size_t second_of(double t_s, std::size_t size) {
  const auto second = static_cast<std::size_t>(std::max(0.0, std::floor(t_s)));
  return std::min(second, size == 0 ? 0 : size - 1);
}

/// A fault's own keys: what it was, when, and the pool's counters it moved.
nlohmann::json describe(const FaultRecord& record) {
  const scenario::Fault& fault = record.fault;
  nlohmann::json item = {{"kind", scenario::to_string(fault.kind)},
                         {"at_s", record.start_s},
                         {"end_s", record.end_s},
                         {"start_unix_s", record.start_unix_s},
                         {"detail", record.detail}};
  if (fault.duration.count() > 0) item["duration_s"] = util::to_seconds(fault.duration);
  if (fault.kind == scenario::FaultKind::network_delay) {
    item["delay_ms"] = static_cast<double>(fault.delay.count()) / 1000.0;
  }
  if (fault.kind == scenario::FaultKind::restart) {
    item["mode"] = fault.immediate ? "immediate" : "fast";
  }
  if (fault.kind == scenario::FaultKind::stall) item["table"] = fault.table;
  if (!record.error.empty()) item["error"] = record.error;
  item["invalidations"] = record.after.invalidations - record.before.invalidations;
  item["preping_failures"] = record.after.preping_failures - record.before.preping_failures;
  item["connects"] = record.after.connects - record.before.connects;
  return item;
}

/// Errors, timeouts and the slowest second over the seconds [first, last].
void add_window_totals(const std::vector<workload::TimeseriesRow>& rows, std::size_t first,
                       std::size_t last, nlohmann::json& item) {
  std::int64_t errors = 0;
  std::int64_t timeouts = 0;
  std::map<std::string, std::int64_t> by_sqlstate;
  std::optional<std::int64_t> lowest;
  for (std::size_t k = first; k <= last && k < rows.size(); ++k) {
    errors += rows[k].errors;
    timeouts += rows[k].timeouts;
    for (const auto& [sqlstate, count] : rows[k].errors_by_sqlstate) by_sqlstate[sqlstate] += count;
    lowest = std::min(lowest.value_or(rows[k].completed), rows[k].completed);
  }
  item["errors"] = errors;
  item["timeouts"] = timeouts;
  item["errors_by_sqlstate"] = by_sqlstate;
  item["lowest_rps"] = lowest ? nlohmann::json(*lowest) : nlohmann::json();
}

}  // namespace

nlohmann::json fault_results(const std::vector<FaultRecord>& records,
                             const std::vector<workload::TimeseriesRow>& rows) {
  nlohmann::json out = nlohmann::json::array();
  std::vector<Window> disturbed;
  std::optional<Baseline> previous_base;
  for (std::size_t index = 0; index < records.size(); ++index) {
    const FaultRecord& record = records[index];
    // The next fault ends this one's window: what follows is the next fault's doing.
    const std::size_t limit = index + 1 < records.size()
                                  ? second_of(records[index + 1].start_s, rows.size())
                                  : rows.size();
    nlohmann::json item = describe(record);

    std::optional<Baseline> base;
    std::optional<std::size_t> back;
    std::size_t first = 0;
    std::size_t last = 0;
    if (!rows.empty()) {
      first = second_of(record.start_s, rows.size());
      base = baseline(rows, first, disturbed);
      // Still disturbed by the previous fault: back means back to the level before that one.
      if (!base) base = previous_base;
      if (base) {
        for (std::size_t k = second_of(record.end_s, rows.size()); k < limit; ++k) {
          if (static_cast<double>(rows[k].completed) >= base->threshold) {
            back = k;
            break;
          }
        }
      }
      last = back.value_or(std::max(first, limit > 0 ? limit - 1 : 0));
    }
    previous_base = base;
    add_window_totals(rows, first, last, item);
    item["baseline_rps"] = base ? nlohmann::json(base->mean) : nlohmann::json();
    item["recovery_threshold_rps"] = base ? nlohmann::json(base->threshold) : nlohmann::json();
    item["recovered"] = back.has_value();
    if (back) {
      const double back_s = static_cast<double>(*back);
      const bool within_end_second = *back == second_of(record.end_s, rows.size());
      item["recovery_s"] = within_end_second ? 0.0 : std::max(0.0, back_s - record.end_s);
      item["disrupted_s"] =
          std::max(0.0, (within_end_second ? record.end_s : back_s) - record.start_s);
    } else {
      item["recovery_s"] = nullptr;
      item["disrupted_s"] = nullptr;
    }
    disturbed.push_back({first, last});
    out.push_back(std::move(item));
  }
  return out;
}

}  // namespace poolbench::faults
