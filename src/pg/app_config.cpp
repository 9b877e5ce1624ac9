#include "pg/app_config.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "util/error.hpp"
#include "util/strings.hpp"

namespace poolbench::pg {
namespace {

constexpr std::array<std::string_view, 14> k_known_keys{"url",
                                                        "app_db",
                                                        "owner_user",
                                                        "user",
                                                        "ro_user",
                                                        "pool_size",
                                                        "max_overflow",
                                                        "pool_timeout",
                                                        "pool_recycle",
                                                        "pool_pre_ping",
                                                        "environment_mode",
                                                        "user_pw_file_path",
                                                        "user_pw_env_var",
                                                        "echo"};

bool is_name_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_';
}
bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

/// The expansion, also telling whether a ${NAME:-default} default was used anywhere.
std::string expand(std::string_view text, const EnvLookup& env, std::string_view place,
                   bool& used_default) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] != '$' || i + 1 >= text.size() || text[i + 1] != '{') {
      out.push_back(text[i++]);
      continue;
    }
    // Find the matching '}', counting nested "${".
    std::size_t j = i + 2;
    int level = 1;
    while (j < text.size()) {
      if (text[j] == '$' && j + 1 < text.size() && text[j + 1] == '{') {
        ++level;
        j += 2;
        continue;
      }
      if (text[j] == '}' && --level == 0) break;
      ++j;
    }
    if (j >= text.size()) {
      throw InputError(fmt::format(
          "{}: unterminated \"${{\" at character {}; expected ${{NAME}} or ${{NAME:-default}}",
          place, i + 1));
    }
    const std::string_view inner = text.substr(i + 2, j - i - 2);
    std::size_t name_end = 0;
    while (name_end < inner.size() && is_name_char(inner[name_end])) ++name_end;
    const std::string name(inner.substr(0, name_end));
    const std::string_view rest = inner.substr(name_end);
    const bool colon_default = rest.starts_with(":-");
    const bool unset_default = rest.starts_with("-");
    if (name.empty() || !is_name_start(name[0]) ||
        (!rest.empty() && !colon_default && !unset_default)) {
      throw InputError(fmt::format(
          "{}: \"${{\" at character {} is not ${{NAME}} or ${{NAME:-default}} (NAME: letters, "
          "digits, _)",
          place, i + 1));
    }
    const std::optional<std::string> value = env(name);
    const bool use_default = rest.empty()    ? false
                             : colon_default ? (!value || value->empty())
                                             : !value;
    if (use_default) {
      used_default = true;
      out += expand(rest.substr(colon_default ? 2 : 1), env, place, used_default);
    } else if (value) {
      out += *value;
    } else {
      throw InputError(fmt::format(
          "{}: environment variable {} is not set (write ${{{}:-default}} to give a default)",
          place, name, name));
    }
    i = j + 1;
  }
  return out;
}

/// One value of the `database:` map, expanded, with its place for messages.
struct Value {
  std::string text;
  std::string place;   ///< "config.yaml: database.url (line 5)"
  std::string source;  ///< "config.yaml: database.url"
  bool used_default = false;
};

class DatabaseSection {
 public:
  DatabaseSection(YAML::Node node, std::string_view file, const EnvLookup& env)
      : m_node(std::move(node)), m_file(file), m_env(env) {}

  std::optional<Value> get(std::string_view key) const {
    const YAML::Node node = m_node[std::string(key)];
    if (!node || node.IsNull()) return std::nullopt;
    Value value;
    value.source = fmt::format("{}: database.{}", m_file, key);
    value.place = fmt::format("{} (line {})", value.source, node.Mark().line + 1);
    if (!node.IsScalar()) throw InputError(value.place + ": expected a single value");
    value.text = expand(node.Scalar(), m_env, value.place, value.used_default);
    return value;
  }

  void check_keys() const {
    const std::vector<std::string> known(k_known_keys.begin(), k_known_keys.end());
    for (const auto& entry : m_node) {
      const std::string key = entry.first.as<std::string>();
      if (std::find(known.begin(), known.end(), key) != known.end()) continue;
      const std::string suggestion = util::closest_match(key, known);
      throw InputError(fmt::format(
          "{}: database.{} (line {}): unknown key{}", m_file, key, entry.first.Mark().line + 1,
          suggestion.empty() ? std::string() : fmt::format(" (did you mean {}?)", suggestion)));
    }
  }

 private:
  YAML::Node m_node;
  std::string m_file;
  const EnvLookup& m_env;
};

void read_pool_keys(const DatabaseSection& db, PoolOverrides& pool) {
  if (auto v = db.get("pool_size"))
    pool.pool_size.set(parse_pool_size(v->text, v->place), v->source);
  if (auto v = db.get("max_overflow")) {
    pool.max_overflow.set(parse_max_overflow(v->text, v->place), v->source);
  }
  if (auto v = db.get("pool_timeout")) {
    pool.pool_timeout.set(parse_pool_timeout(v->text, v->place), v->source);
  }
  if (auto v = db.get("pool_recycle")) {
    pool.pool_recycle.set(parse_pool_recycle(v->text, v->place), v->source);
  }
  if (auto v = db.get("pool_pre_ping")) {
    pool.pool_pre_ping.set(parse_pool_pre_ping(v->text, v->place), v->source);
  }
}

/// Seed 003's variables: they override the file (as the application's settings do).
void read_pool_variables(const EnvLookup& env, PoolOverrides& pool) {
  auto given = [&env](const std::string& name) -> std::optional<std::string> {
    std::optional<std::string> value = env(name);
    if (!value || value->empty()) return std::nullopt;
    return value;
  };
  if (auto v = given("DATABASE_POOL_SIZE")) {
    pool.pool_size.set(parse_pool_size(*v, "DATABASE_POOL_SIZE"), "DATABASE_POOL_SIZE");
  }
  for (const char* name : {"DATABASE_POOL_MAX_OVERFLOW", "DATABASE_MAX_OVERFLOW"}) {
    if (auto v = given(name)) pool.max_overflow.set(parse_max_overflow(*v, name), name);
  }
  if (auto v = given("DATABASE_POOL_TIMEOUT")) {
    pool.pool_timeout.set(parse_pool_timeout(*v, "DATABASE_POOL_TIMEOUT"), "DATABASE_POOL_TIMEOUT");
  }
  if (auto v = given("DATABASE_POOL_RECYCLE")) {
    pool.pool_recycle.set(parse_pool_recycle(*v, "DATABASE_POOL_RECYCLE"), "DATABASE_POOL_RECYCLE");
  }
}

/// A Docker-secret style file: the content without its trailing newline. nullopt when it
/// cannot be read; `error` then says why.
std::optional<std::string> read_secret_file(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = std::strerror(errno);  // NOLINT(concurrency-mt-unsafe)
    return std::nullopt;
  }
  std::ostringstream content;
  content << in.rdbuf();
  std::string secret = content.str();
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  return secret;
}

/// The password of user_pw_file_path / user_pw_env_var, if any, and where it came from.
std::optional<std::string> find_password(const DatabaseSection& db, const EnvLookup& env,
                                         std::string& source) {
  if (auto path = db.get("user_pw_file_path"); path && !path->text.empty()) {
    std::string error;
    std::optional<std::string> secret = read_secret_file(path->text, error);
    if (secret && !secret->empty()) {
      source = fmt::format("{} ({})", path->source, path->text);
      return secret;
    }
    // The seed's default path (/run/secrets/...) exists only in production: a missing file
    // is an error only when someone named it.
    if (!path->used_default) {
      throw InputError(fmt::format("{}: cannot read the password file {}: {}", path->place,
                                   path->text, secret ? "it is empty" : error));
    }
  }
  if (auto name = db.get("user_pw_env_var"); name && !name->text.empty()) {
    const std::optional<std::string> secret = env(name->text);
    if (secret && !secret->empty()) {
      source = fmt::format("{} (${})", name->source, name->text);
      return secret;
    }
  }
  return std::nullopt;
}

}  // namespace

std::string expand_variables(std::string_view text, const EnvLookup& env, std::string_view place) {
  bool used_default = false;
  return expand(text, env, place, used_default);
}

AppConfig parse_app_config(std::string_view yaml_text, std::string_view file_label,
                           const EnvLookup& env) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& error) {
    throw InputError(fmt::format("{}:{}:{}: not valid YAML: {}", file_label, error.mark.line + 1,
                                 error.mark.column + 1, error.msg));
  }
  const YAML::Node database = root.IsMap() ? root["database"] : YAML::Node();
  if (!database || !database.IsMap()) {
    throw InputError(
        fmt::format("{}: no `database:` section; expected the seeds' shape (database.url, "
                    "database.pool_size, ...)",
                    file_label));
  }
  AppConfig config;
  try {
    const DatabaseSection db(database, file_label, env);
    db.check_keys();
    read_pool_keys(db, config.pool);
    read_pool_variables(env, config.pool);
    if (auto url = db.get("url")) {
      ParsedDsn parsed = parse_dsn(url->text, url->place);
      config.pool.merge(parsed.pool);
      if (std::optional<std::string> password = find_password(db, env, config.password_source)) {
        parsed.target.set("password", std::move(*password));
      }
      config.target = std::move(parsed.target);
    }
  } catch (const YAML::Exception& error) {
    throw InputError(fmt::format("{}:{}: {}", file_label, error.mark.line + 1, error.msg));
  }
  return config;
}

AppConfig load_app_config(const std::filesystem::path& path, const EnvLookup& env) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw InputError(fmt::format("{}: cannot read the app config: {}", path.string(),
                                 std::strerror(errno)));  // NOLINT(concurrency-mt-unsafe)
  }
  std::ostringstream content;
  content << in.rdbuf();
  return parse_app_config(content.str(), path.string(), env);
}

}  // namespace poolbench::pg
