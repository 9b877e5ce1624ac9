#include "pg/environment.hpp"

#include <cstdlib>

namespace poolbench::pg {

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe)
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

}  // namespace poolbench::pg
