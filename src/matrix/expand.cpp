#include "matrix/expand.hpp"

#include <algorithm>
#include <random>

#include <fmt/format.h>

#include "util/error.hpp"
#include "util/strings.hpp"

namespace poolbench::matrix {
namespace {

/// Splits "[a, b, 'c']" or "a,b" into trimmed values, quotes removed.
std::vector<std::string> split_values(std::string_view text) {
  text = util::trim(text);
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  std::vector<std::string> values;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = text.find(',', start);
    const std::size_t end = comma == std::string_view::npos ? text.size() : comma;
    std::string_view value = util::trim(text.substr(start, end - start));
    if (value.size() >= 2 && (value.front() == '\'' || value.front() == '"') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    values.emplace_back(value);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return values;
}

scenario::MatrixAxis parse_override(const scenario::Scenario& base, const std::string& text) {
  const std::string flag = "--matrix " + text;
  const auto equals = text.find('=');
  if (equals == std::string::npos || equals == 0) {
    throw InputError(fmt::format("{}: expected key.path=[value,value,...]", flag));
  }
  scenario::MatrixAxis axis;
  axis.key = std::string(util::trim(std::string_view(text).substr(0, equals)));
  axis.at = scenario::SourceRef{"--matrix " + axis.key, 0, 0};
  if (!scenario::is_scenario_key(axis.key)) {
    const std::string suggestion = util::closest_match(axis.key, scenario::scenario_keys());
    throw InputError(fmt::format(
        "{}: unknown key '{}'{}", flag, axis.key,
        suggestion.empty() ? std::string() : fmt::format(" (did you mean {}?)", suggestion)));
  }
  axis.values = split_values(std::string_view(text).substr(equals + 1));
  for (const auto& value : axis.values) {
    if (value.empty()) throw InputError(fmt::format("{}: an empty value in the list", flag));
    scenario::Scenario probe = base;
    scenario::set_scenario_key(probe, axis.key, value, axis.at);
  }
  return axis;
}

bool given_with_set(const scenario::Scenario& base, const std::string& key) {
  const auto it = base.origins.find(key);
  return it != base.origins.end() && it->second.file.starts_with("--set");
}

std::string cell_id(const std::vector<std::pair<std::string, std::string>>& params,
                    int repetition) {
  std::string id;
  for (const auto& [key, value] : params) {
    if (!id.empty()) id += ',';
    id += key + "=" + value;
  }
  return id + "#" + std::to_string(repetition);
}

}  // namespace

CellOrder parse_cell_order(const std::string& text) {
  if (text == "product") return CellOrder::product;
  if (text == "random") return CellOrder::random;
  throw InputError(fmt::format("--order {}: expected product or random", text));
}

std::vector<scenario::MatrixAxis> effective_axes(const scenario::Scenario& base,
                                                 const std::vector<std::string>& overrides) {
  std::vector<scenario::MatrixAxis> axes;
  for (const auto& axis : base.matrix) {
    if (!given_with_set(base, axis.key)) axes.push_back(axis);
  }
  for (const auto& text : overrides) {
    scenario::MatrixAxis axis = parse_override(base, text);
    const auto it = std::find_if(axes.begin(), axes.end(),
                                 [&](const scenario::MatrixAxis& a) { return a.key == axis.key; });
    if (it != axes.end()) {
      *it = std::move(axis);
    } else {
      axes.push_back(std::move(axis));
    }
  }
  return axes;
}

std::vector<Cell> expand_matrix(const scenario::Scenario& base, const ExpandOptions& options) {
  const auto axes = effective_axes(base, options.axis_overrides);
  std::size_t combinations = 1;
  for (const auto& axis : axes) combinations *= axis.values.size();
  std::vector<Cell> cells;
  for (std::size_t combination = 0; combination < combinations; ++combination) {
    // Mixed-radix digits of `combination`, last axis fastest.
    std::vector<std::size_t> digit(axes.size());
    std::size_t rest = combination;
    for (std::size_t a = axes.size(); a-- > 0;) {
      digit[a] = rest % axes[a].values.size();
      rest /= axes[a].values.size();
    }
    std::vector<std::pair<std::string, std::string>> params;
    scenario::Scenario scenario = base;
    for (std::size_t a = 0; a < axes.size(); ++a) {
      if (axes[a].settings.empty()) {
        const std::string& value = axes[a].values[digit[a]];
        params.emplace_back(axes[a].key, value);
        scenario::set_scenario_key(scenario, axes[a].key, value, axes[a].at);
        continue;
      }
      // A composite axis: its keys become parameters of their own (--set still wins).
      for (const auto& [key, value] : axes[a].settings[digit[a]]) {
        if (given_with_set(base, key)) continue;
        params.emplace_back(key, value);
        scenario::set_scenario_key(scenario, key, value, axes[a].at);
      }
    }
    for (int repetition = 0; repetition < std::max(1, base.repetitions); ++repetition) {
      Cell cell;
      cell.id = cell_id(params, repetition);
      cell.params = params;
      cell.repetition = repetition;
      cell.scenario = scenario;
      cells.push_back(std::move(cell));
    }
  }

  if (options.order == CellOrder::random) {
    // Fisher-Yates with mt19937_64 (its output is fixed by the standard, unlike
    // std::shuffle's use of it), so a seed gives the same order on every build.
    std::mt19937_64 rng(options.seed);
    for (std::size_t i = cells.size(); i > 1; --i) {
      std::swap(cells[i - 1], cells[static_cast<std::size_t>(rng() % i)]);
    }
  }
  // Group by profile, first appearance first, keeping the order inside each group.
  std::vector<std::string> profiles;
  for (const auto& cell : cells) {
    if (std::find(profiles.begin(), profiles.end(), cell.scenario.server.profile) ==
        profiles.end()) {
      profiles.push_back(cell.scenario.server.profile);
    }
  }
  std::stable_sort(cells.begin(), cells.end(), [&](const Cell& a, const Cell& b) {
    const auto rank = [&](const Cell& c) {
      return std::find(profiles.begin(), profiles.end(), c.scenario.server.profile) -
             profiles.begin();
    };
    return rank(a) < rank(b);
  });
  for (std::size_t i = 0; i < cells.size(); ++i) cells[i].index = static_cast<int>(i);
  return cells;
}

std::string describe_params(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string text;
  for (const auto& [key, value] : params) {
    const auto dot = key.rfind('.');
    if (!text.empty()) text += ' ';
    text += (dot == std::string::npos ? key : key.substr(dot + 1)) + "=" + value;
  }
  return text.empty() ? "base point" : text;
}

}  // namespace poolbench::matrix
