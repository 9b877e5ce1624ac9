#include "analysis/server_differences.hpp"

#include <algorithm>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analysis/cell_view.hpp"
#include "analysis/validity.hpp"

namespace poolbench::analysis::detail {
namespace {

using nlohmann::json;

constexpr const char* k_metrics[] = {"cache_hit_ratio",           "wal_bytes_per_transaction",
                                     "blks_read_per_request",     "temp_bytes_per_request",
                                     "server_cpu_ms_per_request", "checkpoints"};

/// A metric of one cell, or nullopt when the cell does not have it.
std::optional<double> metric_of(const json& cell, std::string_view metric) {
  if (metric == "blks_read_per_request") return blks_read_per_request(cell);
  return number(at_path(cell, "summary." + std::string(metric)));
}

/// One metric over one profile's cells of one group.
struct Values {
  double sum = 0;
  int count = 0;
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  double mean() const { return sum / count; }
};

/// Each metric for one profile of one group.
struct ProfileSums {
  std::map<std::string, Values> by_metric;
};

/// Group (the other axes) -> profiles in the order they first appear.
using Groups = std::map<std::string, std::vector<std::pair<std::string, ProfileSums>>>;

Groups collect(const json& cells) {
  Groups groups;
  for (const auto& cell : cells) {
    if (!is_measured(cell) || !cell.value("server_stats", json()).is_object()) continue;
    const json params = cell.value("params", json::object());
    if (!params.is_object() || !params.value("profile", json()).is_string()) continue;
    const std::string profile = params["profile"].get<std::string>();
    auto& profiles = groups[without_profile(params)];
    auto it = std::find_if(profiles.begin(), profiles.end(),
                           [&](const auto& entry) { return entry.first == profile; });
    if (it == profiles.end()) {
      profiles.emplace_back(profile, ProfileSums{});
      it = std::prev(profiles.end());
    }
    for (const char* metric : k_metrics) {
      if (const auto value = metric_of(cell, metric)) {
        Values& values = it->second.by_metric[metric];
        values.sum += *value;
        ++values.count;
        values.min = std::min(values.min, *value);
        values.max = std::max(values.max, *value);
      }
    }
  }
  return groups;
}

struct Difference {
  double size = 0;  ///< the ratio, infinite for a zero against a non-zero
  int metric = 0;   ///< index in k_metrics, for ties
  json entry;
};

/// The difference of one metric between two profiles of a group, or nullopt (the two
/// profiles' ranges over their cells overlap: within the noise of repetitions; or a profile
/// without the metric).
std::optional<Difference> difference(const std::string& group, int metric,
                                     const std::pair<std::string, ProfileSums>& a,
                                     const std::pair<std::string, ProfileSums>& b) {
  const auto a_it = a.second.by_metric.find(k_metrics[metric]);
  const auto b_it = b.second.by_metric.find(k_metrics[metric]);
  if (a_it == a.second.by_metric.end() || b_it == b.second.by_metric.end()) return std::nullopt;
  const bool a_higher = a_it->second.mean() > b_it->second.mean();
  const Values& hi = (a_higher ? a_it : b_it)->second;
  const Values& lo = (a_higher ? b_it : a_it)->second;
  if (hi.min <= lo.max) return std::nullopt;
  const std::string& hi_name = a_higher ? a.first : b.first;
  const std::string& lo_name = a_higher ? b.first : a.first;
  const double hi_mean = hi.mean();
  const double lo_mean = lo.mean();
  Difference out;
  out.metric = metric;
  out.size = lo_mean > 0 ? hi_mean / lo_mean : std::numeric_limits<double>::infinity();
  out.entry = {{"metric", k_metrics[metric]},
               {"group", group},
               {"profiles", {hi_name, lo_name}},
               {"means", {hi_mean, lo_mean}},
               {"ranges", {{hi.min, hi.max}, {lo.min, lo.max}}},
               {"cells", {hi.count, lo.count}},
               {"ratio", lo_mean > 0 ? json(out.size) : json()}};
  return out;
}

}  // namespace

json server_differences(const json& results) {
  const json& cells = cells_of(results);
  std::vector<Difference> found;
  for (const auto& [group, profiles] : collect(cells)) {
    for (std::size_t i = 0; i < profiles.size(); ++i) {
      for (std::size_t j = i + 1; j < profiles.size(); ++j) {
        for (int m = 0; m < static_cast<int>(std::size(k_metrics)); ++m) {
          if (auto diff = difference(group, m, profiles[i], profiles[j]))
            found.push_back(std::move(*diff));
        }
      }
    }
  }
  std::stable_sort(found.begin(), found.end(), [](const Difference& a, const Difference& b) {
    return a.size != b.size ? a.size > b.size : a.metric < b.metric;
  });
  json out = json::array();
  for (std::size_t i = 0; i < found.size() && i < k_max_server_differences; ++i)
    out.push_back(std::move(found[i].entry));
  return out;
}

}  // namespace poolbench::analysis::detail
