#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "scenario/scenario.hpp"

// Matrix expansion: a resolved scenario's `matrix:` axes (plus --matrix and --set overrides)
// into the list of cells `poolbench matrix` runs. Pure functions, no I/O.

namespace poolbench::matrix {

enum class CellOrder {
  product,  ///< the cartesian product in axis order (last axis fastest), grouped by profile
  random,   ///< shuffled with a seed (reproducible), still grouped by profile
};

/// Parses "product" / "random"; anything else is an InputError naming --order.
CellOrder parse_cell_order(const std::string& text);

struct ExpandOptions {
  /// "key=[a,b,c]" or "key=a,b,c" (from --matrix): replaces the axis of that key, or adds one.
  std::vector<std::string> axis_overrides;
  CellOrder order = CellOrder::product;
  std::uint64_t seed = 1;  ///< for CellOrder::random
};

/// One cell: a point of the product and a repetition, with its own resolved scenario.
struct Cell {
  int index = 0;  ///< position in the run order, 0-based
  /// Stable identity across runs (for --resume): "pool.pool_size=5,server.profile=ssd#0".
  std::string id;
  std::vector<std::pair<std::string, std::string>> params;  ///< axis key path -> value
  int repetition = 0;
  scenario::Scenario scenario;  ///< the base scenario with this cell's values set
};

/// The axes after overrides: --matrix replaces or adds axes (values validated like
/// --set); an axis whose key was given with --set is dropped (--set fixes the key).
/// Throws InputError naming the flag and key.
std::vector<scenario::MatrixAxis> effective_axes(const scenario::Scenario& base,
                                                 const std::vector<std::string>& overrides);

/// Expands `base` into its cells: every combination of the effective axes times
/// `base.repetitions`, each repetition of a point adjacent in product order. Cells are
/// grouped by server.profile (first-appearance order) so an embedded server restarts only
/// when the profile changes. A scenario without axes gives `repetitions` cells.
std::vector<Cell> expand_matrix(const scenario::Scenario& base, const ExpandOptions& options);

/// "pool_size=5 max_overflow=0 profile=ssd" (last key path segment, values), for progress lines.
std::string describe_params(const std::vector<std::pair<std::string, std::string>>& params);

}  // namespace poolbench::matrix
