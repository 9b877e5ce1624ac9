#include "capture/catalog.hpp"

#include <memory>
#include <numeric>

#include <fmt/format.h>

#include "capture/sql_refs.hpp"

namespace poolbench::capture {

std::vector<std::string> parse_array_text(std::string_view text) {
  std::vector<std::string> out;
  if (text.size() < 2 || text.front() != '{' || text.back() != '}') return out;
  std::string element;
  bool quoted = false;
  bool was_quoted = false;
  for (std::size_t i = 1; i + 1 < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '\\' && i + 2 < text.size()) {
        element += text[++i];
      } else if (c == '"') {
        quoted = false;
      } else {
        element += c;
      }
    } else if (c == '"') {
      quoted = was_quoted = true;
    } else if (c == ',') {
      if (was_quoted || element != "NULL") out.push_back(element);
      element.clear();
      was_quoted = false;
    } else {
      element += c;
    }
  }
  if (was_quoted || element != "NULL") out.push_back(element);
  return out;
}

std::string Catalog::resolve_table(const std::string& name) {
  const auto [it, added] = m_tables.try_emplace(name);
  if (added) {
    const pg::Rows rows = m_session.query(
        "SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = "
        "c.relnamespace WHERE c.oid = to_regclass($1)",
        {name});
    if (!rows.rows.empty() && rows.rows[0][0]) it->second = *rows.rows[0][0];
  }
  return it->second;
}

std::vector<std::string> Catalog::columns_of(const std::string& table) {
  const auto [it, added] = m_columns.try_emplace(table);
  if (added) {
    const pg::Rows rows = m_session.query(
        "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND "
        "NOT attisdropped",
        {table});
    for (const auto& row : rows.rows) it->second.push_back(row[0].value_or(""));
  }
  return it->second;
}

std::optional<ColumnValues> Catalog::column_values(const std::string& table,
                                                   const std::string& column, std::string& why) {
  const std::string key = table + "." + column;
  if (const auto it = m_values.find(key); it != m_values.end()) {
    if (!it->second) why = fmt::format("{} has no statistics in pg_stats (run ANALYZE)", key);
    return it->second;
  }
  const pg::Rows rows = m_session.query(
      "SELECT s.most_common_vals::text, s.most_common_freqs::text, s.histogram_bounds::text, "
      "s.null_frac, format_type(a.atttypid, a.atttypmod) FROM pg_stats s JOIN pg_attribute a ON "
      "a.attrelid = to_regclass($1) AND a.attname = s.attname WHERE s.schemaname || '.' || "
      "s.tablename = $1 AND s.attname = $2",
      {table, column});
  std::optional<ColumnValues> values;
  if (!rows.rows.empty()) {
    const auto& row = rows.rows[0];
    ColumnValues out{.table = table,
                     .column = column,
                     .type = row[4].value_or("text"),
                     .values = {},
                     .weights = {}};
    out.values = parse_array_text(row[0].value_or(""));
    double common = 0;
    for (const auto& freq : parse_array_text(row[1].value_or(""))) {
      out.weights.push_back(std::stod(freq));
      common += out.weights.back();
    }
    out.values.resize(std::min(out.values.size(), out.weights.size()));
    out.weights.resize(out.values.size());
    const std::vector<std::string> bounds = parse_array_text(row[2].value_or(""));
    const double rest = std::max(0.0, 1.0 - common - std::stod(row[3].value_or("0")));
    for (const auto& bound : bounds) {
      out.values.push_back(bound);
      out.weights.push_back(std::max(rest, 1e-6) / static_cast<double>(bounds.size()));
    }
    if (!out.values.empty()) values = std::move(out);
  }
  if (!values) why = fmt::format("{} has no statistics in pg_stats (run ANALYZE)", key);
  m_values[key] = values;
  return values;
}

std::optional<ColumnValues> Catalog::param_values(const std::string& sql, int n, std::string& why) {
  const SqlRefs refs = analyze_sql(sql);
  const auto param = refs.params.find(n);
  if (param == refs.params.end()) {
    why = "not in a simple comparison with a column (col = $n, IN, BETWEEN)";
    return std::nullopt;
  }
  const ColumnRef& ref = param->second;
  std::vector<std::string> candidates;
  if (!ref.qualifier.empty()) {
    const auto table = refs.tables.find(ref.qualifier);
    candidates.push_back(table == refs.tables.end() ? ref.qualifier : table->second);
  } else {
    for (const auto& [alias, table] : refs.tables) {
      if (alias == table) candidates.push_back(table);
    }
  }
  std::vector<std::string> holders;
  for (const auto& name : candidates) {
    const std::string table = resolve_table(name);
    if (table.empty()) continue;
    const auto columns = columns_of(table);
    if (std::find(columns.begin(), columns.end(), ref.column) != columns.end()) {
      holders.push_back(table);
    }
  }
  if (holders.size() != 1) {
    why = holders.empty()
              ? fmt::format("column {} is in none of the statement's tables", ref.column)
              : fmt::format("column {} is in several of its tables", ref.column);
    return std::nullopt;
  }
  return column_values(holders.front(), ref.column, why);
}

ValueSource column_value_source(const std::string& dsn) {
  struct State {
    pg::Session session;
    Catalog catalog;
    std::mt19937_64 rng{std::random_device{}()};
    explicit State(pg::Session s) : session(std::move(s)), catalog(session) {}
  };
  auto state = std::make_shared<State>(pg::Session::connect(dsn));
  return [state](const std::string& sql, std::size_t index) -> std::optional<std::string> {
    std::string why;
    const auto values = state->catalog.param_values(sql, static_cast<int>(index) + 1, why);
    if (!values) return std::nullopt;
    std::discrete_distribution<std::size_t> pick(values->weights.begin(), values->weights.end());
    return values->values[pick(state->rng)];
  };
}

}  // namespace poolbench::capture
