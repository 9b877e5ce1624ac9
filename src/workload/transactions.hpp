#pragma once

#include <vector>

#include "scenario/scenario.hpp"
#include "workload/generator.hpp"

// A scenario's transactions as the generator runs them: each script parsed once.

namespace poolbench::workload {

/// The scenario's transactions parsed as pgbench scripts. Throws InputError naming the
/// scenario file, transaction and line.
std::vector<CompiledTransaction> compile_transactions(const scenario::Scenario& scenario);

}  // namespace poolbench::workload
