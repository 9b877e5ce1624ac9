#pragma once

// Internal to src/analysis/: groups of cells that differ only in pool settings, their
// verdicts, USL fits and seed-row verdicts (analyze.hpp documents the keys).

#include <climits>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/cell_models.hpp"
#include "analysis/cell_view.hpp"

namespace poolbench::analysis::detail {

/// One pool setting inside a group, with its ok cells (repetitions).
struct Setting {
  int pool_size = 0;
  int max_overflow = 0;
  double pool_timeout_s = 0;
  std::optional<int> total;
  std::vector<std::size_t> cells;  ///< indices into the analysed cells, ok cells only
  bool met = false;                ///< every ok cell met (and there is one)
  bool over_budget = false;        ///< the server refused connections (53300) in a cell

  long long total_key() const { return total ? *total : LLONG_MAX; }
  /// Smaller total first, then the smaller pool_size, then the shorter timeout.
  bool smaller_than(const Setting& other) const {
    return std::make_tuple(total_key(), pool_size, pool_timeout_s) <
           std::make_tuple(other.total_key(), other.pool_size, other.pool_timeout_s);
  }
};

struct Group {
  std::string key;
  nlohmann::json params;
  std::vector<std::size_t> cells;  ///< all cells, any status
  std::vector<Setting> settings;
};

/// Returns the `groups` array and sets "verdict", "met", "reasons" and "evidence_cell" in
/// cells_json[i] for cells[i] (same order, same size).
nlohmann::json judge_groups(const nlohmann::json& results, const std::vector<CellView>& cells,
                            const Slo& slo, const ServerCores& cores, nlohmann::json& cells_json);

/// The seeds' table rows that apply to `group` (seed_rows.cpp), each judged against its
/// settings: the traffic tier of the measured arrival rate, the environment rows the
/// scenario names (workload.environment) and the read- or write-heavy row by the mix.
nlohmann::json group_seed_rows(const nlohmann::json& results, const Group& group,
                               const Setting* smallest_met, const std::vector<CellView>& cells);

}  // namespace poolbench::analysis::detail
