// Reads scenario YAML into a validated Scenario (the keys are DESIGN.md's contract).
// Every error is an InputError naming file:line:column, the key path, and what is expected.

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include "util/duration.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"
#include "workload/scenario.hpp"

namespace poolbench::workload {
namespace {

constexpr std::array<const char*, 6> k_sections = {"dataset", "workload", "request",
                                                   "pool",    "server",   "slo"};

/// A weight as written: a finite number, > 0 (or >= 0 with `allow_zero`).
std::optional<double> parse_weight(const std::string& text, bool allow_zero) {
  char* end = nullptr;
  const double weight = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(weight)) {
    return std::nullopt;
  }
  if (allow_zero ? !(weight >= 0) : !(weight > 0)) return std::nullopt;
  return weight;
}

class Loader {
 public:
  Loader(const std::string& text, std::string file) : m_file(std::move(file)) {
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) m_lines.push_back(line);
  }

  SourceRef at(const YAML::Node& node) const {
    const YAML::Mark mark = node.Mark();
    return {m_file, mark.line + 1, mark.column + 1};
  }

  [[noreturn]] void fail(const YAML::Node& node, const std::string& key,
                         const std::string& what) const {
    throw InputError(fmt::format("{}: {}: {}", at(node).to_string(), key, what));
  }

  /// The text of a scalar; a list, a mapping or nothing where a value belongs is an error.
  std::string scalar(const YAML::Node& node, const std::string& key) const {
    if (node.IsScalar()) {
      // The text was UTF-8; what yaml-cpp made of it must be too (it goes into results.json).
      if (util::first_invalid_utf8(node.Scalar())) fail(node, key, "the value is not UTF-8 text");
      return node.Scalar();
    }
    const char* got = node.IsSequence() ? "a list" : node.IsMap() ? "a mapping" : "no value";
    fail(node, key, fmt::format("expected a single value, got {}", got));
  }

  struct Entry {
    std::string key;
    YAML::Node key_node;  // for messages about the key itself
    YAML::Node value;
  };

  /// Keys of a mapping in order, rejecting duplicates (yaml-cpp would keep both).
  std::vector<Entry> entries(const YAML::Node& map, const std::string& where) const {
    std::vector<Entry> out;
    std::set<std::string> seen;
    for (const auto& item : map) {
      const std::string key = scalar(item.first, where.empty() ? "key" : where);
      if (!seen.insert(key).second) {
        fail(item.first, where.empty() ? key : where + "." + key, "duplicate key");
      }
      out.push_back({key, item.first, item.second});
    }
    return out;
  }

  /// Where the first line of a scalar's text stands: block scalars (| or >) start one line
  /// below their indicator.
  int first_text_line(const YAML::Node& node) const {
    const int line = node.Mark().line;  // 0-based
    if (line >= 0 && static_cast<std::size_t>(line) < m_lines.size()) {
      const std::string& text = m_lines[static_cast<std::size_t>(line)];
      const std::size_t column = static_cast<std::size_t>(std::max(0, node.Mark().column));
      if (column < text.size() && (text[column] == '|' || text[column] == '>')) return line + 2;
    }
    return line + 1;
  }

  void load_section(Scenario& scenario, const std::string& section, const YAML::Node& node) {
    if (!node.IsMap()) {
      fail(node, section,
           fmt::format("expected a mapping of {} settings (key: value lines)", section));
    }
    for (const auto& [key, key_node, value] : entries(node, section)) {
      const std::string path = section + "." + key;
      if (path == "pool.instances" && value.IsSequence()) {
        load_fleet(scenario, value);
        continue;
      }
      if (!is_scenario_key(path)) {
        set_scenario_key(scenario, path, "", at(key_node));  // throws: unknown key, did you mean
      }
      set_scenario_key(scenario, path, scalar(value, path), at(value));
    }
  }

  /// `pool.instances: [{name, share, pool: {pool_size: 50, ...}}, ...]`: a heterogeneous
  /// fleet sharing one server (seed 004: an identity service and several smaller services).
  void load_fleet(Scenario& scenario, const YAML::Node& list) {
    if (list.size() == 0) fail(list, "pool.instances", "expected at least one instance");
    std::set<std::string> names;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string where = fmt::format("pool.instances[{}]", i);
      if (!list[i].IsMap()) {
        fail(list[i], where, "expected a mapping: {name: api, share: 1, pool: {pool_size: 20}}");
      }
      Scenario::Instance instance;
      instance.name = fmt::format("app-{}", i + 1);
      instance.at = at(list[i]);
      for (const auto& [key, key_node, value] : entries(list[i], where)) {
        const std::string path = where + "." + key;
        if (key == "name") {
          instance.name = scalar(value, path);
          if (instance.name.empty()) fail(value, path, "expected a non-empty name");
        } else if (key == "share") {
          const std::string text = scalar(value, path);
          const auto share = parse_weight(text, false);
          if (!share)
            fail(value, path, fmt::format("'{}' is not valid (expected a number > 0)", text));
          instance.share = *share;
        } else if (key == "pool") {
          if (!value.IsMap()) fail(value, path, "expected a mapping of pool settings");
          for (const auto& [sub, sub_node, sub_value] : entries(value, path)) {
            if (sub == "instances") fail(sub_node, path + ".instances", "an instance is one pool");
            Scenario probe = scenario;  // validated the way resolve_instances applies it
            set_scenario_key(probe, "pool." + sub, scalar(sub_value, path + "." + sub),
                             at(sub_node));
            instance.pool.emplace_back(sub, scalar(sub_value, path + "." + sub));
          }
        } else {
          fail(key_node, path, "unknown key (expected name, share or pool)");
        }
      }
      if (!names.insert(instance.name).second) fail(list[i], where, "duplicate instance name");
      scenario.pool.fleet.push_back(std::move(instance));
    }
    scenario.pool.instances = static_cast<int>(scenario.pool.fleet.size());
    scenario.origins["pool.instances"] = at(list);
  }

  void load_transactions(Scenario& scenario, const YAML::Node& node) {
    if (!node.IsSequence()) {
      fail(node, "transactions", "expected a list of transactions (- name: ..., script: ...)");
    }
    std::set<std::string> names;
    for (std::size_t i = 0; i < node.size(); ++i) {
      const YAML::Node item = node[i];
      const std::string where = fmt::format("transactions[{}]", i);
      if (!item.IsMap()) fail(item, where, "expected a mapping with name, weight and script");
      TransactionSpec spec;
      bool has_script = false;
      for (const auto& [key, key_node, value] : entries(item, where)) {
        const std::string path = where + "." + key;
        if (key == "name") {
          spec.name = scalar(value, path);
          if (spec.name.empty()) fail(value, path, "expected a non-empty name");
          if (!names.insert(spec.name).second) fail(value, path, "duplicate transaction name");
        } else if (key == "weight") {
          const std::string text = scalar(value, path);
          const auto weight = parse_weight(text, false);
          if (!weight)
            fail(value, path, fmt::format("'{}' is not valid (expected a number > 0)", text));
          spec.weight = spec.own_weight = *weight;
        } else if (key == "script") {
          spec.script = scalar(value, path);
          spec.script_at = {m_file, first_text_line(value), 0};
          has_script = true;
        } else {
          const std::vector<std::string> keys = {"name", "weight", "script"};
          const std::string best = util::closest_match(key, keys);
          fail(key_node, path,
               fmt::format("unknown key{} (a transaction has name, weight and script)",
                           best.empty() ? "" : fmt::format(" (did you mean '{}'?)", best)));
        }
      }
      if (spec.name.empty()) fail(item, where, "a transaction needs a name");
      if (!has_script) fail(item, where + "." + spec.name, "a transaction needs a script");
      scenario.transactions.push_back(std::move(spec));
    }
    scenario.origins["transactions"] = at(node);
  }

  /// `mixes:`, after `transactions:` wherever it stands in the file: every name in a mix must
  /// be one of them.
  void load_mixes(Scenario& scenario, const YAML::Node& node) {
    if (!node.IsMap()) {
      fail(node, "mixes",
           "expected a mapping of mix names to transaction weights, e.g. read_heavy: "
           "{point_read: 90, update: 10}");
    }
    std::vector<std::string> transactions;
    for (const auto& t : scenario.transactions) transactions.push_back(t.name);
    for (const auto& [name, name_node, weights] : entries(node, "mixes")) {
      const std::string where = "mixes." + name;
      if (name.empty()) fail(name_node, "mixes", "expected a non-empty mix name");
      if (name == "none") {
        fail(name_node, where,
             "'none' is reserved (workload.mix: none means the transactions' own weights); "
             "choose another name");
      }
      if (!weights.IsMap()) {
        fail(weights, where,
             "expected a mapping of transaction names to weights, e.g. {point_read: 90, "
             "update: 10}");
      }
      TransactionMix mix{name, {}, at(name_node)};
      bool any_positive = false;
      for (const auto& [transaction, key_node, value] : entries(weights, where)) {
        const std::string path = where + "." + transaction;
        if (std::ranges::find(transactions, transaction) == transactions.end()) {
          const std::string best = util::closest_match(transaction, transactions);
          fail(
              key_node, path,
              fmt::format("unknown transaction{} (expected one of the scenario's "
                          "transactions: {})",
                          best.empty() ? "" : fmt::format(" (did you mean '{}'?)", best),
                          transactions.empty() ? std::string("none defined")
                                               : fmt::format("{}", fmt::join(transactions, ", "))));
        }
        const std::string text = scalar(value, path);
        const auto weight = parse_weight(text, true);
        if (!weight)
          fail(value, path, fmt::format("'{}' is not valid (expected a number >= 0)", text));
        any_positive = any_positive || *weight > 0;
        mix.weights[transaction] = *weight;
      }
      if (!any_positive) {
        fail(weights, where,
             "expected at least one weight > 0 (a mix of zero weights would run nothing)");
      }
      scenario.mixes.push_back(std::move(mix));
    }
    scenario.origins["mixes"] = at(node);
  }

  /// `key: [{sub: v, ...}, ...]`: each value sets several keys together. A sub-key is a key
  /// path of its own (pool.pool_size) or one under `key` (pool_size under pool).
  MatrixAxis load_composite_axis(const Scenario& scenario, const std::string& key,
                                 const YAML::Node& list) {
    MatrixAxis axis{key, {}, at(list), {}};
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string item_path = fmt::format("matrix.{}[{}]", key, i);
      if (!list[i].IsMap() || list[i].size() == 0) {
        fail(list[i], item_path,
             "expected a mapping of keys to values like the other items, e.g. {pool_size: 30, "
             "max_overflow: 5}");
      }
      std::vector<std::pair<std::string, std::string>> settings;
      std::vector<std::string> label;
      Scenario probe = scenario;  // validate the values the way the cell will set them
      for (const auto& [sub, sub_node, sub_value] : entries(list[i], item_path)) {
        const std::string path = is_scenario_key(sub) ? sub : key + "." + sub;
        const std::string text = scalar(sub_value, item_path + "." + sub);
        set_scenario_key(probe, path, text, at(sub_node));  // unknown keys throw here
        settings.emplace_back(path, text);
        label.push_back(sub + ": " + text);
      }
      axis.values.push_back("{" + fmt::format("{}", fmt::join(label, ", ")) + "}");
      axis.settings.push_back(std::move(settings));
    }
    return axis;
  }

  /// A duration key of a fault: "10s", "250ms", a bare number of seconds.
  std::chrono::microseconds fault_duration(const YAML::Node& value, const std::string& path) {
    const std::string text = scalar(value, path);
    const auto parsed = util::parse_duration(text);
    if (!parsed || parsed->count() < 0) {
      fail(value, path,
           fmt::format("'{}' is not a duration (expected e.g. 10s, 250ms; a bare number is "
                       "seconds)",
                       text));
    }
    return *parsed;
  }

  /// `faults: [{at, kind, duration, delay, mode, table}, ...]`.
  void load_faults(Scenario& scenario, const YAML::Node& list) {
    static constexpr std::array k_kind_values = {FaultKind::restart, FaultKind::terminate_backends,
                                                 FaultKind::stall, FaultKind::exhaust_connections,
                                                 FaultKind::network_delay};
    static const std::vector<std::string> k_kinds = [] {
      std::vector<std::string> names;  // to_string's names, in k_kind_values' order
      for (const FaultKind kind : k_kind_values) names.emplace_back(to_string(kind));
      return names;
    }();
    static const std::vector<std::string> k_keys = {"at",    "kind", "duration",
                                                    "delay", "mode", "table"};
    if (!list.IsSequence()) {
      fail(list, "faults", "expected a list, e.g. - { at: 10s, kind: terminate_backends }");
    }
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string where = fmt::format("faults[{}]", i);
      if (!list[i].IsMap()) {
        fail(list[i], where, "expected a mapping, e.g. { at: 10s, kind: restart }");
      }
      Fault fault;
      fault.where = at(list[i]);
      bool has_at = false;
      bool has_kind = false;
      bool has_duration = false;
      bool has_delay = false;
      std::optional<YAML::Node> mode_node;
      std::optional<YAML::Node> table_node;
      for (const auto& [key, key_node, value] : entries(list[i], where)) {
        const std::string path = where + "." + key;
        if (key == "at") {
          fault.at = fault_duration(value, path);
          has_at = true;
        } else if (key == "kind") {
          const std::string kind = scalar(value, path);
          const auto it = std::ranges::find(k_kinds, kind);
          if (it == k_kinds.end()) {
            const std::string best = util::closest_match(kind, k_kinds);
            fail(value, path,
                 fmt::format("unknown fault '{}'{} (expected one of: {})", kind,
                             best.empty() ? "" : fmt::format(" (did you mean '{}'?)", best),
                             fmt::join(k_kinds, ", ")));
          }
          fault.kind = k_kind_values[static_cast<std::size_t>(it - k_kinds.begin())];
          has_kind = true;
        } else if (key == "duration") {
          fault.duration = fault_duration(value, path);
          has_duration = true;
        } else if (key == "delay") {
          fault.delay = fault_duration(value, path);
          has_delay = true;
        } else if (key == "mode") {
          mode_node = value;
          const std::string mode = scalar(value, path);
          if (mode != "fast" && mode != "immediate") {
            fail(value, path, fmt::format("'{}' is not valid (expected fast or immediate)", mode));
          }
          fault.immediate = mode == "immediate";
        } else if (key == "table") {
          table_node = value;
          fault.table = scalar(value, path);
          if (fault.table.empty()) fail(value, path, "expected a table name");
        } else {
          const std::string best = util::closest_match(key, k_keys);
          fail(key_node, path,
               fmt::format("unknown key{} (a fault has: {})",
                           best.empty() ? "" : fmt::format(" (did you mean '{}'?)", best),
                           fmt::join(k_keys, ", ")));
        }
      }
      if (!has_kind)
        fail(list[i], where, fmt::format("kind: required (one of: {})", fmt::join(k_kinds, ", ")));
      if (!has_at)
        fail(list[i], where, "at: required (the offset from the measurement start, e.g. 10s)");
      const std::string kind = to_string(fault.kind);
      const bool lasts = fault.kind == FaultKind::stall ||
                         fault.kind == FaultKind::exhaust_connections ||
                         fault.kind == FaultKind::network_delay;
      if (lasts && (!has_duration || fault.duration.count() == 0)) {
        fail(list[i], where, fmt::format("duration: required for {} (e.g. duration: 2s)", kind));
      }
      if (!lasts && has_duration) {
        fail(list[i], where + ".duration",
             fmt::format("{} is instantaneous: remove duration", kind));
      }
      if (fault.kind == FaultKind::network_delay &&
          (!has_delay || fault.delay.count() == 0 || fault.delay > std::chrono::seconds(10))) {
        fail(list[i], where + ".delay",
             "network_delay needs delay: between 1us and 10s (e.g. delay: 20ms)");
      }
      if (fault.kind != FaultKind::network_delay && has_delay) {
        fail(list[i], where + ".delay", "only network_delay takes a delay");
      }
      if (mode_node && fault.kind != FaultKind::restart) {
        fail(*mode_node, where + ".mode", "only restart takes a mode (fast or immediate)");
      }
      if (table_node && fault.kind != FaultKind::stall) {
        fail(*table_node, where + ".table", "only stall takes a table");
      }
      scenario.faults.push_back(std::move(fault));
    }
    std::ranges::stable_sort(scenario.faults, {}, &Fault::at);
    scenario.origins["faults"] = at(list);
  }

  void load_matrix(Scenario& scenario, const YAML::Node& node) {
    if (!node.IsMap()) fail(node, "matrix", "expected a mapping of key paths to lists of values");
    for (const auto& [key, key_node, value] : entries(node, "matrix")) {
      const std::string path = "matrix." + key;
      if (key == "allow_over_budget") {
        bool allow = false;
        if (!value.IsScalar() || !YAML::convert<bool>::decode(value, allow)) {
          fail(value, path, "expected true or false");
        }
        scenario.allow_over_budget = allow;
        continue;
      }
      if (key == "repetitions") {
        const std::string text = scalar(value, path);
        char* end = nullptr;
        const long count = std::strtol(text.c_str(), &end, 10);
        if (text.empty() || end != text.c_str() + text.size() || count < 1 || count > 1000) {
          fail(value, path, fmt::format("'{}' is not valid (expected a whole number >= 1)", text));
        }
        scenario.repetitions = static_cast<int>(count);
        continue;
      }
      if (!value.IsSequence() || value.size() == 0) {
        fail(value, path, "expected a non-empty list of values, e.g. [5, 10, 20]");
      }
      if (value[0].IsMap()) {
        scenario.matrix.push_back(load_composite_axis(scenario, key, value));
        continue;
      }
      if (!is_scenario_key(key)) set_scenario_key(scenario, key, "", at(key_node));  // throws
      MatrixAxis axis{key, {}, at(value), {}};
      for (std::size_t i = 0; i < value.size(); ++i) {
        const std::string item_path = fmt::format("{}[{}]", key, i);
        axis.values.push_back(scalar(value[i], "matrix." + item_path));
        Scenario probe = scenario;  // validate each value the way the cell will set it
        set_scenario_key(probe, key, axis.values.back(), at(value[i]));
      }
      scenario.matrix.push_back(std::move(axis));
    }
  }

  Scenario load(const YAML::Node& root) {
    Scenario scenario;
    scenario.file = m_file;
    if (!root.IsMap()) {
      throw InputError(fmt::format(
          "{}: expected a scenario: a mapping with name, workload, transactions, pool, ... "
          "(see scenarios/read_heavy.yaml)",
          m_file));
    }
    // transactions: and mixes: first, wherever they stand: workload.mix, and matrix axes
    // over it, are checked against the mixes, and the mixes against the transactions.
    const std::vector<Entry> all = entries(root, "");
    for (const char* first : {"transactions", "mixes"}) {
      for (const auto& entry : all) {
        if (entry.key == first) load_entry(scenario, entry);
      }
    }
    for (const auto& entry : all) {
      if (entry.key != "transactions" && entry.key != "mixes") load_entry(scenario, entry);
    }
    return scenario;
  }

  void load_entry(Scenario& scenario, const Entry& entry) {
    const auto& [key, key_node, value] = entry;
    if (std::find(k_sections.begin(), k_sections.end(), key) != k_sections.end()) {
      load_section(scenario, key, value);
    } else if (key == "name" || key == "description") {
      set_scenario_key(scenario, key, scalar(value, key), at(value));
    } else if (key == "transactions") {
      load_transactions(scenario, value);
    } else if (key == "mixes") {
      load_mixes(scenario, value);
    } else if (key == "matrix") {
      load_matrix(scenario, value);
    } else if (key == "faults") {
      load_faults(scenario, value);
    } else {
      const std::string best = util::closest_match(key, scenario_blocks());
      throw InputError(fmt::format("{}: {}: unknown key{} (expected one of: {})",
                                   at(key_node).to_string(), key,
                                   best.empty() ? "" : fmt::format(" (did you mean '{}'?)", best),
                                   fmt::join(scenario_blocks(), ", ")));
    }
  }

 private:
  std::string m_file;
  std::vector<std::string> m_lines;
};

/// Where `key` was set, for a message about it; the file itself when it kept its default.
std::string origin_of(const Scenario& scenario, const std::string& key) {
  const auto it = scenario.origins.find(key);
  return it == scenario.origins.end() ? scenario.file : it->second.to_string();
}

/// Rules that involve more than one key, checked after the file and every --set.
void validate(const Scenario& s) {
  if (s.name.empty()) {
    throw InputError(fmt::format("{}: name: a scenario needs a name", s.file));
  }
  if (s.transactions.empty()) {
    throw InputError(fmt::format(
        "{}: transactions: at least one transaction is required (- name: ..., script: ...)",
        origin_of(s, "transactions")));
  }
  if (s.workload.mode == LoadMode::open && s.workload.transactions) {
    throw InputError(fmt::format(
        "{}: workload.transactions: only with mode: closed (an open-loop run uses duration)",
        origin_of(s, "workload.transactions")));
  }
  if (s.request.max_tries == 0 && s.workload.transactions) {
    throw InputError(fmt::format(
        "{}: request.max_tries: 0 (unlimited retries) needs a duration, not transactions",
        origin_of(s, "request.max_tries")));
  }
  if (const std::string error = s.pool.settings.validation_error(); !error.empty()) {
    throw InputError(fmt::format("{}: pool: {}", s.file, error));
  }
  for (std::size_t i = 0; i < s.faults.size(); ++i) {
    const Fault& fault = s.faults[i];
    if (s.workload.transactions) {
      throw InputError(fmt::format(
          "{}: faults: need workload.duration (faults are placed in time; transactions per "
          "client end whenever they end)",
          fault.where.to_string()));
    }
    if (fault.at + fault.duration >= s.workload.duration) {
      throw InputError(fmt::format(
          "{}: faults: a {} at {}{} does not end before the measurement does "
          "(workload.duration {}): its recovery could not be measured",
          fault.where.to_string(), to_string(fault.kind), util::format_duration(fault.at),
          fault.duration.count() > 0
              ? fmt::format(" lasting {}", util::format_duration(fault.duration))
              : "",
          util::format_duration(s.workload.duration)));
    }
  }
}

std::pair<std::string, std::string> split_override(const std::string& text) {
  const std::size_t equals = text.find('=');
  if (equals == std::string::npos || equals == 0) {
    throw InputError(
        fmt::format("--set {}: expected key.path=value, e.g. --set pool.pool_size=8", text));
  }
  return {text.substr(0, equals), text.substr(equals + 1)};
}

}  // namespace

Scenario parse_scenario(const std::string& yaml_text, const std::string& file_label,
                        const std::vector<std::string>& overrides) {
  // Every string of the scenario goes into results.json, which is UTF-8: a Latin-1 "café"
  // would otherwise fail the write after the whole run.
  if (const auto bad = util::first_invalid_utf8(yaml_text)) {
    const auto [line, column] = util::line_and_column(yaml_text, *bad);
    throw InputError(fmt::format("{}:{}:{}: not UTF-8 text (byte 0x{:02X}); save the file as UTF-8",
                                 file_label, line, column,
                                 static_cast<unsigned char>(yaml_text[*bad])));
  }
  if (const std::size_t nul = yaml_text.find('\0'); nul != std::string::npos) {
    // yaml-cpp turns a raw NUL into stray bytes (not UTF-8) instead of refusing it.
    const auto [line, column] = util::line_and_column(yaml_text, nul);
    throw InputError(fmt::format("{}:{}:{}: a NUL byte: not YAML text", file_label, line, column));
  }
  for (const auto& text : overrides) {
    if (util::first_invalid_utf8(text)) throw InputError("--set: a value is not UTF-8 text");
  }
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::ParserException& e) {
    throw InputError(fmt::format("{}:{}:{}: YAML syntax error: {}", file_label, e.mark.line + 1,
                                 e.mark.column + 1, e.msg));
  }
  Loader loader(yaml_text, file_label);
  Scenario scenario = loader.load(root);
  for (const auto& text : overrides) {
    const auto [key, value] = split_override(text);
    set_scenario_key(scenario, key, value, SourceRef{"--set " + text, 0, 0});
  }
  validate(scenario);
  return scenario;
}

Scenario load_scenario(const std::string& path, const std::vector<std::string>& overrides) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw InputError(
        fmt::format("{}: cannot read the scenario file ({})", path, std::strerror(errno)));
  }
  std::stringstream text;
  text << in.rdbuf();
  return parse_scenario(text.str(), path, overrides);
}

}  // namespace poolbench::workload
