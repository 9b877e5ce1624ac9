#pragma once

// The top-level results.json document (schemas/results.schema.json): its one schema version,
// and the keys every run writes, built in one place for run, matrix and plan --validate.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "scenario/scenario.hpp"

namespace poolbench::results {

/// The one results.json schema this version writes and reads.
inline constexpr const char* k_schema = "poolbench.results/1";

/// Where and how a run ran: the top-level keys of its results.json besides the scenario.
struct RunIdentity {
  std::string masked_dsn;  ///< "dsn": the server's URL as the console shows it ("embedded")
  nlohmann::json server;   ///< "server": what the server reported
  std::string run_id;
  std::uint64_t seed = 0;
};

/// The document of `poolbench run` and `poolbench matrix`: schema, dsn, tool, host, server,
/// scenario, run_id and seed. The caller adds "cells" (and "matrix", "shard", "analysis").
nlohmann::json run_document(const scenario::Scenario& scenario, const RunIdentity& run);

/// The smallest document the analysis reads: schema, host, scenario and `cells` (plan
/// --validate analyses its one cell without writing a file).
nlohmann::json analysis_document(const scenario::Scenario& scenario, nlohmann::json cells);

/// The "tool" object: name, version, git commit, build type, and build_warning when there
/// is one.
nlohmann::json tool_json();

/// Why what a build measures is slower than what a release build would (as google/benchmark
/// warns of a debug library): no optimization (`build_type` Debug or unspecified) or
/// sanitizers (`sanitizers`, -fsanitize's list). nullopt for an optimized build without
/// sanitizers (Release, RelWithDebInfo, MinSizeRel).
std::optional<std::string> build_warning(std::string_view build_type, std::string_view sanitizers);
/// build_warning() of this binary: printed on stderr before a run measures anything, and
/// recorded in results.json as tool.build_warning.
std::optional<std::string> build_warning();
/// The "host" object: hostname, cores, memory, kernel.
nlohmann::json host_json();

}  // namespace poolbench::results
