#include "scenario/scenario.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "unit/scenario/error_of.hpp"
#include "util/error.hpp"

namespace poolbench::scenario {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

const char* const k_read_heavy = R"(name: read_heavy
description: 90% point reads
dataset:
  scale: 10
workload:
  mode: closed
  clients: 16
  think_time: 0ms
  duration: 30s
  warmup: 5s
transactions:
  - name: point_read
    weight: 90
    script: |
      \set aid random(1, 100000 * :scale)
      SELECT abalance FROM pgbench_accounts WHERE aid = :aid;
  - name: update
    weight: 10
    script: UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = 1;
pool: { pool_size: 20, max_overflow: 10, pool_timeout: 30, pool_recycle: 1800s,
        pool_pre_ping: true, use_lifo: false, fairness: sqlalchemy, instances: 1 }
server: { profile: ssd, auth: scram, ssl: off }
matrix:
  pool.pool_size: [5, 10, 20]
  server.profile: [ssd, hdd]
  repetitions: 3
slo: { timeout_rate: 0, p99_latency: 50ms }
)";

TEST(Scenario, LoadsEveryKeyOfTheDesignExample) {
  const Scenario s = parse_scenario(k_read_heavy, "read_heavy.yaml");
  EXPECT_EQ(s.name, "read_heavy");
  EXPECT_EQ(s.dataset.scale, 10);
  EXPECT_EQ(s.workload.mode, LoadMode::closed);
  EXPECT_EQ(s.workload.clients, 16);
  EXPECT_EQ(s.workload.duration, 30s);
  EXPECT_EQ(s.workload.warmup, 5s);
  ASSERT_EQ(s.transactions.size(), 2u);
  EXPECT_EQ(s.transactions[0].name, "point_read");
  EXPECT_EQ(s.transactions[0].weight, 90);
  EXPECT_NE(s.transactions[0].script.find("\\set aid"), std::string::npos);
  EXPECT_EQ(s.transactions[0].script_at.line, 15);  // the first script line, below `|`
  EXPECT_EQ(s.transactions[1].script_at.line, 19);  // a plain scalar on its own line
  EXPECT_EQ(s.pool.settings.pool_size, 20);
  EXPECT_EQ(s.pool.settings.max_overflow, 10);
  EXPECT_EQ(s.pool.settings.pool_timeout, 30s);  // a bare number is seconds
  EXPECT_EQ(s.pool.settings.pool_recycle, 1800s);
  EXPECT_TRUE(s.pool.settings.pool_pre_ping);
  EXPECT_EQ(s.server.profile, "ssd");
  EXPECT_FALSE(s.server.ssl);
  ASSERT_EQ(s.matrix.size(), 2u);
  EXPECT_EQ(s.matrix[0].key, "pool.pool_size");
  EXPECT_EQ(s.matrix[0].values, (std::vector<std::string>{"5", "10", "20"}));
  EXPECT_EQ(s.repetitions, 3);
  EXPECT_EQ(s.slo.timeout_rate, 0.0);
  EXPECT_EQ(s.slo.p99_latency, std::chrono::microseconds(50ms));
  EXPECT_EQ(s.origins.at("pool.pool_size").to_string(), "read_heavy.yaml:20:20");
}

TEST(Scenario, DefaultsAreSqlalchemysPoolAndAShortClosedLoop) {
  const Scenario s =
      parse_scenario("name: x\ntransactions: [{name: t, script: 'SELECT 1;'}]\n", "x.yaml");
  EXPECT_EQ(s.pool.settings.pool_size, 5);
  EXPECT_EQ(s.pool.settings.max_overflow, 10);
  EXPECT_EQ(s.pool.settings.pool_timeout, 30s);
  EXPECT_EQ(s.workload.mode, LoadMode::closed);
  EXPECT_EQ(s.transactions[0].weight, 1);
  EXPECT_EQ(s.server.profile, "default");
  EXPECT_EQ(s.repetitions, 1);
}

TEST(Scenario, SetOverridesAnyKeyTypedAndValidatedTheSameWay) {
  const Scenario s = parse_scenario(k_read_heavy, "read_heavy.yaml",
                                    {"pool.pool_size=8", "workload.think_time=5ms"});
  EXPECT_EQ(s.pool.settings.pool_size, 8);
  EXPECT_EQ(s.workload.think_time, 5ms);
  EXPECT_EQ(s.origins.at("pool.pool_size").to_string(), "--set pool.pool_size=8");
  EXPECT_EQ(error_of(k_read_heavy, {"pool.pool_size=abc"}),
            "--set pool.pool_size=abc: pool.pool_size: 'abc' is not valid (expected a whole "
            "number >= 0 (0 = no limit))");
  EXPECT_EQ(error_of(k_read_heavy, {"pool.pool_sise=8"}),
            "--set pool.pool_sise=8: pool.pool_sise: unknown key (did you mean "
            "'pool.pool_size'?)");
  EXPECT_EQ(error_of(k_read_heavy, {"pool.pool_size"}),
            "--set pool.pool_size: expected key.path=value, e.g. --set pool.pool_size=8");
}

TEST(Scenario, AnSloBlockAllowsNoDropsAndNoErrorsUnlessItSaysOtherwise) {
  const std::string head = "name: x\ntransactions: [{name: t, script: 'SELECT 1;'}]\n";
  const Scenario with = parse_scenario(head + "slo: { timeout_rate: 0.01 }\n", "x.yaml");
  EXPECT_EQ(with.slo.drop_rate, 0.0);
  EXPECT_EQ(with.slo.error_rate, 0.0);
  EXPECT_EQ(to_json(with)["slo"]["drop_rate"], 0.0);
  EXPECT_EQ(to_json(with)["slo"]["error_rate"], 0.0);
  const Scenario empty_block = parse_scenario(head + "slo: {}\n", "x.yaml");
  EXPECT_EQ(empty_block.slo.drop_rate, 0.0);
  const Scenario given =
      parse_scenario(head + "slo: { drop_rate: 0.001, error_rate: 0.02 }\n", "x.yaml");
  EXPECT_EQ(given.slo.drop_rate, 0.001);
  EXPECT_EQ(given.slo.error_rate, 0.02);
  EXPECT_FALSE(given.slo.timeout_rate.has_value());
  const Scenario none = parse_scenario(head, "x.yaml");
  EXPECT_FALSE(none.slo.drop_rate.has_value());
  EXPECT_FALSE(none.slo.error_rate.has_value());
  EXPECT_TRUE(to_json(none)["slo"].empty());
  // An slo.* key set from the command line gives the scenario an slo too.
  const Scenario set = parse_scenario(head, "x.yaml", {"slo.p99_latency=50ms"});
  EXPECT_EQ(set.slo.drop_rate, 0.0);
  EXPECT_EQ(set.slo.error_rate, 0.0);
  EXPECT_EQ(error_of(head + "slo: {drop_rate: 1.5}\n"),
            "bad.yaml:3:18: slo.drop_rate: '1.5' is not valid (expected a fraction between 0 and "
            "1, such as 0 or 0.001)");
}

TEST(Scenario, UnknownKeyNamesFileLineColumnAndTheNearMiss) {
  const std::string yaml =
      "name: x\npool:\n  pool_sise: 5\ntransactions: [{name: t, script: 'SELECT 1;'}]\n";
  EXPECT_EQ(error_of(yaml),
            "bad.yaml:3:3: pool.pool_sise: unknown key (did you mean 'pool.pool_size'?)");
  EXPECT_EQ(error_of("name: x\nworkloads: {}\n"),
            "bad.yaml:2:1: workloads: unknown key (did you mean 'workload'?) (expected one of: "
            "name, description, dataset, workload, request, transactions, mixes, pool, server, "
            "matrix, slo, faults, replay)");
}

TEST(Scenario, WrongTypesAndBadUnitsSayWhatIsExpected) {
  const std::string head = "name: x\ntransactions: [{name: t, script: 'SELECT 1;'}]\n";
  EXPECT_EQ(error_of(head + "workload: {think_time: 5 parsecs}\n"),
            "bad.yaml:3:24: workload.think_time: '5 parsecs' is not valid (expected a duration "
            ">= 0 such as 0ms, 50ms, 1s)");
  EXPECT_EQ(
      error_of(head + "workload:\n  mode: sideways\n"),
      "bad.yaml:4:9: workload.mode: 'sideways' is not valid (expected closed, open or replay)");
  EXPECT_EQ(error_of(head + "pool:\n  max_overflow: -2\n"),
            "bad.yaml:4:17: pool.max_overflow: '-2' is not valid (expected a whole number >= -1 "
            "(-1 = unlimited))");
  EXPECT_EQ(error_of(head + "pool:\n  pool_size: [1, 2]\n"),
            "bad.yaml:4:14: pool.pool_size: expected a single value, got a list");
  EXPECT_EQ(error_of(head + "slo: {timeout_rate: 2}\n"),
            "bad.yaml:3:21: slo.timeout_rate: '2' is not valid (expected a fraction between 0 "
            "and 1, such as 0 or 0.01)");
  EXPECT_EQ(error_of(head + "pool: 5\n"),
            "bad.yaml:3:7: pool: expected a mapping of pool settings (key: value lines)");
}

TEST(Scenario, YamlSyntaxErrorsNameTheLine) {
  const std::string message = error_of("name: x\npool: {pool_size: 5\n");
  EXPECT_EQ(message.rfind("bad.yaml:", 0), 0u) << message;
  EXPECT_NE(message.find("YAML syntax error"), std::string::npos) << message;
}

TEST(Scenario, DuplicateKeysAreRejected) {
  EXPECT_EQ(error_of("name: x\npool: {pool_size: 5, pool_size: 6}\n"),
            "bad.yaml:2:22: pool.pool_size: duplicate key");
}

TEST(Scenario, TransactionsAreRequiredNamedUniqueAndWeightedPositively) {
  EXPECT_EQ(error_of("name: x\n"),
            "bad.yaml: transactions: at least one transaction is required (- name: ..., script: "
            "...)");
  EXPECT_EQ(error_of("name: x\ntransactions:\n  - name: a\n    script: SELECT 1;\n  - name: a\n"
                     "    script: SELECT 2;\n"),
            "bad.yaml:5:11: transactions[1].name: duplicate transaction name");
  EXPECT_EQ(error_of("name: x\ntransactions:\n  - name: a\n    weight: 0\n    script: SELECT 1;\n"),
            "bad.yaml:4:13: transactions[0].weight: '0' is not valid (expected a number > 0)");
  EXPECT_EQ(error_of("name: x\ntransactions:\n  - name: a\n    scrpt: SELECT 1;\n"),
            "bad.yaml:4:5: transactions[0].scrpt: unknown key (did you mean 'script'?) (a "
            "transaction has name, weight and script)");
  EXPECT_EQ(error_of("name: x\ntransactions:\n  - name: a\n"),
            "bad.yaml:3:5: transactions[0].a: a transaction needs a script");
}

TEST(Scenario, MatrixAxesAreCheckedValueByValue) {
  const std::string head = "name: x\ntransactions: [{name: t, script: 'SELECT 1;'}]\n";
  EXPECT_EQ(error_of(head + "matrix:\n  pool.pool_size: [5, ten]\n"),
            "bad.yaml:4:23: pool.pool_size: 'ten' is not valid (expected a whole number >= 0 "
            "(0 = no limit))");
  EXPECT_EQ(error_of(head + "matrix:\n  pool.pool_sizes: [5]\n"),
            "bad.yaml:4:3: pool.pool_sizes: unknown key (did you mean 'pool.pool_size'?)");
  EXPECT_EQ(error_of(head + "matrix:\n  pool.pool_size: 5\n"),
            "bad.yaml:4:19: matrix.pool.pool_size: expected a non-empty list of values, e.g. "
            "[5, 10, 20]");
}

TEST(Scenario, OpenLoopRejectsATransactionCount) {
  const std::string yaml =
      "name: x\ntransactions: [{name: t, script: 'SELECT 1;'}]\nworkload:\n  mode: open\n"
      "  transactions: 10\n";
  EXPECT_EQ(error_of(yaml),
            "bad.yaml:5:17: workload.transactions: only with mode: closed (an open-loop run uses "
            "duration)");
}

TEST(Scenario, FaultsAreParsedInTimeOrderWithTheirKeys) {
  const Scenario s = parse_scenario(
      "name: x\ntransactions: [{name: t, script: 'SELECT 1;'}]\nworkload: {duration: 40s}\n"
      "faults:\n"
      "  - {at: 20s, kind: restart, mode: immediate}\n"
      "  - {at: 10s, kind: terminate_backends}\n"
      "  - {at: 25s, kind: stall, duration: 2s, table: pgbench_branches}\n"
      "  - {at: 30s, kind: network_delay, duration: 5s, delay: 20ms}\n"
      "  - {at: 36, kind: exhaust_connections, duration: 1s}\n",
      "f.yaml");
  ASSERT_EQ(s.faults.size(), 5u);
  EXPECT_EQ(s.faults[0].kind, FaultKind::terminate_backends);
  EXPECT_EQ(s.faults[1].kind, FaultKind::restart);
  EXPECT_TRUE(s.faults[1].immediate);
  EXPECT_EQ(s.faults[2].table, "pgbench_branches");
  EXPECT_EQ(s.faults[2].duration, std::chrono::seconds(2));
  EXPECT_EQ(s.faults[3].delay, std::chrono::milliseconds(20));
  EXPECT_EQ(s.faults[4].at, std::chrono::seconds(36));  // a bare number is seconds
  const auto json = to_json(s);
  EXPECT_EQ(json["faults"][1]["mode"], "immediate");
  EXPECT_EQ(json["faults"][3]["delay"], "20ms");
}

TEST(Scenario, BadFaultsNameTheFaultAndWhatIsExpected) {
  const std::string head =
      "name: x\ntransactions: [{name: t, script: 'SELECT 1;'}]\nworkload: {duration: 20s}\n"
      "faults:\n";
  const std::pair<const char*, const char*> cases[] = {
      {"  - {at: 5s, kind: restrat}\n",
       "bad.yaml:5:20: faults[0].kind: unknown fault 'restrat' (did you mean 'restart'?)"},
      {"  - {at: 5s}\n", "bad.yaml:5:5: faults[0]: kind: required"},
      {"  - {kind: restart}\n", "bad.yaml:5:5: faults[0]: at: required"},
      {"  - {at: 5s, kind: stall}\n", "bad.yaml:5:5: faults[0]: duration: required for stall"},
      {"  - {at: 5s, kind: restart, duration: 2s}\n",
       "faults[0].duration: restart is instantaneous"},
      {"  - {at: 5s, kind: network_delay, duration: 2s}\n",
       "faults[0].delay: network_delay needs delay"},
      {"  - {at: 5s, kind: stall, duration: 1s, mode: fast}\n",
       "faults[0].mode: only restart takes a mode"},
      {"  - {at: 5s, kind: restart, dely: 1s}\n",
       "faults[0].dely: unknown key (did you mean 'delay'?)"},
      {"  - {at: soon, kind: restart}\n", "faults[0].at: 'soon' is not a duration"},
      {"  - {at: 19s, kind: stall, duration: 2s}\n",
       "faults: a stall at 19s lasting 2s does not end before the measurement does "
       "(workload.duration 20s)"},
      {"  - 5s\n", "faults[0]: expected a mapping"},
  };
  for (const auto& [yaml, expected] : cases) {
    const std::string message = error_of(head + yaml);
    EXPECT_THAT(message, HasSubstr(expected)) << yaml;
  }
  EXPECT_THAT(error_of("name: x\ntransactions: [{name: t, script: 'SELECT 1;'}]\n"
                       "workload: {transactions: 10}\nfaults: [{at: 1s, kind: restart}]\n"),
              HasSubstr("faults: need workload.duration"));
}

TEST(Scenario, UnreadableFileIsAnInputErrorNamingIt) {
  try {
    load_scenario("/nonexistent/scenario.yaml");
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("/nonexistent/scenario.yaml: cannot read", 0), 0u);
  }
}

TEST(Scenario, ResolvedScenarioSerializesEveryKeyWithUnits) {
  const nlohmann::json json = to_json(parse_scenario(k_read_heavy, "read_heavy.yaml"));
  EXPECT_EQ(json["pool"]["pool_timeout"], "30s");
  EXPECT_EQ(json["pool"]["pool_recycle"], "30m");
  EXPECT_EQ(json["pool"]["fairness"], "sqlalchemy");
  EXPECT_EQ(json["workload"]["clients"], 16);
  EXPECT_EQ(json["workload"]["duration"], "30s");
  EXPECT_EQ(json["server"]["profile"], "ssd");
  EXPECT_EQ(json["transactions"][0]["weight"], 90);
  EXPECT_EQ(json["matrix"]["repetitions"], 3);
  EXPECT_EQ(json["slo"]["p99_latency"], "50ms");
}

}  // namespace
}  // namespace poolbench::scenario
