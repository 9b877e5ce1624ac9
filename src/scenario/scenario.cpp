#include "scenario/scenario.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <limits>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "util/duration.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace poolbench::scenario {
namespace {

using std::chrono::microseconds;

std::optional<std::int64_t> parse_integer(const std::string& text) {
  if (text.empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  const long long value = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || end != text.c_str() + text.size()) return std::nullopt;
  return value;
}

std::optional<double> parse_number(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::optional<bool> parse_bool(const std::string& text) {
  // YAML 1.1's spellings, which yaml-cpp and the seeds' config.yaml use.
  for (const char* yes : {"true", "True", "TRUE", "yes", "Yes", "on", "On"}) {
    if (text == yes) return true;
  }
  for (const char* no : {"false", "False", "FALSE", "no", "No", "off", "Off"}) {
    if (text == no) return false;
  }
  return std::nullopt;
}

// The largest values the keys take (docs/scenario.md): far beyond what one machine drives,
// they catch a typo (an extra digit or two) instead of a run that cannot start.
/// dataset.scale, workload.clients, pool.pool_size and pool.max_overflow.
constexpr std::int64_t k_max_count = 100'000;
/// workload.rate (requests/s).
constexpr double k_max_rate_per_s = 1e7;
/// workload.max_in_flight.
constexpr std::int64_t k_max_in_flight = 10'000'000;
/// request.max_tries.
constexpr std::int64_t k_max_tries = 1000;
/// pool.instances (app instances).
constexpr std::int64_t k_max_instances = 10'000;

/// One settable scalar key: how to parse it and what a valid value looks like.
struct KeySpec {
  const char* path;
  const char* expected;
  /// Returns false when `value` is not valid for this key.
  std::function<bool(Scenario&, const std::string& value)> set;
  /// Optional: why `value` is not valid, when that depends on the scenario (replaces
  /// "'<value>' is not valid (expected <expected>)").
  std::function<std::string(const Scenario&, const std::string& value)> explain = {};
};

/// Sets every transaction's effective weight from `s.workload.mix` (or their own weights).
void apply_mix(Scenario& s) {
  const TransactionMix* mix = nullptr;
  for (const auto& candidate : s.mixes) {
    if (candidate.name == s.workload.mix) mix = &candidate;
  }
  for (auto& transaction : s.transactions) {
    transaction.weight = mix ? mix->weight_of(transaction.name) : transaction.own_weight;
  }
}

constexpr const char* k_no_mix = "none";

constexpr std::int64_t k_max_server_cores = 100000;

/// workload.environment: none, or '+'-joined names of the tuning table's environments.
bool set_environment(Scenario& s, const std::string& value) {
  if (value == k_no_mix) {
    s.workload.environment.clear();
    return true;
  }
  std::size_t start = 0;
  while (true) {
    const auto plus = value.find('+', start);
    const std::string part = value.substr(start, plus == std::string::npos ? plus : plus - start);
    if (!std::ranges::any_of(std::array{"development", "testing", "staging", "production"},
                             [&](const char* name) { return part == name; })) {
      return false;
    }
    if (plus == std::string::npos) break;
    start = plus + 1;
  }
  s.workload.environment = value;
  return true;
}

bool set_mix(Scenario& s, const std::string& value) {
  if (value == k_no_mix) {
    s.workload.mix.clear();
  } else if (std::ranges::any_of(s.mixes, [&](const auto& m) { return m.name == value; })) {
    s.workload.mix = value;
  } else {
    return false;
  }
  apply_mix(s);
  return true;
}

std::string explain_mix(const Scenario& s, const std::string& value) {
  if (s.mixes.empty()) {
    return fmt::format(
        "unknown mix '{}' (the scenario has no mixes: block; expected {}, the transactions' own "
        "weights)",
        value, k_no_mix);
  }
  std::vector<std::string> names;
  for (const auto& mix : s.mixes) names.push_back(mix.name);
  const std::string best = util::closest_match(value, names);
  return fmt::format(
      "unknown mix '{}'{} (expected one of the scenario's mixes: {}; or {} for the "
      "transactions' own weights)",
      value, best.empty() ? "" : fmt::format(" (did you mean '{}'?)", best), fmt::join(names, ", "),
      k_no_mix);
}

auto int_setter(std::function<int&(Scenario&)> field, std::int64_t min, std::int64_t max) {
  return [field, min, max](Scenario& s, const std::string& text) {
    const auto value = parse_integer(text);
    if (!value || *value < min || *value > max) return false;
    field(s) = static_cast<int>(*value);
    return true;
  };
}

/// An slo: rate (a fraction 0..1); setting one declares the slo (the other rates default).
auto slo_rate_setter(std::function<std::optional<double>&(Scenario&)> field) {
  return [field](Scenario& s, const std::string& text) {
    const auto rate = parse_number(text);
    if (!rate || *rate < 0 || *rate > 1) return false;
    field(s) = *rate;
    s.slo.declare();
    return true;
  };
}

/// Whether a duration key takes -1 (pool_recycle's "never") besides durations >= 0.
enum class MinusOne { invalid, allowed };

auto duration_setter(std::function<microseconds&(Scenario&)> field, MinusOne minus_one) {
  return [field, minus_one](Scenario& s, const std::string& text) {
    const auto value = util::parse_duration(text);
    if (!value) return false;
    if (value->count() < 0 &&
        !(minus_one == MinusOne::allowed && *value == std::chrono::seconds(-1))) {
      return false;
    }
    field(s) = *value;
    return true;
  };
}

auto bool_setter(std::function<bool&(Scenario&)> field) {
  return [field](Scenario& s, const std::string& text) {
    const auto value = parse_bool(text);
    if (!value) return false;
    field(s) = *value;
    return true;
  };
}

template <class Enum>
auto enum_setter(std::function<Enum&(Scenario&)> field,
                 std::vector<std::pair<const char*, Enum>> names) {
  return [field, names](Scenario& s, const std::string& text) {
    for (const auto& [name, value] : names) {
      if (text == name) {
        field(s) = value;
        return true;
      }
    }
    return false;
  };
}

/// The keys name, description and dataset.*.
std::vector<KeySpec> name_and_dataset_keys() {
  return {
      {"name", "a non-empty name",
       [](Scenario& s, const std::string& v) {
         s.name = v;
         return !v.empty();
       }},
      {"description", "text",
       [](Scenario& s, const std::string& v) {
         s.description = v;
         return true;
       }},
      {"dataset.scale", "a whole number >= 1 (pgbench scale: 100000 accounts each)",
       int_setter([](Scenario& s) -> int& { return s.dataset.scale; }, 1, k_max_count)},
      {"dataset.setup", "SQL text",
       [](Scenario& s, const std::string& v) {
         s.dataset.setup = v;
         return true;
       }},
  };
}

/// The keys replay.* (workload.mode: replay; docs/capture.md).
std::vector<KeySpec> replay_keys() {
  return {
      {"replay.trace", "the path of a trace.jsonl.gz (poolbench capture --log writes one)",
       [](Scenario& s, const std::string& v) {
         s.replay.trace = v;
         return !v.empty();
       }},
      {"replay.speed", "a number > 0 (1.0 = the captured arrival times)",
       [](Scenario& s, const std::string& v) {
         const auto speed = parse_number(v);
         if (!speed || *speed <= 0 || *speed > 1e6) return false;
         s.replay.speed = *speed;
         return true;
       }},
      {"replay.loop", "true or false",
       bool_setter([](Scenario& s) -> bool& { return s.replay.loop; })},
  };
}

/// The keys workload.*.
std::vector<KeySpec> workload_keys() {
  return {
      {"workload.mode", "closed, open or replay",
       enum_setter<LoadMode>(
           [](Scenario& s) -> LoadMode& { return s.workload.mode; },
           {{"closed", LoadMode::closed}, {"open", LoadMode::open}, {"replay", LoadMode::replay}})},
      {"workload.clients", "a whole number >= 1",
       int_setter([](Scenario& s) -> int& { return s.workload.clients; }, 1, k_max_count)},
      {"workload.think_time", "a duration >= 0 such as 0ms, 50ms, 1s",
       duration_setter([](Scenario& s) -> microseconds& { return s.workload.think_time; },
                       MinusOne::invalid)},
      {"workload.rate", "a number of requests per second > 0",
       [](Scenario& s, const std::string& v) {
         const auto rate = parse_number(v);
         if (!rate || *rate <= 0 || *rate > k_max_rate_per_s) return false;
         s.workload.rate_per_s = *rate;
         return true;
       }},
      {"workload.arrival", "poisson or uniform",
       enum_setter<ArrivalProcess>(
           [](Scenario& s) -> ArrivalProcess& { return s.workload.arrival; },
           {{"poisson", ArrivalProcess::poisson}, {"uniform", ArrivalProcess::uniform}})},
      {"workload.protocol", "simple, extended or prepared",
       enum_setter<QueryProtocol>([](Scenario& s) -> QueryProtocol& { return s.workload.protocol; },
                                  {{"simple", QueryProtocol::simple},
                                   {"extended", QueryProtocol::extended},
                                   {"prepared", QueryProtocol::prepared}})},
      {"workload.max_in_flight", "a whole number >= 1",
       int_setter([](Scenario& s) -> int& { return s.workload.max_in_flight; }, 1,
                  k_max_in_flight)},
      {"workload.duration", "a duration > 0 such as 30s or 2m",
       [](Scenario& s, const std::string& v) {
         const auto value = util::parse_duration(v);
         if (!value || value->count() <= 0) return false;
         s.workload.duration = *value;
         s.workload.transactions.reset();
         return true;
       }},
      {"workload.transactions", "a whole number of transactions per client >= 1",
       [](Scenario& s, const std::string& v) {
         const auto value = parse_integer(v);
         if (!value || *value < 1) return false;
         s.workload.transactions = *value;
         return true;
       }},
      {"workload.warmup", "a duration >= 0 such as 5s",
       duration_setter([](Scenario& s) -> microseconds& { return s.workload.warmup; },
                       MinusOne::invalid)},
      {"workload.mix", "the name of one of the scenario's mixes:, or none", set_mix, explain_mix},
      {"workload.environment",
       "none, or development, testing, staging or production (several joined by +)",
       set_environment},
  };
}

/// The keys request.* and pool.*.
std::vector<KeySpec> request_and_pool_keys() {
  return {
      {"request.app_time", "a duration >= 0 such as 0ms or 20ms",
       duration_setter([](Scenario& s) -> microseconds& { return s.request.app_time; },
                       MinusOne::invalid)},
      {"request.checkout", "per_request or per_statement",
       enum_setter<CheckoutMode>([](Scenario& s) -> CheckoutMode& { return s.request.checkout; },
                                 {{"per_request", CheckoutMode::per_request},
                                  {"per_statement", CheckoutMode::per_statement}})},
      {"request.max_tries", "a whole number >= 0 (1 = no retry, 0 = unlimited)",
       int_setter([](Scenario& s) -> int& { return s.request.max_tries; }, 0, k_max_tries)},
      {"pool.pool_size", "a whole number >= 0 (0 = no limit)",
       int_setter([](Scenario& s) -> int& { return s.pool.settings.pool_size; }, 0, k_max_count)},
      {"pool.max_overflow", "a whole number >= -1 (-1 = unlimited)",
       int_setter([](Scenario& s) -> int& { return s.pool.settings.max_overflow; }, -1,
                  k_max_count)},
      {"pool.pool_timeout", "a duration >= 0 such as 30s (a bare number is seconds)",
       duration_setter([](Scenario& s) -> microseconds& { return s.pool.settings.pool_timeout; },
                       MinusOne::invalid)},
      {"pool.pool_recycle", "a duration such as 1800s, or -1 for never",
       duration_setter([](Scenario& s) -> microseconds& { return s.pool.settings.pool_recycle; },
                       MinusOne::allowed)},
      {"pool.pool_pre_ping", "true or false",
       bool_setter([](Scenario& s) -> bool& { return s.pool.settings.pool_pre_ping; })},
      {"pool.use_lifo", "true or false",
       bool_setter([](Scenario& s) -> bool& { return s.pool.settings.use_lifo; })},
      {"pool.fairness", "sqlalchemy or fifo",
       [](Scenario& s, const std::string& v) {
         return pool::parse_fairness(v, s.pool.settings.fairness);
       }},
      {"pool.instances",
       "a whole number of app instances >= 1 (or, in the file, a list of {name, share, pool})",
       [](Scenario& s, const std::string& v) {
         static const auto set_count =
             int_setter([](Scenario& sc) -> int& { return sc.pool.instances; }, 1, k_max_instances);
         if (!set_count(s, v)) return false;
         s.pool.fleet.clear();  // a count replaces a list: identical instances
         return true;
       }},
  };
}

/// The keys server.* and slo.*.
std::vector<KeySpec> server_and_slo_keys() {
  return {
      {"server.profile", "a profile name such as ssd, ssd+wal-write-heavy, or a .conf path",
       [](Scenario& s, const std::string& v) {
         s.server.profile = v;
         return !v.empty();
       }},
      {"server.cores", "a whole number of CPU cores >= 1, such as 8",
       [](Scenario& s, const std::string& v) {
         const auto value = parse_integer(v);
         if (!value || *value < 1 || *value > k_max_server_cores) return false;
         s.server.cores = static_cast<int>(*value);
         return true;
       }},
      {"server.auth", "scram or trust",
       enum_setter<ServerAuth>([](Scenario& s) -> ServerAuth& { return s.server.auth; },
                               {{"scram", ServerAuth::scram}, {"trust", ServerAuth::trust}})},
      {"server.ssl", "on or off", bool_setter([](Scenario& s) -> bool& { return s.server.ssl; })},
      {"server.stats", "true or false",
       bool_setter([](Scenario& s) -> bool& { return s.server.stats; })},
      {"server.checkpoint_before_cell", "true or false",
       bool_setter([](Scenario& s) -> bool& { return s.server.checkpoint_before_cell; })},
      {"slo.timeout_rate", "a fraction between 0 and 1, such as 0 or 0.01",
       slo_rate_setter([](Scenario& s) -> std::optional<double>& { return s.slo.timeout_rate; })},
      {"slo.p99_latency", "a duration > 0 such as 50ms",
       [](Scenario& s, const std::string& v) {
         const auto value = util::parse_duration(v);
         if (!value || value->count() <= 0) return false;
         s.slo.p99_latency = *value;
         s.slo.declare();
         return true;
       }},
      {"slo.drop_rate", "a fraction between 0 and 1, such as 0 or 0.001",
       slo_rate_setter([](Scenario& s) -> std::optional<double>& { return s.slo.drop_rate; })},
      {"slo.error_rate", "a fraction between 0 and 1, such as 0 or 0.001",
       slo_rate_setter([](Scenario& s) -> std::optional<double>& { return s.slo.error_rate; })},
  };
}

/// Every settable scalar key, in the order `poolbench run --help` and messages list them.
const std::vector<KeySpec>& key_specs() {
  static const std::vector<KeySpec> k_specs = [] {
    std::vector<KeySpec> specs;
    for (auto&& part : {name_and_dataset_keys(), workload_keys(), request_and_pool_keys(),
                        server_and_slo_keys(), replay_keys()}) {
      specs.insert(specs.end(), part.begin(), part.end());
    }
    return specs;
  }();
  return k_specs;
}

const KeySpec* find_key(const std::string& key) {
  for (const auto& spec : key_specs()) {
    if (key == spec.path) return &spec;
  }
  return nullptr;
}

}  // namespace

std::string SourceRef::to_string() const {
  if (line <= 0) return file;
  if (column <= 0) return fmt::format("{}:{}", file, line);
  return fmt::format("{}:{}:{}", file, line, column);
}

std::vector<ResolvedInstance> resolve_instances(const Scenario& scenario) {
  std::vector<ResolvedInstance> out;
  if (scenario.pool.fleet.empty()) {
    for (int i = 0; i < scenario.pool.instances; ++i) {
      out.push_back(
          {fmt::format("app-{}", i + 1), 1.0 / scenario.pool.instances, scenario.pool.settings});
    }
    return out;
  }
  double total = 0;
  for (const auto& instance : scenario.pool.fleet) total += instance.share;
  for (const auto& instance : scenario.pool.fleet) {
    Scenario probe;  // applies the instance's keys with the same validation as the file
    probe.pool.settings = scenario.pool.settings;
    for (const auto& [key, value] : instance.pool) {
      set_scenario_key(probe, "pool." + key, value, instance.at);
    }
    out.push_back({instance.name, instance.share / total, probe.pool.settings});
  }
  return out;
}

std::vector<std::string> scenario_keys() {
  std::vector<std::string> keys;
  for (const auto& spec : key_specs()) keys.emplace_back(spec.path);
  return keys;
}

bool is_scenario_key(const std::string& key) {
  return find_key(key) != nullptr;
}

std::string expected_value(const std::string& key) {
  const KeySpec* spec = find_key(key);
  return spec == nullptr ? std::string() : spec->expected;
}

std::vector<std::string> scenario_blocks() {
  return {"name", "description", "dataset", "workload", "request", "transactions", "mixes",
          "pool", "server",      "matrix",  "slo",      "faults",  "replay"};
}

const char* to_string(FaultKind kind) {
  switch (kind) {
    case FaultKind::restart:
      return "restart";
    case FaultKind::terminate_backends:
      return "terminate_backends";
    case FaultKind::stall:
      return "stall";
    case FaultKind::exhaust_connections:
      return "exhaust_connections";
    case FaultKind::network_delay:
      return "network_delay";
  }
  return "?";
}

double TransactionMix::weight_of(const std::string& transaction) const {
  const auto it = weights.find(transaction);
  return it == weights.end() ? 0.0 : it->second;
}

void set_scenario_key(Scenario& scenario, const std::string& key, const std::string& value,
                      const SourceRef& where) {
  const KeySpec* spec = find_key(key);
  if (spec == nullptr) {
    const auto keys = scenario_keys();
    const std::string best = util::closest_match(key, keys);
    throw InputError(fmt::format("{}: {}: unknown key{}", where.to_string(), key,
                                 best.empty() ? "" : fmt::format(" (did you mean '{}'?)", best)));
  }
  if (!spec->set(scenario, value)) {
    if (spec->explain) {
      throw InputError(
          fmt::format("{}: {}: {}", where.to_string(), key, spec->explain(scenario, value)));
    }
    throw InputError(fmt::format("{}: {}: '{}' is not valid (expected {})", where.to_string(), key,
                                 value, spec->expected));
  }
  scenario.origins[key] = where;
}

std::string_view to_string(LoadMode mode) noexcept {
  if (mode == LoadMode::replay) return "replay";
  return mode == LoadMode::open ? "open" : "closed";
}
std::string_view to_string(ArrivalProcess arrival) noexcept {
  return arrival == ArrivalProcess::uniform ? "uniform" : "poisson";
}
std::string_view to_string(QueryProtocol protocol) noexcept {
  switch (protocol) {
    case QueryProtocol::simple:
      return "simple";
    case QueryProtocol::extended:
      return "extended";
    case QueryProtocol::prepared:
      break;
  }
  return "prepared";
}
std::string_view to_string(CheckoutMode checkout) noexcept {
  return checkout == CheckoutMode::per_statement ? "per_statement" : "per_request";
}
std::string_view to_string(ServerAuth auth) noexcept {
  return auth == ServerAuth::trust ? "trust" : "scram";
}

nlohmann::json fleet_json(const std::vector<Scenario::Instance>& fleet) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& instance : fleet) {
    nlohmann::json pool = nlohmann::json::object();
    for (const auto& [key, value] : instance.pool) pool[key] = value;
    out.push_back({{"name", instance.name}, {"share", instance.share}, {"pool", pool}});
  }
  return out;
}

namespace {

/// `slo:` with the limits that are set (an empty object without an slo).
nlohmann::json slo_json(const Scenario::Slo& given) {
  nlohmann::json slo = nlohmann::json::object();
  if (given.timeout_rate) slo["timeout_rate"] = *given.timeout_rate;
  if (given.p99_latency) slo["p99_latency"] = util::format_duration(*given.p99_latency);
  if (given.drop_rate) slo["drop_rate"] = *given.drop_rate;
  if (given.error_rate) slo["error_rate"] = *given.error_rate;
  return slo;
}

nlohmann::json server_json(const Scenario::Server& server) {
  nlohmann::json out = {{"profile", server.profile},
                        {"auth", to_string(server.auth)},
                        {"ssl", server.ssl ? "on" : "off"}};
  if (server.cores) out["cores"] = *server.cores;  // only when given, as environment
  if (!server.stats) out["stats"] = false;         // only when off: older results lack it
  if (server.checkpoint_before_cell) out["checkpoint_before_cell"] = true;  // likewise
  return out;
}

using util::format_duration;

nlohmann::json workload_json(const Scenario& s) {
  nlohmann::json workload = {
      {"mode", to_string(s.workload.mode)},
      {"warmup", format_duration(s.workload.warmup)},
  };
  if (s.workload.mode == LoadMode::closed) {
    workload["clients"] = s.workload.clients;
    workload["think_time"] = format_duration(s.workload.think_time);
  } else if (s.workload.mode == LoadMode::replay) {
    workload["max_in_flight"] = s.workload.max_in_flight;  // the trace's arrivals: no rate
  } else {
    workload["rate"] = s.workload.rate_per_s;
    workload["arrival"] = to_string(s.workload.arrival);
    workload["max_in_flight"] = s.workload.max_in_flight;
  }
  if (s.workload.transactions) {
    workload["transactions"] = *s.workload.transactions;
  } else {
    workload["duration"] = format_duration(s.workload.duration);
  }
  workload["mix"] = s.workload.mix.empty() ? k_no_mix : s.workload.mix;
  workload["protocol"] = to_string(s.workload.protocol);
  // Only when given: older results (and their --resume hash) stay as they were.
  if (!s.workload.environment.empty()) workload["environment"] = s.workload.environment;
  return workload;
}

/// `transactions:` with each one's effective weight (and its own when a mix is chosen), and
/// `mixes:` with every transaction's weight in every mix, 0 where the mix does not name it.
std::pair<nlohmann::json, nlohmann::json> transactions_and_mixes_json(const Scenario& s) {
  nlohmann::json transactions = nlohmann::json::array();
  for (const auto& t : s.transactions) {
    nlohmann::json transaction = {{"name", t.name}, {"weight", t.weight}, {"script", t.script}};
    if (!s.workload.mix.empty()) transaction["own_weight"] = t.own_weight;
    transactions.push_back(std::move(transaction));
  }
  nlohmann::json mixes = nlohmann::json::object();
  for (const auto& mix : s.mixes) {
    nlohmann::json weights = nlohmann::json::object();
    for (const auto& t : s.transactions) weights[t.name] = mix.weight_of(t.name);
    mixes[mix.name] = std::move(weights);
  }
  return {transactions, mixes};
}

nlohmann::json matrix_json(const Scenario& s) {
  nlohmann::json matrix = nlohmann::json::object();
  for (const auto& axis : s.matrix) matrix[axis.key] = axis.values;
  if (!s.matrix.empty()) matrix["repetitions"] = s.repetitions;
  if (s.allow_over_budget) matrix["allow_over_budget"] = true;
  return matrix;
}

nlohmann::json faults_json(const std::vector<Fault>& given) {
  nlohmann::json faults = nlohmann::json::array();
  for (const auto& fault : given) {
    nlohmann::json item = {{"at", format_duration(fault.at)}, {"kind", to_string(fault.kind)}};
    if (fault.duration.count() > 0) item["duration"] = format_duration(fault.duration);
    if (fault.kind == FaultKind::network_delay) item["delay"] = format_duration(fault.delay);
    if (fault.kind == FaultKind::restart) item["mode"] = fault.immediate ? "immediate" : "fast";
    if (fault.kind == FaultKind::stall) item["table"] = fault.table;
    faults.push_back(std::move(item));
  }
  return faults;
}

nlohmann::json pool_json(const Scenario& s) {
  const auto& p = s.pool.settings;
  return {{"pool_size", p.pool_size},
          {"max_overflow", p.max_overflow},
          {"pool_timeout", format_duration(p.pool_timeout)},
          {"pool_recycle",
           p.pool_recycle.count() < 0 ? std::string("-1") : format_duration(p.pool_recycle)},
          {"pool_pre_ping", p.pool_pre_ping},
          {"use_lifo", p.use_lifo},
          {"fairness", pool::to_string(p.fairness)},
          {"instances", s.pool.instances},
          {"fleet", fleet_json(s.pool.fleet)}};
}

}  // namespace

nlohmann::json to_json(const Scenario& s) {
  nlohmann::json dataset = {{"scale", s.dataset.scale}};
  if (!s.dataset.setup.empty()) dataset["setup"] = s.dataset.setup;
  auto [transactions, mixes] = transactions_and_mixes_json(s);
  nlohmann::json out = {
      {"name", s.name},
      {"description", s.description},
      {"file", s.file},
      {"dataset", dataset},
      {"workload", workload_json(s)},
      {"request",
       {{"app_time", format_duration(s.request.app_time)},
        {"checkout", to_string(s.request.checkout)},
        {"max_tries", s.request.max_tries}}},
      {"transactions", std::move(transactions)},
      {"mixes", std::move(mixes)},
      {"pool", pool_json(s)},
      {"server", server_json(s.server)},
      {"slo", slo_json(s.slo)},
      {"matrix", matrix_json(s)},
      {"faults", faults_json(s.faults)},
  };
  // Only for a replay: other results (and their --resume hash) stay as they were.
  if (s.workload.mode == LoadMode::replay) {
    out["replay"] = {{"trace", s.replay.trace}, {"speed", s.replay.speed}, {"loop", s.replay.loop}};
  }
  return out;
}

}  // namespace poolbench::scenario
