#include "cluster/settings.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "util/error.hpp"
#include "util/strings.hpp"

namespace poolbench::cluster {
namespace {

const char* type_name(VarType type) {
  switch (type) {
    case VarType::boolean:
      return "bool";
    case VarType::integer:
      return "integer";
    case VarType::real:
      return "real";
    case VarType::enumeration:
      return "enum";
    case VarType::string:
      return "string";
  }
  return "string";
}

VarType type_from_name(std::string_view name) {
  if (name == "bool") return VarType::boolean;
  if (name == "integer") return VarType::integer;
  if (name == "real") return VarType::real;
  if (name == "enum") return VarType::enumeration;
  return VarType::string;
}

/// Milliseconds per unit for time units PostgreSQL accepts (case-sensitive, as PostgreSQL).
std::optional<double> ms_per_unit(std::string_view unit) {
  if (unit == "us") return 0.001;
  if (unit == "ms") return 1.0;
  if (unit == "s") return 1000.0;
  if (unit == "min") return 60000.0;
  if (unit == "h") return 3600000.0;
  if (unit == "d") return 86400000.0;
  return std::nullopt;
}

std::optional<double> input_bytes_per_unit(std::string_view unit) {
  if (unit == "B") return 1.0;
  if (unit == "kB") return 1024.0;
  if (unit == "MB") return 1024.0 * 1024;
  if (unit == "GB") return 1024.0 * 1024 * 1024;
  if (unit == "TB") return 1024.0 * 1024 * 1024 * 1024;
  return std::nullopt;
}

/// A base unit such as "8kB" or "16MB": a count and an input unit.
std::pair<double, std::string_view> split_base_unit(std::string_view unit) {
  std::size_t digits = 0;
  while (digits < unit.size() && std::isdigit(static_cast<unsigned char>(unit[digits]))) {
    ++digits;
  }
  const double count = digits == 0 ? 1.0 : std::stod(std::string(unit.substr(0, digits)));
  return {count, unit.substr(digits)};
}

std::optional<double> base_ms_per_unit(std::string_view unit) {
  const auto [count, name] = split_base_unit(unit);
  if (auto ms = ms_per_unit(name)) return count * *ms;
  return std::nullopt;
}

std::string format_number(double value) {
  if (std::fabs(value - std::rint(value)) < 1e-9 && std::fabs(value) < 9e15) {
    return fmt::format("{}", static_cast<long long>(std::rint(value)));
  }
  return fmt::format("{}", value);
}

std::string units_hint(const SettingInfo& info) {
  if (bytes_per_unit(info.unit)) return R"(valid units are "B", "kB", "MB", "GB" and "TB")";
  if (base_ms_per_unit(info.unit)) {
    return R"(valid units are "us", "ms", "s", "min", "h" and "d")";
  }
  return "this parameter takes no unit";
}

ParsedValue parse_bool(std::string_view text) {
  const std::string value = util::to_lower(util::trim(text));
  auto prefix_of = [&](std::string_view word, std::size_t min_length) {
    return value.size() >= min_length && word.starts_with(value);
  };
  if (prefix_of("true", 1) || prefix_of("yes", 1) || value == "on" || value == "1") {
    return {NormalizedValue{0, "on"}, {}};
  }
  if (prefix_of("false", 1) || prefix_of("no", 1) || prefix_of("off", 2) || value == "0") {
    return {NormalizedValue{0, "off"}, {}};
  }
  return {std::nullopt, fmt::format("expects a boolean (on/off, true/false, yes/no, 1/0), got '{}'",
                                    std::string(text))};
}

ParsedValue parse_number(const SettingInfo& info, std::string_view text) {
  const std::string input(util::trim(text));
  const char* begin = input.c_str();
  char* end = nullptr;
  errno = 0;
  double number = std::strtod(begin, &end);
  if (end == begin || errno == ERANGE || !std::isfinite(number)) {
    return {
        std::nullopt,
        fmt::format("expects {} {}, got '{}'",
                    info.type == VarType::integer ? "an integer" : "a number",
                    info.unit.empty() ? std::string() : "(base unit " + info.unit + ")", input)};
  }
  const std::string unit(util::trim(std::string_view(end)));
  if (!unit.empty()) {
    const auto base_bytes = bytes_per_unit(info.unit);
    const auto base_ms = base_ms_per_unit(info.unit);
    const auto in_bytes = input_bytes_per_unit(unit);
    const auto in_ms = ms_per_unit(unit);
    if (base_bytes && in_bytes) {
      number = number * *in_bytes / *base_bytes;
    } else if (base_ms && in_ms) {
      number = number * *in_ms / *base_ms;
    } else {
      return {std::nullopt,
              fmt::format("invalid unit '{}' in '{}': {}", unit, input, units_hint(info))};
    }
  }
  if (info.type == VarType::integer) number = std::rint(number);
  if ((info.min && number < *info.min) || (info.max && number > *info.max)) {
    return {std::nullopt,
            fmt::format("'{}' is outside the valid range ({} .. {}{})", input,
                        info.min ? format_number(*info.min) : "-inf",
                        info.max ? format_number(*info.max) : "inf",
                        info.unit.empty() ? std::string() : ", in units of " + info.unit)};
  }
  return {NormalizedValue{number, {}}, {}};
}

std::optional<double> optional_number(const std::optional<std::string>& text) {
  if (!text || text->empty()) return std::nullopt;
  return std::strtod(text->c_str(), nullptr);
}

}  // namespace

std::optional<double> bytes_per_unit(std::string_view unit) {
  const auto [count, name] = split_base_unit(unit);
  if (auto bytes = input_bytes_per_unit(name)) return count * *bytes;
  return std::nullopt;
}

const char* SettingsCatalog::query() {
  return "SELECT name, vartype, coalesce(unit, ''), context, min_val, max_val, "
         "array_to_string(enumvals, ',') FROM pg_settings ORDER BY name";
}

SettingsCatalog SettingsCatalog::from_rows(
    const std::vector<std::vector<std::optional<std::string>>>& rows) {
  SettingsCatalog catalog;
  for (const auto& row : rows) {
    if (row.size() < 7 || !row[0]) continue;
    SettingInfo info;
    info.name = *row[0];
    info.type = type_from_name(row[1].value_or("string"));
    info.unit = row[2].value_or("");
    info.context = row[3].value_or("");
    if (info.type == VarType::integer || info.type == VarType::real) {
      info.min = optional_number(row[4]);
      info.max = optional_number(row[5]);
    }
    if (row[6] && !row[6]->empty()) {
      std::string_view values(*row[6]);
      while (!values.empty()) {
        const auto comma = values.find(',');
        info.enum_values.push_back(util::to_lower(values.substr(0, comma)));
        if (comma == std::string_view::npos) break;
        values.remove_prefix(comma + 1);
      }
    }
    catalog.add(std::move(info));
  }
  return catalog;
}

SettingsCatalog SettingsCatalog::from_json(const nlohmann::json& json) {
  SettingsCatalog catalog;
  for (const auto& item : json.at("settings")) {
    SettingInfo info;
    info.name = item.at("name").get<std::string>();
    info.type = type_from_name(item.at("type").get<std::string>());
    info.unit = item.value("unit", "");
    info.context = item.value("context", "");
    if (item.contains("min")) info.min = item.at("min").get<double>();
    if (item.contains("max")) info.max = item.at("max").get<double>();
    info.enum_values = item.value("enum", std::vector<std::string>{});
    catalog.add(std::move(info));
  }
  return catalog;
}

nlohmann::json SettingsCatalog::to_json() const {
  nlohmann::json settings = nlohmann::json::array();
  for (const auto& [key, info] : m_settings) {
    nlohmann::json item = {{"name", info.name},
                           {"type", type_name(info.type)},
                           {"unit", info.unit},
                           {"context", info.context}};
    if (info.min) item["min"] = *info.min;
    if (info.max) item["max"] = *info.max;
    if (!info.enum_values.empty()) item["enum"] = info.enum_values;
    settings.push_back(std::move(item));
  }
  return {{"schema", "poolbench.pg_settings/1"}, {"settings", std::move(settings)}};
}

const SettingInfo* SettingsCatalog::find(std::string_view name) const {
  const auto found = m_settings.find(util::to_lower(name));
  return found == m_settings.end() ? nullptr : &found->second;
}

std::vector<std::string> SettingsCatalog::names() const {
  std::vector<std::string> result;
  for (const auto& [key, info] : m_settings) result.push_back(info.name);
  return result;
}

void SettingsCatalog::add(SettingInfo info) {
  std::string key = util::to_lower(info.name);
  m_settings.insert_or_assign(std::move(key), std::move(info));
}

ParsedValue parse_value(const SettingInfo& info, std::string_view text) {
  switch (info.type) {
    case VarType::boolean:
      return parse_bool(text);
    case VarType::integer:
    case VarType::real:
      return parse_number(info, text);
    case VarType::enumeration: {
      const std::string value = util::to_lower(util::trim(text));
      if (std::find(info.enum_values.begin(), info.enum_values.end(), value) ==
          info.enum_values.end()) {
        std::string allowed;
        for (const auto& option : info.enum_values) {
          allowed += (allowed.empty() ? "" : ", ") + option;
        }
        return {std::nullopt,
                fmt::format("'{}' is not one of: {}", std::string(util::trim(text)), allowed)};
      }
      return {NormalizedValue{0, value}, {}};
    }
    case VarType::string:
      return {NormalizedValue{0, std::string(text)}, {}};
  }
  return {std::nullopt, "unknown type"};
}

bool same_value(const SettingInfo& info, const NormalizedValue& a, const NormalizedValue& b) {
  switch (info.type) {
    case VarType::integer:
      return std::rint(a.number) == std::rint(b.number);
    case VarType::real: {
      // pg_settings prints reals with %g (6 significant digits).
      const double scale = std::max({1e-12, std::fabs(a.number), std::fabs(b.number)});
      return std::fabs(a.number - b.number) <= 5e-6 * scale;
    }
    case VarType::enumeration:
    case VarType::boolean:
      return util::to_lower(a.text) == util::to_lower(b.text);
    case VarType::string:
      return a.text == b.text;
  }
  return false;
}

std::string display_value(const SettingInfo& info, const NormalizedValue& value) {
  if (info.type != VarType::integer && info.type != VarType::real) return value.text;
  const double number = value.number;
  if (number <= 0 || info.unit.empty()) return format_number(number);
  auto exact = [](double amount, double per) {
    return std::fabs(amount / per - std::rint(amount / per)) < 1e-9;
  };
  if (const auto bytes = bytes_per_unit(info.unit)) {
    const double total = number * *bytes;
    for (const auto* unit : {"TB", "GB", "MB", "kB"}) {
      const double per = *input_bytes_per_unit(unit);
      if (total >= per && exact(total, per)) return format_number(total / per) + unit;
    }
    return format_number(total) + "B";
  }
  if (const auto ms = base_ms_per_unit(info.unit)) {
    const double total = number * *ms;
    for (const auto* unit : {"d", "h", "min", "s"}) {
      const double per = *ms_per_unit(unit);
      if (total >= per && exact(total, per)) return format_number(total / per) + unit;
    }
    return format_number(total) + "ms";
  }
  return format_number(number) + info.unit;
}

}  // namespace poolbench::cluster
