#include "cluster/verify.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "util/strings.hpp"

namespace poolbench::cluster {
namespace {

/// Comma-separated list items, trimmed, lower case (library lists).
std::set<std::string> list_items(const std::string& text) {
  std::set<std::string> items;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    const auto start = item.find_first_not_of(" \t\"");
    const auto end = item.find_last_not_of(" \t\"");
    if (start != std::string::npos)
      items.insert(util::to_lower(item.substr(start, end - start + 1)));
  }
  return items;
}

struct ServerRow {
  std::string setting;
  std::string shown;
  bool pending_restart = false;
};

std::map<std::string, ServerRow> read_rows(pg::Session& session,
                                           const std::vector<std::string>& names) {
  std::string array = "{";
  for (const auto& name : names) array += (array.size() > 1 ? "," : "") + name;
  array += "}";
  const auto rows = session.query(
      "SELECT lower(name), setting, current_setting(name), pending_restart FROM "
      "pg_settings "
      "WHERE lower(name) = ANY($1::text[])",
      {array});
  std::map<std::string, ServerRow> result;
  for (const auto& row : rows.rows) {
    result[row.at(0).value_or("")] = {row.at(1).value_or(""), row.at(2).value_or(""),
                                      row.at(3).value_or("f") == "t"};
  }
  return result;
}

double setting_number(pg::Session& session, const std::string& name, double bytes_factor) {
  const auto rows =
      session.query("SELECT setting, coalesce(unit, '') FROM pg_settings WHERE name = $1", {name});
  if (rows.rows.empty() || !rows.rows[0][0]) return 0;
  const double value = std::stod(*rows.rows[0][0]);
  if (bytes_factor == 0) return value;
  return value * bytes_per_unit(rows.rows[0][1].value_or("")).value_or(1.0);
}

}  // namespace

std::vector<SettingCheck> compare_settings(pg::Session& session, const Profile& profile,
                                           const SettingsCatalog& catalog, ServerKind server) {
  const bool embedded = server == ServerKind::embedded;
  std::vector<std::string> names;
  for (const auto& setting : profile.settings) names.push_back(setting.name);
  const auto rows = names.empty() ? std::map<std::string, ServerRow>{} : read_rows(session, names);

  std::vector<SettingCheck> checks;
  for (const auto& setting : profile.settings) {
    SettingCheck check{.name = setting.name,
                       .expected = setting.value,
                       .actual = "(absent)",
                       .where = setting.where(),
                       .note = {}};
    const auto row = rows.find(setting.name);
    if (row != rows.end()) check.actual = row->second.shown;
    if (embedded && is_harness_setting(setting.name)) {
      check.matches = true;
      check.note = "set by the embedded server (skipped)";
      checks.push_back(std::move(check));
      continue;
    }
    const SettingInfo* info = catalog.find(setting.name);
    if (row == rows.end() || info == nullptr) {
      check.note = "the server has no such parameter";
      checks.push_back(std::move(check));
      continue;
    }
    if (setting.name == "shared_preload_libraries" || setting.name == "session_preload_libraries" ||
        setting.name == "local_preload_libraries") {
      const auto wanted = list_items(setting.value);
      const auto have = list_items(row->second.setting);
      check.matches = std::includes(have.begin(), have.end(), wanted.begin(), wanted.end()) &&
                      (embedded || wanted == have);
    } else {
      const ParsedValue expected = parse_value(*info, setting.value);
      // The server's `setting` is in the base unit: parse it without a unit.
      SettingInfo unbounded = *info;
      unbounded.min.reset();
      unbounded.max.reset();
      const ParsedValue actual = parse_value(unbounded, row->second.setting);
      check.matches =
          expected.value && actual.value && same_value(*info, *expected.value, *actual.value);
    }
    if (row->second.pending_restart) check.note = "pending restart";
    checks.push_back(std::move(check));
  }
  return checks;
}

std::string mismatch_message(const std::vector<SettingCheck>& checks) {
  std::string message;
  for (const auto& check : checks) {
    if (check.matches) continue;
    message += fmt::format("{}  {}: profile {}, server {} ({}){}", message.empty() ? "" : "\n",
                           check.name, check.expected, check.actual, check.where,
                           check.note.empty() ? "" : "; " + check.note);
  }
  return message;
}

MemorySettings read_memory_settings(pg::Session& session) {
  MemorySettings settings;
  settings.shared_buffers_bytes = setting_number(session, "shared_buffers", 1);
  settings.effective_cache_size_bytes = setting_number(session, "effective_cache_size", 1);
  settings.work_mem_bytes = setting_number(session, "work_mem", 1);
  settings.max_connections = static_cast<int>(setting_number(session, "max_connections", 0));
  return settings;
}

ConnectionBudget read_connection_limits(pg::Session& session) {
  ConnectionBudget budget;
  budget.max_connections = static_cast<int>(setting_number(session, "max_connections", 0));
  budget.superuser_reserved_connections =
      static_cast<int>(setting_number(session, "superuser_reserved_connections", 0));
  budget.reserved_connections =
      static_cast<int>(setting_number(session, "reserved_connections", 0));
  return budget;
}

}  // namespace poolbench::cluster
