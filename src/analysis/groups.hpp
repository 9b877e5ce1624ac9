#pragma once

// Internal to src/analysis/: groups of cells that differ only in pool settings, their
// verdicts, USL fits and seed-row verdicts (analyze.hpp documents the keys).

#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/cell_view.hpp"

namespace poolbench::analysis::detail {

/// Returns the `groups` array and sets "verdict", "met", "reasons" and "evidence_cell" in
/// cells_json[i] for cells[i] (same order, same size).
nlohmann::json judge_groups(const std::vector<CellView>& cells, const Slo& slo, int cores,
                            nlohmann::json& cells_json);

}  // namespace poolbench::analysis::detail
