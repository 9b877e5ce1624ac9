// Reading and writing results.json: the checks every reader relies on, and the one way it
// is written (two-space indented, a final newline, atomically).

#include "results/file.hpp"

#include <array>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "results/document.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"

namespace poolbench::results {

namespace fs = std::filesystem;

namespace {

/// Whether a cell must have a key.
enum class Presence { required, optional };

}  // namespace

void check_results(const nlohmann::json& results, const std::string& source) {
  if (!results.is_object()) throw InputError(fmt::format("{}: expected a JSON object", source));
  const auto schema = results.find("schema");
  if (schema == results.end() || !schema->is_string() || *schema != k_schema) {
    throw InputError(fmt::format("{}: schema is {}, expected \"{}\" (a poolbench results.json)",
                                 source, schema == results.end() ? "missing" : schema->dump(),
                                 k_schema));
  }
  const auto cells = results.find("cells");
  if (cells == results.end() || !cells->is_array()) {
    throw InputError(fmt::format("{}: \"cells\" must be an array", source));
  }
  // The shape the report reads (schemas/results.schema.json): a failed cell may lack its
  // summary, but what is there has the right types, or the report would show blanks.
  static constexpr std::array<const char*, 8> k_counters = {
      "duration_s", "requests", "completed",      "timeouts",
      "errors",     "dropped",  "throughput_rps", "timeout_rate"};
  for (std::size_t i = 0; i < cells->size(); ++i) {
    const nlohmann::json& cell = (*cells)[i];
    if (!cell.is_object()) {
      throw InputError(fmt::format("{}: cells[{}] must be an object", source, i));
    }
    const auto expect_object = [&](const char* key, Presence presence) {
      const auto it = cell.find(key);
      if (it == cell.end() && presence == Presence::optional) return;
      if (it != cell.end() && it->is_object()) return;
      throw InputError(fmt::format("{}: cells[{}].{}: expected an object, got {}", source, i, key,
                                   it == cell.end() ? "nothing" : it->type_name()));
    };
    expect_object("params", Presence::required);
    expect_object("summary", Presence::optional);
    const auto summary = cell.find("summary");
    if (summary == cell.end()) continue;
    for (const char* key : k_counters) {
      const auto it = summary->find(key);
      if (it != summary->end() && !it->is_number()) {
        throw InputError(fmt::format("{}: cells[{}].summary.{}: expected a number, got {}", source,
                                     i, key, it->type_name()));
      }
    }
  }
}

nlohmann::json load_results(const fs::path& file_or_dir, fs::path* resolved) {
  fs::path file = file_or_dir;
  if (fs::is_directory(file)) file /= "results.json";
  if (resolved != nullptr) *resolved = file;
  std::ifstream in(file, std::ios::binary);
  if (!fs::is_regular_file(file) || !in) {
    throw InputError(fmt::format("{}: no such results file", file.string()));
  }
  nlohmann::json results;
  try {
    results = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    // nlohmann's "; last read: '...'" may quote kilobytes of a histogram: the position is enough.
    std::string what = e.what();
    what = what.substr(0, what.find("; last read:"));
    throw InputError(fmt::format("{}: not JSON: {}", file.string(), what));
  }
  check_results(results, file.string());
  return results;
}

std::optional<nlohmann::json> read_results(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  try {
    return nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::parse_error& e) {
    // nlohmann's "; last read: '...'" may quote kilobytes of a histogram: the position is enough.
    std::string what = e.what();
    what = what.substr(0, what.find("; last read:"));
    throw InputError(fmt::format("{}: not a results file (invalid JSON: {})", file.string(), what));
  }
}

void write_results(const fs::path& file, const nlohmann::json& results) {
  util::write_file_atomically(file, results.dump(2) + "\n");
}

}  // namespace poolbench::results
