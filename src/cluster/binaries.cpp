#include "cluster/binaries.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <vector>

#include <fmt/format.h>
#include <unistd.h>

#include "cluster/process.hpp"
#include "util/error.hpp"

namespace poolbench::cluster {
namespace {

namespace fs = std::filesystem;

bool is_executable(const fs::path& path) {
  std::error_code error;
  return fs::is_regular_file(path, error) && ::access(path.c_str(), X_OK) == 0;
}

bool all_digits(const std::string& text) {
  return !text.empty() && std::all_of(text.begin(), text.end(),
                                      [](unsigned char c) { return std::isdigit(c) != 0; });
}

/// Major version directories ("15", "9.6") under `root`, newest first.
std::vector<fs::path> version_bindirs(const fs::path& root) {
  std::vector<std::pair<std::pair<int, int>, fs::path>> found;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(root, error)) {
    // "15" or "9.6": digits, optionally a dot and digits.
    const std::string name = entry.path().filename().string();
    const auto dot = name.find('.');
    const std::string major_text = name.substr(0, dot);
    const std::string minor_text = dot == std::string::npos ? "0" : name.substr(dot + 1);
    if (!all_digits(major_text) || !all_digits(minor_text)) continue;
    const int major = std::stoi(major_text);
    const int minor = std::stoi(minor_text);
    found.push_back({{major, minor}, entry.path() / "bin"});
  }
  std::sort(found.begin(), found.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<fs::path> dirs;
  for (const auto& item : found) dirs.push_back(item.second);
  return dirs;
}

}  // namespace

DiscoveryEnv DiscoveryEnv::system() {
  DiscoveryEnv env;
  env.getenv = [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr || *value == '\0') return std::nullopt;
    return std::string(value);
  };
  env.pg_config_bindir = []() -> std::optional<std::string> {
    const auto pg_config = find_program("pg_config");
    if (!pg_config) return std::nullopt;
    try {
      auto result =
          run_command({pg_config->string(), "--bindir"}, std::nullopt, std::chrono::seconds(10));
      if (result.exit_code != 0) return std::nullopt;
      while (!result.output.empty() &&
             std::isspace(static_cast<unsigned char>(result.output.back()))) {
        result.output.pop_back();
      }
      return result.output;
    } catch (const Error&) {
      return std::nullopt;
    }
  };
  return env;
}

bool is_server_bindir(const fs::path& dir) {
  return is_executable(dir / "postgres") && is_executable(dir / "initdb");
}

ServerBinaries find_server_binaries(const DiscoveryEnv& env) {
  if (auto dir = env.getenv("POOLBENCH_PG_BINDIR")) {
    if (!is_server_bindir(*dir)) {
      throw InputError(fmt::format(
          "POOLBENCH_PG_BINDIR={}: no executable 'postgres' and 'initdb' there (it must name "
          "the PostgreSQL server's bin directory, e.g. /usr/lib/postgresql/15/bin)",
          *dir));
    }
    return {*dir, "POOLBENCH_PG_BINDIR"};
  }
  if (auto dir = env.pg_config_bindir()) {
    if (!dir->empty() && is_server_bindir(*dir)) return {*dir, "pg_config --bindir"};
  }
  for (const auto& dir : version_bindirs(env.versions_root)) {
    if (is_server_bindir(dir)) return {dir, (env.versions_root / "*/bin").string()};
  }
  throw RuntimeFailure(fmt::format(
      "no PostgreSQL server binaries found (looked at POOLBENCH_PG_BINDIR, pg_config --bindir "
      "and {}/*/bin).\nInstall the server (Debian/Ubuntu: apt-get install postgresql), set "
      "POOLBENCH_PG_BINDIR to its bin directory, or give --dsn URL to use a running server.",
      env.versions_root.string()));
}

std::string parse_postgres_version(const std::string& version_output) {
  // The first token after "(PostgreSQL)".
  constexpr std::string_view k_marker = "(PostgreSQL)";
  const auto marker = version_output.find(k_marker);
  const auto start = marker == std::string::npos
                         ? std::string::npos
                         : version_output.find_first_not_of(" \t", marker + k_marker.size());
  if (start == std::string::npos ||
      !std::isdigit(static_cast<unsigned char>(version_output[start]))) {
    throw RuntimeFailure(
        fmt::format("cannot read the server version from '{}'", version_output.substr(0, 200)));
  }
  const auto end = version_output.find_first_of(" \t\r\n(", start);
  return version_output.substr(start, end == std::string::npos ? end : end - start);
}

std::string server_version(const ServerBinaries& binaries) {
  const auto result = run_command({binaries.postgres().string(), "--version"}, std::nullopt,
                                  std::chrono::seconds(30));
  if (result.exit_code != 0) {
    throw RuntimeFailure(fmt::format("{} --version failed (exit {}): {}",
                                     binaries.postgres().string(), result.exit_code,
                                     result.output));
  }
  return parse_postgres_version(result.output);
}

}  // namespace poolbench::cluster
