#include "analysis/compare.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "analysis/cell_view.hpp"
#include "analysis/mann_whitney.hpp"
#include "util/error.hpp"

namespace poolbench::analysis {
namespace {

using nlohmann::json;

/// The repetitions of one params set in one results file.
struct Sample {
  std::string label;
  json params;
  std::vector<const json*> cells;  ///< status "ok" and not invalid only
  int not_ok = 0;                  ///< the others
};

/// The samples of a results file, in the order their params first appear.
struct Samples {
  std::vector<Sample> list;
  std::map<std::string, std::size_t> by_key;  ///< params dumped (sorted keys) -> index
  int skipped = 0;                            ///< cells not "ok", or invalid
};

std::string label_of(const json& cell, const std::string& scenario_name) {
  if (cell.contains("id") && cell["id"].is_string()) {
    std::string id = cell["id"].get<std::string>();
    if (const auto hash = id.rfind('#'); hash != std::string::npos) id.resize(hash);
    return id.empty() ? scenario_name : id;  // "#0": a run without matrix axes
  }
  std::string text;  // no id (not written by poolbench matrix): name it by its params
  if (cell.contains("params") && cell["params"].is_object()) {
    for (const auto& [key, value] : cell["params"].items()) {
      if (!text.empty()) text += ',';
      text += key + "=" + (value.is_string() ? value.get<std::string>() : value.dump());
    }
  }
  return text.empty() ? scenario_name : text;
}

Samples group_cells(const json& results, const std::string& scenario_name) {
  Samples samples;
  for (const json& cell : results["cells"]) {
    const json params = cell.contains("params") ? cell["params"] : json::object();
    const std::string key = params.dump();
    auto [it, added] = samples.by_key.emplace(key, samples.list.size());
    if (added)
      samples.list.push_back(
          Sample{.label = label_of(cell, scenario_name), .params = params, .cells = {}});
    Sample& sample = samples.list[it->second];
    // An invalid cell measured the load generator (validity.hpp): not a sample of the system.
    if (cell.value("status", std::string("ok")) == "ok" && !cell.contains("invalid")) {
      sample.cells.push_back(&cell);
    } else {
      ++sample.not_ok;
      ++samples.skipped;
    }
  }
  return samples;
}

/// The resolved scenario as compared: without what may differ between two runs of it. The
/// matrix is left to the cell matching, which names the cells one side lacks.
json comparable_scenario(const json& results) {
  json scenario = results.contains("scenario") ? results["scenario"] : json::object();
  if (!scenario.is_object()) return scenario;
  for (const char* key : {"file", "description", "matrix"}) scenario.erase(key);
  // An slo: with any key implies drop_rate 0 and error_rate 0 (slo.hpp), whether or not the
  // file was written before those keys were.
  if (scenario.contains("slo") && scenario["slo"].is_object() && !scenario["slo"].empty()) {
    for (const char* key : {"drop_rate", "error_rate"}) {
      if (!scenario["slo"].contains(key)) scenario["slo"][key] = 0.0;
    }
  }
  return scenario;
}

/// "/pool/pool_size" -> "pool.pool_size"; inside an array, the array's key
/// ("/transactions/0/script" -> "transactions").
std::string setting_of(const std::string& pointer) {
  std::string path;
  std::size_t start = pointer.empty() ? 0 : 1;
  while (start <= pointer.size()) {
    const auto end = std::min(pointer.find('/', start), pointer.size());
    const std::string part = pointer.substr(start, end - start);
    if (part.empty() || part == "-" ||
        std::ranges::all_of(part, [](unsigned char c) { return std::isdigit(c) != 0; }))
      break;
    path += (path.empty() ? "" : ".") + part;
    start = end + 1;
  }
  return path.empty() ? "scenario" : path;
}

void check_same_scenario(const json& baseline, const std::string& baseline_source,
                         const json& current, const std::string& current_source) {
  const json& base_name = detail::at_path(baseline, "scenario.name");
  const json& cur_name = detail::at_path(current, "scenario.name");
  if (!base_name.is_string()) {
    throw InputError(fmt::format("{}: no scenario.name (not a complete poolbench results file)",
                                 baseline_source));
  }
  if (!cur_name.is_string()) {
    throw InputError(fmt::format("{}: no scenario.name (not a complete poolbench results file)",
                                 current_source));
  }
  if (base_name != cur_name) {
    throw InputError(fmt::format(
        "{}: scenario '{}' cannot be compared with the baseline's '{}' ({}): different scenarios",
        current_source, cur_name.get<std::string>(), base_name.get<std::string>(),
        baseline_source));
  }
  const json patch = json::diff(comparable_scenario(baseline), comparable_scenario(current));
  if (patch.empty()) return;
  std::vector<std::string> paths;
  for (const auto& op : patch) {
    const std::string path = setting_of(op.value("path", std::string()));
    if (std::ranges::find(paths, path) == paths.end()) paths.push_back(path);
  }
  const std::size_t shown = std::min<std::size_t>(paths.size(), 5);
  throw InputError(fmt::format(
      "{}: the resolved scenario '{}' differs from the baseline's ({}) in {}{}: rerun the "
      "baseline with the same scenario and --set/--matrix flags",
      current_source, cur_name.get<std::string>(), baseline_source,
      fmt::join(paths.begin(), paths.begin() + static_cast<std::ptrdiff_t>(shown), ", "),
      paths.size() > shown ? fmt::format(" and {} more", paths.size() - shown) : ""));
}

/// One metric of one finished cell; InputError when the summary lacks it.
double metric_value(const json& cell, const MetricDef& metric, const std::string& source,
                    const std::string& label) {
  const json& summary = cell.contains("summary") ? cell["summary"] : json();
  const auto missing = [&](const std::string& key) {
    return InputError(
        fmt::format("{}: cell {} (repetition {}): summary.{} is missing or not a "
                    "number",
                    source, label, cell.value("repetition", 0), key));
  };
  if (metric.key == "error_rate" || metric.key == "drop_rate") {
    const char* count_key = metric.key == "error_rate" ? "errors" : "dropped";
    const auto count = detail::number(detail::at_path(summary, count_key));
    const auto requests = detail::number(detail::at_path(summary, "requests"));
    if (!count) throw missing(count_key);
    if (!requests) throw missing("requests");
    return *requests > 0 ? *count / *requests : 0.0;
  }
  const auto value = detail::number(detail::at_path(summary, metric.key));
  if (!value) throw missing(metric.key);
  return *value;
}

std::vector<double> values_of(const Sample& sample, const MetricDef& metric,
                              const std::string& source) {
  std::vector<double> values;
  for (const json* cell : sample.cells) {
    values.push_back(metric_value(*cell, metric, source, sample.label));
  }
  return values;
}

/// A server-side metric of one cell, or nullopt when the cell does not have it.
std::optional<double> server_value(const json& cell, const MetricDef& metric) {
  if (metric.key == "blks_read_per_transaction") return detail::blks_read_per_request(cell);
  return detail::number(detail::at_path(detail::at_path(cell, "summary"), metric.key));
}

/// Every repetition's value of a server-side metric; nullopt when one lacks it.
std::optional<std::vector<double>> server_values(const Sample& sample, const MetricDef& metric) {
  std::vector<double> values;
  for (const json* cell : sample.cells) {
    const auto value = server_value(*cell, metric);
    if (!value) return std::nullopt;
    values.push_back(*value);
  }
  return values;
}

void check_same_cells(const Samples& baseline, const std::string& baseline_source,
                      const Samples& current, const std::string& current_source) {
  const auto unmatched = [](const Samples& from, const Samples& in) {
    std::vector<std::string> labels;
    for (const auto& sample : from.list) {
      const auto it = in.by_key.find(sample.params.dump());
      if (it == in.by_key.end()) labels.push_back(sample.label);
    }
    return labels;
  };
  const auto fail = [](const std::string& lacking, const std::string& having,
                       const std::vector<std::string>& labels) {
    const std::size_t shown = std::min<std::size_t>(labels.size(), 3);
    throw InputError(fmt::format(
        "{}: lacks {} cell{} that {} has: {}{} (compare needs the same matrix in both)", lacking,
        labels.size(), labels.size() == 1 ? "" : "s", having,
        fmt::join(labels.begin(), labels.begin() + static_cast<std::ptrdiff_t>(shown), "; "),
        labels.size() > shown ? fmt::format("; and {} more", labels.size() - shown) : ""));
  };
  if (const auto labels = unmatched(baseline, current); !labels.empty()) {
    fail(current_source, baseline_source, labels);
  }
  if (const auto labels = unmatched(current, baseline); !labels.empty()) {
    fail(baseline_source, current_source, labels);
  }
  for (const auto& sample : baseline.list) {
    const Sample& other = current.list[current.by_key.at(sample.params.dump())];
    for (const auto& [side, source] :
         {std::pair{&sample, baseline_source}, std::pair{&other, current_source}}) {
      if (side->cells.empty()) {
        throw InputError(
            fmt::format("{}: cell {} has no finished repetition ({} not ok or invalid): "
                        "nothing to compare",
                        source, sample.label, side->not_ok));
      }
    }
  }
}

}  // namespace

int Comparison::count(Verdict verdict) const {
  int total = 0;
  for (const auto& cell : cells) {
    for (const auto& metric : cell.metrics) total += metric.verdict == verdict ? 1 : 0;
  }
  return total;
}

bool Comparison::thresholds_only() const {
  for (const auto& cell : cells) {
    for (const auto& metric : cell.metrics) {
      if (metric.basis == Basis::thresholds_only) return true;
    }
  }
  return false;
}

Comparison compare_results(const json& baseline, const std::string& baseline_source,
                           const json& current, const std::string& current_source,
                           const CompareOptions& options) {
  check_same_scenario(baseline, baseline_source, current, current_source);
  Comparison comparison;
  comparison.scenario = detail::at_path(baseline, "scenario.name").get<std::string>();
  comparison.baseline_source = baseline_source;
  comparison.current_source = current_source;
  comparison.alpha = options.alpha;

  const Samples base = group_cells(baseline, comparison.scenario);
  const Samples cur = group_cells(current, comparison.scenario);
  check_same_cells(base, baseline_source, cur, current_source);
  for (const auto& [samples, source] :
       {std::pair{&base, baseline_source}, {&cur, current_source}}) {
    if (samples->skipped > 0) {
      comparison.notes.push_back(
          fmt::format("{}: {} cell{} not ok (failed or interrupted) left out of the samples",
                      source, samples->skipped, samples->skipped == 1 ? "" : "s"));
    }
  }

  std::map<std::string, std::size_t> server_skipped;  ///< server-side metric -> cells
  for (const auto& sample : base.list) {
    const Sample& other = cur.list[cur.by_key.at(sample.params.dump())];
    CellComparison cell;
    cell.label = sample.label;
    cell.params = sample.params;
    cell.baseline_repetitions = static_cast<int>(sample.cells.size());
    cell.current_repetitions = static_cast<int>(other.cells.size());
    for (const auto& metric : compared_metrics()) {
      const auto override_it = options.thresholds.find(metric.key);
      const Threshold& threshold =
          override_it != options.thresholds.end() ? override_it->second : metric.default_threshold;
      if (metric.server_side) {
        const auto base_values = server_values(sample, metric);
        const auto cur_values = server_values(other, metric);
        if (base_values && cur_values) {
          cell.metrics.push_back(
              compare_metric(metric, threshold, *base_values, *cur_values, options.alpha));
        } else {
          ++server_skipped[metric.key];
        }
        continue;
      }
      const auto base_values = values_of(sample, metric, baseline_source);
      const auto cur_values = values_of(other, metric, current_source);
      cell.metrics.push_back(
          compare_metric(metric, threshold, base_values, cur_values, options.alpha));
    }
    comparison.cells.push_back(std::move(cell));
  }
  for (const auto& [key, cells] : server_skipped) {
    comparison.notes.push_back(fmt::format(
        "{} not compared in {} of {} cells: a repetition on either side has no value (runs "
        "with server.stats: false or without server_stats, or no block accesses)",
        key, cells, base.list.size()));
  }
  if (comparison.thresholds_only()) {
    comparison.notes.push_back(fmt::format(
        "too few repetitions for the Mann-Whitney test to reach alpha {}: verdicts come from "
        "the thresholds alone (run >= {} repetitions on each side for a significance test)",
        options.alpha, mann_whitney_min_repetitions(options.alpha)));
  }
  return comparison;
}

}  // namespace poolbench::analysis
