// Reads scenario YAML into a validated Scenario (every key: docs/scenario.md).
// Every error is an InputError naming file:line:column, the key path, and what is expected.

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include "scenario/loader_internal.hpp"
#include "scenario/scenario.hpp"
#include "scenario/trace_reader.hpp"
#include "util/duration.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace poolbench::scenario {
namespace {

constexpr std::array<const char*, 7> k_sections = {"dataset", "workload", "request", "pool",
                                                   "server",  "slo",      "replay"};

/// The keys of one `transactions:` item, of one `pool.instances:` item, and the keys of
/// `matrix:` that are not axes.
constexpr std::array<const char*, 3> k_transaction_keys = {"name", "weight", "script"};
constexpr std::array<const char*, 3> k_instance_keys = {"name", "share", "pool"};
constexpr std::array<const char*, 2> k_matrix_options = {"repetitions", "allow_over_budget"};
/// matrix.repetitions' largest value.
constexpr long k_max_repetitions = 1000;

bool is_one_of(const std::string& key, const auto& keys) {
  return std::ranges::find(keys, key) != keys.end();
}

/// Whether a weight of 0 is valid (a mix may leave a transaction out; a transaction's own
/// weight and an instance's share may not be 0).
enum class Zero { invalid, allowed };

/// A weight as written: a finite number, > 0 (or >= 0 with Zero::allowed).
std::optional<double> parse_weight(const std::string& text, Zero zero) {
  char* end = nullptr;
  const double weight = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(weight)) {
    return std::nullopt;
  }
  if (zero == Zero::allowed ? !(weight >= 0) : !(weight > 0)) return std::nullopt;
  return weight;
}

class Loader : public YamlReader {
 public:
  using YamlReader::YamlReader;

  /// A script `poolbench capture --dsn` left unfinished: a `FILL-IN` where it could not
  /// resolve a parameter (docs/capture.md) refuses to run, naming its line.
  static void refuse_fill_in(const std::string& script, const SourceRef& at,
                             const std::string& path) {
    const std::size_t found = script.find("FILL-IN");
    if (found == std::string::npos) return;
    const auto line = std::count(script.begin(), script.begin() + static_cast<long>(found), '\n');
    throw InputError(fmt::format(
        "{}:{}: {}: FILL-IN: poolbench capture could not resolve this parameter; replace FILL-IN "
        "with an expression (e.g. random(1, 1000)) and remove the note above it",
        at.file, at.line + static_cast<int>(line), path));
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
        if (!is_one_of(key, k_instance_keys)) {
          fail(key_node, path, "unknown key (expected name, share or pool)");
        }
        if (key == "name") {
          instance.name = scalar(value, path);
          if (instance.name.empty()) fail(value, path, "expected a non-empty name");
        } else if (key == "share") {
          const std::string text = scalar(value, path);
          const auto share = parse_weight(text, Zero::invalid);
          if (!share)
            fail(value, path, fmt::format("'{}' is not valid (expected a number > 0)", text));
          instance.share = *share;
        } else {
          if (!value.IsMap()) fail(value, path, "expected a mapping of pool settings");
          for (const auto& [sub, sub_node, sub_value] : entries(value, path)) {
            if (sub == "instances") fail(sub_node, path + ".instances", "an instance is one pool");
            Scenario probe = scenario;  // validated the way resolve_instances applies it
            set_scenario_key(probe, "pool." + sub, scalar(sub_value, path + "." + sub),
                             at(sub_node));
            instance.pool.emplace_back(sub, scalar(sub_value, path + "." + sub));
          }
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
      std::optional<YAML::Node> weight_node;
      bool weight_from_script = false;
      for (const auto& [key, key_node, value] : entries(item, where)) {
        const std::string path = where + "." + key;
        if (!is_one_of(key, k_transaction_keys)) {
          const std::vector<std::string> keys(k_transaction_keys.begin(), k_transaction_keys.end());
          const std::string best = util::closest_match(key, keys);
          fail(key_node, path,
               fmt::format("unknown key{} (a transaction has name, weight and script)",
                           best.empty() ? "" : fmt::format(" (did you mean '{}'?)", best)));
        }
        if (key == "name") {
          spec.name = scalar(value, path);
          if (spec.name.empty()) fail(value, path, "expected a non-empty name");
          if (!names.insert(spec.name).second) fail(value, path, "duplicate transaction name");
        } else if (key == "weight") {
          const std::string text = scalar(value, path);
          const auto weight = parse_weight(text, Zero::invalid);
          if (!weight)
            fail(value, path, fmt::format("'{}' is not valid (expected a number > 0)", text));
          spec.weight = spec.own_weight = *weight;
          weight_node = value;
        } else {
          spec.script = scalar(value, path);
          spec.script_at = {file(), first_text_line(value), 0};
          refuse_fill_in(spec.script, spec.script_at, path);
          has_script = true;
          weight_from_script = builtin_weight(spec, value, path);
        }
      }
      if (weight_node && weight_from_script) {
        fail(*weight_node, where + ".weight",
             "the weight is given twice: here and as the script's builtin:NAME@W");
      }
      if (spec.name.empty()) fail(item, where, "a transaction needs a name");
      if (!has_script) fail(item, where + "." + spec.name, "a transaction needs a script");
      scenario.transactions.push_back(std::move(spec));
    }
    scenario.origins["transactions"] = at(node);
  }

  /// `script: builtin:NAME@W` (pgbench's `-b NAME@W`): the weight W is the transaction's
  /// weight, and the script becomes `builtin:NAME` (the script subsystem resolves NAME).
  /// True when a weight was taken so.
  bool builtin_weight(TransactionSpec& spec, const YAML::Node& value,
                      const std::string& path) const {
    std::string text = spec.script;
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    const std::size_t at = text.rfind('@');
    if (text.rfind("builtin:", 0) != 0 || at == std::string::npos) return false;
    const std::string weight_text = text.substr(at + 1);
    const auto weight = parse_weight(weight_text, Zero::invalid);
    if (!weight) {
      fail(value, path,
           fmt::format("'{}' is not a valid weight after '@' (expected a number > 0, as "
                       "pgbench's -b NAME@W)",
                       weight_text));
    }
    spec.weight = spec.own_weight = *weight;
    spec.script = text.substr(0, at);
    return true;
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
        const auto weight = parse_weight(text, Zero::allowed);
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
    MatrixAxis axis{.key = key, .values = {}, .at = at(list), .settings = {}};
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
        if (text.empty() || end != text.c_str() + text.size() || count < 1 ||
            count > k_max_repetitions) {
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
      MatrixAxis axis{.key = key, .values = {}, .at = at(value), .settings = {}};
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
    scenario.file = file();
    if (!root.IsMap()) {
      throw InputError(fmt::format(
          "{}: expected a scenario: a mapping with name, workload, transactions, pool, ... "
          "(see scenarios/read_heavy.yaml)",
          file()));
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
      if (key == "slo") scenario.slo.declare();  // even an empty slo: block
    } else if (key == "name" || key == "description") {
      set_scenario_key(scenario, key, scalar(value, key), at(value));
    } else if (key == "transactions") {
      load_transactions(scenario, value);
    } else if (key == "mixes") {
      load_mixes(scenario, value);
    } else if (key == "matrix") {
      load_matrix(scenario, value);
    } else if (key == "faults") {
      scenario.faults = scenario::load_faults(*this, value);
      scenario.origins["faults"] = at(value);
    } else {
      const std::string best = util::closest_match(key, scenario_blocks());
      throw InputError(fmt::format("{}: {}: unknown key{} (expected one of: {})",
                                   at(key_node).to_string(), key,
                                   best.empty() ? "" : fmt::format(" (did you mean '{}'?)", best),
                                   fmt::join(scenario_blocks(), ", ")));
    }
  }
};

/// Where `key` was set, for a message about it; the file itself when it kept its default.
std::string origin_of(const Scenario& scenario, const std::string& key) {
  const auto it = scenario.origins.find(key);
  return it == scenario.origins.end() ? scenario.file : it->second.to_string();
}

/// `workload.mode: replay`: the trace is named and reads whole as this format version
/// (check_trace streams it once: a bad line is exit 2 before anything runs); its requests
/// replace transactions, so the scenario has none (docs/capture.md).
void validate_replay(const Scenario& s) {
  // Other modes ignore replay: as a closed loop ignores workload.rate.
  if (s.workload.mode != LoadMode::replay) return;
  if (s.replay.trace.empty()) {
    throw InputError(
        fmt::format("{}: replay.trace: workload.mode: replay needs a trace (replay: {{trace: "
                    "trace.jsonl.gz}}; poolbench capture --log writes one)",
                    origin_of(s, "workload.mode")));
  }
  if (!s.transactions.empty()) {
    throw InputError(fmt::format(
        "{}: transactions: not used by workload.mode: replay (the trace's requests are what "
        "runs); remove them",
        origin_of(s, "transactions")));
  }
  if (s.workload.transactions) {
    throw InputError(fmt::format(
        "{}: workload.transactions: only with mode: closed (a replay runs for the trace or "
        "workload.duration)",
        origin_of(s, "workload.transactions")));
  }
  if (s.workload.protocol != QueryProtocol::prepared) {
    throw InputError(fmt::format(
        "{}: workload.protocol: not used by workload.mode: replay (a trace's statements are "
        "sent as captured: with parameters prepared, without by the simple protocol); remove it",
        origin_of(s, "workload.protocol")));
  }
  check_trace(replay_trace_path(s));  // throws InputError naming trace:line
}

/// Rules that involve more than one key, checked after the file and every --set.
void validate(const Scenario& s) {
  if (s.name.empty()) {
    throw InputError(fmt::format("{}: name: a scenario needs a name", s.file));
  }
  validate_replay(s);
  if (s.transactions.empty() && s.workload.mode != LoadMode::replay) {
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

std::vector<std::string> structured_keys() {
  std::vector<std::string> keys;
  for (const char* key : k_transaction_keys) keys.push_back(fmt::format("transactions[].{}", key));
  keys.emplace_back("mixes.<mix>.<transaction>");
  for (const std::string key : k_instance_keys) {
    // An instance's pool: is a mapping of pool.* keys.
    keys.push_back("pool.instances[]." + key + (key == "pool" ? ".<key>" : ""));
  }
  keys.emplace_back("matrix.<key>");
  for (const char* key : k_matrix_options) keys.push_back(fmt::format("matrix.{}", key));
  for (const char* key : k_fault_keys) keys.push_back(fmt::format("faults[].{}", key));
  return keys;
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

}  // namespace poolbench::scenario
