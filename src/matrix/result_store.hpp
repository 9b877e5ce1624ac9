#pragma once

#include <filesystem>
#include <optional>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "scenario/scenario.hpp"

// The results file of a matrix: results.json with every finished cell, rewritten atomically
// after each cell, so a crash or SIGKILL loses at most the cell that was running, and
// --resume knows which cells are done.

namespace poolbench::matrix {

/// A stable fingerprint of a resolved scenario (its JSON without the file path): resume
/// refuses results written for another scenario. Hex text.
std::string scenario_hash(const scenario::Scenario& scenario);

/// Throws InputError naming `file` unless `previous` (a results.json already read) can be
/// resumed by a matrix whose resolved scenario has `scenario_hash_now`: the results of a
/// matrix, written by this tool version, for the same resolved scenario. Nothing is needed
/// but the files: callers check before anything starts.
void check_resumable(const nlohmann::json& previous, const std::filesystem::path& file,
                     const std::string& scenario_hash_now);

class ResultStore {
 public:
  /// `document` holds every top-level key but "cells" (schema, tool, scenario, matrix, ...).
  ResultStore(std::filesystem::path file, nlohmann::json document);

  /// Takes the cells of an earlier run of the same matrix from `previous` (a results.json
  /// already read): cells with status "ok" or "failed" count as done, "interrupted" ones
  /// run again. Throws InputError naming the file and the reason when it was written by
  /// another tool version or for another resolved scenario (hash), or is not a matrix
  /// results file.
  void resume_from(const nlohmann::json& previous);

  /// True when the cell with this id finished in an earlier run (resume).
  bool done(const std::string& cell_id) const { return m_done.count(cell_id) > 0; }
  std::size_t done_count() const noexcept { return m_done.size(); }

  /// The stored cell with this id, or nullptr.
  const nlohmann::json* find(const std::string& cell_id) const;

  /// Adds or replaces (same "id") a cell and rewrites the file atomically.
  void put(const nlohmann::json& cell);
  /// Sets a top-level key (e.g. "analysis") and rewrites the file.
  void set_field(const std::string& key, const nlohmann::json& value);
  /// Sets a top-level key of matrix (e.g. "complete") and rewrites the file.
  void set_matrix_field(const std::string& key, const nlohmann::json& value);

  const nlohmann::json& document() const noexcept { return m_document; }
  const std::filesystem::path& file() const noexcept { return m_file; }

 private:
  void write() const;

  std::filesystem::path m_file;
  nlohmann::json m_document;
  std::set<std::string> m_done;
};

}  // namespace poolbench::matrix
