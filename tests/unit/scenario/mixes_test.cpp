// `mixes:` and `workload.mix`: named transaction weights a matrix can compare in one file.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "scenario/scenario.hpp"
#include "unit/scenario/error_of.hpp"
#include "util/error.hpp"

namespace poolbench::scenario {
namespace {

const std::string k_transactions = R"(name: x
transactions:
  - name: point_read
    weight: 90
    script: SELECT 1;
  - name: update
    weight: 10
    script: SELECT 2;
  - name: tpcb_like
    script: SELECT 3;
)";

const std::string k_mixes = R"(mixes:
  read_heavy: {point_read: 95, update: 5}
  write_heavy: {point_read: 20, update: 0, tpcb_like: 80}
)";

std::vector<double> weights_of(const Scenario& s) {
  std::vector<double> out;
  for (const auto& t : s.transactions) out.push_back(t.weight);
  return out;
}

TEST(ScenarioMixes, WithoutWorkloadMixTheTransactionsOwnWeightsApply) {
  const Scenario s = parse_scenario(k_transactions + k_mixes, "x.yaml");
  EXPECT_EQ(weights_of(s), (std::vector<double>{90, 10, 1}));
  EXPECT_TRUE(s.workload.mix.empty());
  ASSERT_EQ(s.mixes.size(), 2u);
  EXPECT_EQ(s.mixes[0].name, "read_heavy");  // file order
  EXPECT_EQ(s.mixes[1].name, "write_heavy");
  EXPECT_EQ(s.mixes[0].weight_of("tpcb_like"), 0);  // not named: weighs 0
  EXPECT_EQ(s.mixes[1].weight_of("tpcb_like"), 80);
  EXPECT_EQ(s.mixes[0].at.to_string(), "x.yaml:12:3");
  const nlohmann::json json = to_json(s);
  EXPECT_EQ(json["workload"]["mix"], "none");
  EXPECT_EQ(json["transactions"][0]["weight"], 90);
  EXPECT_FALSE(json["transactions"][0].contains("own_weight"));
  EXPECT_EQ(json["mixes"]["read_heavy"],
            (nlohmann::json{{"point_read", 95}, {"update", 5}, {"tpcb_like", 0}}));
  EXPECT_EQ(json["mixes"]["write_heavy"]["tpcb_like"], 80);
}

TEST(ScenarioMixes, WorkloadMixReplacesTheWeightsWhereverTheKeysStandInTheFile) {
  // workload.mix before mixes:, mixes: before transactions:.
  const std::string yaml = "workload: {mix: write_heavy}\n" + k_mixes + k_transactions;
  const Scenario s = parse_scenario(yaml, "x.yaml");
  EXPECT_EQ(s.workload.mix, "write_heavy");
  EXPECT_EQ(weights_of(s), (std::vector<double>{20, 0, 80}));
  EXPECT_EQ(s.transactions[0].own_weight, 90);
  EXPECT_EQ(s.transactions[2].own_weight, 1);
  EXPECT_EQ(s.origins.at("workload.mix").to_string(), "x.yaml:1:17");
  const nlohmann::json json = to_json(s);
  EXPECT_EQ(json["workload"]["mix"], "write_heavy");
  EXPECT_EQ(json["transactions"][1]["weight"], 0);
  EXPECT_EQ(json["transactions"][1]["own_weight"], 10);
}

TEST(ScenarioMixes, SetAndMatrixCellsSwitchMixesAndNoneRestoresTheOwnWeights) {
  const Scenario base =
      parse_scenario(k_transactions + k_mixes, "x.yaml", {"workload.mix=read_heavy"});
  EXPECT_EQ(weights_of(base), (std::vector<double>{95, 5, 0}));
  EXPECT_EQ(base.origins.at("workload.mix").to_string(), "--set workload.mix=read_heavy");
  // What the matrix runner does per cell: set the axis value on a copy of the resolved base.
  Scenario cell = base;
  set_scenario_key(cell, "workload.mix", "write_heavy", SourceRef{"matrix cell", 0, 0});
  EXPECT_EQ(weights_of(cell), (std::vector<double>{20, 0, 80}));
  EXPECT_EQ(weights_of(base), (std::vector<double>{95, 5, 0}));
  set_scenario_key(cell, "workload.mix", "none", SourceRef{"matrix cell", 0, 0});
  EXPECT_TRUE(cell.workload.mix.empty());
  EXPECT_EQ(weights_of(cell), (std::vector<double>{90, 10, 1}));
  EXPECT_EQ(to_json(cell)["workload"]["mix"], "none");
}

TEST(ScenarioMixes, WorkloadMixIsAListedScenarioKeyAndMixesAListedBlock) {
  const auto keys = scenario_keys();
  EXPECT_NE(std::find(keys.begin(), keys.end(), "workload.mix"), keys.end());
  EXPECT_TRUE(is_scenario_key("workload.mix"));
  EXPECT_FALSE(is_scenario_key("mixes"));
  const auto blocks = scenario_blocks();
  EXPECT_NE(std::find(blocks.begin(), blocks.end(), "mixes"), blocks.end());
  EXPECT_EQ(error_of(k_transactions + "mixs: {}\n"),
            "bad.yaml:11:1: mixs: unknown key (did you mean 'mixes'?) (expected one of: name, "
            "description, dataset, workload, request, transactions, mixes, pool, server, "
            "matrix, slo, faults, replay)");
}

TEST(ScenarioMixes, AnUnknownMixNamesTheKeyTheValueTheMixesAndTheNearMiss) {
  const std::string yaml = k_transactions + k_mixes;
  EXPECT_EQ(error_of(yaml, {"workload.mix=wrte_heavy"}),
            "--set workload.mix=wrte_heavy: workload.mix: unknown mix 'wrte_heavy' (did you mean "
            "'write_heavy'?) (expected one of the scenario's mixes: read_heavy, write_heavy; or "
            "none for the transactions' own weights)");
  EXPECT_EQ(error_of(yaml, {"workload.mix=balanced"}),
            "--set workload.mix=balanced: workload.mix: unknown mix 'balanced' (expected one of "
            "the scenario's mixes: read_heavy, write_heavy; or none for the transactions' own "
            "weights)");
  EXPECT_EQ(error_of(yaml + "workload:\n  mix: read_hevy\n"),
            "bad.yaml:15:8: workload.mix: unknown mix 'read_hevy' (did you mean 'read_heavy'?) "
            "(expected one of the scenario's mixes: read_heavy, write_heavy; or none for the "
            "transactions' own weights)");
  EXPECT_EQ(error_of(k_transactions, {"workload.mix=read_heavy"}),
            "--set workload.mix=read_heavy: workload.mix: unknown mix 'read_heavy' (the scenario "
            "has no mixes: block; expected none, the transactions' own weights)");
  // A copy of a resolved scenario (a matrix cell) is checked the same way.
  Scenario cell = parse_scenario(yaml, "x.yaml");
  EXPECT_THROW(set_scenario_key(cell, "workload.mix", "heavy", SourceRef{"cell", 0, 0}),
               InputError);
}

TEST(ScenarioMixes, AMatrixAxisNamingAnUnknownMixFailsAtLoadWhateverTheOrder) {
  const std::string matrix = "matrix:\n  workload.mix: [read_heavy, writeheavy]\n";
  const std::string expected_tail =
      "workload.mix: unknown mix 'writeheavy' (did you mean 'write_heavy'?) (expected one of "
      "the scenario's mixes: read_heavy, write_heavy; or none for the transactions' own "
      "weights)";
  // matrix: first, then transactions:, then mixes:.
  EXPECT_EQ(error_of(matrix + k_transactions + k_mixes), "bad.yaml:2:30: " + expected_tail);
  // mixes:, transactions:, then matrix:.
  EXPECT_EQ(error_of(k_mixes + k_transactions + matrix), "bad.yaml:15:30: " + expected_tail);
  const Scenario s = parse_scenario(
      k_transactions + "matrix:\n  workload.mix: [none, write_heavy]\n" + k_mixes, "x.yaml");
  ASSERT_EQ(s.matrix.size(), 1u);
  EXPECT_EQ(s.matrix[0].values, (std::vector<std::string>{"none", "write_heavy"}));
  EXPECT_EQ(weights_of(s), (std::vector<double>{90, 10, 1}));  // probes leave the base alone
}

TEST(ScenarioMixes, MixWeightsAreKnownTransactionsWithFiniteWeightsAtLeastOnePositive) {
  const std::string head = k_transactions + "mixes:\n";
  EXPECT_EQ(error_of(head + "  read_heavy: {pont_read: 95}\n"),
            "bad.yaml:12:16: mixes.read_heavy.pont_read: unknown transaction (did you mean "
            "'point_read'?) (expected one of the scenario's transactions: point_read, update, "
            "tpcb_like)");
  EXPECT_EQ(error_of(head + "  read_heavy: {select_only: 95}\n"),
            "bad.yaml:12:16: mixes.read_heavy.select_only: unknown transaction (expected one of "
            "the scenario's transactions: point_read, update, tpcb_like)");
  EXPECT_EQ(error_of(head + "  read_heavy: {point_read: -1}\n"),
            "bad.yaml:12:28: mixes.read_heavy.point_read: '-1' is not valid (expected a number "
            ">= 0)");
  EXPECT_EQ(error_of(head + "  read_heavy: {point_read: lots}\n"),
            "bad.yaml:12:28: mixes.read_heavy.point_read: 'lots' is not valid (expected a "
            "number >= 0)");
  EXPECT_EQ(error_of(head + "  read_heavy: {point_read: .inf}\n"),
            "bad.yaml:12:28: mixes.read_heavy.point_read: '.inf' is not valid (expected a "
            "number >= 0)");
  EXPECT_EQ(error_of(head + "  read_heavy: {point_read: nan}\n"),
            "bad.yaml:12:28: mixes.read_heavy.point_read: 'nan' is not valid (expected a "
            "number >= 0)");
  EXPECT_EQ(error_of(head + "  read_heavy: {point_read: [1]}\n"),
            "bad.yaml:12:28: mixes.read_heavy.point_read: expected a single value, got a list");
  EXPECT_EQ(error_of(head + "  idle: {point_read: 0, update: 0}\n"),
            "bad.yaml:12:9: mixes.idle: expected at least one weight > 0 (a mix of zero "
            "weights would run nothing)");
  EXPECT_EQ(error_of(head + "  idle: {}\n"),
            "bad.yaml:12:9: mixes.idle: expected at least one weight > 0 (a mix of zero "
            "weights would run nothing)");
  EXPECT_EQ(error_of(head + "  read_heavy: {point_read: 1, point_read: 2}\n"),
            "bad.yaml:12:31: mixes.read_heavy.point_read: duplicate key");
  EXPECT_EQ(error_of(head + "  read_heavy: {point_read: 1}\n  read_heavy: {update: 1}\n"),
            "bad.yaml:13:3: mixes.read_heavy: duplicate key");
}

TEST(ScenarioMixes, MixesAndEachMixAreMappingsAndNoneIsReserved) {
  EXPECT_EQ(error_of(k_transactions + "mixes: [read_heavy]\n"),
            "bad.yaml:11:8: mixes: expected a mapping of mix names to transaction weights, e.g. "
            "read_heavy: {point_read: 90, update: 10}");
  EXPECT_EQ(error_of(k_transactions + "mixes:\n  read_heavy: 90\n"),
            "bad.yaml:12:15: mixes.read_heavy: expected a mapping of transaction names to "
            "weights, e.g. {point_read: 90, update: 10}");
  EXPECT_EQ(error_of(k_transactions + "mixes:\n  none: {point_read: 1}\n"),
            "bad.yaml:12:3: mixes.none: 'none' is reserved (workload.mix: none means the "
            "transactions' own weights); choose another name");
  EXPECT_EQ(error_of(k_transactions + "mixes:\n  '': {point_read: 1}\n"),
            "bad.yaml:12:3: mixes: expected a non-empty mix name");
}

TEST(ScenarioMixes, TransactionWeightsMustBeFiniteAndPositive) {
  EXPECT_EQ(error_of("name: x\ntransactions:\n  - name: a\n    weight: inf\n    script: SELECT "
                     "1;\n"),
            "bad.yaml:4:13: transactions[0].weight: 'inf' is not valid (expected a number > 0)");
}

}  // namespace
}  // namespace poolbench::scenario
