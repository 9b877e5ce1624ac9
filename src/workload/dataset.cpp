#include "workload/dataset.hpp"

#include <fmt/format.h>

#include "pg/errors.hpp"
#include "util/error.hpp"

namespace poolbench::workload {
namespace {

using Clock = std::chrono::steady_clock;

std::chrono::milliseconds since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

/// The scale of the pgbench tables there now: 0 when they are missing or incomplete.
long existing_scale(pg::Session& session) {
  const pg::Rows tables = session.query(
      "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND "
      "tablename IN ('pgbench_accounts', 'pgbench_branches', 'pgbench_tellers', "
      "'pgbench_history')");
  if (tables.rows.empty() || tables.rows[0][0].value_or("0") != "4") return 0;
  const pg::Rows branches = session.query("SELECT count(*) FROM pgbench_branches");
  return std::stol(branches.rows.at(0).at(0).value_or("0"));
}

}  // namespace

DatasetReport prepare_pgbench_dataset(pg::Session& session, int scale, Reinit reinit) {
  const long found = existing_scale(session);
  DatasetReport report;
  if (found == scale) {
    report.reused = true;
    report.summary = fmt::format("pgbench tables at scale {} found: reused", scale);
    return report;
  }
  if (found != 0 && reinit == Reinit::refuse) {
    throw InputError(fmt::format(
        "dataset.scale: the server has pgbench tables at scale {}, the scenario wants {}; "
        "poolbench does not drop existing tables unless asked: rerun with --reinit, or "
        "--set dataset.scale={}",
        found, scale, found));
  }
  const auto start = Clock::now();
  // pgbench_accounts.aid overflows int past scale 20000, as pgbench knows.
  const char* aid_type = scale > 20000 ? "bigint" : "int";
  session.exec("SET client_min_messages = warning");  // no NOTICE for DROP ... IF EXISTS
  session.exec(
      "DROP TABLE IF EXISTS pgbench_accounts, pgbench_branches, pgbench_history, "
      "pgbench_tellers");
  session.exec(fmt::format(
      "CREATE TABLE pgbench_history (tid int, bid int, aid {0}, delta int, mtime timestamp, "
      "filler char(22));"
      "CREATE TABLE pgbench_tellers (tid int NOT NULL, bid int, tbalance int, filler char(84)) "
      "WITH (fillfactor = 100);"
      "CREATE TABLE pgbench_accounts (aid {0} NOT NULL, bid int, abalance int, filler "
      "char(84)) WITH (fillfactor = 100);"
      "CREATE TABLE pgbench_branches (bid int NOT NULL, bbalance int, filler char(88)) WITH "
      "(fillfactor = 100);",
      aid_type));
  // Server-side generation, as pgbench -I G: nothing crosses the wire but the statements.
  session.exec(fmt::format(
      "INSERT INTO pgbench_branches (bid, bbalance) SELECT bid, 0 FROM generate_series(1, {0}) "
      "AS bid;"
      "INSERT INTO pgbench_tellers (tid, bid, tbalance) SELECT tid, (tid - 1) / 10 + 1, 0 FROM "
      "generate_series(1, {0} * 10) AS tid;"
      "INSERT INTO pgbench_accounts (aid, bid, abalance, filler) SELECT aid, (aid - 1) / "
      "100000 + 1, 0, '' FROM generate_series(1, {0}::bigint * 100000) AS aid;",
      scale));
  session.exec(
      "VACUUM ANALYZE pgbench_branches, pgbench_tellers, pgbench_accounts, "
      "pgbench_history");
  session.exec(
      "ALTER TABLE pgbench_branches ADD PRIMARY KEY (bid);"
      "ALTER TABLE pgbench_tellers ADD PRIMARY KEY (tid);"
      "ALTER TABLE pgbench_accounts ADD PRIMARY KEY (aid);");
  report.took = since(start);
  report.summary = fmt::format("pgbench tables created at scale {} ({} accounts) in {:.1f} s",
                               scale, static_cast<long long>(scale) * 100000,
                               static_cast<double>(report.took.count()) / 1000.0);
  return report;
}

DatasetReport run_setup_sql(pg::Session& session, const std::string& sql,
                            const std::string& where) {
  const auto start = Clock::now();
  try {
    session.exec(sql);
  } catch (const pg::PgError& e) {
    const std::string sqlstate = e.sqlstate().empty() ? "none" : e.sqlstate();
    if (pg::classify_sqlstate(e.sqlstate()) == pg::ErrorKind::statement) {
      throw InputError(
          fmt::format("{}: dataset.setup: the server rejected the setup SQL (SQLSTATE {}): {}\n"
                      "Fix the SQL in the scenario file; nothing was measured or written.",
                      where, sqlstate, e.what()));
    }
    throw RuntimeFailure(fmt::format("{}: dataset.setup: the setup SQL failed (SQLSTATE {}): {}",
                                     where, sqlstate, e.what()));
  }
  DatasetReport report;
  report.took = since(start);
  report.summary = fmt::format("dataset.setup ran in {:.1f} s",
                               static_cast<double>(report.took.count()) / 1000.0);
  return report;
}

}  // namespace poolbench::workload
