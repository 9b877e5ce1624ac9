#pragma once

// cells[].plans: the server's plan for each of the scenario's statements, under the cell's
// profile, recorded before the load starts. Plans are compared across profiles by their
// shape (node types, join order, relations and indexes), never by their costs: a profile
// that changes random_page_cost changes every cost, and only some shapes.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pg/session.hpp"
#include "workload/generator.hpp"

namespace poolbench::matrix {

/// One line naming a plan's shape, depth first: `Node Type` (with its join type, strategy,
/// index and relation names), children in parentheses in the plan's order, e.g.
/// "Nested Loop Inner(Seq Scan on pgbench_branches, Index Scan using pgbench_accounts_pkey
/// on pgbench_accounts)". `plan`: the "Plan" object of EXPLAIN (FORMAT JSON).
std::string plan_shape(const nlohmann::json& plan);

/// A short stable name of a shape: 16 hex digits of its FNV-1a 64-bit hash.
std::string plan_fingerprint(const std::string& shape);

/// The scenario statements a plan can be recorded for: SELECT, INSERT, UPDATE, DELETE,
/// WITH, VALUES, TABLE and MERGE (not BEGIN, COMMIT, SET, ... and not `\;` compounds).
bool explainable(const std::string& sql);

/// EXPLAIN (FORMAT JSON) of every explainable statement of `transactions`, each with the
/// parameters one client (client 0 of `random_seed`) would send on its first run of the
/// script: its `\set` and `\if` commands evaluated in order, `\sleep` skipped. Entries:
/// {transaction, line, statement (as written), parameters, fingerprint, shape,
/// total_cost, plan}; a statement that cannot be explained (a variable only `\gset` sets,
/// a NULL parameter, a server error) keeps its entry with null plan keys and a `reason`.
/// Never throws for a statement's failure; throws pg::PgError when `session` is lost.
nlohmann::json capture_plans(pg::Session& session,
                             const std::vector<workload::CompiledTransaction>& transactions,
                             std::uint64_t random_seed, std::int64_t scale);

/// How many of a trace's requests capture_replay_plans() reads looking for each statement's
/// first parameters.
inline constexpr std::int64_t k_replay_plan_requests = 100000;

/// The same entries for a replay (workload.mode: replay): every explainable statement of the
/// trace's dictionary that a request runs, with the parameters of the first request that
/// runs it (among the first k_replay_plan_requests; beyond them, a reason); `transaction` is
/// "replay" and `line` the statement's 1-based position in the dictionary. Throws InputError for a
/// bad trace, pg::PgError when `session` is lost.
nlohmann::json capture_replay_plans(pg::Session& session, const std::filesystem::path& trace);

}  // namespace poolbench::matrix
