#pragma once

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

}  // namespace poolbench::script
