#pragma once

#include <functional>
#include <optional>
#include <string>

namespace poolbench::pg {

/// Reads one environment variable: nullopt when unset. A seam so that tests pass a map
/// instead of mutating the process environment.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

/// The process environment (std::getenv). Safe as long as nobody calls setenv concurrently.
EnvLookup process_environment();

}  // namespace poolbench::pg
