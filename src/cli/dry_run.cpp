#include "cli/dry_run.hpp"

#include <algorithm>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "matrix/cell_runner.hpp"
#include "pg/pg_connection.hpp"
#include "scenario/trace_reader.hpp"
#include "util/error.hpp"
#include "workload/transactions.hpp"

namespace poolbench::cli {
namespace {

/// Longest statement text printed: a failing statement is named by its start.
constexpr std::size_t k_shown_sql_chars = 100;

/// The distinct statements the scenario sends, in first-seen order; `simple`: a replay's
/// simple-protocol statement (sent as a simple query, which may hold several statements).
struct Distinct {
  std::string sql;
  bool simple = false;
};

std::vector<Distinct> distinct_statements(const scenario::Scenario& scenario) {
  std::vector<Distinct> texts;
  if (scenario.workload.mode == scenario::LoadMode::replay) {
    const scenario::TraceReader reader(scenario::replay_trace_path(scenario));
    for (const auto& text : reader.texts()) texts.push_back({text.sql, text.simple});
    return texts;
  }
  std::set<std::string> seen;
  for (const auto& transaction : workload::compile_transactions(scenario)) {
    for (const auto& command : transaction.script.commands()) {
      const auto* sql = std::get_if<script::SqlCommand>(&command);
      if (sql != nullptr && seen.insert(sql->text).second) {
        texts.push_back({sql->text, sql->compound});
      }
    }
  }
  return texts;
}

/// A simple query holding several statements: Parse refuses it (42601), the simple protocol
/// runs it. Not checked.
bool several_statements(const Distinct& text, const pg::PgFailure& failure) {
  return text.simple && failure.sqlstate == "42601" &&
         failure.message.find("multiple commands") != std::string::npos;
}

std::string one_line(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  if (text.size() > k_shown_sql_chars) text = text.substr(0, k_shown_sql_chars - 3) + "...";
  return text;
}

}  // namespace

int dry_run(const scenario::Scenario& scenario, const matrix::ServerTarget& server,
            std::ostream& out) {
  const std::vector<Distinct> texts = distinct_statements(scenario);
  pg::PgConnectionFactory factory(server.target, "dry-run");
  pg::PgFailure connect_failure;
  const auto connection = factory.connect_pg(&connect_failure);
  if (!connection) {
    throw RuntimeFailure(
        fmt::format("dry run: cannot connect to {}: {}", server.masked, connect_failure.message));
  }
  std::size_t failing = 0;
  std::size_t unchecked = 0;
  std::vector<std::string> lines;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    const auto failure = connection->prepare("pbdry_" + std::to_string(i), texts[i].sql);
    if (!failure) continue;
    if (several_statements(texts[i], *failure)) {
      ++unchecked;
      continue;
    }
    ++failing;
    lines.push_back(fmt::format("  {}  {}\n         {}\n", failure->sqlstate,
                                one_line(texts[i].sql), one_line(failure->message)));
  }
  fmt::print(out,
             "dry run: {} distinct statements prepared on {} ({} not checked: simple queries "
             "holding several statements): {} would fail{}\n",
             texts.size() - unchecked, server.masked, unchecked, failing, failing > 0 ? ":" : "");
  for (const auto& line : lines) fmt::print(out, "{}", line);
  return failing > 0 ? static_cast<int>(ExitCode::check_failed) : 0;
}

}  // namespace poolbench::cli
