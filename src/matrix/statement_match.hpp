#pragma once

// Which script statement a pg_stat_statements entry is:
// cells[].server_stats.statements[] gain the `transaction` and `line` of the
// scenario statement whose text they normalize to. pg_stat_statements replaces
// each constant with $1..$n; a script has :variables (sent as $n under the
// extended and prepared protocols, as quoted literals under the simple one) and
// constants of its own. Both texts are cut into tokens where every constant, $n
// parameter and :variable is one placeholder, so the same statement gives the
// same tokens whichever protocol sent it.

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "workload/generator.hpp"

namespace poolbench::matrix {

/// The placeholder token every constant, parameter and variable becomes.
inline constexpr std::string_view k_placeholder = "?";

/// The tokens of one SQL text, case- and whitespace-insensitive: unquoted words
/// lowercased, quoted identifiers kept, comments and `\` (psql's `\;`) dropped,
/// punctuation one character a token except `::`; numbers, strings ('...',
/// E'...', $tag$...$tag$), TRUE, FALSE, NULL, $n and :var / :'var' / :"var"
/// each k_placeholder, a `-` just before one dropped (the server folds a
/// negative constant's sign into it). `;` separates statements and is kept.
std::vector<std::string> sql_tokens(std::string_view sql);

/// Whether pg_stat_statements' normalized `query` is the statement `script_sql`
/// (one statement, as written or with $n for its variables). `truncated`:
/// `query` was cut after its first characters, so its last token may be
/// partial: the rest must be a prefix.
bool same_statement(std::string_view query, std::string_view script_sql, bool truncated = false);

/// Adds "transaction" and "line" to each entry of `statements`
/// (server_stats.statements): the first statement of `transactions` (a compound
/// one's parts each) whose text its "query" matches, null when none does.
/// `query_chars`: how many characters of a query were kept (a longer
/// statement's text was cut there).
void match_statements(nlohmann::json& statements,
                      const std::vector<workload::CompiledTransaction>& transactions,
                      std::size_t query_chars);

}  // namespace poolbench::matrix
