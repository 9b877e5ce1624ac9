// The `faults:` list of a scenario file (docs/scenario.md, Faults).

#include <algorithm>
#include <optional>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "scenario/loader_internal.hpp"
#include "util/duration.hpp"
#include "util/strings.hpp"

namespace poolbench::scenario {
namespace {

constexpr std::array k_kind_values = {FaultKind::restart, FaultKind::terminate_backends,
                                      FaultKind::stall, FaultKind::exhaust_connections,
                                      FaultKind::network_delay};
/// network_delay's largest delay: a round trip gains twice as much.
constexpr auto k_max_network_delay = std::chrono::seconds(10);

/// to_string's names of the fault kinds, in k_kind_values' order.
const std::vector<std::string>& kind_names() {
  static const std::vector<std::string> k_kinds = [] {
    std::vector<std::string> names;
    for (const FaultKind kind : k_kind_values) names.emplace_back(to_string(kind));
    return names;
  }();
  return k_kinds;
}

/// One `faults:` item as written: the fault, and which of its keys were given.
struct FaultItem {
  Fault fault;
  bool has_at = false;
  bool has_kind = false;
  bool has_duration = false;
  bool has_delay = false;
  std::optional<YAML::Node> mode_node;
  std::optional<YAML::Node> table_node;
};

/// A duration key of a fault: "10s", "250ms", a bare number of seconds.
std::chrono::microseconds fault_duration(const YamlReader& yaml, const YAML::Node& value,
                                         const std::string& path) {
  const std::string text = yaml.scalar(value, path);
  const auto parsed = util::parse_duration(text);
  if (!parsed || parsed->count() < 0) {
    yaml.fail(value, path,
              fmt::format("'{}' is not a duration (expected e.g. 10s, 250ms; a bare number is "
                          "seconds)",
                          text));
  }
  return *parsed;
}

FaultKind fault_kind(const YamlReader& yaml, const YAML::Node& value, const std::string& path) {
  const std::vector<std::string>& kinds = kind_names();
  const std::string kind = yaml.scalar(value, path);
  const auto it = std::ranges::find(kinds, kind);
  if (it == kinds.end()) {
    const std::string best = util::closest_match(kind, kinds);
    yaml.fail(value, path,
              fmt::format("unknown fault '{}'{} (expected one of: {})", kind,
                          best.empty() ? "" : fmt::format(" (did you mean '{}'?)", best),
                          fmt::join(kinds, ", ")));
  }
  return k_kind_values[static_cast<std::size_t>(it - kinds.begin())];
}

/// Reads one item's keys, each checked on its own (the first bad one fails).
FaultItem read_fault_item(const YamlReader& yaml, const YAML::Node& node,
                          const std::string& where) {
  static const std::vector<std::string> k_keys(k_fault_keys.begin(), k_fault_keys.end());
  FaultItem item;
  item.fault.where = yaml.at(node);
  Fault& fault = item.fault;
  for (const auto& [key, key_node, value] : yaml.entries(node, where)) {
    const std::string path = where + "." + key;
    if (key == "at") {
      fault.at = fault_duration(yaml, value, path);
      item.has_at = true;
    } else if (key == "kind") {
      fault.kind = fault_kind(yaml, value, path);
      item.has_kind = true;
    } else if (key == "duration") {
      fault.duration = fault_duration(yaml, value, path);
      item.has_duration = true;
    } else if (key == "delay") {
      fault.delay = fault_duration(yaml, value, path);
      item.has_delay = true;
    } else if (key == "mode") {
      item.mode_node = value;
      const std::string mode = yaml.scalar(value, path);
      if (mode != "fast" && mode != "immediate") {
        yaml.fail(value, path, fmt::format("'{}' is not valid (expected fast or immediate)", mode));
      }
      fault.immediate = mode == "immediate";
    } else if (key == "table") {
      item.table_node = value;
      fault.table = yaml.scalar(value, path);
      if (fault.table.empty()) yaml.fail(value, path, "expected a table name");
    } else {
      const std::string best = util::closest_match(key, k_keys);
      yaml.fail(key_node, path,
                fmt::format("unknown key{} (a fault has: {})",
                            best.empty() ? "" : fmt::format(" (did you mean '{}'?)", best),
                            fmt::join(k_keys, ", ")));
    }
  }
  return item;
}

/// The rules between an item's keys: what its kind requires and what it does not take.
void check_fault_item(const YamlReader& yaml, const FaultItem& item, const YAML::Node& node,
                      const std::string& where) {
  const Fault& fault = item.fault;
  if (!item.has_kind) {
    yaml.fail(node, where,
              fmt::format("kind: required (one of: {})", fmt::join(kind_names(), ", ")));
  }
  if (!item.has_at) {
    yaml.fail(node, where, "at: required (the offset from the measurement start, e.g. 10s)");
  }
  const std::string kind = to_string(fault.kind);
  const bool lasts = fault.kind == FaultKind::stall ||
                     fault.kind == FaultKind::exhaust_connections ||
                     fault.kind == FaultKind::network_delay;
  if (lasts && (!item.has_duration || fault.duration.count() == 0)) {
    yaml.fail(node, where, fmt::format("duration: required for {} (e.g. duration: 2s)", kind));
  }
  if (!lasts && item.has_duration) {
    yaml.fail(node, where + ".duration", fmt::format("{} is instantaneous: remove duration", kind));
  }
  if (fault.kind == FaultKind::network_delay &&
      (!item.has_delay || fault.delay.count() == 0 || fault.delay > k_max_network_delay)) {
    yaml.fail(node, where + ".delay",
              "network_delay needs delay: between 1us and 10s (e.g. delay: 20ms)");
  }
  if (fault.kind != FaultKind::network_delay && item.has_delay) {
    yaml.fail(node, where + ".delay", "only network_delay takes a delay");
  }
  if (item.mode_node && fault.kind != FaultKind::restart) {
    yaml.fail(*item.mode_node, where + ".mode", "only restart takes a mode (fast or immediate)");
  }
  if (item.table_node && fault.kind != FaultKind::stall) {
    yaml.fail(*item.table_node, where + ".table", "only stall takes a table");
  }
}

}  // namespace

std::vector<Fault> load_faults(const YamlReader& yaml, const YAML::Node& list) {
  if (!list.IsSequence()) {
    yaml.fail(list, "faults", "expected a list, e.g. - { at: 10s, kind: terminate_backends }");
  }
  std::vector<Fault> faults;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string where = fmt::format("faults[{}]", i);
    if (!list[i].IsMap()) {
      yaml.fail(list[i], where, "expected a mapping, e.g. { at: 10s, kind: restart }");
    }
    const FaultItem item = read_fault_item(yaml, list[i], where);
    check_fault_item(yaml, item, list[i], where);
    faults.push_back(item.fault);
  }
  std::ranges::stable_sort(faults, {}, &Fault::at);
  return faults;
}

}  // namespace poolbench::scenario
