#include "capture/stat_capture.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <ostream>
#include <regex>
#include <thread>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "capture/redact.hpp"
#include "capture/requests.hpp"
#include "capture/sessions.hpp"
#include "capture/sql_refs.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"

namespace poolbench::capture {
namespace {

/// The most values a generated \set draws from (the rest of a long list is dropped).
constexpr std::size_t k_max_values = 100;

struct Totals {
  double calls = 0;
  double total_ms = 0;
  double sum_squares = 0;  ///< of the execution times, ms^2
  double rows = 0;
  std::string query;
};

using Snapshot = std::map<std::string, Totals>;  ///< userid/queryid -> totals

void check_server(pg::Session& session) {
  const pg::Rows extension =
      session.query("SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'");
  if (extension.rows.empty()) {
    throw RuntimeFailure(
        "pg_stat_statements is not installed in this database: set shared_preload_libraries = "
        "'pg_stat_statements' in postgresql.conf, restart the server, then run CREATE "
        "EXTENSION pg_stat_statements in this database");
  }
  const pg::Rows role = session.query(
      "SELECT current_user, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) OR "
      "pg_has_role(current_user, 'pg_read_all_stats', 'USAGE')");
  if (role.rows.empty() || role.rows[0][1].value_or("f") != "t") {
    const std::string user = role.rows.empty() ? "this role" : role.rows[0][0].value_or("");
    throw RuntimeFailure(
        fmt::format("role {} cannot read other roles' statements in pg_stat_statements: GRANT "
                    "pg_read_all_stats TO {} (or connect as a superuser)",
                    user, user));
  }
}

Snapshot snapshot(pg::Session& session) {
  const pg::Rows rows = session.query(
      "SELECT userid::text || '/' || queryid::text, calls::float8, total_exec_time, "
      "stddev_exec_time, mean_exec_time, rows::float8, query FROM pg_stat_statements "
      "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
      "AND toplevel AND queryid IS NOT NULL");
  Snapshot out;
  for (const auto& row : rows.rows) {
    Totals totals;
    totals.calls = std::stod(row[1].value_or("0"));
    totals.total_ms = std::stod(row[2].value_or("0"));
    const double stddev = std::stod(row[3].value_or("0"));
    const double mean = std::stod(row[4].value_or("0"));
    totals.sum_squares = totals.calls * (stddev * stddev + mean * mean);
    totals.rows = std::stod(row[5].value_or("0"));
    totals.query = row[6].value_or("");
    out[row[0].value_or("")] = std::move(totals);
  }
  return out;
}

bool is_own_or_control(const std::string& query) {
  if (query.find("pg_stat_statements") != std::string::npos) return true;
  return transaction_effect(query) != TransactionEffect::none || carries_password(query);
}

std::vector<StatementActivity> window_activity(const Snapshot& before, const Snapshot& after) {
  std::vector<StatementActivity> out;
  for (const auto& [key, now] : after) {
    Totals delta = now;
    if (const auto it = before.find(key); it != before.end() && it->second.calls <= now.calls) {
      delta.calls -= it->second.calls;
      delta.total_ms -= it->second.total_ms;
      delta.sum_squares -= it->second.sum_squares;
      delta.rows -= it->second.rows;
    }
    if (delta.calls < 1 || is_own_or_control(now.query)) continue;
    StatementActivity activity{.query = now.query,
                               .calls = delta.calls,
                               .total_ms = delta.total_ms,
                               .mean_ms = delta.total_ms / delta.calls,
                               .rows = delta.rows};
    activity.stddev_ms = std::sqrt(
        std::max(0.0, delta.sum_squares / delta.calls - activity.mean_ms * activity.mean_ms));
    out.push_back(std::move(activity));
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.total_ms > b.total_ms; });
  return out;
}

/// `{"a","b c"}` as an SQL string literal of an array of `type`.
std::string array_literal(const ColumnValues& values, std::size_t count) {
  std::string text = "{";
  for (std::size_t i = 0; i < count; ++i) {
    if (i > 0) text += ',';
    text += '"';
    for (const char c : values.values[i]) {
      if (c == '"' || c == '\\') text += '\\';
      text += c == '\'' ? std::string("''") : std::string(1, c);
    }
    text += '"';
  }
  return fmt::format("'{}}}'::{}[]", text, values.type);
}

/// `\set pN case when :rN <= c1 then 1 ... else k end`: the index of a value, drawn by weight.
std::string weighted_index(int n, const ColumnValues& values, std::size_t count) {
  double total = 0;
  for (std::size_t i = 0; i < count; ++i) total += values.weights[i];
  std::string out = fmt::format("\\set r{} random(1, 1000000)\n\\set p{} case", n, n);
  double cumulative = 0;
  for (std::size_t i = 0; i + 1 < count; ++i) {
    cumulative += values.weights[i];
    out += fmt::format(" when :r{} <= {} then {}", n,
                       std::llround(cumulative / total * 1'000'000.0), i + 1);
  }
  return out + fmt::format(" else {} end\n", count);
}

std::string one_line(const std::string& query) {
  static const std::regex k_space(R"(\s+)");
  std::string text = std::regex_replace(query, k_space, " ");
  while (!text.empty() && (text.back() == ';' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace

std::string statement_script(const std::string& query, Catalog* catalog) {
  const std::string sql = one_line(query);
  const SqlRefs refs = analyze_sql(sql);
  std::string sets;
  std::map<int, std::string> replacement;
  for (int n = 1; n <= refs.max_param; ++n) {
    std::string why = "no server statistics";
    const auto values = catalog ? catalog->param_values(sql, n, why) : std::nullopt;
    if (!values) {
      sets += fmt::format("-- ${}: {}; write an expression for it below\n\\set p{} FILL-IN\n", n,
                          why, n);
      replacement[n] = fmt::format(":p{}", n);
      continue;
    }
    const std::size_t count = std::min(values->values.size(), k_max_values);
    sets += fmt::format("-- ${}: {}.{} ({} values from pg_stats)\n", n, values->table,
                        values->column, count);
    sets += weighted_index(n, *values, count);
    replacement[n] = fmt::format("({})[:p{}]", array_literal(*values, count), n);
  }
  static const std::regex k_param(R"(\$(\d+))");
  std::string body;
  std::size_t last = 0;
  for (auto it = std::sregex_iterator(sql.begin(), sql.end(), k_param);
       it != std::sregex_iterator(); ++it) {
    body.append(sql, last, static_cast<std::size_t>(it->position()) - last);
    const auto found = replacement.find(std::stoi((*it)[1].str().substr(0, 6)));
    body += found == replacement.end() ? it->str() : found->second;
    last = static_cast<std::size_t>(it->position() + it->length());
  }
  body.append(sql, last);
  return sets + body + ";\n";
}

namespace {

std::string indent(const std::string& text, const std::string& prefix) {
  std::string out;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t end = std::min(text.find('\n', at), text.size());
    out += prefix + text.substr(at, end - at) + "\n";
    at = end + 1;
  }
  return out;
}

std::string scenario_text(const std::vector<StatementActivity>& kept, std::size_t dropped,
                          double window_s, const std::vector<std::string>& scripts) {
  double calls = 0;
  for (const auto& activity : kept) calls += activity.calls;
  std::string out = fmt::format(
      "# Written by poolbench capture --dsn from two pg_stat_statements snapshots {:.1f} s apart\n"
      "# (docs/capture.md): one transaction per statement, weighted by its calls, arriving at\n"
      "# the observed rate. It runs against the captured database as it is (dataset.setup\n"
      "# does nothing): poolbench run scenario.yaml --dsn URL\n",
      window_s);
  if (dropped > 0) {
    out += fmt::format("# Left out (beyond --top, by total time): {} statements\n", dropped);
  }
  out += fmt::format(
      "name: captured\ndescription: statements captured from pg_stat_statements\n"
      "dataset: {{setup: SELECT 1}}\n"
      "workload: {{mode: open, rate: {:.3f}, arrival: poisson, duration: 60s, warmup: 5s}}\n"
      "transactions:\n",
      std::max(calls / window_s, 0.001));
  for (std::size_t i = 0; i < kept.size(); ++i) {
    const auto& a = kept[i];
    out += fmt::format(
        "  # {:.2f} calls/s, mean {:.3f} ms, stddev {:.3f} ms, {:.1f} rows per call\n"
        "  - name: q{}\n    weight: {:.0f}\n    script: |\n{}",
        a.calls / window_s, a.mean_ms, a.stddev_ms, a.rows / a.calls, i + 1, a.calls,
        indent(scripts[i], "      "));
  }
  return out;
}

}  // namespace

void capture_from_stat_statements(const StatCaptureOptions& options, std::ostream& out) {
  pg::Session session = pg::Session::connect(options.dsn);
  check_server(session);
  const Snapshot before = snapshot(session);
  fmt::print(out, "sampling pg_stat_statements for {:.1f} s...\n",
             static_cast<double>(options.window.count()) / 1e6);
  out.flush();
  std::this_thread::sleep_for(options.window);
  const Snapshot after = snapshot(session);
  std::vector<StatementActivity> activity = window_activity(before, after);
  if (activity.empty()) {
    throw RuntimeFailure(fmt::format(
        "no statement ran in this database during the {:.1f} s window (pg_stat_statements "
        "saw no new calls): capture while the application is busy, or use a longer --window",
        static_cast<double>(options.window.count()) / 1e6));
  }
  const std::size_t keep =
      options.top == 0 ? activity.size() : std::min(options.top, activity.size());
  const std::size_t dropped = activity.size() - keep;
  activity.resize(keep);
  Catalog catalog(session);
  std::vector<std::string> scripts;
  int unresolved = 0;
  for (auto& a : activity) {
    if (options.redact) a.query = redact_sql_literals(a.query);
    scripts.push_back(statement_script(a.query, &catalog));
    for (std::size_t at = scripts.back().find("FILL-IN"); at != std::string::npos;
         at = scripts.back().find("FILL-IN", at + 1)) {
      ++unresolved;
    }
  }
  const double window_s = static_cast<double>(options.window.count()) / 1e6;
  const std::filesystem::path path = options.out / "scenario.yaml";
  util::write_file_atomically(path, scenario_text(activity, dropped, window_s, scripts));
  fmt::print(out, "{:>10} {:>10} {:>10} {:>8}  statement\n", "calls/s", "mean_ms", "stddev_ms",
             "rows");
  for (const auto& a : activity) {
    std::string text = one_line(a.query);
    if (text.size() > 60) text = text.substr(0, 57) + "...";
    fmt::print(out, "{:>10.2f} {:>10.3f} {:>10.3f} {:>8.1f}  {}\n", a.calls / window_s, a.mean_ms,
               a.stddev_ms, a.rows / a.calls, text);
  }
  if (dropped > 0) fmt::print(out, "({} more statements beyond --top)\n", dropped);
  if (unresolved > 0) {
    fmt::print(out, "{} parameter(s) unresolved: fill in each FILL-IN in {} before running it\n",
               unresolved, path.string());
  }
  fmt::print(out, "scenario:   {}\n", path.string());
}

}  // namespace poolbench::capture
