#pragma once

// What the analysis tests share: one cell of an analysis document.

#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace poolbench::analysis {

/// The cell of `analysis["cells"]` whose "id" is `id`; throws std::runtime_error if none.
inline const nlohmann::json& cell_by_id(const nlohmann::json& analysis, const std::string& id) {
  for (const auto& c : analysis["cells"]) {
    if (c["id"] == id) return c;
  }
  throw std::runtime_error("no cell " + id);
}

}  // namespace poolbench::analysis
