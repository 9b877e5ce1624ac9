#pragma once

// analysis.plan_changes: the statements whose plan shape (cells[].plans, recorded by
// matrix/plans.hpp) differs between the profiles of one results document.

#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/cell_view.hpp"

namespace poolbench::analysis::detail {

/// One entry per statement (transaction and line) whose fingerprint is not the same in
/// every cell: {statement, transaction, line, profiles, fingerprints, shapes,
/// latency_p50_ms} with one element per profile, in the order the profiles first appear,
/// and varies_within: the profiles whose own cells recorded more than one plan (the data or
/// its statistics changed as the cells ran, e.g. autovacuum's ANALYZE after the first
/// cell's writes: such a difference is not the profile's doing).
/// A profile's plan is its first cell's with status ok (the plan is recorded before the
/// load, so an invalid cell's counts); its latency is the mean request p50 of its measured
/// cells whose mix runs the statement's transaction (null when none does). Cells without
/// plans take no part.
nlohmann::json plan_changes(const nlohmann::json& results, const std::vector<CellView>& cells);

}  // namespace poolbench::analysis::detail
