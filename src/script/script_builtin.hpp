#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace poolbench::script {

// pgbench's built-in scripts (`pgbench -b tpcb-like`, `-b simple-update`, `-b select-only`),
// in the script language, for scenarios to reuse. The tables are pgbench's: accounts have
// 100000 * scale rows, tellers 10 * scale, branches scale.

/// TPC-B (sort of): update an account, read it back, update its teller and branch, log it.
inline constexpr std::string_view k_builtin_tpcb_like = R"(\set aid random(1, 100000 * :scale)
\set bid random(1, 1 * :scale)
\set tid random(1, 10 * :scale)
\set delta random(-5000, 5000)
BEGIN;
UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid;
SELECT abalance FROM pgbench_accounts WHERE aid = :aid;
UPDATE pgbench_tellers SET tbalance = tbalance + :delta WHERE tid = :tid;
UPDATE pgbench_branches SET bbalance = bbalance + :delta WHERE bid = :bid;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (:tid, :bid, :aid, :delta, CURRENT_TIMESTAMP);
END;
)";

/// `-N`: tpcb-like without the teller and branch updates (less contention).
inline constexpr std::string_view k_builtin_simple_update = R"(\set aid random(1, 100000 * :scale)
\set bid random(1, 1 * :scale)
\set tid random(1, 10 * :scale)
\set delta random(-5000, 5000)
BEGIN;
UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid;
SELECT abalance FROM pgbench_accounts WHERE aid = :aid;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (:tid, :bid, :aid, :delta, CURRENT_TIMESTAMP);
END;
)";

/// `-S`: one point read.
inline constexpr std::string_view k_builtin_select_only = R"(\set aid random(1, 100000 * :scale)
SELECT abalance FROM pgbench_accounts WHERE aid = :aid;
)";

/// One built-in script, by pgbench's `-b` name.
struct BuiltinScript {
  std::string_view name;         ///< pgbench's name: tpcb-like, simple-update, select-only
  std::string_view description;  ///< one line, for `poolbench scripts list`
  std::string_view text;
};

/// The built-in scripts, in pgbench's order.
std::span<const BuiltinScript> builtin_scripts() noexcept;

/// The built-in script `name` names: a full name or, as pgbench's `-b`, a prefix of exactly
/// one name. nullptr when none (or several) match.
const BuiltinScript* find_builtin(std::string_view name) noexcept;

/// What a scenario's `script:` value writes to name a built-in script: `builtin:NAME`.
inline constexpr std::string_view k_builtin_prefix = "builtin:";

/// The built-in script a `script:` value names (`builtin:NAME`, surrounding blanks
/// allowed), or nullopt when the value is a script. Throws InputError naming `where` and
/// the known names when NAME is unknown.
std::optional<std::string_view> builtin_script_text(std::string_view script,
                                                    const std::string& where);

}  // namespace poolbench::script
