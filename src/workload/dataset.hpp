#pragma once

#include <chrono>
#include <string>

#include "pg/session.hpp"

namespace poolbench::workload {

/// What prepare_dataset() did.
struct DatasetReport {
  bool reused = false;                ///< the tables were there at the right scale
  std::chrono::milliseconds took{0};  ///< time spent creating (0 when reused)
  std::string summary;                ///< one line for the console
};

/// Whether pgbench tables of another scale may be dropped and regenerated: on an embedded
/// server, or with --reinit.
enum class Reinit { refuse, allow };

/// Makes sure the pgbench tables exist at `scale` (pgbench_accounts: 100000 * scale rows),
/// generated server-side as `pgbench -i -I dtGvp` does. Tables already there are detected
/// (pgbench_branches count == scale) and reused. Tables at another scale are dropped and
/// regenerated only with Reinit::allow; otherwise an InputError says so: poolbench never
/// drops a user's tables unless asked.
DatasetReport prepare_pgbench_dataset(pg::Session& session, int scale, Reinit reinit);

/// Runs a scenario's own `dataset.setup` SQL (simple protocol, may hold several statements;
/// without explicit BEGIN/COMMIT they run as one transaction). `where` names the key's place
/// in the scenario ("file.yaml:4") for messages. A statement the server rejects (syntax,
/// missing object, constraint, permission: anything that is not a lost connection or a
/// transient conflict) is the scenario's fault: InputError (exit 2), nothing is measured
/// or written. A lost connection or a serialization failure / deadlock is a RuntimeFailure
/// (exit 3). Either message names `where`, `dataset.setup` and the server's SQLSTATE.
DatasetReport run_setup_sql(pg::Session& session, const std::string& sql, const std::string& where);

}  // namespace poolbench::workload
