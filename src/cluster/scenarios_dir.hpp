#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

// Where the shipped scenarios/ directory is, for a binary run from the build tree, from an
// installation or from anywhere with an override.

namespace poolbench::cluster {

/// The scenarios/ directory: POOLBENCH_SCENARIOS_DIR when set; else <exe dir>/../scenarios
/// (build tree: build/poolbench), <exe dir>/../share/poolbench/scenarios (installed); else the
/// source tree's scenarios/ baked in at build time. The first that exists wins; when none
/// does, the baked-in path is returned (later lookups then name it in their error).
/// `getenv` and `exe_path` are injectable for tests.
std::filesystem::path scenarios_dir(
    const std::function<std::optional<std::string>(const std::string&)>& getenv = {},
    const std::optional<std::filesystem::path>& exe_path = std::nullopt);

/// scenarios_dir() / "profiles".
std::filesystem::path profiles_dir();

}  // namespace poolbench::cluster
