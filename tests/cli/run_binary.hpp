#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace poolbench::testing {

struct ProcessResult {
  int exit_code = -1;  ///< exit status, or 128 + signal number when killed by a signal
  std::string out;
  std::string err;
};

/// Runs `binary args...` with stdin from /dev/null, extra environment variables added to (or,
/// with an empty value, removed from) the current environment, in `cwd` when not empty, and
/// waits for it. Stdout and stderr are captured separately.
ProcessResult run_process(const std::string& binary, const std::vector<std::string>& args,
                          const std::map<std::string, std::string>& env = {},
                          const std::string& cwd = {});

/// The whole file (empty when it cannot be read).
std::string read_file(const std::filesystem::path& path);

/// Validates a results.json against the repository's schemas/results.schema.json with
/// Debian's python3-jsonschema (/usr/bin/python3). exit_code 0 when valid; `err` holds the
/// validation error otherwise.
ProcessResult validate_results_schema(const std::filesystem::path& results_json);

/// The same check for one part of a results.json, against the schema's definition of that
/// part: `definition` is its path under the schema's definitions ("cell" validates one
/// element of cells[], "cell/properties/server_stats" a cell's server_stats); empty: the
/// whole document, as validate_results_schema().
ProcessResult validate_results_schema_part(const std::filesystem::path& part_json,
                                           const std::string& definition);

}  // namespace poolbench::testing
