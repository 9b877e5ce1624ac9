#include "pg/dsn.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <memory>

#include <fmt/format.h>
#include <libpq-fe.h>

#include "pg/errors.hpp"
#include "pg/masking.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace poolbench::pg {
namespace {

/// TCP ports: 1..65535, at most five digits.
constexpr int k_max_port = 65535;
constexpr std::size_t k_port_digits = 5;

/// The scheme of a URL (`postgresql+asyncpg`, `sqlite`), or empty for a key=value string.
/// A scheme is letters/digits/+-. before ':' followed by "//", or one of the non-URI forms
/// SQLAlchemy knows (`sqlite:` alone).
std::string scheme_of(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && (std::isalnum(static_cast<unsigned char>(text[i])) != 0 ||
                             text[i] == '+' || text[i] == '-' || text[i] == '.')) {
    ++i;
  }
  if (i == 0 || i >= text.size() || text[i] != ':' ||
      std::isalpha(static_cast<unsigned char>(text[0])) == 0) {
    return {};
  }
  const std::string scheme = util::to_lower(text.substr(0, i));
  if (text.substr(i + 1, 2) == "//" || scheme == "sqlite") return scheme;
  return {};
}

bool is_postgres_scheme(std::string_view scheme) {
  const std::string_view base = scheme.substr(0, scheme.find('+'));
  return base == "postgresql" || base == "postgres";
}

/// asyncpg's `ssl=` value as a libpq sslmode.
std::string sslmode_for_asyncpg(std::string_view value, std::string_view source) {
  static constexpr std::array<std::string_view, 6> k_modes{"disable", "allow",     "prefer",
                                                           "require", "verify-ca", "verify-full"};
  const std::string mode = util::to_lower(value);
  if (std::find(k_modes.begin(), k_modes.end(), mode) != k_modes.end()) return mode;
  if (mode == "true") return "require";
  if (mode == "false") return "disable";
  throw InputError(fmt::format(
      "{}: ssl=\"{}\" is not valid; expected disable, allow, prefer, require, verify-ca or "
      "verify-full (passed to libpq as sslmode)",
      source, value));
}

/// Takes the pool parameters out of a URI's query and maps ssl= to sslmode=; returns the
/// query to hand to libpq (without '?').
std::string rewrite_query(std::string_view query, std::string_view source, PoolOverrides& pool) {
  std::vector<std::string> kept;
  std::optional<std::string> ssl;
  bool has_sslmode = false;
  std::size_t start = 0;
  while (start <= query.size()) {
    std::size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    const std::string_view pair = query.substr(start, end - start);
    start = end + 1;
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    const std::string key = percent_decode(pair.substr(0, eq));
    const std::string value =
        eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1));
    const std::string place = fmt::format("{}: {}", source, key);
    if (key == "pool_size") {
      pool.pool_size.set(parse_pool_size(value, place), std::string(source));
    } else if (key == "max_overflow") {
      pool.max_overflow.set(parse_max_overflow(value, place), std::string(source));
    } else if (key == "pool_timeout") {
      pool.pool_timeout.set(parse_pool_timeout(value, place), std::string(source));
    } else if (key == "pool_recycle") {
      pool.pool_recycle.set(parse_pool_recycle(value, place), std::string(source));
    } else if (key == "pool_pre_ping") {
      pool.pool_pre_ping.set(parse_pool_pre_ping(value, place), std::string(source));
    } else if (key == "ssl") {
      ssl = sslmode_for_asyncpg(value, source);
    } else {
      has_sslmode = has_sslmode || key == "sslmode";
      kept.emplace_back(pair);
    }
  }
  if (ssl) {
    if (has_sslmode) {
      throw InputError(
          fmt::format("{}: both ssl= (asyncpg) and sslmode= (libpq) are given; keep one", source));
    }
    kept.push_back("sslmode=" + *ssl);
  }
  std::string out;
  for (const std::string& pair : kept) {
    if (!out.empty()) out.push_back('&');
    out += pair;
  }
  return out;
}

/// Runs PQconninfoParse; throws InputError with libpq's (masked) message.
std::vector<std::pair<std::string, std::string>> libpq_parse(const std::string& conninfo,
                                                             std::string_view original,
                                                             std::string_view source) {
  char* raw_error = nullptr;
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(
      PQconninfoParse(conninfo.c_str(), &raw_error), &PQconninfoFree);
  if (!options) {
    std::string message = raw_error != nullptr ? trim_message(raw_error) : "out of memory";
    if (raw_error != nullptr) PQfreemem(raw_error);
    message = mask_message(mask_message(message, conninfo), std::string(original));
    throw InputError(fmt::format("{}: not a valid PostgreSQL connection string ({}): {}", source,
                                 mask_dsn(original), message));
  }
  std::vector<std::pair<std::string, std::string>> params;
  for (const PQconninfoOption* option = options.get(); option->keyword != nullptr; ++option) {
    if (option->val != nullptr) params.emplace_back(option->keyword, option->val);
  }
  return params;
}

std::string quote_conninfo_value(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

/// Values libpq accepts when parsing but rejects only when connecting (exit 3 then): bad
/// input is exit 2, before anything starts.
void check_values_libpq_checks_late(const ConnectionTarget& target, std::string_view source) {
  // A port may be a comma-separated list (several hosts); an empty entry is the default.
  if (const auto port = target.get("port")) {
    const bool digits = port->find_first_not_of("0123456789,") == std::string::npos;
    bool in_range = digits && !port->empty();
    for (std::size_t start = 0; in_range && start <= port->size();) {
      std::size_t end = port->find(',', start);
      if (end == std::string::npos) end = port->size();
      const std::string one = port->substr(start, end - start);
      in_range = one.empty() || (one.size() <= k_port_digits && std::stoi(one) >= 1 &&
                                 std::stoi(one) <= k_max_port);
      start = end + 1;
    }
    if (!in_range) {
      throw InputError(
          fmt::format("{}: the port must be a number from 1 to 65535, got '{}'", source, *port));
    }
  }
  struct Choices {
    std::string_view keyword;
    std::vector<std::string_view> values;
  };
  static const std::array<Choices, 4> k_choices{{
      {"sslmode", {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}},
      {"gssencmode", {"disable", "prefer", "require"}},
      {"channel_binding", {"disable", "prefer", "require"}},
      {"target_session_attrs",
       {"any", "read-write", "read-only", "primary", "standby", "prefer-standby"}},
  }};
  for (const auto& [keyword, values] : k_choices) {
    const auto value = target.get(keyword);
    if (!value || std::find(values.begin(), values.end(), *value) != values.end()) continue;
    std::string expected;
    for (std::size_t i = 0; i < values.size(); ++i) {
      expected += fmt::format("{}{}",
                              i == 0                   ? ""
                              : i + 1 == values.size() ? " or "
                                                       : ", ",
                              values[i]);
    }
    throw InputError(
        fmt::format("{}: {}=\"{}\" is not valid; expected {}", source, keyword, *value, expected));
  }
}

}  // namespace

std::optional<std::string> ConnectionTarget::get(std::string_view keyword) const {
  for (const auto& [key, value] : m_params) {
    if (key == keyword) return value;
  }
  return std::nullopt;
}

void ConnectionTarget::set(std::string_view keyword, std::string value) {
  for (auto& [key, existing] : m_params) {
    if (key == keyword) {
      existing = std::move(value);
      return;
    }
  }
  m_params.emplace_back(std::string(keyword), std::move(value));
}

std::string ConnectionTarget::conninfo() const {
  std::string out;
  for (const auto& [key, value] : m_params) {
    if (!out.empty()) out.push_back(' ');
    out += key;
    out.push_back('=');
    out += quote_conninfo_value(value);
  }
  return out;
}

ParsedDsn parse_dsn(std::string_view text, std::string_view source) {
  const std::string_view dsn = util::trim(text);
  if (dsn.empty()) {
    throw InputError(
        fmt::format("{}: the connection string is empty; expected a libpq URL "
                    "(postgresql://user@host:5432/db) or key=value string (host=... dbname=...)",
                    source));
  }
  if (util::first_invalid_utf8(dsn)) {  // its masked form goes into results.json (UTF-8)
    throw InputError(fmt::format("{}: the connection string is not UTF-8 text", source));
  }
  ParsedDsn parsed;
  std::string for_libpq(dsn);
  const std::string scheme = scheme_of(dsn);
  if (!scheme.empty()) {
    if (!is_postgres_scheme(scheme)) {
      throw InputError(fmt::format(
          "{}: {} is a {} URL, but poolbench measures PostgreSQL; give a postgresql:// URL "
          "or a libpq key=value string",
          source, mask_dsn(dsn), scheme.substr(0, scheme.find('+'))));
    }
    if (dsn.find_first_of(" \t\r\n") != std::string_view::npos) {
      // libpq would take "db pool_size=5" as the database name (often a closing quote
      // missing in config.yaml, which folds the next line in).
      throw InputError(
          fmt::format("{}: a URL cannot contain spaces or line breaks (percent-encode a space "
                      "as %20; is a closing quote missing?)",
                      source));
    }
    // libpq knows postgresql:// and postgres:// but not SQLAlchemy's +driver suffix.
    const std::string_view rest = dsn.substr(scheme.size() + 1);
    const std::size_t question = rest.find('?');
    for_libpq = "postgresql:" + std::string(rest.substr(0, question));
    if (question != std::string_view::npos) {
      const std::string query = rewrite_query(rest.substr(question + 1), source, parsed.pool);
      if (!query.empty()) for_libpq += "?" + query;
    }
  }
  parsed.target =
      ConnectionTarget(libpq_parse(for_libpq, dsn, source), mask_dsn(dsn), std::string(source));
  check_values_libpq_checks_late(parsed.target, source);
  return parsed;
}

std::optional<ParsedDsn> dsn_from_flag_or_env(const std::optional<std::string>& flag,
                                              const EnvLookup& env) {
  if (flag) return parse_dsn(*flag, "--dsn");
  const std::optional<std::string> from_env = env("POOLBENCH_DSN");
  if (!from_env || util::trim(*from_env).empty()) return std::nullopt;
  return parse_dsn(*from_env, "POOLBENCH_DSN");
}

}  // namespace poolbench::pg
