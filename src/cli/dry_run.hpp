#pragma once

#include <ostream>

#include "matrix/servers.hpp"
#include "scenario/scenario.hpp"

namespace poolbench::cli {

/// `poolbench run --dry-run` (docs/capture.md, "Dry run"): on one connection to `server`,
/// PREPAREs (a protocol-level Parse, as the generator does) every distinct statement the
/// scenario would send, the trace's dictionary for a replay or the scripts' SQL, measures
/// nothing and writes no file. Prints how many there are and each one that would fail, with
/// its SQLSTATE and the server's message, on `out`. Returns the exit status: 0 when every
/// statement prepares, 1 when some would fail. Throws RuntimeFailure when it cannot
/// connect.
int dry_run(const scenario::Scenario& scenario, const matrix::ServerTarget& server,
            std::ostream& out);

}  // namespace poolbench::cli
