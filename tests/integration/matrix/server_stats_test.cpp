// cells[].server_stats of a real cell on the embedded server: a fixed workload of N inserts
// gives tup_inserted = N (the run's backends report their last counters as they exit, before
// the end reading), WAL bytes and a cache hit ratio; without /proc, without the server's
// processes in it, or for a server said to be remote, the server's OS keys are null with
// reasons and the statistics views stay; server.stats: false records none of it.

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/run_binary.hpp"
#include "integration/pg/pg_fixture.hpp"
#include "matrix/cell_runner.hpp"
#include "matrix/server_stats_collector.hpp"
#include "pg/dsn.hpp"
#include "scenario/scenario.hpp"

namespace poolbench::matrix {
namespace {

using pg::testing::PgClusterTest;

constexpr int k_clients = 2;
constexpr int k_per_client = 150;
constexpr int k_inserts = k_clients * k_per_client;

class ServerStatsOverPg : public PgClusterTest {
 protected:
  static ServerTarget embedded() {
    ServerTarget server;
    server.target = target();
    server.masked = "embedded";
    server.embedded = true;
    return server;
  }

  /// A fresh table (no autovacuum: nothing but the cell touches it inside the window), made
  /// by a session that has exited, so its own counters are reported before the cell starts.
  static void make_table(const std::string& name) {
    int pid = 0;
    {
      auto session = pg::Session::connect(server().conninfo());
      session.query("DROP TABLE IF EXISTS " + name);
      session.query("CREATE TABLE " + name + " (v int) WITH (autovacuum_enabled = off)");
      pid = std::stoi(session.query("SELECT pg_backend_pid()").rows.at(0).at(0).value_or("0"));
    }
    ASSERT_TRUE(eventually([pid] {
      return monitor()
                 .query("SELECT count(*) FROM pg_stat_activity WHERE pid = $1",
                        {std::to_string(pid)})
                 .rows.at(0)
                 .at(0) == "0";
    }));
  }

  static scenario::Scenario inserts(const std::string& table, const std::string& extra = {}) {
    return scenario::parse_scenario(
        "name: inserts\n"
        "workload: { mode: closed, clients: " +
            std::to_string(k_clients) + ", transactions: " + std::to_string(k_per_client) + " }\n" +
            extra +
            "transactions:\n"
            "  - name: insert\n"
            "    script: |\n"
            "      INSERT INTO " +
            table + " (v) VALUES (1);\n",
        "inserts.yaml");
  }

  static CellOptions cell_options() {
    CellOptions options;
    options.run_id = run_id();
    return options;
  }

  /// `part` is valid under the results schema's definition `definition` ("cell", ...).
  static void expect_valid(const nlohmann::json& part, const std::string& definition) {
    const auto file = std::filesystem::temp_directory_path() /
                      ("poolbench-part-" + std::to_string(::getpid()) + ".json");
    std::ofstream(file) << part.dump();
    const auto checked = poolbench::testing::validate_results_schema_part(file, definition);
    std::filesystem::remove(file);
    EXPECT_EQ(checked.exit_code, 0) << checked.err;
  }
};

TEST_F(ServerStatsOverPg, AFixedWorkloadOfNInsertsCountsNTuplesInsertedWalAndACacheHitRatio) {
  make_table("stats_inserts");
  const CellOutcome outcome = run_cell(inserts("stats_inserts"), embedded(), cell_options());
  const auto& cell = outcome.cell;
  ASSERT_EQ(cell["summary"]["completed"], k_inserts);
  ASSERT_TRUE(cell.contains("server_stats")) << cell.dump(2);
  const auto& stats = cell["server_stats"];
  ASSERT_TRUE(stats["database"].is_object()) << stats["missing"].dump();
  EXPECT_EQ(stats["database"]["tup_inserted"].get<double>(), k_inserts);
  EXPECT_GE(stats["database"]["xact_commit"].get<double>(), k_inserts);
  ASSERT_TRUE(stats["wal"].is_object()) << stats["missing"].dump();
  EXPECT_GT(stats["wal"]["wal_bytes"].get<double>(), 0);
  EXPECT_GT(stats["tables"]["heap_blks_hit"].get<double>() +
                stats["tables"]["heap_blks_read"].get<double>(),
            0);
  ASSERT_TRUE(stats["statements"].is_array()) << stats["missing"].dump();
  bool found = false;
  for (const auto& statement : stats["statements"]) {
    if (statement["query"].get<std::string>().find("stats_inserts") == std::string::npos) continue;
    found = true;
    EXPECT_EQ(statement["calls"].get<double>(), k_inserts);
    EXPECT_GT(statement["wal_bytes"].get<double>(), 0);
  }
  EXPECT_TRUE(found) << stats["statements"].dump(2);
  const auto& summary = cell["summary"];
  ASSERT_TRUE(summary["cache_hit_ratio"].is_number());
  EXPECT_GE(summary["cache_hit_ratio"].get<double>(), 0.0);
  EXPECT_LE(summary["cache_hit_ratio"].get<double>(), 1.0);
  EXPECT_GT(summary["wal_bytes_per_transaction"].get<double>(), 0);
  EXPECT_GE(summary["checkpoints"].get<double>(), 0);
  EXPECT_GE(summary["server_statements"]["calls"].get<double>(), k_inserts);
  // The embedded server runs on this machine: its processes' CPU is read from /proc.
  ASSERT_TRUE(stats["os"]["server_cpu_s"].is_number()) << stats["missing"].dump();
  // /proc counts CPU in clock ticks (10 ms): this run's few hundred inserts may cost the
  // server less than one, and poolbench too. Never negative.
  EXPECT_GE(stats["os"]["server_cpu_s"].get<double>(), 0);
  EXPECT_GE(stats["os"]["poolbench_cpu_s"].get<double>(), 0);
  EXPECT_GT(stats["os"]["peak_server_rss_bytes"].get<double>(), 0);
  EXPECT_TRUE(stats["os"]["disk"].is_object() || stats["missing"].contains("os.disk"));
  // Every null key says why.
  for (const auto& [key, value] : stats.items()) {
    if (value.is_null()) {
      EXPECT_TRUE(stats["missing"].contains(key)) << key;
    }
  }
}

TEST_F(ServerStatsOverPg, WithoutProcTheOsKeysAreNullWithReasonsAndTheServerKeysStay) {
  make_table("stats_no_proc");
  CellOptions options = cell_options();
  options.proc_root = "/nonexistent/proc";
  const CellOutcome outcome = run_cell(inserts("stats_no_proc"), embedded(), options);
  const auto& stats = outcome.cell["server_stats"];
  EXPECT_EQ(stats["database"]["tup_inserted"].get<double>(), k_inserts);
  for (const char* key : {"server_cpu_s", "poolbench_cpu_s", "disk", "peak_server_rss_bytes"}) {
    EXPECT_TRUE(stats["os"][key].is_null()) << key;
    const std::string path = std::string("os.") + key;
    ASSERT_TRUE(stats["missing"].contains(path)) << path;
    EXPECT_NE(stats["missing"][path].get<std::string>().find("/nonexistent/proc"),
              std::string::npos)
        << stats["missing"][path];
  }
  EXPECT_TRUE(outcome.cell["summary"]["server_cpu_ms_per_request"].is_null());
  EXPECT_TRUE(outcome.cell["summary"]["cache_hit_ratio"].is_number());
}

/// What a server without /proc access must still give: the statistics views, with the N
/// inserts of the window; and what it must not: the server's OS figures, each with a reason.
void expect_views_without_server_os(const nlohmann::json& stats, int inserts,
                                    const std::string& reason_part) {
  ASSERT_TRUE(stats["database"].is_object()) << stats["missing"].dump();
  EXPECT_EQ(stats["database"]["tup_inserted"].get<double>(), inserts);
  EXPECT_TRUE(stats["wal"].is_object()) << stats["missing"].dump();
  EXPECT_TRUE(stats["bgwriter"].is_object()) << stats["missing"].dump();
  ASSERT_TRUE(stats["statements"].is_array()) << stats["missing"].dump();
  EXPECT_FALSE(stats["statements"].empty());
  for (const char* key : {"server_cpu_s", "disk", "peak_server_rss_bytes"}) {
    EXPECT_TRUE(stats["os"][key].is_null()) << key;
    const std::string path = std::string("os.") + key;
    ASSERT_TRUE(stats["missing"].contains(path)) << path;
    EXPECT_NE(stats["missing"][path].get<std::string>().find(reason_part), std::string::npos)
        << stats["missing"][path];
  }
  // poolbench's own CPU is this machine's, wherever the server runs.
  ASSERT_TRUE(stats["os"]["poolbench_cpu_s"].is_number()) << stats["missing"].dump();
  EXPECT_GE(stats["os"]["poolbench_cpu_s"].get<double>(), 0);
  for (const char* key :
       {"database", "wal", "bgwriter", "tables", "statements", "os.poolbench_cpu_s"})
    EXPECT_FALSE(stats["missing"].contains(key)) << key;
}

TEST_F(ServerStatsOverPg, ARemoteServerGivesItsViewsAndNullOsFiguresSayingItIsRemote) {
  // Loopback only here: the collector reads the embedded server but is told it is remote,
  // as it is for a --dsn whose host is another machine.
  make_table("stats_remote");
  const std::string remote =
      remote_reason(pg::parse_dsn("postgresql://u@db.example.com/db", "test").target, false);
  ASSERT_NE(remote, "");
  ServerStatsCollector collector(
      {.enabled = true, .application_name = "poolbench/" + run_id(), .remote_reason = remote});
  auto monitoring = pg::Session::connect(server().conninfo());
  collector.start(&monitoring);
  int pid = 0;
  {
    auto load = pg::Session::connect(server().conninfo());
    for (int i = 0; i < k_inserts; ++i) load.query("INSERT INTO stats_remote (v) VALUES (1)");
    pid = std::stoi(load.query("SELECT pg_backend_pid()").rows.at(0).at(0).value_or("0"));
  }
  // Its counters are reported as its backend exits.
  ASSERT_TRUE(eventually([pid] {
    return monitor()
               .query("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", {std::to_string(pid)})
               .rows.at(0)
               .at(0) == "0";
  }));
  collector.sample(monitoring);
  collector.finish(&monitoring);
  const nlohmann::json stats = collector.server_stats();
  expect_views_without_server_os(stats, k_inserts, "db.example.com");
  EXPECT_EQ(stats["missing"]["os.server_cpu_s"], remote);
  expect_valid(stats, "cell/properties/server_stats");  // its nulls are the schema's
}

TEST_F(ServerStatsOverPg, AProcWithoutTheServersProcessesGivesNullOsFiguresWithReasons) {
  // A /proc that shows poolbench but none of the server's processes: a server in another
  // PID namespace (a container) on this machine.
  const std::filesystem::path root =
      std::filesystem::temp_directory_path() / ("poolbench-proc-" + std::to_string(::getpid()));
  std::filesystem::remove_all(root);
  std::filesystem::create_directories(root);
  std::filesystem::create_directory_symlink("/proc/self", root / "self");
  make_table("stats_hidden");
  CellOptions options = cell_options();
  options.proc_root = root;
  const CellOutcome outcome = run_cell(inserts("stats_hidden"), embedded(), options);
  std::filesystem::remove_all(root);
  const auto& stats = outcome.cell["server_stats"];
  expect_views_without_server_os(stats, k_inserts, root.string());
  EXPECT_TRUE(outcome.cell["summary"]["server_cpu_ms_per_request"].is_null());
  EXPECT_TRUE(outcome.cell["summary"]["client_cpu_ms_per_request"].is_number());
}

TEST_F(ServerStatsOverPg, ServerStatsOffRecordsNoneButKeepsTheStatementsSummary) {
  make_table("stats_off");
  const CellOutcome outcome =
      run_cell(inserts("stats_off", "server: { stats: false }\n"), embedded(), cell_options());
  EXPECT_FALSE(outcome.cell.contains("server_stats"));
  EXPECT_FALSE(outcome.cell["summary"].contains("cache_hit_ratio"));
  EXPECT_GE(outcome.cell["summary"]["server_statements"]["calls"].get<double>(), k_inserts);
  for (const auto& row : outcome.cell["timeseries"]) EXPECT_TRUE(row["server_wal_bytes"].is_null());
}

TEST_F(ServerStatsOverPg, StatementsAreMatchedToTheScriptsUnderEveryProtocol) {
  {
    auto session = pg::Session::connect(server().conninfo());
    session.exec(
        "DROP TABLE IF EXISTS match_keys; CREATE TABLE match_keys (k int PRIMARY KEY, v int, "
        "note text); INSERT INTO match_keys SELECT g, g, 'n' FROM generate_series(1, 100) AS g;");
  }
  for (const char* protocol : {"extended", "simple", "prepared"}) {
    SCOPED_TRACE(protocol);
    const auto scenario = scenario::parse_scenario(
        std::string("name: match\n"
                    "workload: { mode: closed, clients: 1, transactions: 20, protocol: ") +
            protocol +
            " }\n"
            "transactions:\n"
            "  - name: mixed\n"
            "    script: |\n"
            "      \\set k random(1, 100)\n"
            "      SELECT v FROM match_keys WHERE k = :k;\n"
            "      UPDATE match_keys SET v = v + 1 WHERE k = :k::int AND v > -5;\n"
            "      select count(*)   FROM match_keys\n"
            "        WHERE note <> 'none' AND k < :k LIMIT 3;\n",
        "match.yaml");
    const CellOutcome outcome = run_cell(scenario, embedded(), cell_options());
    ASSERT_EQ(outcome.cell["summary"]["completed"], 20) << outcome.cell["summary"].dump();
    const auto& statements = outcome.cell["server_stats"]["statements"];
    ASSERT_TRUE(statements.is_array()) << outcome.cell["server_stats"]["missing"].dump();
    std::map<int, double> calls_by_line;
    for (const auto& statement : statements) {
      if (statement["query"].get<std::string>().find("match_keys") == std::string::npos) continue;
      // Every statement of this cell on match_keys is one of the script's.
      ASSERT_EQ(statement["transaction"], "mixed") << statement.dump();
      calls_by_line[statement["line"].get<int>()] += statement["calls"].get<double>();
    }
    EXPECT_EQ(calls_by_line, (std::map<int, double>{{2, 20}, {3, 20}, {4, 20}}))
        << statements.dump(2);
  }
}

TEST_F(ServerStatsOverPg, PlansAreRecordedWithTheScriptsParametersAndSayWhyWhenNot) {
  {
    auto session = pg::Session::connect(server().conninfo());
    session.exec(
        "DROP TABLE IF EXISTS plan_keys; CREATE TABLE plan_keys (k int PRIMARY KEY, v int);"
        "INSERT INTO plan_keys SELECT g, g FROM generate_series(1, 10000) AS g; "
        "ANALYZE plan_keys;");
  }
  const auto scenario = scenario::parse_scenario(
      "name: plans\n"
      "workload: { mode: closed, clients: 1, transactions: 5 }\n"
      "transactions:\n"
      "  - name: lookup\n"
      "    script: |\n"
      "      \\set key random(1, 10000)\n"
      "      BEGIN;\n"
      "      SELECT v FROM plan_keys WHERE k = :key \\gset\n"
      "      SELECT count(*) FROM plan_keys WHERE v >= :v;\n"
      "      END;\n",
      "plans.yaml");
  const CellOutcome outcome = run_cell(scenario, embedded(), cell_options());
  ASSERT_EQ(outcome.cell["summary"]["completed"], 5) << outcome.cell["summary"].dump();
  const auto& plans = outcome.cell["plans"];
  ASSERT_EQ(plans.size(), 2u) << plans.dump(2);  // BEGIN and END have no plan
  const auto& lookup = plans[0];
  EXPECT_EQ(lookup["transaction"], "lookup");
  EXPECT_EQ(lookup["line"], 3);
  ASSERT_EQ(lookup["parameters"].size(), 1u);
  const int key = std::stoi(lookup["parameters"][0].get<std::string>());
  EXPECT_GE(key, 1);
  EXPECT_LE(key, 10000);
  EXPECT_EQ(lookup["shape"], "Index Scan using plan_keys_pkey on plan_keys") << lookup.dump(2);
  EXPECT_EQ(lookup["fingerprint"].get<std::string>().size(), 16u);
  EXPECT_GT(lookup["total_cost"].get<double>(), 0);
  EXPECT_EQ(lookup["plan"]["Node Type"], "Index Scan");
  EXPECT_TRUE(lookup["reason"].is_null());
  // :v comes from \gset, which is not run to record plans: no plan, and the reason.
  const auto& count = plans[1];
  EXPECT_TRUE(count["plan"].is_null());
  EXPECT_TRUE(count["fingerprint"].is_null());
  EXPECT_NE(count["reason"].get<std::string>().find("variable \":v\" is not set"),
            std::string::npos)
      << count["reason"];
}

TEST_F(ServerStatsOverPg, AProfilesSessionSettingChangesTheRecordedPlan) {
  // The monitoring connection carries a --dsn profile's session settings, as the pools do.
  const auto scenario = scenario::parse_scenario(
      "name: plans\n"
      "workload: { mode: closed, clients: 1, transactions: 1 }\n"
      "transactions:\n"
      "  - name: lookup\n"
      "    script: |\n"
      "      SELECT v FROM plan_keys WHERE k = 42;\n",
      "plans.yaml");
  {
    auto session = pg::Session::connect(server().conninfo());
    session.exec(
        "DROP TABLE IF EXISTS plan_keys; CREATE TABLE plan_keys (k int PRIMARY KEY, v int);"
        "INSERT INTO plan_keys SELECT g, g FROM generate_series(1, 10000) AS g; "
        "ANALYZE plan_keys;");
  }
  ServerTarget no_index = embedded();
  no_index.target.set("options", "-c enable_indexscan=off -c enable_bitmapscan=off");
  const auto with_index = run_cell(scenario, embedded(), cell_options()).cell["plans"][0];
  const auto without = run_cell(scenario, no_index, cell_options()).cell["plans"][0];
  EXPECT_EQ(with_index["shape"], "Index Scan using plan_keys_pkey on plan_keys");
  EXPECT_EQ(without["shape"], "Seq Scan on plan_keys") << without.dump(2);
  EXPECT_NE(with_index["fingerprint"], without["fingerprint"]);
}

TEST_F(ServerStatsOverPg, CheckpointBeforeCellRequestsOneCheckpointBeforeTheWarmup) {
  // The requested checkpoints the server counted around a whole cell (its warmup included):
  // one with server.checkpoint_before_cell, none without (a few hundred inserts are far from
  // max_wal_size, and timed checkpoints are counted apart).
  const auto requested = [] {
    return std::stod(monitor()
                         .query("SELECT checkpoints_req FROM pg_stat_bgwriter")
                         .rows.at(0)
                         .at(0)
                         .value_or("0"));
  };
  make_table("stats_checkpoint");
  const double before = requested();
  run_cell(inserts("stats_checkpoint"), embedded(), cell_options());
  EXPECT_EQ(requested(), before);
  const CellOutcome outcome =
      run_cell(inserts("stats_checkpoint", "server: { checkpoint_before_cell: true }\n"),
               embedded(), cell_options());
  EXPECT_EQ(requested(), before + 1);
  // Before the measurement: the window's own counters do not include it.
  EXPECT_EQ(outcome.cell["server_stats"]["bgwriter"]["checkpoints_req"].get<double>(), 0);
}

TEST_F(ServerStatsOverPg, PerRequestFiguresCountTheRequestsBetweenTheReadingsWhenTheStartIsLate) {
  // A loaded machine takes the start reading late while the clients go on completing
  // requests the client's window counts: dividing what the server counted by
  // summary.completed would read low (by about the lag over the window: 30% here).
  make_table("stats_late");
  const auto scenario = scenario::parse_scenario(
      "name: late\n"
      "workload: { mode: closed, clients: 2, duration: 2s, warmup: 1s }\n"
      "transactions:\n"
      "  - name: insert\n"
      "    script: |\n"
      "      INSERT INTO stats_late (v) VALUES (1);\n",
      "late.yaml");
  CellOptions options = cell_options();
  options.start_reading_delay = std::chrono::milliseconds(600);
  const CellOutcome outcome = run_cell(scenario, embedded(), options);
  const auto& summary = outcome.cell["summary"];
  const auto& stats = outcome.cell["server_stats"];
  ASSERT_TRUE(stats.contains("window")) << stats.dump(2);
  const auto& window = stats["window"];
  EXPECT_GE(window["start_lag_ms"].get<double>(), 600.0);
  const double requests = window["requests"].get<double>();
  const double completed = summary["completed"].get<double>();
  ASSERT_GT(requests, 100.0);
  EXPECT_LT(requests, 0.9 * completed);  // the late start left part of the window out
  // pg_stat_statements counts each execution at once: its calls are the requests between
  // the readings, give or take the two in flight and those that completed while its start
  // reading ran (the window's stated uncertainty).
  double calls = -1;
  for (const auto& statement : stats["statements"]) {
    if (statement["query"].get<std::string>().find("stats_late") != std::string::npos)
      calls = statement["calls"].get<double>();
  }
  const double in_reading = window["requests_in_start_reading"].get<double>();
  EXPECT_LT(in_reading, 0.05 * requests);
  EXPECT_GE(calls, requests - in_reading - 2) << stats["statements"].dump(2);
  EXPECT_LE(calls, requests + 2) << stats["statements"].dump(2);
  // The per-request figures divide by the same requests.
  const auto& statements = summary["server_statements"];
  EXPECT_EQ(statements["requests"].get<double>(), requests);
  EXPECT_NEAR(statements["exec_ms_per_request"].get<double>() * requests,
              statements["total_exec_ms"].get<double>(),
              1e-6 * statements["total_exec_ms"].get<double>());
  EXPECT_DOUBLE_EQ(summary["wal_bytes_per_transaction"].get<double>(),
                   stats["wal"]["wal_bytes"].get<double>() / requests);
  EXPECT_DOUBLE_EQ(summary["blks_read_per_request"].get<double>(),
                   stats["database"]["blks_read"].get<double>() / requests);
}

TEST_F(ServerStatsOverPg, PerSecondRowsCarryWalBlocksReadAndTheCheckpointInTheirSecond) {
  // A checkpoint requested in the middle of a write load shows up in the per-second rows,
  // beside that second's latency, and so does the WAL the inserts write.
  make_table("stats_seconds");
  const auto scenario = scenario::parse_scenario(
      "name: seconds\n"
      "workload: { mode: closed, clients: 2, duration: 4s, warmup: 0s }\n"
      "transactions:\n"
      "  - name: insert\n"
      "    script: |\n"
      "      INSERT INTO stats_seconds (v) VALUES (1);\n",
      "seconds.yaml");
  // Once the load has written its first rows (the window is open: no warmup), well before
  // its 4 s are over.
  std::thread checkpoint([] {
    auto session = pg::Session::connect(server().conninfo());
    const auto rows = [&session] {
      return std::stoi(
          session.query("SELECT count(*) FROM stats_seconds").rows.at(0).at(0).value_or("0"));
    };
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (rows() < 100 && std::chrono::steady_clock::now() < give_up)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    session.query("CHECKPOINT");
  });
  const CellOutcome outcome = run_cell(scenario, embedded(), cell_options());
  checkpoint.join();
  double wal = 0;
  double checkpoints = 0;
  int sampled = 0;
  for (const auto& row : outcome.cell["timeseries"]) {
    if (!row["server_wal_bytes"].is_number()) continue;
    ++sampled;
    wal += row["server_wal_bytes"].get<double>();
    EXPECT_TRUE(row["server_blks_read"].is_number()) << row.dump();
    ASSERT_TRUE(row["server_checkpoints"].is_number()) << row.dump();
    checkpoints += row["server_checkpoints"].get<double>();
  }
  EXPECT_GE(sampled, 2) << outcome.cell["timeseries"].dump();
  EXPECT_GT(wal, 0);
  EXPECT_GE(checkpoints, 1) << outcome.cell["timeseries"].dump();
  EXPECT_GE(outcome.cell["summary"]["checkpoints"].get<double>(), checkpoints);
}

TEST_F(ServerStatsOverPg, WaitEventsCountTheLockWaitsOfClientsUpdatingOneRow) {
  // Two clients update the same row and hold it 50 ms: at almost any moment one of them
  // waits for the other's transaction (Lock: transactionid) while the other sleeps.
  {
    auto session = pg::Session::connect(server().conninfo());
    session.exec(
        "DROP TABLE IF EXISTS stats_hot; CREATE TABLE stats_hot (k int PRIMARY KEY, v int); "
        "INSERT INTO stats_hot VALUES (1, 0);");
  }
  const auto scenario = scenario::parse_scenario(
      "name: hot\n"
      "workload: { mode: closed, clients: 2, duration: 3s, warmup: 0s }\n"
      "transactions:\n"
      "  - name: hot\n"
      "    script: |\n"
      "      BEGIN;\n"
      "      UPDATE stats_hot SET v = v + 1 WHERE k = 1;\n"
      "      SELECT pg_sleep(0.05);\n"
      "      COMMIT;\n",
      "hot.yaml");
  const CellOutcome outcome = run_cell(scenario, embedded(), cell_options());
  const auto& waits = outcome.cell["server_stats"]["wait_events"];
  ASSERT_TRUE(waits.is_object()) << outcome.cell["server_stats"]["missing"].dump();
  const double samples = waits["samples"].get<double>();
  EXPECT_GE(samples, 2);
  std::map<std::string, double> counts;
  for (const auto& event : waits["events"]) {
    counts[event["wait_event_type"].get<std::string>() + ":" +
           event["wait_event"].get<std::string>()] = event["count"].get<double>();
    // One count per sampled busy backend: at most the two clients per sample.
    EXPECT_LE(event["count"].get<double>(), 2 * samples) << event.dump();
  }
  EXPECT_GE(counts["Lock:transactionid"], 1) << waits.dump();
  EXPECT_GE(counts["Timeout:PgSleep"], 1) << waits.dump();
}

TEST_F(ServerStatsOverPg, AServerNothingAnswersGivesNullPlansAndViewsEachWithItsReason) {
  // A port bound but not listening on loopback: every connect is refused, the monitoring
  // connection's too. The cell still ends with its errors counted, and a results schema
  // that allows every null it writes.
  const int held = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(held, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(held, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t length = sizeof address;
  ASSERT_EQ(::getsockname(held, reinterpret_cast<sockaddr*>(&address), &length), 0);
  ServerTarget gone;
  gone.target =
      pg::parse_dsn("postgresql://poolbench@127.0.0.1:" + std::to_string(ntohs(address.sin_port)) +
                        "/poolbench",
                    "test")
          .target;
  gone.masked = "nothing";
  const auto scenario = scenario::parse_scenario(
      "name: gone\n"
      "workload: { mode: closed, clients: 1, duration: 1s, warmup: 0s }\n"
      "transactions:\n"
      "  - name: one\n"
      "    script: |\n"
      "      SELECT 1;\n",
      "gone.yaml");
  const CellOutcome outcome = run_cell(scenario, gone, cell_options());
  ::close(held);
  const auto& cell = outcome.cell;
  EXPECT_GT(cell["summary"]["errors"].get<double>(), 0) << cell["summary"].dump();
  EXPECT_TRUE(cell["plans"].is_null());
  EXPECT_EQ(cell["plans_reason"], "no monitoring connection to the server");
  const auto& stats = cell["server_stats"];
  for (const char* view : {"database", "bgwriter", "wal", "tables", "statements"}) {
    EXPECT_TRUE(stats[view].is_null()) << view;
    EXPECT_EQ(stats["missing"][view], "no monitoring connection to the server") << view;
  }
  EXPECT_TRUE(stats["os"]["server_cpu_s"].is_null());
  expect_valid(cell, "cell");
}

}  // namespace
}  // namespace poolbench::matrix
