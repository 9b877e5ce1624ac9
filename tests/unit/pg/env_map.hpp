#pragma once

#include <map>
#include <string>

#include "pg/environment.hpp"

namespace poolbench::pg::testing {

/// An environment made of a map, so tests never touch the process environment.
inline EnvLookup env_of(std::map<std::string, std::string> variables) {
  return [variables = std::move(variables)](const std::string& name) -> std::optional<std::string> {
    const auto it = variables.find(name);
    if (it == variables.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace poolbench::pg::testing
