#include "script/script_builtin.hpp"

#include <array>
#include <vector>

#include <fmt/format.h>

#include "util/error.hpp"
#include "util/strings.hpp"

namespace poolbench::script {
namespace {

constexpr std::array<BuiltinScript, 3> k_builtins = {{
    {"tpcb-like", "<builtin: TPC-B (sort of)>: pgbench's default transaction", k_builtin_tpcb_like},
    {"simple-update", "<builtin: simple update>: tpcb-like without the teller and branch updates",
     k_builtin_simple_update},
    {"select-only", "<builtin: select only>: one point read", k_builtin_select_only},
}};

std::string_view trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

std::span<const BuiltinScript> builtin_scripts() noexcept {
  return k_builtins;
}

const BuiltinScript* find_builtin(std::string_view name) noexcept {
  const BuiltinScript* found = nullptr;
  for (const BuiltinScript& builtin : k_builtins) {
    if (builtin.name == name) return &builtin;
    if (!name.empty() && builtin.name.substr(0, name.size()) == name) {
      if (found != nullptr) return nullptr;  // ambiguous, as pgbench's findBuiltin
      found = &builtin;
    }
  }
  return found;
}

std::optional<std::string_view> builtin_script_text(std::string_view script,
                                                    const std::string& where) {
  const std::string_view value = trim(script);
  if (value.substr(0, k_builtin_prefix.size()) != k_builtin_prefix) return std::nullopt;
  const std::string_view name = trim(value.substr(k_builtin_prefix.size()));
  if (const BuiltinScript* builtin = find_builtin(name)) return builtin->text;
  std::vector<std::string> names;
  for (const BuiltinScript& builtin : k_builtins) names.emplace_back(builtin.name);
  const std::string best = util::closest_match(name, names);
  throw InputError(fmt::format(
      "{}: unknown built-in script \"{}\"{} (the built-in scripts are pgbench's -b names: {}; "
      "see 'poolbench scripts list')",
      where, name, best.empty() ? "" : fmt::format(" (did you mean builtin:{}?)", best),
      fmt::join(names, ", ")));
}

}  // namespace poolbench::script
