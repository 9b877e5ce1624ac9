#pragma once

#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "capture/redact.hpp"
#include "pg/session.hpp"

// A statement's parameters matched against the server's catalog (pg_class, pg_attribute)
// and their columns' statistics (pg_stats): docs/capture.md, "Parameters".

namespace poolbench::capture {

/// The values a column takes, as pg_stats describes them: its most common values with their
/// frequencies, then its histogram bounds sharing what is left (NULLs excluded).
struct ColumnValues {
  std::string table;  ///< schema.table
  std::string column;
  std::string type;  ///< format_type(), e.g. integer, character varying(20)
  std::vector<std::string> values;
  std::vector<double> weights;  ///< same length, > 0
};

/// Elements of an array's text form ({a,"b c",NULL}); NULLs are left out.
std::vector<std::string> parse_array_text(std::string_view text);

class Catalog {
 public:
  explicit Catalog(pg::Session& session) : m_session(session) {}

  /// What $n of `sql` is compared with, or nullopt with `why` set (no comparison, no such
  /// column in the statement's tables, no statistics).
  std::optional<ColumnValues> param_values(const std::string& sql, int n, std::string& why);

 private:
  std::optional<ColumnValues> column_values(const std::string& table, const std::string& column,
                                            std::string& why);
  /// schema.table of a name as the search_path resolves it; empty if none.
  std::string resolve_table(const std::string& name);
  std::vector<std::string> columns_of(const std::string& table);

  pg::Session& m_session;
  std::map<std::string, std::string> m_tables;
  std::map<std::string, std::vector<std::string>> m_columns;
  std::map<std::string, std::optional<ColumnValues>> m_values;
};

/// --log --redact --dsn: replacement values drawn from the parameters' columns' statistics
/// (weighted), from a server connected once. Throws RuntimeFailure when it cannot connect.
ValueSource column_value_source(const std::string& dsn);

}  // namespace poolbench::capture
