#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

// What a PostgreSQL server accepts for each setting (from its pg_settings view) and how values
// are parsed, normalized to the setting's base unit and compared. Pure data; thread-safe for
// concurrent reads.

namespace poolbench::cluster {

enum class VarType { boolean, integer, real, string, enumeration };

/// One row of pg_settings, as far as validation needs it.
struct SettingInfo {
  std::string name;
  VarType type = VarType::string;
  /// The unit `setting` is expressed in ("8kB", "kB", "MB", "B", "ms", "s", "min"), or empty.
  std::string unit;
  /// internal, postmaster (restart), sighup (reload), superuser-backend, backend, superuser,
  /// user.
  std::string context;
  std::optional<double> min;  ///< in the base unit, numeric types only
  std::optional<double> max;
  std::vector<std::string> enum_values;  ///< lower case
};

/// pg_settings of one server version. Lookups are case-insensitive, as PostgreSQL's are.
class SettingsCatalog {
 public:
  /// The query whose rows from_rows() reads (pg_settings, enum values comma-joined).
  static const char* query();
  static SettingsCatalog from_rows(
      const std::vector<std::vector<std::optional<std::string>>>& rows);
  static SettingsCatalog from_json(const nlohmann::json& json);
  nlohmann::json to_json() const;

  const SettingInfo* find(std::string_view name) const;
  std::vector<std::string> names() const;
  std::size_t size() const noexcept { return m_settings.size(); }
  void add(SettingInfo info);

 private:
  std::map<std::string, SettingInfo> m_settings;  ///< keyed by lower-case name
};

/// A value as PostgreSQL would store it. Numbers are in the setting's base unit (what
/// pg_settings.setting shows: shared_buffers "512MB" = 65536, in units of 8kB).
struct NormalizedValue {
  double number = 0;  ///< integer and real settings
  std::string text;   ///< boolean ("on"/"off"), enum (lower case), string (as given)
};

/// Either a value or, when PostgreSQL would reject it, the reason (no location; the caller
/// adds file:line).
struct ParsedValue {
  std::optional<NormalizedValue> value;
  std::string error;
};

/// Parses `text` (unquoted) as PostgreSQL would for `info`: booleans in all PostgreSQL
/// spellings, numbers with or without units (a memory or time unit converted to the base
/// unit and rounded like PostgreSQL rounds integers), enum values, range checks.
ParsedValue parse_value(const SettingInfo& info, std::string_view text);

/// True when two normalized values of `info` are the same setting (reals within rounding).
bool same_value(const SettingInfo& info, const NormalizedValue& a, const NormalizedValue& b);

/// A human form of a normalized value in the largest exact unit: 65536 (8kB) -> "512MB",
/// 30000 (ms) -> "30s".
std::string display_value(const SettingInfo& info, const NormalizedValue& value);

/// Size in bytes of one base unit of a memory setting ("8kB" -> 8192), or nullopt when the
/// unit is not a memory unit.
std::optional<double> bytes_per_unit(std::string_view unit);

}  // namespace poolbench::cluster
