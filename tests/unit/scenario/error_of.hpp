#pragma once

// What the scenario tests share: the message a scenario parse fails with.

#include <string>
#include <vector>

#include "scenario/scenario.hpp"
#include "util/error.hpp"

namespace poolbench::scenario {

/// The message of the InputError that parsing `yaml` (as "bad.yaml", with `overrides`)
/// throws; empty if none.
inline std::string error_of(const std::string& yaml,
                            const std::vector<std::string>& overrides = {}) {
  try {
    parse_scenario(yaml, "bad.yaml", overrides);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace poolbench::scenario
