#include "matrix/plans.hpp"

#include <array>
#include <optional>
#include <string_view>
#include <type_traits>
#include <variant>

#include <fmt/format.h>

#include "scenario/trace_reader.hpp"
#include "script/client_state.hpp"
#include "script/random.hpp"
#include "script/script.hpp"
#include "script/script_runtime.hpp"

namespace poolbench::matrix {

using nlohmann::json;

namespace {

/// One node's own part of the shape: what EXPLAIN's text form would print for it, down to
/// its "Parallel " prefix (Parallel Seq Scan) and an aggregate's partial or finalize mode.
std::string node_label(const json& node) {
  std::string label = node.value("Node Type", std::string("?"));
  const auto mode = node.find("Partial Mode");
  if (mode != node.end() && mode->is_string() && *mode != "Simple")
    label = mode->get<std::string>() + " " + label;
  const auto parallel = node.find("Parallel Aware");
  if (parallel != node.end() && parallel->is_boolean() && parallel->get<bool>())
    label = "Parallel " + label;
  for (const char* key : {"Operation", "Join Type", "Strategy"}) {
    if (node.contains(key) && node[key].is_string()) label += " " + node[key].get<std::string>();
  }
  if (node.contains("Index Name") && node["Index Name"].is_string())
    label += " using " + node["Index Name"].get<std::string>();
  if (node.contains("Relation Name") && node["Relation Name"].is_string())
    label += " on " + node["Relation Name"].get<std::string>();
  return label;
}

/// One client's variables for a script, evaluated in order: every `\set` (whichever `\if`
/// branch it is in: each statement is explained, so each gets the values it could see).
class ScriptWalk {
 public:
  ScriptWalk(const script::Script& script, std::uint64_t random_seed, std::int64_t scale)
      : m_state(script::make_client_params(script::SeedSequence(random_seed), 0, scale),
                script.slot_count()) {
    m_state.set_names(script.variable_names());
  }

  /// Evaluates a `\set`; a failure leaves its variable unset (its statements say why).
  void set(const script::SetCommand& command) { script::execute_set(command, m_state); }

  /// The parameters of `command` as text, or why there are none to send.
  bool parameters(const script::SqlCommand& command, std::vector<std::string>& out,
                  std::string& reason) {
    out.clear();
    if (!m_params.render(command, m_state)) {
      reason = m_state.error();
      return false;
    }
    for (int i = 0; i < m_params.count(); ++i) {
      const auto index = static_cast<std::size_t>(i);
      if (m_params.is_null(index)) {
        reason = fmt::format("parameter ${} is NULL: no representative value", i + 1);
        return false;
      }
      out.emplace_back(m_params.value(index));
    }
    return true;
  }

 private:
  script::ClientState m_state;
  script::ParamValues m_params;
};

/// One statement's entry, its plan keys null until explain() fills them.
json plan_entry(const workload::CompiledTransaction& transaction,
                const script::SqlCommand& command) {
  return {{"transaction", transaction.name},
          {"line", command.line},
          {"statement", command.source_text},
          {"parameters", json::array()},
          {"fingerprint", nullptr},
          {"shape", nullptr},
          {"total_cost", nullptr},
          {"plan", nullptr},
          {"reason", nullptr}};
}

/// EXPLAIN (FORMAT JSON) of `sql` into `entry`; a statement's error becomes its reason.
void explain(pg::Session& session, const std::string& sql,
             const std::vector<std::string>& parameters, json& entry) {
  try {
    const pg::Rows rows = session.query("EXPLAIN (FORMAT JSON) " + sql, parameters);
    if (rows.rows.empty() || rows.rows[0].empty() || !rows.rows[0][0]) {
      entry["reason"] = "EXPLAIN returned no plan";
      return;
    }
    json plan = json::parse(*rows.rows[0][0]).at(0).at("Plan");
    const std::string shape = plan_shape(plan);
    entry["fingerprint"] = plan_fingerprint(shape);
    entry["shape"] = shape;
    entry["total_cost"] = plan.value("Total Cost", 0.0);
    entry["plan"] = std::move(plan);
  } catch (const pg::PgError& e) {
    if (!session.is_alive()) throw;
    entry["reason"] = e.what();
  } catch (const json::exception& e) {
    entry["reason"] = fmt::format("EXPLAIN's JSON was not understood: {}", e.what());
  }
}

}  // namespace

std::string plan_shape(const json& plan) {
  std::string shape = node_label(plan);
  if (plan.contains("Plans") && plan["Plans"].is_array() && !plan["Plans"].empty()) {
    shape += "(";
    bool first = true;
    for (const auto& child : plan["Plans"]) {
      if (!first) shape += ", ";
      first = false;
      shape += plan_shape(child);
    }
    shape += ")";
  }
  return shape;
}

std::string plan_fingerprint(const std::string& shape) {
  std::uint64_t hash = 14695981039346656037ULL;  // FNV-1a 64
  for (const char c : shape) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return fmt::format("{:016x}", hash);
}

bool explainable(const std::string& sql) {
  static constexpr std::array<std::string_view, 8> k_keywords = {
      "select", "insert", "update", "delete", "with", "values", "table", "merge"};
  const auto words = script::leading_words(sql, 1);
  if (words.empty()) return false;
  for (const auto keyword : k_keywords) {
    if (words.front() == keyword) return true;
  }
  return false;
}

json capture_plans(pg::Session& session,
                   const std::vector<workload::CompiledTransaction>& transactions,
                   std::uint64_t random_seed, std::int64_t scale) {
  json plans = json::array();
  std::vector<std::string> parameters;
  for (const auto& transaction : transactions) {
    ScriptWalk walk(transaction.script, random_seed, scale);
    for (const auto& command : transaction.script.commands()) {
      if (const auto* set = std::get_if<script::SetCommand>(&command)) {
        walk.set(*set);
        continue;
      }
      const auto* sql = std::get_if<script::SqlCommand>(&command);
      if (sql == nullptr || sql->compound || !explainable(sql->text)) continue;
      json entry = plan_entry(transaction, *sql);
      std::string reason;
      if (walk.parameters(*sql, parameters, reason)) {
        entry["parameters"] = parameters;
        explain(session, sql->text, parameters, entry);
      } else {
        entry["reason"] = reason;
      }
      plans.push_back(std::move(entry));
    }
  }
  return plans;
}

namespace {

/// Each dictionary entry's parameters in the first request that runs it (nullopt: none of
/// the first `limit` requests does); a NULL parameter is kept as nullopt inside.
using RecordedParams = std::vector<std::optional<std::string>>;
struct FirstParameters {
  std::vector<std::optional<RecordedParams>> of;
  bool whole_trace = false;  ///< every request was read: a nullopt is a statement never run
};
FirstParameters first_parameters(scenario::TraceReader& reader, std::int64_t limit) {
  FirstParameters first{std::vector<std::optional<RecordedParams>>(reader.texts().size())};
  std::size_t missing = first.of.size();
  scenario::TraceRequest request;
  std::int64_t read = 0;
  for (; missing > 0 && read < limit; ++read) {
    if (!reader.next(request)) {
      first.whole_trace = true;
      break;
    }
    for (const auto& statement : request.statements) {
      auto& slot = first.of.at(statement.q);
      if (slot) continue;
      slot = statement.params;
      --missing;
    }
  }
  return first;
}

}  // namespace

json capture_replay_plans(pg::Session& session, const std::filesystem::path& trace) {
  scenario::TraceReader reader(trace);
  const auto first = first_parameters(reader, k_replay_plan_requests);
  json plans = json::array();
  for (std::size_t i = 0; i < reader.texts().size(); ++i) {
    const std::string& sql = reader.texts()[i].sql;
    if (!explainable(sql) || sql.find(';') != std::string::npos) continue;
    if (!first.of[i] && first.whole_trace) continue;  // in the dictionary, never run
    json entry = {{"transaction", "replay"}, {"line", static_cast<int>(i + 1)},
                  {"statement", sql},        {"parameters", json::array()},
                  {"fingerprint", nullptr},  {"shape", nullptr},
                  {"total_cost", nullptr},   {"plan", nullptr},
                  {"reason", nullptr}};
    std::vector<std::string> parameters;
    if (!first.of[i]) {
      entry["reason"] =
          fmt::format("none of the trace's first {} requests runs it", k_replay_plan_requests);
    } else {
      for (std::size_t n = 0; n < first.of[i]->size() && entry["reason"].is_null(); ++n) {
        if (!(*first.of[i])[n]) {
          entry["reason"] =
              fmt::format("parameter ${} is NULL in the first request that runs it", n + 1);
        } else {
          parameters.push_back(*(*first.of[i])[n]);
        }
      }
    }
    if (entry["reason"].is_null()) {
      entry["parameters"] = parameters;
      explain(session, sql, parameters, entry);
    }
    plans.push_back(std::move(entry));
  }
  return plans;
}

}  // namespace poolbench::matrix
