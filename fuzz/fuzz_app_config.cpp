// The seeds' config.yaml (--app-config) -> parse_app_config: YAML, ${VAR:-default}
// expansion, pool keys and DATABASE_POOL_* variables, database.url through parse_dsn. The
// environment is fixed (no password file is read). Bad input must be an InputError.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "pg/app_config.hpp"
#include "util/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const poolbench::pg::EnvLookup env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "DATABASE_URL") return "postgresql+asyncpg://app:secret@db:5432/app?pool_size=5";
    if (name == "EMPTY") return std::string();
    if (name == "POSTGRES_APP_USER_PW") return "pw";
    return std::nullopt;
  };
  try {
    const poolbench::pg::AppConfig config =
        poolbench::pg::parse_app_config(text, "config.yaml", env);
    if (config.target) (void)config.target->masked();
  } catch (const poolbench::InputError&) {
  }
  return 0;
}
