#pragma once

// Reading and writing results.json.

#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace poolbench::results {

/// Checks what every reader relies on (an object, `schema` == k_schema, `cells` an array
/// of objects with a `params` object, and a `summary` whose counters are numbers). Throws
/// InputError naming `source` and the first key that is wrong.
void check_results(const nlohmann::json& results, const std::string& source);

/// Reads a results.json (or DIR/results.json) and checks it (check_results). Throws
/// InputError naming the file when it is missing, unreadable, not JSON or not a poolbench
/// results document. `resolved`, when given, gets the file read.
nlohmann::json load_results(const std::filesystem::path& file_or_dir,
                            std::filesystem::path* resolved = nullptr);

/// Reads a results.json written earlier (a matrix's, to resume it), or nullopt when there is
/// none. A file that is not JSON is an InputError naming it; the caller checks the rest.
std::optional<nlohmann::json> read_results(const std::filesystem::path& file);

/// Writes `results` to `file` atomically (a crash leaves the old file or the new one),
/// indented by two spaces, with a final newline.
void write_results(const std::filesystem::path& file, const nlohmann::json& results);

}  // namespace poolbench::results
